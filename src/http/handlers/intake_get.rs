use crate::domain::ids::IntakeId;
use crate::exchange::intakes;
use crate::http::auth::Caller;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::http::header;
use actix_web::{get, web, HttpResponse};

/// Reads an emergency intake. The organization that took it, and the kikan, the hubs and the city
/// (within their municipal scope) may read it; for anyone else it does not exist (404). Every read
/// is recorded.
#[utoipa::path(
    tag = "intakes",
    security(("api_key" = [])),
    params(("id" = String, Path, example = "int_019a5c3e2b10a1b2c3d4e5f6")),
    responses(
        (status = 200, description = "The intake", content_type = "application/json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such intake, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/intakes/{id}")]
pub async fn intake_get(
    caller: Caller,
    store: web::Data<Store>,
    id: web::Path<IntakeId>,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let id = id.into_inner();
    let row = run(&store, move |s| intakes::read(s, &org, &id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("application/json")
        .body(row.document))
}
