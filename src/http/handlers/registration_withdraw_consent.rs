use crate::domain::ids::RegistrationId;
use crate::exchange::registrations;
use crate::http::auth::Caller;
use crate::http::conditional::etag;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::{post, web, HttpResponse};

/// Records that the person withdrew their consent (同意の撤回), today in Japan time. The
/// registration becomes the next version with `consent.withdrawn_on` set and status
/// `consent_withdrawn`; it is kept for the provision records, and nothing more is shared from
/// it: reads show only identity and status from now on. The responsible office, the kikan and
/// the hub may record a withdrawal. The answer carries the id, version, status and consent only —
/// no personal data, as the access record of the withdrawal lists no category.
#[utoipa::path(
    tag = "registrations",
    security(("api_key" = [])),
    params(("id" = String, Path, example = "reg_demo_aoba_1")),
    responses(
        (status = 200, description = "Recorded: `{registration_id, version, status, consent}` of the new version", content_type = "application/json",
         headers(("ETag" = String, description = "The new version"))),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may read but not change it", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such registration, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The consent was withdrawn before", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The registration was changed at the same moment, or the database was momentarily busy; nothing was stored, send it again after Retry-After", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
#[post("/v1/registrations/{id}/consent-withdrawal")]
pub async fn registration_withdraw_consent(
    caller: Caller,
    store: web::Data<Store>,
    id: web::Path<RegistrationId>,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let id = id.into_inner();
    let status = run(&store, move |s| {
        registrations::withdraw_consent(s, &org, &id)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(status.version))
        .json(status.body))
}
