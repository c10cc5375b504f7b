//! Signed packets: a document signed as compact JWS over its JCS form and as enveloped XMLDSig
//! over its XML form, and the opening of any signed packet (JWS or XML) against registered
//! keys with a verdict that says exactly why a packet is refused. Used alike by the server
//! (handoffs, `/v1/verify`) and the command line (`kyoten sign` / `kyoten verify`).
pub mod check;

use crate::contracts::json::parse_document;
use crate::contracts::text_enum::text_enum;
use crate::contracts::DocumentType;
use crate::crypto::jcs;
use crate::crypto::jws::{self, Alg, JwsError, SigningKey, VerifyingKey};
use crate::crypto::xmldsig::{self, XmlDsigError};
use crate::validation::{Engine, Finding};
use crate::xml::Inexact;
use serde::Serialize;
use serde_json::Value;

text_enum! {
    /// The two signed forms of a packet.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
    #[serde(rename_all = "lowercase")]
    pub enum Form {
        Jws = "jws",
        Xml = "xml",
    }
}

/// The media type of a packet signed as a compact JWS (RFC 7515 §9.2.1).
pub const JOSE: &str = "application/jose";

impl Form {
    /// The media type a packet in this form is sent with.
    pub fn media_type(self) -> &'static str {
        match self {
            Form::Jws => JOSE,
            Form::Xml => "application/xml",
        }
    }

    /// The form of a body: XML when it starts with `<` (after whitespace), JWS otherwise.
    pub fn sniff(bytes: &[u8]) -> Form {
        match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'<') => Form::Xml,
            _ => Form::Jws,
        }
    }
}

/// The JWS `typ` of a document type (`handoff+jws`, `handoff_response+jws`, …).
pub fn jws_type(doc: DocumentType) -> String {
    format!("{}+jws", doc.as_str())
}

/// Why a packet could not be signed (a key or document the exchange itself holds: a failure
/// of the server, never of the request).
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("writing the XML form: {0}")]
    Xml(#[from] crate::xml::WriteError),
    #[error("signing the XML form: {0}")]
    XmlDsig(#[from] XmlDsigError),
    #[error("signing the JWS form: {0}")]
    Jws(#[from] JwsError),
    #[error("the signed XML form is not UTF-8")]
    NotUtf8,
}

/// The XML form of a JSON document, signed.
pub fn sign_xml(doc: DocumentType, value: &Value, key: &SigningKey) -> Result<String, SignError> {
    let xml = crate::xml::to_xml(doc, value, Engine::get())?;
    let signed = xmldsig::sign(&xml, key)?;
    String::from_utf8(signed).map_err(|_| SignError::NotUtf8)
}

/// The JWS form of a JSON document.
pub fn sign_jws(doc: DocumentType, value: &Value, key: &SigningKey) -> Result<String, SignError> {
    Ok(jws::sign(value, &jws_type(doc), key)?)
}

/// The JWS form of a JSON document given in its JCS canonical form (`jcs::canonical`).
pub fn sign_jws_canonical(
    doc: DocumentType,
    canonical: &[u8],
    key: &SigningKey,
) -> Result<String, SignError> {
    Ok(jws::sign_canonical(canonical, &jws_type(doc), key)?)
}

/// Whether a packet's `expires_at` has passed (a packet without one never expires).
pub fn is_expired(document: &Value) -> bool {
    document["expires_at"]
        .as_str()
        .and_then(crate::time::parse_timestamp)
        .is_some_and(|t| t <= chrono::Utc::now())
}

/// A packet whose signature verified.
#[derive(Debug, Clone)]
pub struct Opened {
    pub form: Form,
    pub kid: String,
    pub alg: Alg,
    pub document_type: Option<DocumentType>,
    /// The JSON form of the content.
    pub document: Value,
    /// SHA-256 of the JCS form of `document`: equal for the JWS and the XML form.
    pub content_sha256: String,
    /// For the XML form, what the mapping to JSON found it could not carry (KY-XML-*): each
    /// makes the content invalid.
    pub mapping: Vec<Finding>,
}

text_enum! {
    /// The stable verdict on a signed packet: `valid`, or why not (the refusals of opening it,
    /// then the failures of the packet check).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Verdict {
        Valid = "valid",
        Malformed = "malformed",
        BadHeader = "bad_header",
        AlgorithmNotAllowed = "algorithm_not_allowed",
        UnknownCrit = "unknown_crit",
        KeyInPacket = "key_in_packet",
        NoKeyId = "no_key_id",
        UnknownKey = "unknown_key",
        AlgorithmMismatch = "algorithm_mismatch",
        WrongType = "wrong_type",
        BadSignature = "bad_signature",
        BadPayload = "bad_payload",
        HostileXml = "hostile_xml",
        NoSignature = "no_signature",
        MultipleSignatures = "multiple_signatures",
        SignatureWrapping = "signature_wrapping",
        ProfileViolation = "profile_violation",
        DigestMismatch = "digest_mismatch",
        UnmappableXml = "unmappable_xml",
        InvalidContent = "invalid_content",
        SenderMismatch = "sender_mismatch",
        NotAHandoff = "not_a_handoff",
        IssuedInFuture = "issued_in_future",
        LifetimeTooLong = "lifetime_too_long",
        Expired = "expired",
        WrongRecipient = "wrong_recipient",
        UnknownRecipient = "unknown_recipient",
        UnknownRegistration = "unknown_registration",
        UnknownIntake = "unknown_intake",
        VersionNotCurrent = "version_not_current",
        ConsentWithdrawn = "consent_withdrawn",
        BreakGlassNotAllowed = "break_glass_not_allowed",
        CategoryNotPermitted = "category_not_permitted",
        SubjectMismatch = "subject_mismatch",
    }
}

/// Why a packet was refused: a stable code and a sentence (never any of the packet's content).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub code: Verdict,
    pub message: String,
}

