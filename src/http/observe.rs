//! What the server tells its operator about each request: a request id (`X-Request-Id`, kept
//! when the client sends a plain one), the request's count and latency in `/metrics`, and the
//! security event it amounts to, if any — decided here, in one table ([`classify`]), from the
//! status, the problem type, the route pattern and what a handler noted on its response.
use super::auth;
use crate::observe::metrics;
use crate::observe::security::{self, Context, Event};
use crate::problem::ApiError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse};
use std::time::Instant;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of a request, in its extensions, its log lines and its response's `X-Request-Id`.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl RequestId {
    /// The client's `X-Request-Id` when it is a plain token (1–64 letters, digits, `-`, `_`,
    /// `.`, `:`) — so a proxy's id follows the request — or a new random one. Anything else
    /// is not taken: it would go into the log as it came.
    fn of(req: &ServiceRequest) -> RequestId {
        let sent = req
            .headers()
            .get(&REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .filter(|v| is_plain(v));
        RequestId(sent.map_or_else(|| format!("{:032x}", rand::random::<u128>()), str::to_owned))
    }
}

fn is_plain(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// A security event a handler noted on its response (a break-glass read, a key registered),
/// with the key (kid) it is about; logged if the response is a success.
#[derive(Debug, Clone)]
struct Noted(Event, Option<String>);

/// Notes `event` on `res` (see [`Noted`]).
pub fn note(mut res: HttpResponse, event: Event, key: Option<&str>) -> HttpResponse {
    res.extensions_mut()
        .insert(Noted(event, key.map(str::to_owned)));
    res
}

/// Notes `event` on `res` when `happened` (a break-glass packet among packets).
pub fn note_if(happened: bool, res: HttpResponse, event: Event) -> HttpResponse {
    if happened {
        note(res, event, None)
    } else {
        res
    }
}

/// Routes whose records are about a person: a 404 there may be a record the caller may not see.
const PERSONAL: [&str; 7] = [
    "/v1/registrations",
    "/v1/intakes",
    "/v1/handoffs",
    "/v1/search/",
    "/v1/provisions",
    "/v1/audit",
    "/v1/notices",
];

/// Problem types that say a packet is not within the person's consent.
const CONSENT: [&str; 4] = [
    "consent-withdrawn",
    "category-not-permitted",
    "nothing-permitted",
    "intake-without-consent",
];

/// The security event a response amounts to, if any.
fn classify(
    status: u16,
    route: Option<&str>,
    problem: Option<&str>,
    noted: Option<Event>,
) -> Option<Event> {
    if let Some(event) = noted.filter(|_| (200..300).contains(&status)) {
        return Some(event);
    }
    let personal = route.is_some_and(|r| PERSONAL.iter().any(|p| r.starts_with(p)));
    match status {
        401 => Some(Event::AuthenticationFailed),
        429 => Some(Event::RateLimited),
        _ if problem.is_some_and(|p| CONSENT.contains(&p)) => Some(Event::ConsentRefused),
        403 => Some(Event::AccessRefused),
        404 if personal => Some(Event::AccessRefused),
        _ => None,
    }
}

/// Outermost but for the security headers: sees every answer, the rate limits' included.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let id = RequestId::of(&req);
    req.extensions_mut().insert(id.clone());
    let method = req.method().clone();
    let peer = req.peer_addr().map(|a| a.ip());
    let mut res = next.call(req).await?.map_into_boxed_body();
    let status = res.status().as_u16();
    let route = res.request().match_pattern();
    let took = started.elapsed();
    let pattern = route.as_deref().unwrap_or("(unmatched)");
    metrics::request(method.as_str(), pattern, status, took.as_secs_f64());
    tracing::debug!(%method, route, status, request_id = id.0, micros = took.as_micros() as u64, "request");
    let error = res
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>());
    let problem = error.map(ApiError::slug);
    let noted = res.response().extensions().get::<Noted>().cloned();
    let (noted, key) = noted.map_or((None, None), |Noted(e, k)| (Some(e), k));
    if let Some(event) = classify(status, route.as_deref(), problem, noted) {
        let reason = match event {
            // Failed authentications are the one limit the `Caller` extractor applies; the
            // other (validation requests) refuses before anything is authenticated.
            Event::RateLimited => auth::refusal_of(res.request()).or(Some("validation requests")),
            Event::AuthenticationFailed => auth::refusal_of(res.request()),
            _ => None,
        };
        let organization = auth::organization_of(res.request());
        let watched = matches!(event, Event::AuthenticationFailed | Event::RateLimited);
        security::record(
            event,
            &Context {
                organization: organization.as_deref(),
                request_id: Some(&id.0),
                peer: peer.filter(|_| watched),
                method: Some(method.as_str()),
                route: route.as_deref(),
                status: Some(status),
                problem,
                reason,
                key: key.as_deref(),
            },
        );
    }
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_classified_by_status_problem_type_and_route() {
        let reg = Some("/v1/registrations/{id}");
        assert_eq!(
            classify(401, reg, Some("unauthorized"), None),
            Some(Event::AuthenticationFailed)
        );
        assert_eq!(
            classify(429, None, Some("too-many-requests"), None),
            Some(Event::RateLimited)
        );
        assert_eq!(
            classify(
                403,
                Some("/v1/facilities/{facility_id}"),
                Some("forbidden"),
                None
            ),
            Some(Event::AccessRefused)
        );
        assert_eq!(
            classify(404, reg, Some("not-found"), None),
            Some(Event::AccessRefused)
        );
        assert_eq!(
            classify(409, Some("/v1/handoffs"), Some("consent-withdrawn"), None),
            Some(Event::ConsentRefused)
        );
        assert_eq!(
            classify(
                422,
                Some("/v1/handoffs"),
                Some("category-not-permitted"),
                None
            ),
            Some(Event::ConsentRefused)
        );
    }

    #[test]
    fn ordinary_answers_and_missing_public_records_are_no_security_event() {
        assert_eq!(
            classify(200, Some("/v1/registrations/{id}"), None, None),
            None
        );
        assert_eq!(
            classify(
                404,
                Some("/v1/facilities/{facility_id}"),
                Some("not-found"),
                None
            ),
            None
        );
        assert_eq!(classify(404, None, Some("not-found"), None), None);
        assert_eq!(
            classify(
                422,
                Some("/v1/registrations"),
                Some("invalid-document"),
                None
            ),
            None
        );
    }

    #[test]
    fn a_noted_event_is_logged_only_when_the_request_succeeded() {
        let noted = Some(Event::BreakGlassRead);
        assert_eq!(
            classify(200, None, None, noted),
            Some(Event::BreakGlassRead)
        );
        assert_eq!(classify(500, None, Some("internal"), noted), None);
    }

    #[test]
    fn only_a_plain_request_id_from_the_client_is_kept() {
        assert!(is_plain("3f2a-19c4.proxy:7"));
        assert!(!is_plain(""));
        assert!(!is_plain("a b"));
        assert!(!is_plain("line\nbreak"));
        assert!(!is_plain(&"x".repeat(65)));
    }
}
