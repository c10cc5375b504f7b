use crate::domain::ids::RegistrationId;
use crate::exchange::offices::{self, ResponsibleOffice};
use crate::http::auth::Caller;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::{get, web, HttpResponse};

/// The consultation office responsible for a registration (担当の相談支援事業所) and every
/// assignment, oldest first. `received_by` is who took the form and never changes. Visible to
/// the same organizations as the registration; the read is recorded.
#[utoipa::path(
    tag = "registrations",
    security(("api_key" = [])),
    params(("id" = String, Path, example = "reg_demo_aoba_1")),
    responses(
        (status = 200, description = "The responsible office and its assignments", body = ResponsibleOffice),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such registration, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/registrations/{id}/responsible-office")]
pub async fn registration_office_get(
    caller: Caller,
    store: web::Data<Store>,
    id: web::Path<RegistrationId>,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let id = id.into_inner();
    let office = run(&store, move |s| offices::read(s, &org, &id)).await?;
    Ok(HttpResponse::Ok().json(office))
}
