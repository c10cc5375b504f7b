//! The metrics of `GET /metrics`, in the OpenMetrics text format Prometheus scrapes: requests
//! and their latency by method, route pattern and status, the security events by name, and the
//! gauges the server reads when scraped (the database pool, the SQLite writer's queue).
//!
//! One registry for the process, like Prometheus's own client libraries: every server of the
//! process counts into it. Labels are route patterns (`/v1/registrations/{id}`), never paths,
//! so no path value is exposed and the number of series is bounded by the route table.
use super::security::Event;
use prometheus_client::encoding::{text, EncodeLabelSet};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::LazyLock;

/// The content type of [`encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabels {
    event: &'static str,
}

/// Latency buckets in seconds: 0.5 ms to 10 s.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

fn histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RequestLabels, Histogram, fn() -> Histogram>,
    security: Family<EventLabels, Counter>,
    pool_connections: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    writer_queue: Gauge,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("kyoten");
    let requests = Family::<RequestLabels, Counter>::default();
    let latency =
        Family::<RequestLabels, Histogram, fn() -> Histogram>::new_with_constructor(histogram);
    let security = Family::<EventLabels, Counter>::default();
    for event in Event::ALL {
        // Every event has its series from the start, so a rate over zero is zero, not absent.
        drop(security.get_or_create(&EventLabels {
            event: event.name(),
        }));
    }
    let (pool_connections, pool_idle, pool_max, writer_queue) = Default::default();
    registry.register(
        "http_requests",
        "Requests answered, by method, route pattern and status",
        requests.clone(),
    );
    registry.register(
        "http_request_duration_seconds",
        "Time to answer a request, by method, route pattern and status",
        latency.clone(),
    );
    registry.register(
        "security_events",
        "Security events logged, by event name (README, Security)",
        security.clone(),
    );
    registry.register(
        "db_pool_connections",
        "Database connections open in the pool",
        Gauge::clone(&pool_connections),
    );
    registry.register(
        "db_pool_idle_connections",
        "Open database connections not in use",
        Gauge::clone(&pool_idle),
    );
    registry.register(
        "db_pool_max_connections",
        "The most connections the pool opens",
        Gauge::clone(&pool_max),
    );
    registry.register(
        "writer_queue_depth",
        "Writes queued for or being written by the SQLite writer thread (0 on PostgreSQL, which has none)",
        Gauge::clone(&writer_queue),
    );
    Metrics {
        registry,
        requests,
        latency,
        security,
        pool_connections,
        pool_idle,
        pool_max,
        writer_queue,
    }
});

/// Counts one answered request and its latency.
pub fn request(method: &str, route: &str, status: u16, seconds: f64) {
    let labels = RequestLabels {
        method: method.to_owned(),
        route: route.to_owned(),
        status,
    };
    METRICS.requests.get_or_create(&labels).inc();
    METRICS.latency.get_or_create(&labels).observe(seconds);
}

pub(super) fn security_event(event: Event) {
    METRICS
        .security
        .get_or_create(&EventLabels {
            event: event.name(),
        })
        .inc();
}

/// What the server reads when it is scraped.
#[derive(Debug, Default, Clone, Copy)]
pub struct Gauges {
    pub pool_connections: u32,
    pub pool_idle: u32,
    pub pool_max: u32,
    pub writer_queue: usize,
}

/// Every metric as OpenMetrics text, with `gauges` as read now.
pub fn encode(gauges: Gauges) -> String {
    let m = &*METRICS;
    m.pool_connections.set(i64::from(gauges.pool_connections));
    m.pool_idle.set(i64::from(gauges.pool_idle));
    m.pool_max.set(i64::from(gauges.pool_max));
    m.writer_queue
        .set(i64::try_from(gauges.writer_queue).unwrap_or(i64::MAX));
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = text::encode(&mut out, &m.registry);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_counted_and_timed_under_its_route_pattern_and_status() {
        request("GET", "/v1/test-only/{id}", 204, 0.003);
        let text = encode(Gauges {
            pool_connections: 4,
            pool_idle: 3,
            pool_max: 16,
            writer_queue: 2,
        });
        assert!(text.contains(
            "kyoten_http_requests_total{method=\"GET\",route=\"/v1/test-only/{id}\",status=\"204\"} 1"
        ), "{text}");
        assert!(text.contains(
            "kyoten_http_request_duration_seconds_bucket{le=\"0.005\",method=\"GET\",route=\"/v1/test-only/{id}\",status=\"204\"} 1"
        ), "{text}");
        assert!(text.contains("kyoten_db_pool_connections 4"), "{text}");
        assert!(text.contains("kyoten_db_pool_idle_connections 3"), "{text}");
        assert!(text.contains("kyoten_writer_queue_depth 2"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn every_security_event_has_a_series_from_the_start() {
        let text = encode(Gauges::default());
        for event in Event::ALL {
            let series = format!("kyoten_security_events_total{{event=\"{}\"}}", event.name());
            assert!(text.contains(&series), "{series} in {text}");
        }
    }
}
