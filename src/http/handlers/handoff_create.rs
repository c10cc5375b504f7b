use crate::contracts::json::parse_document;
use crate::contracts::DocumentType;
use crate::domain::access::Permission;
use crate::domain::handoff::{self, Basis, ComposeError, Composition, Party};
use crate::http::auth::Caller;
use crate::http::body::media_type;
use crate::http::handoffs::{self, Ready, JOSE};
use crate::http::middleware::request_lang;
use crate::http::problem::{ApiError, Problem};
use crate::packet::check::{timing, Failure, Lifetime};
use crate::packet::Form;
use crate::store::handoffs::Created;
use crate::store::organizations::{self, Organization};
use crate::store::{registrations, Store};
use crate::time::{jst, parse_timestamp};
use crate::validation::{Engine, Lang};
use actix_web::http::header;
use actix_web::{post, web, HttpRequest, HttpResponse};
use chrono::{Duration, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;
use utoipa::ToSchema;

/// What the server composes a packet from.
#[allow(dead_code)] // The shape is read field by field (to name the wrong one); this documents it.
#[derive(ToSchema)]
pub struct HandoffRequest {
    /// The stored registration the packet is built from.
    registration_id: String,
    /// The organization id of the recipient (its role comes from its registration).
    recipient: String,
    /// `emergency_acceptance` or `emergency_preparation`.
    purpose: String,
    /// As in the handoff schema: `{kind, occurred_at, description, urgency}`.
    #[schema(value_type = Object)]
    situation: Value,
    /// As in the handoff schema: `{service_type, start_on, expected_end_on?, notes?}`.
    #[schema(value_type = Object)]
    request: Value,
    /// When the packet expires unless accepted (default: 24 hours for emergency_acceptance,
    /// 30 days for emergency_preparation).
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

/// How often a packet is composed again when its registration changed before it was stored.
const ATTEMPTS: usize = 3;

const PURPOSES: [&str; 2] = ["emergency_acceptance", "emergency_preparation"];
const FIELDS: [&str; 9] = [
    "registration_id",
    "recipient",
    "purpose",
    "situation",
    "request",
    "expires_at",
    "legal_basis",
    "reason",
    "categories",
];

fn text<'a>(body: &'a Value, field: &'static str) -> Result<Option<&'a str>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s)),
        _ => Err(ApiError::InvalidHandoffRequest { field }),
    }
}

fn required<'a>(body: &'a Value, field: &'static str) -> Result<&'a str, ApiError> {
    text(body, field)?.ok_or(ApiError::InvalidHandoffRequest { field })
}

impl From<ComposeError> for ApiError {
    fn from(e: ComposeError) -> Self {
        match e {
            ComposeError::ConsentWithdrawn => ApiError::ConsentWithdrawn,
            ComposeError::BreakGlassNotAllowed => ApiError::BreakGlassNotAllowed,
            ComposeError::CategoryNotPermitted(category) => {
                ApiError::category_not_permitted(category)
            }
            ComposeError::NothingPermitted => ApiError::NothingPermitted,
        }
    }
}

/// Validates a packet; an invalid one is refused with its report.
fn valid(lang: Lang, document: &Value) -> Result<(), ApiError> {
    let engine = Engine::get();
    let outcome = engine.validate(Some(DocumentType::Handoff), document);
    if engine.is_valid(&outcome) {
        return Ok(());
    }
    let report = engine.render(&outcome, lang, None);
    Err(ApiError::InvalidDocument(Box::new(report)))
}

/// Composes the packet from the stored registration.
fn compose(
    lang: Lang,
    store: &Store,
    caller: &Organization,
    lifetime: Lifetime,
    body: &[u8],
) -> Result<Ready, ApiError> {
    let body = parse_document(body).map_err(ApiError::Json)?;
    let object = body
        .as_object()
        .ok_or(ApiError::InvalidHandoffRequest { field: "(body)" })?;
    if object.keys().any(|k| !FIELDS.contains(&k.as_str())) {
        return Err(ApiError::InvalidHandoffRequest {
            field: "(unknown field)",
        });
    }
    let registration_id = required(&body, "registration_id")?;
    let recipient_id = required(&body, "recipient")?;
    let purpose = required(&body, "purpose")?;
    if !PURPOSES.contains(&purpose) {
        return Err(ApiError::InvalidHandoffRequest { field: "purpose" });
    }
    let basis = match text(&body, "legal_basis")? {
        None | Some("consent") => {
            if body.get("reason").is_some() {
                return Err(ApiError::InvalidHandoffRequest { field: "reason" });
            }
            Basis::Consent
        }
        Some("vital_interest") => Basis::VitalInterest {
            reason: required(&body, "reason")?,
        },
        Some(_) => {
            return Err(ApiError::InvalidHandoffRequest {
                field: "legal_basis",
            })
        }
    };
    let only: Option<BTreeSet<String>> = match body.get("categories") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) if !items.is_empty() => Some(
            items
                .iter()
                .map(|c| c.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or(ApiError::InvalidHandoffRequest {
                    field: "categories",
                })?,
        ),
        _ => {
            return Err(ApiError::InvalidHandoffRequest {
                field: "categories",
            })
        }
    };
    for field in ["situation", "request"] {
        if !body.get(field).is_some_and(Value::is_object) {
            return Err(ApiError::InvalidHandoffRequest { field });
        }
    }
    let issued = Utc::now().with_timezone(&jst());
    let expires_at = match text(&body, "expires_at")? {
        Some(t) => {
            parse_timestamp(t).ok_or(ApiError::InvalidHandoffRequest {
                field: "expires_at",
            })?;
            t.to_owned()
        }
        None => {
            let lifetime = if purpose == "emergency_acceptance" {
                Duration::hours(24)
            } else {
                Duration::days(30)
            };
            (issued + lifetime).to_rfc3339_opts(SecondsFormat::Secs, false)
        }
    };
    let issued_at = issued.to_rfc3339_opts(SecondsFormat::Secs, false);
    let mut conn = store.conn().map_err(ApiError::contended)?;
    let registration = registrations::for_handoff(&mut conn, caller, registration_id)
        .map_err(ApiError::contended)?
        .ok_or(ApiError::NotFound)?;
    let recipient = organizations::get(&mut conn, recipient_id)
        .map_err(ApiError::contended)?
        .ok_or(ApiError::UnknownRecipient)?;
    drop(conn);
    let stored = handoffs::stored_document(&registration)?;
    let handoff_id = crate::domain::handoff::new_id();
    let composition = Composition {
        handoff_id: &handoff_id,
        registration: &stored,
        registration_id,
        registration_version: registration.version,
        sender: Party {
            organization_id: &caller.id,
            role: &caller.role,
        },
        recipient: Party {
            organization_id: &recipient.id,
            role: &recipient.role,
        },
        purpose,
        situation: &body["situation"],
        request: &body["request"],
        issued_at: &issued_at,
        expires_at: &expires_at,
        basis,
        only: only.as_ref(),
    };
    let document = handoff::compose(&Engine::get().policy, &composition)?;
    valid(lang, &document)?;
    // A composed packet keeps the same bounds as a submitted one.
    if let Some(failure) = timing(&document, lifetime, Utc::now()) {
        return Err(failure.into());
    }
    Ok(Ready {
        document,
        submitted: None,
        checked_version: registration.version,
    })
}

