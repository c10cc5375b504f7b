use crate::contracts::json::parse_document;
use crate::contracts::Contracts;
use crate::http::auth::Caller;
use crate::http::body::media_type;
use crate::http::conditional::{etag, if_match};
use crate::http::problem::{ApiError, Problem};
use crate::store::facilities::{self, Patch, VacancyUpdate};
use crate::store::Store;
use crate::time::{jst, parse_timestamp};
use actix_web::{patch, web, HttpRequest, HttpResponse};
use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

/// The daily vacancy update.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VacancyPatch {
    /// When the figures were taken (RFC 3339 with offset); now when left out.
    #[schema(format = DateTime, example = "2026-11-22T09:00:00+09:00")]
    pub as_of: Option<String>,
    /// One entry per service whose vacancy changed.
    #[schema(min_items = 1)]
    pub vacancies: Vec<ServiceVacancy>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceVacancy {
    #[schema(example = "short_stay")]
    pub service_type: String,
    /// `welfare` or `medical`; needed only when the facility offers both short stays.
    pub variant: Option<String>,
    #[schema(example = 1, format = Int64, minimum = 0, maximum = 4294967295u64)]
    pub vacancies: u32,
}

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
    facility_id: web::Path<String>,
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
    let patch: VacancyPatch = serde_json::from_value(parse_document(&body)?)
        .map_err(|_| ApiError::InvalidVacancyUpdate)?;
    // Codes are checked before the record is read: a body that is not a vacancy update is
    // refused as such, whatever If-Match says.
    let contracts = Contracts::get();
    let coded = |v: &ServiceVacancy| {
        contracts.has_code("service_types", &v.service_type)
            && v.variant
                .as_deref()
                .is_none_or(|x| contracts.has_code("short_stay_variants", x))
    };
    if patch.vacancies.is_empty() || !patch.vacancies.iter().all(coded) {
        return Err(ApiError::InvalidVacancyUpdate);
    }
    let now = Utc::now().with_timezone(&jst());
    let as_of: DateTime<FixedOffset> = match &patch.as_of {
        Some(s) => parse_timestamp(s).ok_or(ApiError::InvalidVacancyUpdate)?,
        None => now.fixed_offset(),
    };
    // A minute's grace for clocks that run a little ahead.
    if as_of > now + chrono::TimeDelta::minutes(1) {
        return Err(ApiError::VacancyAsOfFuture);
    }
    let updates: Vec<VacancyUpdate> = patch
        .vacancies
        .into_iter()
        .map(|v| VacancyUpdate {
            service_type: v.service_type,
            variant: v.variant,
            vacancies: v.vacancies,
        })
        .collect();
    let store = store.into_inner();
    let patched = web::block(move || {
        store.write(move |conn| {
            facilities::patch_vacancies(conn, &org, &id, expected, &updates, as_of)
        })
    })
    .await??;
    match patched {
        Patch::Patched(row) => Ok(HttpResponse::Ok()
            .insert_header(etag(row.version))
            .content_type("application/json")
            .body(row.document)),
        Patch::NotFound => Err(ApiError::NotFound),
        Patch::Forbidden => Err(ApiError::Forbidden),
        Patch::Stale(current) => Err(ApiError::PreconditionFailed {
            current: Some(current),
        }),
        Patch::UnknownService(index) => Err(ApiError::UnknownService { index }),
        Patch::OverCapacity(index) => Err(ApiError::VacanciesOverCapacity { index }),
    }
}
