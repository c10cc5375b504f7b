//! Signed packets for the conformance suite: a set of keys (one per algorithm, and an attacker's
//! key that is never registered) and every attack on a signed packet that a verifier must refuse,
//! built from any handoff. The published signed vectors (`examples/gen_signed_vectors.rs`, with
//! the test keys in `conformance/vectors/signed/keys/`) and the runner's `sign` steps (with keys
//! made for the run and registered with the target) are both built here, so a target is checked
//! against exactly the attacks the offline vectors show.
use crate::contracts::DocumentType;
use crate::crypto::jws::{Alg, SigningKey};
use crate::crypto::{jcs, keys};
use crate::packet;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use openssl::bn::BigNumContext;
use openssl::ec::PointConversionForm;
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::sign::Signer;
use serde::Deserialize;
use serde_json::{json, Value};

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// One key per algorithm, and the attacker's.
pub struct Keys {
    pub es256: SigningKey,
    pub ed25519: SigningKey,
    pub ps256: SigningKey,
    pub rs256: SigningKey,
    /// An ES256 key no exchange knows: the attacker's.
    pub untrusted: SigningKey,
}

/// A new private key for `alg` (RSA keys are 2048 bits).
pub fn new_private_key(alg: Alg) -> Result<PKey<Private>, Error> {
    Ok(match alg {
        Alg::Ps256 | Alg::Rs256 => PKey::from_rsa(Rsa::generate(2048)?)?,
        Alg::Es256 | Alg::Ed25519 => keys::generate(alg)?.key,
    })
}

impl Keys {
    /// Fresh keys, for one run against a target.
    pub fn generate() -> Result<Keys, Error> {
        let make = |alg: Alg| -> Result<SigningKey, Error> {
            let pem = new_private_key(alg)?.private_key_to_pem_pkcs8()?;
            Ok(keys::signing_key_from_pem(&pem, Some(alg))?)
        };
        Ok(Keys {
            es256: make(Alg::Es256)?,
            ed25519: make(Alg::Ed25519)?,
            ps256: make(Alg::Ps256)?,
            rs256: make(Alg::Rs256)?,
            untrusted: make(Alg::Es256)?,
        })
    }

    /// The trusted key of an algorithm.
    pub fn by_alg(&self, alg: Alg) -> &SigningKey {
        match alg {
            Alg::Es256 => &self.es256,
            Alg::Ed25519 => &self.ed25519,
            Alg::Ps256 => &self.ps256,
            Alg::Rs256 => &self.rs256,
        }
    }

    /// The four keys a verifier trusts (the attacker's is not among them).
    pub fn trusted(&self) -> [&SigningKey; 4] {
        [&self.es256, &self.ed25519, &self.ps256, &self.rs256]
    }
}

/// A signed packet of `document` in `form`, made the way the exchange makes them.
pub fn sign(
    form: packet::Form,
    doc_type: DocumentType,
    document: &Value,
    key: &SigningKey,
) -> Result<Vec<u8>, Error> {
    Ok(match form {
        packet::Form::Jws => packet::sign_jws(doc_type, document, key)?.into_bytes(),
        packet::Form::Xml => packet::sign_xml(doc_type, document, key)?.into_bytes(),
    })
}

/// An attack on a signed handoff, and the verdict a verifier gives it (`POST /v1/verify`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attack {
    PayloadByteChanged,
    SignatureByteChanged,
    AlgRelabelledEs256ToRs256,
    AlgHs256,
    AlgNone,
    CritUnknown,
    JwkInHeader,
    JkuInHeader,
    X5uInHeader,
    UntrustedKey,
    PayloadDuplicateKey,
    TypWrong,
    TwoSignaturesConcatenated,
    JsonSerialization,
    XmlSecondSignature,
    XmlSignatureWrapped,
    XmlKeyvalueInKeyinfo,
    XmlSignatureMethodRsaSha256,
    XmlSignatureMethodHmacSha256,
    XmlContentChanged,
    XmlUnsigned,
    XmlDoctypeEntityBomb,
    XmlSecondSubject,
    XmlComment,
    XmlAttribute,
    IssuedInFuture,
    LifetimeTooLong,
}

