//! The JWS parser and verifier, `kyoten::crypto::jws::verify` with the conformance vectors'
//! fixed test keys, and `kyoten::packet::open` on the same compact JWS. The first byte picks
//! how the rest is used:
//!
//! - 0: the rest is a compact JWS as received (nothing forges a signature, so this exercises
//!   everything before the signature check, and the seeds' valid packets after it);
//! - 1: the rest is `header 0x00 payload`, signed correctly with the ES256 test key: a right
//!   signature is never refused as a bad one, and whatever verifies is exactly the payload;
//! - 2: the rest is a payload under a valid `handoff+jws` header, signed: the payload reaches
//!   the strict JSON parser and `packet::open` past the signature.
use crate::{lookup, sign_compact, signing_key, split_at_byte};
use kyoten::contracts::json::parse_document;
use kyoten::crypto::jws::{same_media_type, verify, JwsError};
use kyoten::packet::open;
use serde_json::Value;

const TYP: &str = "handoff+jws";

/// Whether the header is one `verify` must accept for the test key.
fn header_acceptable(header: &[u8]) -> bool {
    let Ok(Value::Object(h)) = parse_document(header) else {
        return false;
    };
    h.get("alg").and_then(Value::as_str) == Some("ES256")
        && h.get("kid").and_then(Value::as_str) == Some(signing_key().kid.as_str())
        && h.get("typ")
            .and_then(Value::as_str)
            .is_some_and(|t| same_media_type(t, TYP))
        && !["jwk", "jku", "x5c", "x5u", "crit"]
            .iter()
            .any(|m| h.contains_key(*m))
}

/// Whether the header's `kid` is the test signing key's.
fn names_signing_key(header: &[u8]) -> bool {
    let Ok(Value::Object(h)) = parse_document(header) else {
        return false;
    };
    h.get("kid").and_then(Value::as_str) == Some(signing_key().kid.as_str())
}

fn signed(header: &[u8], payload: &[u8]) {
    let compact = sign_compact(header, payload);
    let result = verify(&compact, TYP, lookup);
    let expected = header_acceptable(header)
        .then(|| parse_document(payload).ok())
        .flatten();
    match (result, expected) {
        (Ok(v), Some(payload)) => {
            assert_eq!(
                v.payload, payload,
                "the verified payload is not the one signed"
            );
            assert_eq!(v.kid, signing_key().kid);
        }
        // Right only for the key that signed: a header naming another trusted key (a seed
        // signed by a second organization's key) is rightly a bad signature.
        (Err(JwsError::BadSignature | JwsError::Crypto(_)), _) if names_signing_key(header) => {
            panic!("a right signature was refused as a bad one")
        }
        (Ok(_), None) => panic!("a JWS with an unacceptable header or payload verified"),
        (Err(e), Some(_)) => panic!("an acceptable JWS was refused: {e}"),
        (Err(_), None) => {}
    }
    let _ = open(compact.as_bytes(), lookup);
}

/// One input: panics when a property does not hold.
pub fn run(data: &[u8]) {
    let header = format!(
        r#"{{"alg":"ES256","kid":"{}","typ":"{TYP}"}}"#,
        signing_key().kid
    );
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => {
            if let Ok(compact) = std::str::from_utf8(rest) {
                if let Ok(v) = verify(compact, TYP, lookup) {
                    assert!(lookup(&v.kid).is_some(), "verified by an unknown key");
                }
            }
            if let Ok(opened) = open(rest, lookup) {
                assert!(lookup(&opened.kid).is_some(), "opened by an unknown key");
            }
        }
        1 => {
            let (h, p) = split_at_byte(rest, 0);
            signed(h, p);
        }
        _ => signed(header.as_bytes(), rest),
    }
}
