//! The server's log: stderr, `RUST_LOG` for the level (default `info`). Nothing personal is
//! logged: requests by route pattern and status only.
//!
//! A request the HTTP parser cannot read (unencoded non-ASCII in the URL, a malformed request
//! line or header) is refused by actix-http with an empty `400` before any of kyoten's code
//! runs, and actix-http logs it at ERROR. It is the client's error, not the server's: the
//! filter below turns it into one INFO event, `malformed_request`, so that an operator's
//! ERROR alerts stay for the server's own faults. actix-http has no hook to answer such a
//! request with a problem document; docs/spec/api.md §1.1 says to percent-encode the URL.
use crate::observe::security;
use std::fmt::Write as _;
use tracing::field::{Field, Visit};
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::filter::FilterExt;
use tracing_subscriber::layer::{Context, Filter, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{filter, fmt, EnvFilter, Layer};

/// actix-http's module that logs the requests it could not parse.
const DISPATCHER: &str = "actix_http::h1::dispatcher";

/// How log lines are written: text for a person reading a terminal, one JSON object per line
/// for a log collector (each event's fields at the top level: `event`, `organization`,
/// `request_id` …).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Sets up the log (stderr) for `kyoten serve` and the commands that change organizations
/// and keys.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = subscriber(std::io::stderr, format, filter).try_init();
}

/// A change an operator made with a command (an organization, an API key, a signing key): its
/// security event, on stderr in the format `KYOTEN_LOG_FORMAT` names (`text` by default), so
/// that what collects the server's log can collect it too.
pub fn command_event(
    event: security::Event,
    organization: Option<&str>,
    reason: &str,
    key: Option<&str>,
) {
    let format = match std::env::var("KYOTEN_LOG_FORMAT").as_deref() {
        Ok("json") => LogFormat::Json,
        _ => LogFormat::Text,
    };
    init(format);
    security::record(
        event,
        &security::Context {
            organization,
            reason: Some(reason),
            key,
            ..security::Context::default()
        },
    );
}

/// The log, written to `writer`: every event `filter` (`RUST_LOG`) enables, but a parse error
/// of actix-http, which is written as one INFO line instead.
fn subscriber<W>(writer: W, format: LogFormat, filter: EnvFilter) -> impl Subscriber + Send + Sync
where
    W: for<'w> fmt::MakeWriter<'w> + Clone + Send + Sync + 'static,
{
    let lines = match format {
        LogFormat::Text => fmt::layer().with_writer(writer.clone()).boxed(),
        LogFormat::Json => fmt::layer()
            .json()
            .flatten_event(true)
            .with_writer(writer.clone())
            .boxed(),
    };
    tracing_subscriber::registry()
        // One filter, both conditions: two nested filters would each be asked on their own,
        // and the outer one (which lets every callsite through) would enable every event.
        .with(lines.with_filter(filter.and(NotAParseError)))
        // Filtered to the one callsite kind it rewrites: a layer without a filter would be
        // interested in every event of every crate at every level, so each `trace!` of
        // actix-http would be built and dispatched on every request.
        .with(
            ParseErrorsAsInfo(writer, format).with_filter(filter::filter_fn(|meta| {
                meta.target() == DISPATCHER && *meta.level() == tracing::Level::ERROR
            })),
        )
}

/// The cause of a parse error actix-http logged ("URI error: invalid uri character"), if the
/// event is one. The cause names what was wrong, never the bytes.
fn parse_error(event: &Event<'_>) -> Option<String> {
    if event.metadata().target() != DISPATCHER {
        return None;
    }
    let mut message = Message(String::new());
    event.record(&mut message);
    let cause = message
        .0
        .strip_prefix("stream error: request parse error: ")?;
    Some(cause.to_owned())
}

/// Lets every event through but actix-http's parse errors.
struct NotAParseError;

impl<S: Subscriber> Filter<S> for NotAParseError {
    fn enabled(&self, _meta: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        true
    }

    fn event_enabled(&self, event: &Event<'_>, _cx: &Context<'_, S>) -> bool {
        parse_error(event).is_none()
    }
}

/// Writes actix-http's parse errors as `malformed_request` at INFO, in the fmt layer's shape.
/// (An event cannot be emitted from inside the dispatch of another: tracing drops it.)
struct ParseErrorsAsInfo<W>(W, LogFormat);

