use crate::contracts::Contracts;
use crate::http::published;
use crate::problem::{ApiError, Problem};
use actix_web::{get, web, HttpRequest, HttpResponse};

/// A published policy; `minimization` lists the data categories each recipient role needs
/// for each purpose.
#[utoipa::path(
    tag = "contracts",
    params(("name" = String, Path, example = "minimization")),
    responses(
        (status = 200, description = "The policy", content_type = "application/json"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such item", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/policies/{name}")]
pub async fn policy_get(
    req: HttpRequest,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let file = Contracts::get()
        .policies
        .get(name.as_str())
        .ok_or(ApiError::NotFound)?;
    Ok(published::respond(&req, file, "application/json"))
}
