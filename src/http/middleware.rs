//! Every error leaves as problem+json in the caller's language, and every request is logged
//! by its route pattern only — never its path values, query or body, which may carry personal
//! data.
use super::problem::{ApiError, PROBLEM_JSON};
use crate::validation::Lang;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{ACCEPT_LANGUAGE, CONTENT_TYPE};
use actix_web::middleware::Next;
use std::time::Instant;

pub fn request_lang(headers: &actix_web::http::header::HeaderMap) -> Lang {
    Lang::from_accept_language(headers.get(ACCEPT_LANGUAGE).and_then(|h| h.to_str().ok()))
}

pub async fn problem_details(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let lang = request_lang(req.headers());
    let method = req.method().clone();
    let started = Instant::now();
    let res = next.call(req).await?;
    let status = res.status();
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "(unmatched)".into());
    tracing::debug!(%method, route, status = status.as_u16(), micros = started.elapsed().as_micros() as u64, "request");
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(res.map_into_boxed_body());
    }
    if let Some(api) = res
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>())
    {
        if lang == Lang::Ja {
            return Ok(res.map_into_boxed_body());
        }
        let localized = api.render(lang);
        return Ok(res.into_response(localized));
    }
    let is_problem = res
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v == PROBLEM_JSON);
    if is_problem {
        return Ok(res.map_into_boxed_body());
    }
    if status.is_server_error() {
        if let Some(e) = res.response().error() {
            tracing::error!(error = %e, "unhandled server error");
        }
    }
    let replacement = ApiError::Status(status).render(lang);
    Ok(res.into_response(replacement))
}
