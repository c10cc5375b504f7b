use crate::domain::ids::RegistrationId;
use crate::exchange::registrations;
use crate::http::auth::Caller;
use crate::http::conditional::etag;
use crate::http::observe::note;
use crate::http::run;
use crate::observe::security::Event;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::http::header;
use actix_web::{post, web, HttpResponse};

/// The body of a break-glass read: the legal basis it rests on, and nothing else.
#[derive(utoipa::ToSchema)]
#[schema(example = json!({"legal_basis": "vital_interest"}))]
#[allow(dead_code)] // the schema of what `registration_break_glass_read` reads by hand
pub struct BreakGlassRead {
    /// Always `vital_interest` (APPI 27条1項2号).
    #[schema(pattern = "^vital_interest$")]
    legal_basis: String,
}

/// Reads the whole current version of a registration on the vital-interest basis (APPI 27条1項
/// 2号): after a consent withdrawal a read shows only identity and status, and this is the one
/// way to the rest, for the kikan, the hub and the city. The body is
/// `{"legal_basis": "vital_interest"}`; the read is recorded as its own access
/// (`break_glass_read`, purpose `vital_interest`, every category).
#[utoipa::path(
    tag = "registrations",
    security(("api_key" = [])),
    params(("id" = String, Path, example = "reg_demo_aoba_1")),
    request_body(content = BreakGlassRead, content_type = "application/json"),
    responses(
        (status = 200, description = "The whole registration document", content_type = "application/json",
         headers(("ETag" = String, description = "Its version"))),
        (status = 400, description = "Not well-formed JSON (malformed-json, duplicate-key, …)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role may not read on the vital-interest basis (break-glass-not-allowed)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such registration, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body is not `{\"legal_basis\": \"vital_interest\"}` (invalid-break-glass-request)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/registrations/{id}/break-glass-read")]
pub async fn registration_break_glass_read(
    caller: Caller,
    store: web::Data<Store>,
    id: web::Path<RegistrationId>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let request = crate::exchange::request_body(&body)?;
    let id = id.into_inner();
    let row = run(&store, move |s| {
        registrations::break_glass_read(s, &org, &id, &request)
    })
    .await?;
    let read = HttpResponse::Ok()
        .insert_header(etag(row.version))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("application/json")
        .body(row.document);
    Ok(note(read, Event::BreakGlassRead, None))
}
