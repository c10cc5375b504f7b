use crate::contracts::DocumentType;
use crate::domain::ids::HandoffId;
use crate::exchange::handoffs;
use crate::http::auth::Caller;
use crate::http::body::read_valid;
use crate::http::handoffs::{view, HandoffView};
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::http::header;
use actix_web::{post, web, HttpRequest, HttpResponse};

/// Answers a handoff with a `handoff_response` document (JSON or XML), after FHIR Task / 360X:
/// the recipient moves it `requested → received → accepted | declined` and
/// `accepted → admitted → completed` (the 事後報告 `report` goes with `completed`); the
/// sender, the recipient, the kikan, the hub or the city may cancel it while it is open. A
/// packet not accepted by its `expires_at` is expired. Anything else is refused with 409.
/// The example answers the handoff the `POST /v1/handoffs` example sent: put the `handoff_id`
/// that answer gave in the path and in the body.
#[utoipa::path(
    tag = "handoffs",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The handoff_id")),
    request_body(description = "A handoff_response document; responder is the caller", content_type = "application/json"),
    responses(
        (status = 201, description = "Recorded; the handoff's new state", body = HandoffView),
        (status = 400, description = "Not a JSON or XML document", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may see the handoff but not give this response", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such handoff visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed in the handoff's current state, or expired", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither JSON nor XML", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid response document, or another handoff_id or responder", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/handoffs/{id}/responses")]
pub async fn handoff_respond(
    req: HttpRequest,
    caller: Caller,
    store: web::Data<Store>,
    id: web::Path<HandoffId>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let id = id.into_inner();
    let document = read_valid(&req, &body, DocumentType::HandoffResponse)?;
    let location = format!("/v1/handoffs/{id}");
    let (h, responses) = run(&store, move |s| handoffs::respond(s, &org, &id, &document)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(view(&h, responses)))
}
