//! Verifying a signed packet for a caller: the same check as a submitted packet, answered as a
//! verdict instead of a refusal; nothing is stored.
use super::packets::{check_packet, Checking};
use crate::packet::check::Lifetime;
use crate::packet::{Form, Refusal, Verdict};
use crate::problem::ApiError;
use crate::store::organizations::Organization;
use crate::store::Store;
use crate::validation::{Engine, Lang, Report};
use serde::Serialize;
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
    /// `multiple_signatures`, `signature_wrapping`, `profile_violation`, `hostile_xml`,
    /// `unmappable_xml`, `invalid_content` (the report says why, e.g. a KY-XML-* id),
    /// `sender_mismatch`, `issued_in_future`, `lifetime_too_long`, `expired`,
    /// `wrong_recipient`, `consent_withdrawn`, `break_glass_not_allowed`,
    /// `category_not_permitted`, and `unknown_registration` (told only to the kikan, the hub
    /// and the city, who may read every registration).
    verdict: String,
    /// Whether the stored consent was consulted: only for a registration the caller may read,
    /// or one the exchange holds a handoff to the caller on.
    consent_checked: bool,
    /// One sentence on the verdict in the language asked for (`Accept-Language`; Japanese by
    /// default), never any of the packet's content.
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

fn refused(form: Form, r: Refusal, lang: Lang) -> Verification {
    Verification {
        valid: false,
        verdict: r.code.into(),
        message: r.message_in(lang).to_owned(),
        form,
        consent_checked: false,
        signer: None,
        kid: None,
        alg: None,
        document_type: None,
        content_sha256: None,
        report: None,
    }
}

/// The verdict on `body` for `caller`.
pub fn verdict(
    store: &Store,
    caller: &Organization,
    lifetime: Lifetime,
    body: &[u8],
    lang: Lang,
) -> Result<Verification, ApiError> {
    let form = Form::sniff(body);
    let checked = match check_packet(store, caller, Checking::Verify, lifetime, body)? {
        Ok(c) => c,
        Err(r) => return Ok(refused(form, r, lang)),
    };
    let in_lang = |[en, ja]: [&'static str; 2]| match lang {
        Lang::En => en,
        Lang::Ja => ja,
    };
    let (valid, verdict, message) = match &checked.failure {
        None => (
            true,
            Verdict::Valid,
            in_lang([
                "the signature verifies and the content is valid",
                "署名は検証でき、内容も有効です",
            ]),
        ),
        Some(f) => (false, f.code(), in_lang(f.message())),
    };
    let opened = checked.opened;
    Ok(Verification {
        valid,
        verdict: verdict.into(),
        message: message.into(),
        form,
        signer: Some(Signer {
            exchange: store.keyring()?.is_exchange_key(&opened.kid),
            organization_id: checked.signer,
        }),
        consent_checked: checked.consent_checked,
        kid: Some(opened.kid),
        alg: Some(opened.alg.name().into()),
        document_type: opened.document_type.map(|d| d.as_str().into()),
        content_sha256: Some(opened.content_sha256),
        report: Some(Box::new(Engine::get().render(&checked.outcome, lang, None))),
    })
}
