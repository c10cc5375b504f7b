use crate::domain::access::Permission;
use crate::exchange::handoffs::{self, Sending};
use crate::http::auth::Caller;
use crate::http::body::media_type;
use crate::http::handoffs::{CONTENT_SHA256, JOSE};
use crate::http::middleware::request_lang;
use crate::http::observe::note_if;
use crate::http::run;
use crate::observe::security::Event;
use crate::packet::check::Lifetime;
use crate::packet::Form;
use crate::problem::{ApiError, Problem};
use crate::store::{categories_of, Store};
use actix_web::http::header;
use actix_web::{post, web, HttpRequest, HttpResponse};
use chrono::SecondsFormat;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// What the server composes a packet from.
#[allow(dead_code)] // The shape is read field by field (to name the wrong one); this documents it.
#[derive(ToSchema)]
pub struct HandoffCreateRequest {
    /// The stored registration the packet is built from (or `intake_id`).
    registration_id: Option<String>,
    /// The emergency intake of a person who never registered the packet is built from (or
    /// `registration_id`); for `emergency_acceptance` only.
    intake_id: Option<String>,
    /// The organization id of the recipient (its role comes from its registration).
    recipient: String,
    /// `emergency_acceptance` or `emergency_preparation`.
    purpose: String,
    /// As in the handoff schema: `{kind, occurred_at, description, urgency}`. For
    /// `emergency_acceptance`: required with `registration_id`; from an intake, the intake's
    /// situation when left out. Not with `emergency_preparation` (normal-time sharing invents
    /// no emergency).
    #[schema(value_type = Object)]
    situation: Option<Value>,
    /// As in the handoff schema: `{service_type, start_on, expected_end_on?, notes?}`.
    /// Required for `emergency_acceptance`; not with `emergency_preparation`.
    #[schema(value_type = Object)]
    request: Option<Value>,
    /// When the packet expires unless accepted (default: 24 hours for emergency_acceptance,
    /// 30 days for emergency_preparation). An accepted (acknowledged) normal-time share does
    /// not expire: it stays until superseded by a re-sent copy, revoked or cancelled.
    expires_at: Option<String>,
    /// `consent` (default) or `vital_interest` (break-glass; kikan, hub and city only).
    legal_basis: Option<String>,
    /// Why the vital-interest basis applies (required with it).
    reason: Option<String>,
    /// Send only these of the permitted categories.
    categories: Option<Vec<String>>,
}

/// The stored packet, without its personal data.
#[derive(Serialize, ToSchema)]
pub struct HandoffCreated {
    handoff_id: String,
    status: String,
    legal_basis: String,
    break_glass: bool,
    disclosed_categories: Vec<String>,
    expires_at: String,
    content_sha256: String,
}

/// How the body says the packet comes.
fn sending(req: &HttpRequest) -> Result<Sending, ApiError> {
    Ok(match media_type(req).as_deref() {
        Some("application/json") => Sending::Compose,
        Some(JOSE) => Sending::Signed(Form::Jws),
        Some("application/xml" | "text/xml") => Sending::Signed(Form::Xml),
        _ => {
            return Err(ApiError::UnsupportedMediaType {
                accepted: "application/json, application/jose, application/xml",
            })
        }
    })
}

/// Sends a handoff packet (緊急時の受入調整). Either the server composes it — a JSON
/// `HandoffCreateRequest`: the packet's `subject` is the registration ∩ what the consent permits for
/// that recipient and purpose ∩ the purpose's need set, built from an allow-list — or the
/// sender submits a packet it signed itself (`application/jose` compact JWS, or signed
/// `application/xml`) with a key it registered. Either way the packet is validated, stored in
/// both signed forms, and a provision record is written. A withdrawn consent stops every
/// packet except a vital-interest one (break-glass, kikan/hub/city only, with a reason), which
/// is flagged in the access record.
#[utoipa::path(
    tag = "handoffs",
    security(("api_key" = [])),
    request_body(content(
        (HandoffCreateRequest = "application/json"),
        (String = "application/jose"),
        (String = "application/xml"),
    )),
    responses(
        (status = 201, description = "Stored and signed", body = HandoffCreated,
         headers(("Location" = String, description = "The handoff"))),
        (status = 400, description = "Not readable (JSON, JWS or XML)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role does not send handoffs, or break-glass by a role that may not", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such registration visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Consent withdrawn, or a packet with this handoff_id exists", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON, JOSE or XML", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid request or packet (with its report), signature refused (with its verdict), category not permitted, sender mismatch, expired", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The registration kept changing while the packet was composed, or the database was momentarily busy; nothing was stored, send it again after Retry-After (registration-busy)", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
#[post("/v1/handoffs")]
pub async fn handoff_create(
    req: HttpRequest,
    caller: Caller,
    store: web::Data<Store>,
    lifetime: web::Data<Lifetime>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let org = caller.allowed_to(Permission::SendHandoff)?;
    let sending = sending(&req)?;
    if sending == Sending::Signed(Form::Xml) {
        // Hostile XML is refused before any signature work, with the usual problem types.
        crate::xml::parse(&body).map_err(ApiError::Xml)?;
    }
    let (lang, lifetime) = (request_lang(req.headers()), **lifetime);
    let h = run(&store, move |store| {
        handoffs::send(store, &org, lifetime, lang, sending, &body)
    })
    .await?;
    let expires_at = h.expires_at.and_utc();
    let break_glass = h.is_break_glass();
    let created = HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/handoffs/{}", h.id)))
        .insert_header((CONTENT_SHA256, h.content_sha256.clone()))
        .json(HandoffCreated {
            status: "requested".into(),
            break_glass: h.is_break_glass(),
            legal_basis: h.legal_basis.clone(),
            disclosed_categories: categories_of(&h.categories),
            expires_at: expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            content_sha256: h.content_sha256,
            handoff_id: h.id.to_string(),
        });
    Ok(note_if(break_glass, created, Event::BreakGlassPacket))
}
