use crate::contracts::DocumentType;
use crate::exchange::intakes;
use crate::http::auth::Caller;
use crate::http::body::read_valid;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::http::header;
use actix_web::{post, web, HttpRequest, HttpResponse};

/// Records an emergency intake (緊急時受付票) for a person who never registered: what finding
/// and asking a provider needs (birth date or age, sex, ward, certificates, medical care,
/// behavioural support, the situation and its urgency), and no name, address or phone. JSON or
/// XML; validated first, and an invalid one is refused with its report. The server assigns
/// `intake_id` and answers with the stored document. The kikan, a hub, the city or a
/// consultation office may record one; `received_by` is the caller.
#[utoipa::path(
    tag = "intakes",
    security(("api_key" = [])),
    request_body(description = "An emergency intake without intake_id; received_by is the caller", content_type = "application/json"),
    responses(
        (status = 201, description = "Stored; the body is the stored intake", content_type = "application/json",
         headers(("Location" = String, description = "The new intake"))),
        (status = 400, description = "Not a JSON or XML document", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A facility does not record intakes", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither JSON nor XML", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid (the problem carries the validation report), carries an intake_id or registration_id, or received_by is another organization", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/intakes")]
pub async fn intake_create(
    req: HttpRequest,
    caller: Caller,
    store: web::Data<Store>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let document = read_valid(&req, &body, DocumentType::EmergencyIntake)?;
    let row = run(&store, move |s| intakes::create(s, &org, document)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/intakes/{}", row.id)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("application/json")
        .body(row.document))
}
