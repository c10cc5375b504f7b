use crate::domain::ids::RegistrationId;
use crate::exchange::registrations;
use crate::http::auth::Caller;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

/// One version of a registration.
#[derive(Serialize, ToSchema)]
pub struct RegistrationVersion {
    pub version: i32,
    /// When it was recorded (UTC).
    pub recorded_at: String,
    /// The organization that submitted it.
    pub recorded_by: String,
    /// What the version records: `create`, `update` (a change notification),
    /// `withdraw_consent` or `grant_consent` (a new consent).
    #[schema(example = "grant_consent")]
    pub event: String,
    /// The registration document as it was; once the consent is withdrawn, only what a read
    /// shows then (`"view": "after_withdrawal"`: identity, ids and consent).
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
}

/// Every version of a registration, oldest first: the first submission and each change
/// notification, each consent withdrawal and each new consent. Visible to the same organizations as the registration itself.
#[utoipa::path(
    tag = "registrations",
    security(("api_key" = [])),
    params(("id" = String, Path, example = "reg_demo_aoba_1")),
    responses(
        (status = 200, description = "The versions, oldest first", body = Vec<RegistrationVersion>),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such registration, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/registrations/{id}/versions")]
pub async fn registration_history(
    caller: Caller,
    store: web::Data<Store>,
    id: web::Path<RegistrationId>,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let id = id.into_inner();
    let versions = run(&store, move |s| registrations::history(s, &org, &id)).await?;
    let body: Vec<RegistrationVersion> = versions
        .into_iter()
        .map(|v| RegistrationVersion {
            version: v.version,
            recorded_at: v.recorded_at.and_utc().to_rfc3339(),
            recorded_by: v.recorded_by,
            event: v.event,
            document: serde_json::from_str(&v.document).unwrap_or_default(),
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(body))
}
