use crate::contracts::Contracts;
use crate::domain::matching::{self, Needs, Ranking};
use crate::http::auth::Caller;
use crate::http::problem::{ApiError, Problem};
use crate::store::registrations::ForMatching;
use crate::store::{facilities, registrations, Store, StoreError};
use crate::time::jst;
use actix_web::{get, web, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CandidatesQuery {
    /// What happened: a registration reason code (`caregiver_unavailable`,
    /// `disability_related_crisis`). Short stay is offered only for `caregiver_unavailable`,
    /// and only when the registration gives that reason.
    #[param(example = "caregiver_unavailable")]
    situation: String,
    /// Look for this service type instead of the registration's desired services.
    #[param(example = "short_stay")]
    service_type: Option<String>,
}

#[derive(Serialize)]
struct Candidates {
    registration_id: String,
    registration_version: i32,
    registration_status: String,
    situation: String,
    service_types: Vec<String>,
    /// Short stay was among the services looked for but the situation does not allow it.
    short_stay_excluded: bool,
    #[serde(flatten)]
    ranking: Ranking,
}

/// Facilities to call for a registered person in an emergency, best first: the facilities
/// prearranged in the registration, then A-group facilities with a vacancy, then B and C with
/// a vacancy, then hub facilities with an emergency room (緊急用居室). Medical short stay is
/// left out for a person it has no prior information about (not prearranged); short stay is
/// left out unless the situation and the registration's reasons are `caregiver_unavailable`;
/// the service must cover the person's medical care and behavioural support needs and take
/// their target group. Each candidate carries `reasons` (prearranged, survey_group_a,
/// has_vacancy, vacancy_stale, same_ward, medical_care_covered, hub_emergency_room …); left-out
/// facilities carry theirs (medical_short_stay_unannounced, medical_care_not_covered,
/// behavioral_support_not_offered, target_not_taken, no_vacancy, not_ready_for_emergency).
/// Visible to the same organizations as the registration; the read is recorded.
#[utoipa::path(
    tag = "matching",
    security(("api_key" = [])),
    params(("id" = String, Path, example = "reg_0123456789abcdef"), CandidatesQuery),
    responses(
        (status = 200, description = "`candidates` (rank, tier, facility, service, reasons) and `excluded` (with reasons)", content_type = "application/json"),
        (status = 400, description = "situation or service_type is not a known code", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such registration, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The registration's consent is withdrawn (consent-withdrawn): matching reads its care and medical needs", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/registrations/{id}/candidates")]
pub async fn registration_candidates(
    caller: Caller,
    store: web::Data<Store>,
    id: web::Path<String>,
    query: web::Query<CandidatesQuery>,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let CandidatesQuery {
        situation,
        service_type,
    } = query.into_inner();
    let contracts = Contracts::get();
    if !contracts.has_code("registration_reasons", &situation) {
        return Err(ApiError::InvalidParameter { name: "situation" });
    }
    if service_type
        .as_deref()
        .is_some_and(|t| !contracts.has_code("service_types", t))
    {
        return Err(ApiError::InvalidParameter {
            name: "service_type",
        });
    }
    let store = store.into_inner();
    let id = id.into_inner();
    let found = web::block(move || {
        store.write(move |conn| {
            let reg = match registrations::read_for_matching(conn, &org, &id)? {
                ForMatching::Read(reg) => reg,
                ForMatching::NotFound => return Ok(Err(ApiError::NotFound)),
                ForMatching::ConsentWithdrawn => return Ok(Err(ApiError::ConsentWithdrawn)),
            };
            let document: serde_json::Value = serde_json::from_str(&reg.document).map_err(|e| {
                StoreError::Query(diesel::result::Error::DeserializationError(Box::new(e)))
            })?;
            let now = Utc::now().with_timezone(&jst()).fixed_offset();
            let needs = Needs::of(&document, now.date_naive());
            let short_stay_excluded = !needs.short_stay_allowed(&situation)
                && needs
                    .wanted(service_type.as_deref())
                    .iter()
                    .any(|t| t == "short_stay");
            let service_types = needs.service_types(&situation, service_type.as_deref());
            let records = facilities::matching_pool(conn, &needs.prearranged, &service_types)?;
            let ranking = matching::rank(&needs, &service_types, &records, now);
            Ok(Ok(Candidates {
                registration_id: reg.id,
                registration_version: reg.version,
                registration_status: reg.status,
                situation,
                short_stay_excluded,
                service_types,
                ranking,
            }))
        })
    })
    .await???;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(found))
}
