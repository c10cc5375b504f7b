//! Every error leaves as problem+json in the caller's language, and every response carries
//! the security headers. (Each request's log line, metrics and security event: `observe.rs`.)
use crate::problem::{ApiError, PROBLEM_JSON};
use crate::validation::Lang;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{
    HeaderMap, HeaderValue, ACCEPT_LANGUAGE, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE,
    REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use actix_web::middleware::Next;

pub fn request_lang(headers: &actix_web::http::header::HeaderMap) -> Lang {
    Lang::from_accept_language(headers.get(ACCEPT_LANGUAGE).and_then(|h| h.to_str().ok()))
}

pub async fn problem_details(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let lang = request_lang(req.headers());
    let res = next.call(req).await?;
    let status = res.status();
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

/// No URL may carry a NUL character (`%00`): no id, code or search term holds one, and
/// PostgreSQL cannot take it as text (the query would fail, not find nothing). Refused alike
/// on both backends, inside `problem_details`, which gives the answer in the caller's language.
pub async fn refuse_nul(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let encoded_nul = |s: &str| s.as_bytes().windows(3).any(|w| w == b"%00");
    if encoded_nul(req.uri().path()) || req.uri().query().is_some_and(encoded_nul) {
        return Ok(req.error_response(ApiError::NulCharacter));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// The Content Security Policy of everything but the interactive docs: an API answer is data,
/// never a page, so it may load nothing and be framed by no one.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
/// Swagger UI (`/docs/`) loads its own scripts and styles and fetches `/openapi.json`; it
/// gets only the framing rule, so nothing it needs is blocked.
const DOCS_CSP: &str = "frame-ancestors 'none'";

/// Headers on every response — success, problem, 404 and 405 alike: no MIME sniffing, no
/// referrer, no framing; and `Cache-Control: no-store` on everything under `/v1/`, where the
/// personal data is, so no browser or proxy keeps a copy. Wrapped outermost, so it also sees
/// replayed idempotent responses and the problems the other middleware write.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let path = req.path();
    let under_v1 = path.starts_with("/v1/");
    let docs = path == "/docs" || path.starts_with("/docs/");
    match next.call(req).await {
        Ok(mut res) => {
            protect(res.headers_mut(), under_v1, docs);
            Ok(res.map_into_boxed_body())
        }
        // An error no inner layer turned into a response: the server renders it from the
        // error, so the error carries the response, headers included.
        Err(e) => {
            let mut res = e.error_response();
            protect(res.headers_mut(), under_v1, docs);
            Err(InternalError::from_response(e, res).into())
        }
    }
}

fn protect(headers: &mut HeaderMap, under_v1: bool, docs: bool) {
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if docs { DOCS_CSP } else { API_CSP }),
    );
    if under_v1 {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::middleware::from_fn;
    use actix_web::{test, web, App, HttpResponse};

    #[actix_web::test]
    async fn an_error_no_inner_layer_answered_leaves_with_the_headers_too() {
        let app = test::init_service(
            App::new()
                .route("/v1/x", web::get().to(HttpResponse::Ok))
                .wrap(from_fn(
                    |_req: ServiceRequest, _next: Next<BoxBody>| async {
                        Err::<ServiceResponse<BoxBody>, _>(actix_web::Error::from(
                            ApiError::NotFound,
                        ))
                    },
                ))
                .wrap(from_fn(security_headers)),
        )
        .await;
        let req = test::TestRequest::get().uri("/v1/x").to_request();
        let Err(err) = test::try_call_service(&app, req).await else {
            panic!("the inner layer fails");
        };
        let res = err.error_response();
        assert_eq!(res.status(), 404);
        let h = |name| res.headers().get(name).and_then(|v| v.to_str().ok());
        assert_eq!(h(X_CONTENT_TYPE_OPTIONS), Some("nosniff"));
        assert_eq!(h(REFERRER_POLICY), Some("no-referrer"));
        assert_eq!(h(X_FRAME_OPTIONS), Some("DENY"));
        assert_eq!(h(CONTENT_SECURITY_POLICY), Some(API_CSP));
        assert_eq!(h(CACHE_CONTROL), Some("no-store"));
        assert_eq!(h(CONTENT_TYPE), Some(PROBLEM_JSON));
    }
}
