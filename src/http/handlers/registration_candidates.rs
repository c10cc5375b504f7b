use crate::domain::ids::RegistrationId;
use crate::exchange::matching::{self, Asked};
use crate::http::auth::Caller;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
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
    /// How soon: `same_day` leaves out the short stays that cannot take the person today (a
    /// lead time longer than the day, or group C, which never took an emergency) unless
    /// prearranged; `within_days` or none leaves them in.
    #[param(example = "same_day")]
    urgency: Option<String>,
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
/// behavioral_support_not_offered, target_not_taken, no_vacancy, not_ready_for_emergency, and
/// for `urgency=same_day` lead_time_not_same_day, group_c_not_same_day; emergency_room_in_use). A facility asked for
/// this person within the last 24 hours is marked `already_asked` or `accepted`, or left out as
/// `declined` so that the next one moves up.
/// Visible to the same organizations as the registration; the read is recorded.
#[utoipa::path(
    tag = "matching",
    security(("api_key" = [])),
    params(("id" = String, Path, example = "reg_demo_aoba_1"), CandidatesQuery),
    responses(
        (status = 200, description = "`candidates` (rank, tier, facility, service, reasons) and `excluded` (with reasons)", content_type = "application/json"),
        (status = 400, description = "situation, service_type or urgency is not a known code", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such registration, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The registration's consent is withdrawn (consent-withdrawn): matching reads its care and medical needs", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/registrations/{id}/candidates")]
pub async fn registration_candidates(
    caller: Caller,
    store: web::Data<Store>,
    id: web::Path<RegistrationId>,
    query: crate::http::query::Query<CandidatesQuery>,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let CandidatesQuery {
        situation,
        service_type,
        urgency,
    } = query.into_inner();
    let asked = Asked::new(situation, service_type, urgency)?;
    let id = id.into_inner();
    let found = run(&store, move |s| matching::candidates(s, &org, &id, asked)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(found))
}
