use crate::http::auth::Caller;
use crate::http::conditional::etag;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::{facilities, Store};
use actix_web::{get, web, HttpResponse};

/// Reads a facility's capability record. Every organization of the exchange may read every
/// record (it holds no personal data).
#[utoipa::path(
    tag = "facilities",
    security(("api_key" = [])),
    params(("facility_id" = String, Path, description = "事業所番号 (10 digits)", example = "0410100101")),
    responses(
        (status = 200, description = "The record, with the derived survey_group", content_type = "application/json",
         headers(("ETag" = String, description = "Its version, for If-Match"))),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such facility record", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/facilities/{facility_id}")]
pub async fn facility_get(
    _caller: Caller,
    store: web::Data<Store>,
    facility_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = facility_id.into_inner();
    let row = run(&store, move |s| Ok(facilities::get(&mut *s.conn()?, &id)?))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .content_type("application/json")
        .body(row.document))
}
