use crate::domain::ids::RegistrationId;
use crate::exchange::registrations;
use crate::http::auth::Caller;
use crate::http::conditional::{etag, required_if_match};
use crate::http::middleware::request_lang;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::{post, web, HttpRequest, HttpResponse};

/// Records a new consent (同意の再取得): the person consents again after a withdrawal, or gives
/// a consent that replaces the current one. Its own act, never an edit: the body is the new
/// `consent` object (`granted_on` after the current consent's and not before its withdrawal,
/// `granted_by`, `method`, `provisions`; no `withdrawn_on`), validated with the whole
/// registration; the registration becomes the next version, active, with a history entry
/// `grant_consent` and an access record `grant_consent`. The responsible office, the kikan and
/// the hub may record it. The answer carries the id, version, status and consent only.
#[utoipa::path(
    tag = "registrations",
    security(("api_key" = [])),
    params(("id" = String, Path, example = "reg_demo_aoba_1"), ("If-Match" = String, Header, description = "ETag of the current version")),
    request_body(content = Object, description = "The new consent object: granted_on, granted_by, method, provisions (the registration's `consent`, without withdrawn_on)", content_type = "application/json"),
    responses(
        (status = 200, description = "Recorded: `{registration_id, version, status, consent}` of the new version", content_type = "application/json",
         headers(("ETag" = String, description = "The new version"))),
        (status = 400, description = "Not well-formed JSON (malformed-json, duplicate-key, …)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may read but not change it", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such registration, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not granted after the current consent (consent-not-newer)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a version that is no longer current", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The registration with this consent is invalid, or the body is not an object (invalid-document, with the report)", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database was momentarily busy; nothing was stored, send it again after Retry-After", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
#[post("/v1/registrations/{id}/consent")]
pub async fn registration_grant_consent(
    req: HttpRequest,
    caller: Caller,
    store: web::Data<Store>,
    id: web::Path<RegistrationId>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let id = id.into_inner();
    let expected = required_if_match(&req)?;
    let new_consent = crate::exchange::request_body(&body)?;
    let lang = request_lang(req.headers());
    let status = run(&store, move |s| {
        registrations::grant_consent(s, &org, &id, expected, &new_consent, lang)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(status.version))
        .json(status.body))
}
