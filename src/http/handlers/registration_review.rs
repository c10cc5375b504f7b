use crate::domain::ids::RegistrationId;
use crate::exchange::reviews::{self, ReviewDates};
use crate::http::auth::Caller;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::{post, web, HttpResponse};

/// Records that the registration was reviewed today (見直し) and needs no change; a change
/// notification or a new consent counts as a review itself. The next review falls due after
/// the municipality's interval (12 months unless it set another). The responsible office, the
/// kikan and the hub may record a review; the version does not change, and the review is an
/// access record (`review`, no data category). No body.
#[utoipa::path(
    tag = "registrations",
    security(("api_key" = [])),
    params(("id" = String, Path, example = "reg_demo_aoba_1")),
    responses(
        (status = 200, description = "Reviewed: the review dates", body = ReviewDates),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may read but not review it", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such registration, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The consent is withdrawn: nothing to review (consent-withdrawn)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/registrations/{id}/review")]
pub async fn registration_review(
    caller: Caller,
    store: web::Data<Store>,
    id: web::Path<RegistrationId>,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let id = id.into_inner();
    let dates = run(&store, move |s| reviews::review(s, &org, &id)).await?;
    Ok(HttpResponse::Ok().json(dates))
}