const HANDOFF_TYP: &str = "handoff+jws";

impl Attack {
    pub const ALL: [Attack; 27] = [
        Attack::PayloadByteChanged,
        Attack::SignatureByteChanged,
        Attack::AlgRelabelledEs256ToRs256,
        Attack::AlgHs256,
        Attack::AlgNone,
        Attack::CritUnknown,
        Attack::JwkInHeader,
        Attack::JkuInHeader,
        Attack::X5uInHeader,
        Attack::UntrustedKey,
        Attack::PayloadDuplicateKey,
        Attack::TypWrong,
        Attack::TwoSignaturesConcatenated,
        Attack::JsonSerialization,
        Attack::XmlSecondSignature,
        Attack::XmlSignatureWrapped,
        Attack::XmlKeyvalueInKeyinfo,
        Attack::XmlSignatureMethodRsaSha256,
        Attack::XmlSignatureMethodHmacSha256,
        Attack::XmlContentChanged,
        Attack::XmlUnsigned,
        Attack::XmlDoctypeEntityBomb,
        Attack::XmlSecondSubject,
        Attack::XmlComment,
        Attack::XmlAttribute,
        Attack::IssuedInFuture,
        Attack::LifetimeTooLong,
    ];

    /// The name in scenarios and the file name of its vector, without the extension.
    pub fn name(self) -> &'static str {
        match self {
            Attack::PayloadByteChanged => "payload_byte_changed",
            Attack::SignatureByteChanged => "signature_byte_changed",
            Attack::AlgRelabelledEs256ToRs256 => "alg_relabelled_es256_to_rs256",
            Attack::AlgHs256 => "alg_hs256",
            Attack::AlgNone => "alg_none",
            Attack::CritUnknown => "crit_unknown",
            Attack::JwkInHeader => "jwk_in_header",
            Attack::JkuInHeader => "jku_in_header",
            Attack::X5uInHeader => "x5u_in_header",
            Attack::UntrustedKey => "untrusted_key",
            Attack::PayloadDuplicateKey => "payload_duplicate_key",
            Attack::TypWrong => "typ_wrong",
            Attack::TwoSignaturesConcatenated => "two_signatures_concatenated",
            Attack::JsonSerialization => "json_serialization",
            Attack::XmlSecondSignature => "xml_second_signature",
            Attack::XmlSignatureWrapped => "xml_signature_wrapped",
            Attack::XmlKeyvalueInKeyinfo => "xml_keyvalue_in_keyinfo",
            Attack::XmlSignatureMethodRsaSha256 => "xml_signature_method_rsa_sha256",
            Attack::XmlSignatureMethodHmacSha256 => "xml_signature_method_hmac_sha256",
            Attack::XmlContentChanged => "xml_content_changed",
            Attack::XmlUnsigned => "xml_unsigned",
            Attack::XmlDoctypeEntityBomb => "xml_doctype_entity_bomb",
            Attack::XmlSecondSubject => "xml_second_subject",
            Attack::XmlComment => "xml_comment",
            Attack::XmlAttribute => "xml_attribute",
            Attack::IssuedInFuture => "issued_in_future",
            Attack::LifetimeTooLong => "lifetime_too_long",
        }
    }

    /// The form of the packet the attack makes.
    pub fn form(self) -> packet::Form {
        if self.name().starts_with("xml_") {
            packet::Form::Xml
        } else {
            packet::Form::Jws
        }
    }

    /// The verdict of `POST /v1/verify` (and the refusal code of `packet::open`).
    pub fn verdict(self) -> &'static str {
        match self {
            Attack::PayloadByteChanged | Attack::SignatureByteChanged => "bad_signature",
            Attack::AlgRelabelledEs256ToRs256
            | Attack::XmlSignatureMethodRsaSha256
            | Attack::XmlSignatureMethodHmacSha256 => "algorithm_mismatch",
            Attack::AlgHs256 | Attack::AlgNone => "algorithm_not_allowed",
            Attack::CritUnknown => "unknown_crit",
            Attack::JwkInHeader | Attack::JkuInHeader | Attack::X5uInHeader => "key_in_packet",
            Attack::XmlKeyvalueInKeyinfo => "bad_signature",
            Attack::UntrustedKey => "unknown_key",
            Attack::PayloadDuplicateKey => "bad_payload",
            Attack::TypWrong => "wrong_type",
            Attack::TwoSignaturesConcatenated | Attack::JsonSerialization => "malformed",
            Attack::XmlSecondSignature => "multiple_signatures",
            Attack::XmlSignatureWrapped => "signature_wrapping",
            Attack::XmlContentChanged => "digest_mismatch",
            Attack::XmlUnsigned => "no_signature",
            Attack::XmlDoctypeEntityBomb => "hostile_xml",
            // Good signatures over XML that says more than its JSON form: the mapping's
            // KY-XML-* findings make the content invalid.
            Attack::XmlSecondSubject | Attack::XmlComment | Attack::XmlAttribute => {
                "invalid_content"
            }
            Attack::IssuedInFuture => "issued_in_future",
            Attack::LifetimeTooLong => "lifetime_too_long",
        }
    }

    /// The validation ids the content of the attack's packet gets, for attacks on content.
    pub fn findings(self) -> &'static [&'static str] {
        match self {
            Attack::XmlSecondSubject => &["KY-XML-REPEATED-ELEMENT"],
            Attack::XmlComment => &["KY-XML-COMMENT"],
            Attack::XmlAttribute => &["KY-XML-ATTRIBUTE"],
            _ => &[],
        }
    }

    /// The attack on `handoff` (a valid handoff). Unless the attack is about another key, the
    /// packet is signed by the trusted ES256 key.
    /// Long on purpose: one arm per attack, each a few lines; the attacks read best side by
    /// side.
    pub fn build(self, handoff: &Value, keys: &Keys) -> Result<Vec<u8>, Error> {
        let es256 = &keys.es256;
        let payload = jcs::canonical(handoff);
        let header = json!({"alg": "ES256", "kid": es256.kid, "typ": HANDOFF_TYP});
        let text = String::from_utf8(payload.clone())?;
        let jws_attack = |header: Value| raw_es256(&header, &payload, es256);
        let self_keyed = |member: &str, value: Value| {
            let mut header = json!({"alg": "ES256", "kid": keys.untrusted.kid, "typ": HANDOFF_TYP});
            header[member] = value;
            raw_es256(&header, &payload, &keys.untrusted)
        };
        let ho = DocumentType::Handoff;
        let compact = match self {
            Attack::PayloadByteChanged => {
                let [h, _, s] = parts(&raw_es256(&header, &payload, es256)?)?;
                let changed = change_digit_after(&text, "\"version\":")?;
                format!("{h}.{}.{s}", b64(changed.as_bytes()))
            }
            Attack::SignatureByteChanged => {
                let [h, p, s] = parts(&raw_es256(&header, &payload, es256)?)?;
                let mut sig = URL_SAFE_NO_PAD.decode(&s)?;
                sig[10] ^= 1;
                format!("{h}.{p}.{}", b64(&sig))
            }
            Attack::AlgRelabelledEs256ToRs256 => {
                jws_attack(json!({"alg": "RS256", "kid": es256.kid, "typ": HANDOFF_TYP}))?
            }
            Attack::AlgHs256 => {
                // HMAC keyed with the trusted key's public PEM: the key-confusion attack.
                let hs_header = json!({"alg": "HS256", "kid": es256.kid, "typ": HANDOFF_TYP});
                let input = format!("{}.{}", b64(&jcs::canonical(&hs_header)), b64(&payload));
                let secret = PKey::hmac(&keys::public_of(&es256.key)?.public_key_to_pem()?)?;
                let mut hmac = Signer::new(MessageDigest::sha256(), &secret)?;
                hmac.update(input.as_bytes())?;
                format!("{input}.{}", b64(&hmac.sign_to_vec()?))
            }
            Attack::AlgNone => {
                let none = json!({"alg": "none", "kid": es256.kid, "typ": HANDOFF_TYP});
                format!("{}.{}.", b64(&jcs::canonical(&none)), b64(&payload))
            }
            Attack::CritUnknown => jws_attack(json!({
                "alg": "ES256", "crit": ["kyoten-ext"], "kid": es256.kid, "kyoten-ext": true,
                "typ": HANDOFF_TYP
            }))?,
            Attack::JwkInHeader => {
                self_keyed("jwk", keys::to_jwk(&keys::verifying_key(&keys.untrusted)?)?)?
            }
            Attack::JkuInHeader => self_keyed("jku", json!("https://attacker.example/jwks.json"))?,
            Attack::X5uInHeader => self_keyed("x5u", json!("https://attacker.example/cert.pem"))?,
            Attack::UntrustedKey => packet::sign_jws(ho, handoff, &keys.untrusted)?,
            Attack::PayloadDuplicateKey => {
                let duplicated = text.replacen('{', "{\"purpose\":\"emergency_preparation\",", 1);
                raw_es256(&header, duplicated.as_bytes(), es256)?
            }
            Attack::TypWrong => {
                jws_attack(json!({"alg": "ES256", "kid": es256.kid, "typ": "JWT"}))?
            }
            Attack::IssuedInFuture | Attack::LifetimeTooLong => {
                let mut changed = handoff.clone();
                let at = |field: &str| {
                    handoff[field]
                        .as_str()
                        .and_then(crate::time::parse_timestamp)
                        .ok_or("the handoff has no issued_at or expires_at")
                };
                let (field, value) = if self == Attack::IssuedInFuture {
                    // A minute before it expires: well ahead of any verifier's clock while the
                    // packet is still unexpired.
                    (
                        "issued_at",
                        at("expires_at")? - chrono::Duration::minutes(1),
                    )
                } else {
                    ("expires_at", at("issued_at")? + chrono::Duration::days(31))
                };
                changed[field] = json!(value.to_rfc3339());
                packet::sign_jws(ho, &changed, es256)?
            }
            Attack::TwoSignaturesConcatenated => {
                let good = raw_es256(&header, &payload, es256)?;
                format!("{good}.{}", packet::sign_jws(ho, handoff, &keys.ed25519)?)
            }
            Attack::JsonSerialization => {
                let [h, p, s] = parts(&raw_es256(&header, &payload, es256)?)?;
                let [h2, _, s2] = parts(&packet::sign_jws(ho, handoff, &keys.ed25519)?)?;
                let general = json!({
                    "payload": p,
                    "signatures": [
                        {"protected": h, "signature": s},
                        {"protected": h2, "signature": s2}
                    ]
                });
                format!("{}\n", serde_json::to_string_pretty(&general)?)
            }
            xml => return xml_attack(xml, handoff, keys).map(String::into_bytes),
        };
        Ok(compact.into_bytes())
    }
}

