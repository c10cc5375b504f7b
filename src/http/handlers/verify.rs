use crate::domain::handoff;
use crate::domain::role::Role;
use crate::http::auth::Caller;
use crate::http::body::media_type;
use crate::http::handoffs::JOSE;
use crate::http::middleware::request_lang;
use crate::http::problem::{ApiError, Problem};
use crate::packet::{self, Form, Refusal};
use crate::store::organizations::Organization;
use crate::store::{registrations, Store};
use crate::validation::{Engine, Lang, Report};
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// Who signed a packet.
#[derive(Serialize, ToSchema)]
pub struct Signer {
    /// The organization whose registered key signed; `null` for the exchange's own key.
    organization_id: Option<String>,
    /// Signed by the exchange's own key.
    exchange: bool,
}

/// The verdict on a signed packet.
#[derive(Serialize, ToSchema)]
pub struct Verification {
    /// Signature good, content valid, not expired, and (for a handoff) for the caller to see
    /// and within the stored consent.
    valid: bool,
    /// `valid`, or why not: `malformed`, `bad_header`, `algorithm_not_allowed`,
    /// `unknown_crit`, `key_in_packet`, `no_key_id`, `unknown_key`, `algorithm_mismatch`,
    /// `wrong_type`, `bad_signature`, `bad_payload`, `no_signature`, `digest_mismatch`,
    /// `multiple_signatures`,
    /// `signature_wrapping`, `profile_violation`, `hostile_xml`, `invalid_content`, `expired`,
    /// `wrong_recipient`, `sender_mismatch`, `category_not_permitted`, `consent_withdrawn`.
    verdict: String,
    /// One sentence on the verdict (never any of the packet's content).
    message: String,
    /// `jws` or `xml`.
    form: Form,
    signer: Option<Signer>,
    kid: Option<String>,
    alg: Option<String>,
    document_type: Option<String>,
    /// SHA-256 of the JCS form of the JSON content: the same for both forms of one packet.
    content_sha256: Option<String>,
    /// The validation report of the content (when the signature verified).
    report: Option<Box<Report>>,
}

fn refused(form: Form, r: Refusal) -> Verification {
    Verification {
        valid: false,
        verdict: r.code.into(),
        message: r.message,
        form,
        signer: None,
        kid: None,
        alg: None,
        document_type: None,
        content_sha256: None,
        report: None,
    }
}

/// The checks after the signature, in order; the first that fails is the verdict.
fn content_verdict(
    store: &Store,
    caller: &Organization,
    document: &Value,
    signer_org: Option<&str>,
    report_valid: bool,
) -> Result<Option<(&'static str, &'static str)>, ApiError> {
    if !report_valid {
        return Ok(Some((
            "invalid_content",
            "the content does not pass validation; see report",
        )));
    }
    if document["document_type"].as_str() != Some("handoff") {
        return Ok(None);
    }
    if packet::is_expired(document) {
        return Ok(Some(("expired", "the packet's expires_at has passed")));
    }
    let coordinator = matches!(
        Role::parse(&caller.role),
        Some(Role::Kikan | Role::Hub | Role::City)
    );
    let party = |p: &str| document[p]["organization_id"].as_str() == Some(caller.id.as_str());
    if !(coordinator || party("sender") || party("recipient")) {
        return Ok(Some((
            "wrong_recipient",
            "the packet is addressed to another organization",
        )));
    }
    if let Some(org) = signer_org {
        if document["sender"]["organization_id"].as_str() != Some(org) {
            return Ok(Some((
                "sender_mismatch",
                "the key that signed belongs to another organization than the packet's sender",
            )));
        }
    }
    let registration_id = document["registration_ref"]["registration_id"]
        .as_str()
        .unwrap_or_default();
    if let Some(stored) = registrations::get(&mut *store.conn()?, registration_id)? {
        let stored = crate::http::handoffs::stored_document(&stored)?;
        match handoff::category_outside_consent(&Engine::get().policy, &stored, document) {
            Ok(None) => {}
            Ok(Some(_)) => {
                return Ok(Some((
                    "category_not_permitted",
                    "the subject carries a category the stored consent does not permit for this recipient and purpose",
                )))
            }
            Err(handoff::ComposeError::ConsentWithdrawn) => {
                return Ok(Some((
                    "consent_withdrawn",
                    "the consent this packet relies on has been withdrawn",
                )))
            }
            Err(_) => {
                return Ok(Some((
                    "category_not_permitted",
                    "the legal basis does not permit this packet",
                )))
            }
        }
    }
    Ok(None)
}

fn verify_packet(
    store: &Store,
    caller: &Organization,
    body: &[u8],
    lang: Lang,
) -> Result<Verification, ApiError> {
    let form = Form::sniff(body);
    let opened = match packet::open(body, |kid| store.keyring_with(kid).ok()?.lookup(kid)) {
        Ok(o) => o,
        Err(r) => return Ok(refused(form, r)),
    };
    let ring = store.keyring()?;
    let signer_org = ring.owner(&opened.kid).map(str::to_owned);
    let engine = Engine::get();
    let outcome = engine.validate(opened.document_type, &opened.document);
    let report_valid = engine.is_valid(&outcome);
    let verdict = content_verdict(
        store,
        caller,
        &opened.document,
        signer_org.as_deref(),
        report_valid,
    )?;
    let (valid, verdict, message) = match verdict {
        None => (
            true,
            "valid",
            "the signature verifies and the content is valid",
        ),
        Some((v, m)) => (false, v, m),
    };
    Ok(Verification {
        valid,
        verdict: verdict.into(),
        message: message.into(),
        form,
        signer: Some(Signer {
            exchange: ring.is_exchange_key(&opened.kid),
            organization_id: signer_org,
        }),
        kid: Some(opened.kid),
        alg: Some(opened.alg.name().into()),
        document_type: opened.document_type.map(|d| d.as_str().into()),
        content_sha256: Some(opened.content_sha256),
        report: Some(Box::new(engine.render(&outcome, lang, None))),
    })
}

/// Verifies any signed packet — compact JWS (`application/jose`) or XML with an enveloped
/// signature (`application/xml`) — against the keys registered with the exchange (never a key
/// the packet brings), then validates its content and, for a handoff, checks its lifetime, that
/// the caller is a party to it (or kikan, hub, city), and the stored consent. Always 200 with
/// a verdict when the body is a packet attempt; nothing is stored.
#[utoipa::path(
    tag = "handoffs",
    security(("api_key" = [])),
    request_body(content((String = "application/jose"), (String = "application/xml"))),
    responses(
        (status = 200, description = "The verdict", body = Verification),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither application/jose nor XML", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/verify")]
pub async fn verify(
    req: HttpRequest,
    caller: Caller,
    store: web::Data<Store>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    match media_type(&req).as_deref() {
        Some(JOSE | "application/xml" | "text/xml") => {}
        _ => {
            return Err(ApiError::UnsupportedMediaType {
                accepted: "application/jose, application/xml",
            })
        }
    }
    let lang = request_lang(req.headers());
    let store = store.into_inner();
    let verdict = web::block(move || verify_packet(&store, &org, &body, lang)).await??;
    Ok(HttpResponse::Ok().json(verdict))
}
