use crate::contracts::DocumentType;
use crate::domain::ids::FacilityId;
use crate::exchange::facilities;
use crate::http::auth::Caller;
use crate::http::body::read_valid;
use crate::http::conditional::{etag, if_match};
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::facilities::may_write;
use crate::store::Store;
use actix_web::http::header;
use actix_web::{put, web, HttpRequest, HttpResponse};

/// A facility uploads its capability record (JSON or XML). The first upload goes without
/// `If-Match` (201); every later one names the version it replaces (`If-Match`, 428 without
/// it, 412 when stale). Only the facility itself may write its record (its organization id is
/// its 事業所番号). The server derives `survey_group` from the survey answers and fills it in.
#[utoipa::path(
    tag = "facilities",
    security(("api_key" = [])),
    params(("facility_id" = String, Path, description = "事業所番号 (10 digits)", example = "0410100101"),
           ("If-Match" = Option<String>, Header, nullable = false, description = "ETag of the version being replaced; absent on the first upload")),
    request_body(description = "The facility capability record", content_type = "application/json"),
    responses(
        (status = 200, description = "Replaced; the body is the stored record", content_type = "application/json",
         headers(("ETag" = String, description = "The new version"))),
        (status = 201, description = "Created; the body is the stored record", content_type = "application/json",
         headers(("ETag" = String, description = "Version 1"), ("Location" = String, description = "The record"))),
        (status = 400, description = "Not a JSON or XML document", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller is not this facility", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a version that is not the current one", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither JSON nor XML", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid (with the report), or the facility ids differ", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "The record exists and If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/facilities/{facility_id}")]
pub async fn facility_put(
    req: HttpRequest,
    caller: Caller,
    store: web::Data<Store>,
    facility_id: web::Path<FacilityId>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let facility_id = facility_id.into_inner();
    if !may_write(&org, facility_id.as_str()) {
        // Refused before the body is read: only the facility itself writes its record.
        return Err(ApiError::Forbidden);
    }
    let expected = if_match(&req);
    let document = read_valid(&req, &body, DocumentType::Facility)?;
    let stored = run(&store, move |s| {
        facilities::put(s, &org, &facility_id, document, expected)
    })
    .await?;
    let mut res = if stored.created {
        let mut res = HttpResponse::Created();
        res.insert_header((
            header::LOCATION,
            format!("/v1/facilities/{}", stored.row.id),
        ));
        res
    } else {
        HttpResponse::Ok()
    };
    Ok(res
        .insert_header(etag(stored.row.version))
        .content_type("application/json")
        .body(stored.row.document))
}