/// The XML form of `handoff` changed by `edit`, then validly signed by the trusted ES256 key.
fn signed_xml_edited(
    handoff: &Value,
    keys: &Keys,
    edit: impl Fn(&str) -> Result<String, Error>,
) -> Result<String, Error> {
    let xml = crate::xml::to_xml(
        DocumentType::Handoff,
        handoff,
        crate::validation::Engine::get(),
    )?;
    let edited = edit(std::str::from_utf8(&xml)?)?;
    let signed = crate::crypto::xmldsig::sign(edited.as_bytes(), &keys.es256)?;
    Ok(String::from_utf8(signed)?)
}

/// Long on purpose: one arm per XML attack, as `build` has one per attack.
fn xml_attack(attack: Attack, handoff: &Value, keys: &Keys) -> Result<String, Error> {
    match attack {
        // A second subject holding the household: a reader that keeps the last of repeated
        // elements, or all of them, would see what the consent does not permit.
        Attack::XmlSecondSubject => {
            return signed_xml_edited(handoff, keys, |xml| {
                replace_once(
                    xml,
                    "</subject>",
                    "</subject>\n  <subject>\n    <household>\n      <relationship>mother</relationship>\n    </household>\n  </subject>",
                )
            })
        }
        Attack::XmlComment => {
            return signed_xml_edited(handoff, keys, |xml| {
                replace_once(xml, "<subject>", "<subject><!-- household: mother -->")
            })
        }
        Attack::XmlAttribute => {
            return signed_xml_edited(handoff, keys, |xml| {
                replace_once(xml, "<subject>", "<subject household=\"mother\">")
            })
        }
        _ => {}
    }
    let xml = packet::sign_xml(DocumentType::Handoff, handoff, &keys.es256)?;
    let (signature, unsigned) = split_signature(&xml)?;
    let close = unsigned.rfind("</handoff>").ok_or("no </handoff>")?;
    let with = |sig: &str| format!("{}{sig}{}", &unsigned[..close], &unsigned[close..]);
    Ok(match attack {
        Attack::XmlSecondSignature => with(&format!("{signature}{signature}")),
        Attack::XmlSignatureWrapped => {
            replace_once(&unsigned, "<subject>", &format!("<subject>{signature}"))?
        }
        Attack::XmlKeyvalueInKeyinfo => {
            // Signed by the attacker, naming the trusted key and carrying the attacker's own:
            // a verifier that takes the key from the packet accepts it; one that uses the
            // registered key named finds the signature bad.
            let forged = packet::sign_xml(DocumentType::Handoff, handoff, &keys.untrusted)?;
            let (signature, unsigned) = split_signature(&forged)?;
            let ec = keys.untrusted.key.ec_key()?;
            let mut ctx = BigNumContext::new()?;
            let point = ec.public_key().to_bytes(
                ec.group(),
                PointConversionForm::UNCOMPRESSED,
                &mut ctx,
            )?;
            let key_value = format!(
                "<ds:KeyValue><dsig11:ECKeyValue xmlns:dsig11=\"http://www.w3.org/2009/xmldsig11#\">\
                 <dsig11:NamedCurve URI=\"urn:oid:1.2.840.10045.3.1.7\"></dsig11:NamedCurve>\
                 <dsig11:PublicKey>{}</dsig11:PublicKey></dsig11:ECKeyValue></ds:KeyValue>",
                STANDARD.encode(point)
            );
            let signature = replace_once(
                &signature,
                &format!("<ds:KeyName>{}</ds:KeyName>", keys.untrusted.kid),
                &format!("<ds:KeyName>{}</ds:KeyName>{key_value}", keys.es256.kid),
            )?;
            let close = unsigned.rfind("</handoff>").ok_or("no </handoff>")?;
            format!("{}{signature}{}", &unsigned[..close], &unsigned[close..])
        }
        Attack::XmlSignatureMethodRsaSha256 | Attack::XmlSignatureMethodHmacSha256 => {
            let method = if attack == Attack::XmlSignatureMethodRsaSha256 {
                "rsa-sha256"
            } else {
                "hmac-sha256"
            };
            with(&replace_once(
                &signature,
                "xmldsig-more#ecdsa-sha256",
                &format!("xmldsig-more#{method}"),
            )?)
        }
        Attack::XmlContentChanged => change_digit_after(&xml, "<version>")?,
        Attack::XmlUnsigned => unsigned,
        Attack::XmlDoctypeEntityBomb => replace_once(
            &xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE handoff [\n\
             <!ENTITY a \"aaaaaaaaaa\">\n<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n\
             <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n\
             <!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n]>",
        )?,
        other => return Err(format!("{} is not an XML attack", other.name()).into()),
    })
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A compact JWS over exactly this header (in its JCS form) and these payload bytes, signed
/// with an ES256 key: for packets `packet::sign_jws` would never make.
pub fn raw_es256(header: &Value, payload: &[u8], key: &SigningKey) -> Result<String, Error> {
    let input = format!("{}.{}", b64(&jcs::canonical(header)), b64(payload));
    let ec = key.key.ec_key()?;
    let sig = EcdsaSig::sign(&openssl::sha::sha256(input.as_bytes()), &ec)?;
    let mut raw = sig.r().to_vec_padded(32)?;
    raw.extend(sig.s().to_vec_padded(32)?);
    Ok(format!("{input}.{}", b64(&raw)))
}

/// The three parts of a compact JWS.
fn parts(compact: &str) -> Result<[String; 3], Error> {
    let parts: Vec<String> = compact.split('.').map(str::to_owned).collect();
    Ok(parts
        .try_into()
        .map_err(|_| "a compact JWS has three parts")?)
}

/// `text` with the first `from` replaced, which must be there.
fn replace_once(text: &str, from: &str, to: &str) -> Result<String, Error> {
    if !text.contains(from) {
        return Err(format!("expected {from:?} in the signed packet").into());
    }
    Ok(text.replacen(from, to, 1))
}

/// `text` with the digit right after the first `marker` increased by one (9 becomes 0): one
/// byte of the content changed (`registration_ref.version` in a handoff).
fn change_digit_after(text: &str, marker: &str) -> Result<String, Error> {
    let at = text.find(marker).ok_or("no version in the packet")? + marker.len();
    let digit = text.as_bytes()[at];
    if !digit.is_ascii_digit() {
        return Err("the version is not a number".into());
    }
    let changed = if digit == b'9' {
        '0'
    } else {
        (digit + 1) as char
    };
    Ok(format!("{}{changed}{}", &text[..at], &text[at + 1..]))
}

/// The `ds:Signature` element of a signed XML packet and the packet without it.
pub fn split_signature(xml: &str) -> Result<(String, String), Error> {
    let start = xml.find("<ds:Signature").ok_or("no signature")?;
    let end = xml.find("</ds:Signature>").ok_or("no signature end")? + "</ds:Signature>".len();
    Ok((
        xml[start..end].to_owned(),
        format!("{}{}", &xml[..start], &xml[end..]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handoff() -> Value {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/conformance/vectors/handoff/valid/full.json"
        );
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    /// An instant at which the vector handoff is issued and not yet expired.
    fn while_valid() -> chrono::DateTime<chrono::Utc> {
        crate::time::parse_timestamp("2026-01-20T12:00:00+09:00")
            .unwrap()
            .with_timezone(&chrono::Utc)
    }

    #[test]
    fn every_attack_built_with_fresh_keys_gets_its_verdict_and_the_untouched_packet_verifies() {
        let keys = Keys::generate().unwrap();
        let trusted: Vec<_> = keys
            .trusted()
            .into_iter()
            .map(|k| keys::verifying_key(k).unwrap())
            .collect();
        let lookup = |kid: &str| trusted.iter().find(|k| k.kid == kid).cloned();
        let doc = handoff();
        for key in keys.trusted() {
            for form in [packet::Form::Jws, packet::Form::Xml] {
                if form == packet::Form::Xml && matches!(key.alg, Alg::Ed25519 | Alg::Ps256) {
                    continue; // the XML profile signs ES256 and RS256 only
                }
                let signed = sign(form, DocumentType::Handoff, &doc, key).unwrap();
                let opened = packet::open(&signed, lookup);
                assert!(opened.is_ok(), "{:?} {form:?}: {:?}", key.alg, opened.err());
            }
        }
        for attack in Attack::ALL {
            let bytes = attack.build(&doc, &keys).unwrap();
            assert_eq!(
                packet::Form::sniff(&bytes),
                attack.form(),
                "{}",
                attack.name()
            );
            let checked = packet::check::check(
                &bytes,
                lookup,
                &packet::check::NoRecords,
                packet::check::Purpose::Offline,
                packet::check::Lifetime::default(),
                while_valid(),
            );
            let verdict = match checked {
                Ok(Ok(c)) => {
                    let ids: Vec<&str> = c.outcome.findings.iter().map(|f| f.id).collect();
                    assert_eq!(ids, attack.findings(), "{}", attack.name());
                    c.failure
                        .unwrap_or_else(|| panic!("{} was accepted", attack.name()))
                        .code()
                }
                Ok(Err(refusal)) => refusal.code,
                Err(never) => match never {},
            };
            assert_eq!(verdict.as_str(), attack.verdict(), "{}", attack.name());
        }
    }

    #[test]
    fn the_changed_digit_is_the_one_after_the_marker() {
        assert_eq!(
            change_digit_after("{\"version\":2}", "\"version\":").unwrap(),
            "{\"version\":3}"
        );
        assert_eq!(
            change_digit_after("<version>9</version>", "<version>").unwrap(),
            "<version>0</version>"
        );
        assert!(change_digit_after("{}", "\"version\":").is_err());
    }
}