impl Refusal {
    pub fn new(code: Verdict, message: impl Into<String>) -> Self {
        Refusal {
            code,
            message: message.into(),
        }
    }

    /// The sentence in `lang`: the detail as found in English; in Japanese, what the verdict
    /// means (the English detail names the library's finding, which has no Japanese text).
    pub fn message_in(&self, lang: crate::validation::Lang) -> &str {
        match lang {
            crate::validation::Lang::En => &self.message,
            crate::validation::Lang::Ja => japanese(self.code),
        }
    }
}

/// What a verdict reached while opening a packet means, in Japanese.
fn japanese(code: Verdict) -> &'static str {
    match code {
        Verdict::Malformed => "パケットの形式が正しくありません（コンパクトJWS又は整形式のXMLではありません）。",
        Verdict::BadHeader => "JWSのヘッダーが正しくありません。",
        Verdict::AlgorithmNotAllowed => "署名プロファイルで許可されていない署名アルゴリズムです。",
        Verdict::UnknownCrit => "理解できない crit ヘッダーがあります。",
        Verdict::KeyInPacket => "パケットの中に鍵又は鍵の参照（jwk・x5c・jku など）があります。鍵は kid だけで示してください。",
        Verdict::NoKeyId => "署名に鍵ID（kid）がありません。",
        Verdict::UnknownKey => "署名した鍵が登録されていないか、廃止されています。",
        Verdict::AlgorithmMismatch => "署名アルゴリズムが鍵の種類と一致しません。",
        Verdict::WrongType => "typ ヘッダーがこの種類のパケットのものではありません。",
        Verdict::BadSignature => "署名が検証できません。",
        Verdict::BadPayload => "JWSのペイロードがJSON文書として読めません。",
        Verdict::HostileXml => "XMLに DOCTYPE 又は処理命令があります。",
        Verdict::NoSignature => "XMLに署名がありません。",
        Verdict::MultipleSignatures => "XMLに署名が複数あります。",
        Verdict::SignatureWrapping => "署名がルート要素の子でないか、署名の参照がルート要素全体を指していません。",
        Verdict::ProfileViolation => "XML署名が署名プロファイル（アルゴリズム・変換・参照）に従っていません。",
        Verdict::DigestMismatch => "署名の後に内容が変更されています（ダイジェストが一致しません）。",
        Verdict::UnmappableXml => "署名されたXMLが、そのJSON形式をXMLにしたものと同じ要素でできていません。",
        _ => "パケットを受け付けられません（verdict を参照してください）。",
    }
}

