use crate::domain::ids::RegistrationId;
use crate::exchange::meetings::{self, MeetingView};
use crate::http::auth::Caller;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::{get, web, HttpResponse};

/// The meetings around a registration, by the day held. Visible to the same organizations as
/// the registration; the read is recorded.
#[utoipa::path(
    tag = "registrations",
    security(("api_key" = [])),
    params(("id" = String, Path, example = "reg_demo_aoba_1")),
    responses(
        (status = 200, description = "The meetings, oldest first", body = Vec<MeetingView>),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such registration, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/registrations/{id}/meetings")]
pub async fn meeting_list(
    caller: Caller,
    store: web::Data<Store>,
    id: web::Path<RegistrationId>,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let id = id.into_inner();
    let list = run(&store, move |s| meetings::list(s, &org, &id)).await?;
    Ok(HttpResponse::Ok().json(list))
}
