use actix_web::{get, HttpResponse};

/// This API's OpenAPI 3.1 document (the same as `openapi/openapi.json`).
#[utoipa::path(tag = "contracts", responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
#[get("/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(crate::http::openapi::document_text())
}
