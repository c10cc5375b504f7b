use crate::domain::ids::RegistrationId;
use crate::exchange::registrations;
use crate::http::auth::Caller;
use crate::http::conditional::etag;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::http::header;
use actix_web::{get, web, HttpResponse};

/// Reads the current version of a registration. The responsible office (担当の相談支援事業所:
/// the consultation office that took it, until another is assigned), the kikan, the hub and
/// the city (within their municipal scope) may read it; for anyone else it does not exist
/// (404). Every read is recorded in the access record.
#[utoipa::path(
    tag = "registrations",
    security(("api_key" = [])),
    params(("id" = String, Path, example = "reg_demo_aoba_1")),
    responses(
        (status = 200, description = "The registration document", content_type = "application/json",
         headers(("ETag" = String, description = "Its version, for If-Match"))),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such registration, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/registrations/{id}")]
pub async fn registration_get(
    caller: Caller,
    store: web::Data<Store>,
    id: web::Path<RegistrationId>,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let id = id.into_inner();
    let row = run(&store, move |s| registrations::read(s, &org, &id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("application/json")
        .body(row.document))
}
