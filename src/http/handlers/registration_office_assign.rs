use crate::domain::ids::RegistrationId;
use crate::exchange::offices::{self, ResponsibleOffice};
use crate::http::auth::Caller;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::{put, web, HttpResponse};

/// Assigns or moves the consultation office responsible for a registration: the kikan takes a
/// form for a person without an office and assigns one later (別紙2-2), or the person changes
/// offices. Body `{"organization_id": "<consultation office id>"}` (`null` for none). The
/// new office reads and changes the registration as its own from now on; the one before no
/// longer does. The kikan, a hub or the city assigns; naming the office already responsible
/// changes nothing. Every assignment is kept, and recorded as an access (`assign_office`).
#[utoipa::path(
    tag = "registrations",
    security(("api_key" = [])),
    params(("id" = String, Path, example = "reg_demo_aoba_1")),
    request_body(content = OfficeAssignment, content_type = "application/json"),
    responses(
        (status = 200, description = "The responsible office now, and every assignment", body = ResponsibleOffice),
        (status = 400, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The responsible office itself may not move the registration", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such registration, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not `{organization_id}`, or not a consultation office (invalid-office-assignment)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/registrations/{id}/responsible-office")]
pub async fn registration_office_assign(
    caller: Caller,
    store: web::Data<Store>,
    id: web::Path<RegistrationId>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let id = id.into_inner();
    let office = run(&store, move |s| offices::assign(s, &org, &id, &body)).await?;
    Ok(HttpResponse::Ok().json(office))
}

/// An assignment: the consultation office to make responsible.
#[allow(dead_code)] // The body is read by `exchange::offices`; this documents its shape.
#[derive(utoipa::ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficeAssignment {
    /// A consultation office of the exchange, or null for none.
    #[schema(required = true, nullable = true, example = "demo-office-aoba")]
    organization_id: Option<String>,
}
