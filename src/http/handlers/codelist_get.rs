use crate::contracts::Contracts;
use crate::http::published;
use crate::problem::{ApiError, Problem};
use actix_web::{get, web, HttpRequest, HttpResponse};

/// One code list with `ja` and `en` labels; `messages` is the catalogue of validation
/// message ids, `problems` the catalogue of problem types.
#[utoipa::path(
    tag = "contracts",
    params(("name" = String, Path, example = "service_types")),
    responses(
        (status = 200, description = "The code list", content_type = "application/json"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such item", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/codelists/{name}")]
pub async fn codelist_get(
    req: HttpRequest,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let contracts = Contracts::get();
    let file = match name.as_str() {
        "messages" => &contracts.catalogue,
        "problems" => &contracts.problem_catalogue,
        other => contracts.codelist(other).ok_or(ApiError::NotFound)?,
    };
    Ok(published::respond(&req, file, "application/json"))
}
