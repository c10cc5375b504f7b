//! RFC 8785 JSON Canonicalization Scheme. `serde_json_canonicalizer` passes the official
//! vectors; what it cannot do is refuse duplicate keys (like every JSON crate it keeps the last),
//! so bytes from outside are read with the strict parser first.
use crate::contracts::json::{parse_document, JsonError};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The canonical bytes of a JSON value.
pub fn canonical(value: &Value) -> Vec<u8> {
    serde_json_canonicalizer::to_vec(value).expect("a serde_json::Value always serializes")
}

/// The canonical bytes of a JSON text; duplicate keys, a BOM or invalid UTF-8 are refused.
pub fn canonical_bytes(text: &[u8]) -> Result<Vec<u8>, JsonError> {
    Ok(canonical(&parse_document(text)?))
}

/// SHA-256 of the canonical form, lower-case hex: the same for the JSON and the XML form of a
/// packet.
pub fn sha256_hex(value: &Value) -> String {
    hex::encode(Sha256::digest(canonical(value)))
}

/// SHA-256 of exact bytes, lower-case hex (what a provision record keeps of a signed packet).
pub fn sha256_bytes_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sorted_by_utf16_code_units_and_whitespace_is_dropped() {
        // RFC 8785 §3.2.3: sorting by UTF-16 code units puts U+1F600 (a surrogate pair, D83D)
        // before U+FB33 (FB33), the reverse of their code point order.
        let text = "{ \"\u{FB33}\": 2, \"\u{1F600}\": 1, \"b\": [true, null], \"a\": \"x\" }";
        let out = String::from_utf8(canonical_bytes(text.as_bytes()).unwrap()).unwrap();
        assert_eq!(
            out,
            "{\"a\":\"x\",\"b\":[true,null],\"\u{1F600}\":1,\"\u{FB33}\":2}"
        );
    }

    #[test]
    fn numbers_are_written_as_ecmascript_does() {
        let text = br#"[1.0, 1e21, 0.000001, 1e-7, -0, 100, 3.14e2]"#;
        let out = String::from_utf8(canonical_bytes(text).unwrap()).unwrap();
        assert_eq!(out, "[1,1e+21,0.000001,1e-7,0,100,314]");
    }

    #[test]
    fn duplicate_keys_are_refused_before_anything_is_canonicalized() {
        assert!(canonical_bytes(br#"{"a": 1, "a": 2}"#).is_err());
    }
}
