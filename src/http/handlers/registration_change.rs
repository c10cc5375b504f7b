use crate::contracts::DocumentType;
use crate::domain::ids::RegistrationId;
use crate::exchange::registrations;
use crate::http::auth::Caller;
use crate::http::body::read_valid;
use crate::http::conditional::{etag, required_if_match};
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::{put, web, HttpRequest, HttpResponse};

/// A change notification (変更届): the whole new registration, recorded as the next version.
/// `If-Match` must carry the ETag of the version being changed (428 without it, 412 when
/// another change came first). The responsible office, the kikan and the hub may change a
/// registration; the city may read but not change it (403). A recorded consent withdrawal is
/// final: a change that drops or alters `consent.withdrawn_on` is refused (409), as is one
/// that names another `received_by` than the registration's.
#[utoipa::path(
    tag = "registrations",
    security(("api_key" = [])),
    params(("id" = String, Path, example = "reg_demo_aoba_1"), ("If-Match" = String, Header, description = "ETag of the version being changed")),
    request_body(description = "The complete changed registration", content_type = "application/json"),
    responses(
        (status = 200, description = "Recorded; the body is the new version", content_type = "application/json",
         headers(("ETag" = String, description = "The new version"))),
        (status = 400, description = "Not a JSON or XML document", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may read but not change it", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such registration, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The change drops or alters a recorded consent withdrawal (consent-withdrawal-final), alters a consent in force other than by recording its withdrawal (consent-change-not-allowed), or changes received_by (received-by-immutable)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a version that is no longer current", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither JSON nor XML", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid (with the report), or the ids do not match", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database was momentarily busy; nothing was stored, send it again after Retry-After (registration-busy)", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
#[put("/v1/registrations/{id}")]
pub async fn registration_change(
    req: HttpRequest,
    caller: Caller,
    store: web::Data<Store>,
    id: web::Path<RegistrationId>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let id = id.into_inner();
    let expected = required_if_match(&req)?;
    let document = read_valid(&req, &body, DocumentType::Registration)?;
    let row = run(&store, move |s| {
        registrations::change(s, &org, &id, expected, document)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .content_type("application/json")
        .body(row.document))
}
