use crate::http::published;
use crate::problem::{ApiError, Problem};
use crate::xml::xsd;
use actix_web::{get, web, HttpRequest, HttpResponse};

/// The XML Schema (XSD 1.0) of a document type's XML form (`application/xml`, strong ETag).
///
/// Generated from the document's JSON Schema (docs/spec/xml-mapping.md §3). It
/// checks element names, namespaces, nesting, value types and code values; presence and
/// cardinality are left to the JSON Schema validator.
#[utoipa::path(
    tag = "contracts",
    params(("name" = String, Path, example = "registration"), ("version" = String, Path, example = "1.0.0")),
    responses(
        (status = 200, description = "The XML Schema", content_type = "application/xml; charset=utf-8"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such item", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/schemas/{name}/{version:[0-9]+\\.[0-9]+\\.[0-9]+}.xsd")]
pub async fn schema_xsd(
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (name, version) = path.into_inner();
    let xsd = xsd::published(crate::validation::Engine::get(), &name, &version)
        .ok_or(ApiError::NotFound)?;
    Ok(published::respond_text(
        &req,
        &xsd.etag,
        &xsd.text,
        "application/xml; charset=utf-8",
    ))
}