/// Checks a packet the sender signed, with the one packet check (`packet::check`): the
/// signature against the caller's registered key, the content, the sender, the recipient, the
/// lifetime, the registration's current version and its consent, and every `subject` value.
fn submitted(
    lang: Lang,
    store: &Store,
    caller: &Organization,
    lifetime: Lifetime,
    body: &[u8],
) -> Result<Ready, ApiError> {
    let checked = handoffs::check_packet(store, caller, true, lifetime, body)?
        .map_err(ApiError::SignatureRefused)?;
    if let Some(failure) = checked.failure {
        return Err(match failure {
            Failure::InvalidContent => {
                let engine = Engine::get();
                ApiError::InvalidDocument(Box::new(engine.render(&checked.outcome, lang, None)))
            }
            Failure::NotAHandoff => ApiError::InvalidHandoffRequest {
                field: "document_type",
            },
            Failure::UnknownRegistration => ApiError::InvalidHandoffRequest {
                field: "registration_ref",
            },
            other => ApiError::from(other),
        });
    }
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::InvalidHandoffRequest { field: "(body)" })?;
    let checked_version = checked.registration_version.ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("a submitted packet passed unchecked"))
    })?;
    Ok(Ready {
        document: checked.opened.document,
        submitted: Some((checked.opened.form, text, checked.opened.kid)),
        checked_version,
    })
}

/// Sends a handoff packet (緊急時の受入調整). Either the server composes it — a JSON
/// `HandoffRequest`: the packet's `subject` is the registration ∩ what the consent permits for
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
        (HandoffRequest = "application/json"),
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
    let kind = match media_type(&req).as_deref() {
        Some("application/json") => None,
        Some(JOSE) => Some(Form::Jws),
        Some("application/xml" | "text/xml") => Some(Form::Xml),
        _ => {
            return Err(ApiError::UnsupportedMediaType {
                accepted: "application/json (a HandoffRequest), application/jose or application/xml (a signed packet)",
            })
        }
    };
    if kind == Some(Form::Xml) {
        // Hostile XML is refused before any signature work, with the usual problem types.
        crate::xml::parse(&body).map_err(ApiError::Xml)?;
    }
    let lang = request_lang(req.headers());
    let store = store.into_inner();
    let lifetime = **lifetime;
    let created = web::block(move || {
        // A registration changed between composing and storing (or a database momentarily
        // busy) is composed again; after that the caller is asked to retry.
        for _ in 0..ATTEMPTS {
            let ready = match kind {
                None => compose(lang, &store, &org, lifetime, &body),
                Some(_) => submitted(lang, &store, &org, lifetime, &body),
            };
            let ready = match ready {
                Err(ApiError::RegistrationBusy) => continue,
                other => other?,
            };
            match handoffs::store_new(&store, org.clone(), ready) {
                Ok(Created::RegistrationChanged) | Err(ApiError::RegistrationBusy) => continue,
                other => return other,
            }
        }
        Err(ApiError::RegistrationBusy)
    })
    .await??;
    let h = match created {
        Created::Done(h) => *h,
        Created::Exists => return Err(ApiError::HandoffExists),
        Created::RegistrationChanged => return Err(ApiError::RegistrationBusy),
    };
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/handoffs/{}", h.id)))
        .insert_header((handoffs::CONTENT_SHA256, h.content_sha256.clone()))
        .json(HandoffCreated {
            status: "requested".into(),
            break_glass: h.is_break_glass(),
            legal_basis: h.legal_basis.clone(),
            disclosed_categories: handoffs::split(&h.categories),
            expires_at: h
                .expires_at
                .and_utc()
                .to_rfc3339_opts(SecondsFormat::Secs, true),
            content_sha256: h.content_sha256,
            handoff_id: h.id,
        }))
}
