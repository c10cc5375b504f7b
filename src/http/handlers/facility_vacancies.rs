use crate::domain::ids::FacilityId;
use crate::exchange::facilities::{self, VacancyPatch};
use crate::http::auth::Caller;
use crate::http::body::media_type;
use crate::http::conditional::{etag, if_match};
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::{patch, web, HttpRequest, HttpResponse};

/// A facility's daily vacancy update (空き状況): new `vacancies` for some of its services,
/// stamped `as_of`, as the next version of the record. Lighter than uploading the whole
/// record; `If-Match` is optional (the figures are absolute), and checked when given.
#[utoipa::path(
    tag = "facilities",
    security(("api_key" = [])),
    params(("facility_id" = String, Path, description = "事業所番号 (10 digits)", example = "0410100101"),
           ("If-Match" = Option<String>, Header, nullable = false, description = "ETag of the version being updated (optional)")),
    request_body(content = VacancyPatch, content_type = "application/json"),
    responses(
        (status = 200, description = "Recorded; the body is the updated record", content_type = "application/json",
         headers(("ETag" = String, description = "The new version"))),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller is not this facility", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such facility record", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a version that is not the current one", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a vacancy update, a service the record does not have, vacancies over capacity, or a time in the future", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/v1/facilities/{facility_id}/vacancies")]
pub async fn facility_vacancies(
    req: HttpRequest,
    caller: Caller,
    store: web::Data<Store>,
    facility_id: web::Path<FacilityId>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let id = facility_id.into_inner();
    match media_type(&req).as_deref() {
        Some("application/json" | "application/merge-patch+json") => {}
        _ => {
            return Err(ApiError::UnsupportedMediaType {
                accepted: "application/json",
            })
        }
    }
    let expected = if_match(&req);
    let patch: VacancyPatch = serde_json::from_value(crate::exchange::request_body(&body)?)
        .map_err(|_| ApiError::InvalidVacancyUpdate)?;
    let row = run(&store, move |s| {
        facilities::update_vacancies(s, &org, &id, patch, expected)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(row.version))
        .content_type("application/json")
        .body(row.document))
}