fn jws_refusal(e: &JwsError) -> Refusal {
    let code = match e {
        JwsError::Malformed => Verdict::Malformed,
        JwsError::BadHeader => Verdict::BadHeader,
        JwsError::AlgorithmNotAllowed(_) => Verdict::AlgorithmNotAllowed,
        JwsError::ForbiddenHeader(h) if *h == "crit" => Verdict::UnknownCrit,
        JwsError::ForbiddenHeader(_) => Verdict::KeyInPacket,
        JwsError::NoKeyId => Verdict::NoKeyId,
        JwsError::UnknownKey => Verdict::UnknownKey,
        JwsError::AlgorithmMismatch { .. } => Verdict::AlgorithmMismatch,
        JwsError::WrongType(_) => Verdict::WrongType,
        JwsError::BadSignature => Verdict::BadSignature,
        JwsError::BadPayload => Verdict::BadPayload,
        JwsError::KeyMismatch => Verdict::AlgorithmMismatch,
        JwsError::Crypto(_) => Verdict::BadSignature,
    };
    Refusal::new(code, e.to_string())
}

/// The stable verdict code of an XML signature refusal.
fn xml_code(e: &XmlDsigError) -> Verdict {
    use crate::xml::c14n::C14nError;
    match e {
        XmlDsigError::Document(C14nError::Doctype | C14nError::ProcessingInstruction) => {
            Verdict::HostileXml
        }
        XmlDsigError::Document(_) => Verdict::Malformed,
        XmlDsigError::NoSignature => Verdict::NoSignature,
        XmlDsigError::MoreThanOneSignature => Verdict::MultipleSignatures,
        XmlDsigError::NotRootChild => Verdict::SignatureWrapping,
        XmlDsigError::Profile(_) | XmlDsigError::AlreadySigned => Verdict::ProfileViolation,
        XmlDsigError::KeyInfo => Verdict::KeyInPacket,
        XmlDsigError::UnknownKey => Verdict::UnknownKey,
        XmlDsigError::AlgorithmMismatch { .. }
        | XmlDsigError::UnsupportedAlgorithm
        | XmlDsigError::KeyMismatch => Verdict::AlgorithmMismatch,
        XmlDsigError::DigestMismatch => Verdict::DigestMismatch,
        XmlDsigError::BadSignature | XmlDsigError::Crypto(_) => Verdict::BadSignature,
    }
}

/// Reads the unverified `typ` of a compact JWS, only to know which document type to expect.
fn peek_type(compact: &str) -> Result<DocumentType, Refusal> {
    use base64::Engine as _;
    // A header that cannot be read as one JSON object (not base64url, not JSON, a member
    // twice) is a bad header whatever it names; a readable one without a kyoten `typ` is of
    // the wrong type.
    let bad = || jws_refusal(&JwsError::BadHeader);
    let header = compact.trim().split('.').next().ok_or_else(bad)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| bad())?;
    let header = parse_document(&bytes).map_err(|_| bad())?;
    if !header.is_object() {
        return Err(bad());
    }
    let typ = header.get("typ").and_then(Value::as_str);
    typ.and_then(|typ| {
        DocumentType::ALL
            .into_iter()
            .find(|d| jws::same_media_type(typ, &jws_type(*d)))
    })
    .ok_or_else(|| {
        Refusal::new(
            Verdict::WrongType,
            "the header's typ names no kyoten document type (e.g. handoff+jws)",
        )
    })
}