impl<S: Subscriber, W: for<'w> fmt::MakeWriter<'w> + 'static> Layer<S> for ParseErrorsAsInfo<W> {
    fn on_event(&self, event: &Event<'_>, _cx: tracing_subscriber::layer::Context<'_, S>) {
        if let Some(cause) = parse_error(event) {
            let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ");
            let message = "refused a request that is not valid HTTP (400)";
            let line = match self.1 {
                LogFormat::Text => format!(
                    "{now}  INFO kyoten::http: {message} event=\"malformed_request\" cause={cause:?}\n"
                ),
                LogFormat::Json => {
                    let mut line = serde_json::json!({
                        "timestamp": now.to_string(), "level": "INFO", "target": "kyoten::http",
                        "message": message, "event": "malformed_request", "cause": cause,
                    })
                    .to_string();
                    line.push('\n');
                    line
                }
            };
            let _ = std::io::Write::write_all(&mut self.0.make_writer(), line.as_bytes());
        }
    }
}

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'w> fmt::MakeWriter<'w> for Captured {
        type Writer = Captured;
        fn make_writer(&'w self) -> Captured {
            self.clone()
        }
    }

    fn logged(emit: impl FnOnce()) -> String {
        logged_as(LogFormat::Text, emit)
    }

    fn logged_as(format: LogFormat, emit: impl FnOnce()) -> String {
        let captured = Captured::default();
        let filter = EnvFilter::new("info");
        tracing::subscriber::with_default(subscriber(captured.clone(), format, filter), emit);
        let bytes = captured.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn a_request_the_parser_refuses_is_logged_at_info_as_a_malformed_request_not_as_an_error() {
        let log = logged(|| {
            tracing::error!(
                target: "actix_http::h1::dispatcher",
                "stream error: request parse error: URI error: invalid uri character"
            );
        });
        assert!(!log.contains("ERROR"), "{log}");
        assert!(log.contains("INFO"), "{log}");
        assert!(log.contains("malformed_request"), "{log}");
        assert!(log.contains("URI error: invalid uri character"), "{log}");
    }

    #[test]
    fn other_errors_of_the_dispatcher_and_of_kyoten_stay_errors() {
        let log = logged(|| {
            tracing::error!(target: "actix_http::h1::dispatcher", "stream error: I/O error");
            tracing::error!(target: "kyoten::store", "the database is gone");
        });
        assert_eq!(log.matches("ERROR").count(), 2, "{log}");
        assert!(!log.contains("malformed_request"), "{log}");
    }

    #[test]
    fn in_json_a_security_event_is_one_object_with_its_fields_at_the_top() {
        use crate::observe::security::{record, Context, Event};
        let log = logged_as(LogFormat::Json, || {
            record(
                Event::AccessRefused,
                &Context {
                    organization: Some("org_office_a"),
                    request_id: Some("req-1"),
                    route: Some("/v1/registrations/{id}"),
                    status: Some(404),
                    problem: Some("not-found"),
                    ..Context::default()
                },
            );
            tracing::error!(
                target: "actix_http::h1::dispatcher",
                "stream error: request parse error: URI error: invalid uri character"
            );
        });
        let lines: Vec<serde_json::Value> = log
            .lines()
            .map(|l| serde_json::from_str(l).expect(l))
            .collect();
        assert_eq!(lines.len(), 2, "{log}");
        let event = &lines[0];
        assert_eq!(event["level"], "INFO");
        assert_eq!(event["target"], "kyoten::security");
        assert_eq!(event["event"], "access_refused");
        assert_eq!(event["organization"], "org_office_a");
        assert_eq!(event["request_id"], "req-1");
        assert_eq!(event["route"], "/v1/registrations/{id}");
        assert_eq!(event["status"], 404);
        assert!(event.get("peer").is_none(), "{event}");
        assert_eq!(lines[1]["event"], "malformed_request");
        assert_eq!(lines[1]["level"], "INFO");
    }

    #[test]
    fn below_the_filter_no_event_of_any_crate_is_even_built() {
        let subscriber = subscriber(std::io::sink, LogFormat::Text, EnvFilter::new("info"));
        tracing::subscriber::with_default(subscriber, || {
            // actix-http traces its timers on every request: at the default level such events
            // must not be enabled by any layer (formatting them cost 2 % of a request).
            assert!(!tracing::enabled!(target: "actix_http::h1::timer", tracing::Level::TRACE));
            assert!(!tracing::enabled!(target: "kyoten::http", tracing::Level::DEBUG));
            assert!(tracing::enabled!(target: "kyoten::security", tracing::Level::INFO));
            assert!(tracing::enabled!(target: DISPATCHER, tracing::Level::ERROR));
        });
    }
}
