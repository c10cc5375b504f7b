use crate::contracts::DocumentType;
use crate::domain::access::Permission;
use crate::domain::ids::IntakeId;
use crate::exchange::registrations;
use crate::http::auth::Caller;
use crate::http::body::read_valid;
use crate::http::conditional::etag;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::http::header;
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CreateQuery {
    /// The emergency intake this registration is for (the person of an emergency without prior
    /// information, registered afterwards): the intake is linked to the new registration in
    /// the same transaction, and shows its `registration_id` from then on. (No example: an
    /// intake's id is the one `POST /v1/intakes` answered.)
    #[param(value_type = Option<String>)]
    from_intake: Option<IntakeId>,
}

/// Submits a new emergency-use registration (緊急時利用登録届), JSON or XML. It is validated
/// first; an invalid one is refused with its report and nothing is stored. The server assigns
/// `registration_id` and answers with the stored document (version 1, `ETag: "1"`). With
/// `from_intake`, the registration is for the person of that emergency intake, which the
/// caller must be able to read and which becomes linked to it.
#[utoipa::path(
    tag = "registrations",
    security(("api_key" = [])),
    params(CreateQuery),
    request_body(description = "A registration without registration_id; received_by is the caller", content_type = "application/json"),
    responses(
        (status = 201, description = "Stored; the body is the stored document", content_type = "application/json",
         headers(("Location" = String, description = "The new registration"), ("ETag" = String, description = "Its version"))),
        (status = 400, description = "Not a JSON or XML document, or from_intake names no intake the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role does not take registrations", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The intake of from_intake became a registration already", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The intake of from_intake became a registration already", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither JSON nor XML", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid (the problem carries the validation report), or carries an id, or received_by is another organization", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/registrations")]
pub async fn registration_create(
    req: HttpRequest,
    caller: Caller,
    store: web::Data<Store>,
    query: crate::http::query::Query<CreateQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let org = caller.allowed_to(Permission::SubmitRegistration)?;
    let document = read_valid(&req, &body, DocumentType::Registration)?;
    let row = match query.into_inner().from_intake {
        None => run(&store, move |s| registrations::create(s, &org, document)).await?,
        Some(intake) => {
            run(&store, move |s| {
                registrations::create_from_intake(s, &org, document, intake)
            })
            .await?
        }
    };
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/registrations/{}", row.id)))
        .insert_header(etag(row.version))
        .content_type("application/json")
        .body(row.document))
}