/// Verifies a packet in either form against the keys `lookup` knows, and reads its content.
pub fn open(
    bytes: &[u8],
    lookup: impl Fn(&str) -> Option<VerifyingKey>,
) -> Result<Opened, Refusal> {
    match Form::sniff(bytes) {
        Form::Jws => {
            let compact = std::str::from_utf8(bytes)
                .map_err(|_| Refusal::new(Verdict::Malformed, "not a compact JWS (UTF-8 text)"))?;
            // Not three parts (e.g. the JSON serialization) is malformed, whatever its typ.
            if compact.trim().split('.').count() != 3 {
                return Err(jws_refusal(&JwsError::Malformed));
            }
            let doc = peek_type(compact)?;
            let verified =
                jws::verify(compact, &jws_type(doc), lookup).map_err(|e| jws_refusal(&e))?;
            let document_type = verified
                .payload
                .get("document_type")
                .and_then(Value::as_str)
                .and_then(DocumentType::parse);
            if document_type != Some(doc) {
                return Err(Refusal::new(
                    Verdict::WrongType,
                    "the payload's document_type differs from the header's typ",
                ));
            }
            Ok(Opened {
                form: Form::Jws,
                kid: verified.kid,
                alg: verified.alg,
                document_type,
                content_sha256: jcs::sha256_hex(&verified.payload),
                document: verified.payload,
                mapping: Vec::new(),
            })
        }
        Form::Xml => {
            let verified = xmldsig::verify(bytes, lookup)
                .map_err(|e| Refusal::new(xml_code(&e), e.to_string()))?;
            // The XML a receiver reads must say exactly what the JSON form says: what the
            // mapping would drop (a second `subject`, attributes, comments…) comes back as
            // KY-XML-* findings, which make the content invalid; a structure that differs
            // without any finding is refused outright.
            let mapped = crate::xml::to_json_exact(bytes, Engine::get()).map_err(|e| match e {
                Inexact::Xml(e) => Refusal::new(Verdict::Malformed, e.to_string()),
                Inexact::Structure => Refusal::new(
                    Verdict::UnmappableXml,
                    "the XML's elements differ from those of its JSON form written as XML",
                ),
            })?;
            let document = mapped.value;
            let document_type = document
                .get("document_type")
                .and_then(Value::as_str)
                .and_then(DocumentType::parse);
            Ok(Opened {
                form: Form::Xml,
                kid: verified.kid,
                alg: verified.alg,
                document_type,
                content_sha256: jcs::sha256_hex(&document),
                document,
                mapping: mapped.findings,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn verdict_of_header(header: &str) -> &'static str {
        let h = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(header);
        let compact = format!("{h}.eyJhIjoxfQ.c2ln");
        match open(compact.as_bytes(), |_| None) {
            Err(refusal) => refusal.code.as_str(),
            Ok(_) => "opened",
        }
    }

    #[test]
    fn a_header_that_is_not_one_json_object_is_a_bad_header_and_one_without_a_kyoten_typ_the_wrong_type(
    ) {
        let duplicate = r#"{"alg":"ES256","typ":"handoff+jws","typ":"registration+jws","kid":"k"}"#;
        assert_eq!(verdict_of_header(duplicate), "bad_header");
        assert_eq!(verdict_of_header("not json"), "bad_header");
        assert_eq!(verdict_of_header("[1]"), "bad_header");
        assert_eq!(
            verdict_of_header(r#"{"alg":"ES256","typ":"JWT","kid":"k"}"#),
            "wrong_type"
        );
        assert_eq!(
            verdict_of_header(r#"{"alg":"ES256","kid":"k"}"#),
            "wrong_type"
        );
    }
}
