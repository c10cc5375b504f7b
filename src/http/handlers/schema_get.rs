use crate::contracts::Contracts;
use crate::http::published;
use crate::problem::{ApiError, Problem};
use actix_web::{get, web, HttpRequest, HttpResponse};

/// One JSON Schema, byte for byte as published (`application/schema+json`, strong ETag).
#[utoipa::path(
    tag = "contracts",
    params(("name" = String, Path, example = "registration"), ("version" = String, Path, example = "1.0.0")),
    responses(
        (status = 200, description = "The schema", content_type = "application/schema+json"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such item", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/schemas/{name}/{version}")]
pub async fn schema_get(
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (name, version) = path.into_inner();
    let schema = Contracts::get()
        .schema(&name, &version)
        .ok_or(ApiError::NotFound)?;
    Ok(published::respond(
        &req,
        &schema.file,
        "application/schema+json",
    ))
}
