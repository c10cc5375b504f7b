use crate::domain::ids::IntakeId;
use crate::exchange::intakes;
use crate::exchange::matching::Asked;
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
pub struct IntakeCandidatesQuery {
    /// Look for this service type instead of the intake's desired services.
    #[param(example = "short_stay")]
    service_type: Option<String>,
}

/// Facilities to call for a person without a registration, best first: A-group facilities
/// with a vacancy (they have taken new cases without prior information), then B and C with a
/// vacancy, then the hubs' emergency rooms (緊急用居室) as a same-day bridge. Nothing is
/// prearranged for such a person, so medical short stay is left out
/// (`medical_short_stay_unannounced`); short stay is looked for only when the intake's
/// situation is `caregiver_unavailable`. Each candidate carries its reasons, each left-out
/// facility its own, as for a registration's candidates. Visible to the same organizations as
/// the intake; the read is recorded.
#[utoipa::path(
    tag = "matching",
    security(("api_key" = [])),
    params(("id" = String, Path, example = "int_019a5c3e2b10a1b2c3d4e5f6"), IntakeCandidatesQuery),
    responses(
        (status = 200, description = "`candidates` (rank, tier, facility, service, reasons) and `excluded` (with reasons)", content_type = "application/json"),
        (status = 400, description = "service_type is not a known code", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such intake, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/intakes/{id}/candidates")]
pub async fn intake_candidates(
    caller: Caller,
    store: web::Data<Store>,
    id: web::Path<IntakeId>,
    query: crate::http::query::Query<IntakeCandidatesQuery>,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let service_type = Asked::service_type(query.into_inner().service_type)?;
    let id = id.into_inner();
    let found = run(&store, move |s| {
        intakes::candidates(s, &org, &id, service_type)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(found))
}
