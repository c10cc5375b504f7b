//! Strict JSON parsing for documents.
//!
//! serde_json keeps the last of duplicate keys silently; a document whose meaning depends on
//! which duplicate a reader keeps is refused here instead. The visitor builds the same
//! `serde_json::Value` that `serde_json::from_slice` would, except that a number with an
//! integral value is always an integer (see [`number`]).
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// Why a body is not a JSON document at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonError {
    /// The body starts with a UTF-8 byte order mark (documents are BOM-less UTF-8).
    ByteOrderMark,
    /// The body is not UTF-8.
    InvalidUtf8 { line: usize, column: usize },
    /// Nesting deeper than the parser accepts.
    TooDeep { line: usize, column: usize },
    /// An object has the same key twice.
    DuplicateKey { line: usize, column: usize },
    /// Any other syntax error or an empty body.
    Syntax { line: usize, column: usize },
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::ByteOrderMark => write!(f, "starts with a byte order mark"),
            JsonError::InvalidUtf8 { line, column } => {
                write!(f, "not UTF-8 (line {line}, column {column})")
            }
            JsonError::TooDeep { line, column } => {
                write!(f, "nested too deeply (line {line}, column {column})")
            }
            JsonError::DuplicateKey { line, column } => {
                write!(f, "duplicate key (line {line}, column {column})")
            }
            JsonError::Syntax { line, column } => {
                write!(f, "not well-formed JSON (line {line}, column {column})")
            }
        }
    }
}

impl std::error::Error for JsonError {}

/// The JSON value of a number read as a double. A number with an integral value (`3.0`,
/// `3e0`) is the integer it equals: JSON has one number type (RFC 8259 §6, I-JSON), JSON Schema
/// counts `3.0` as an integer, and the JCS form of both is `3`. Reading it as an integer here
/// means every later reader (the store, the XML writer, `as_i64`) sees the value the validator
/// checked. Only values an IEEE double holds exactly (|v| ≤ 2^53) are converted.
pub fn number(v: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if v.fract() == 0.0 && v.abs() <= EXACT {
        // In range and integral, so the conversion is exact; -0.0 becomes 0.
        return Value::from(v as i64);
    }
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

const DUPLICATE_MARKER: &str = "kyoten:duplicate-key";

struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(number(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element_seed(StrictValue)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(StrictValue)?;
            if out.insert(key, value).is_some() {
                return Err(de::Error::custom(DUPLICATE_MARKER));
            }
        }
        Ok(Value::Object(out))
    }
}

/// Parses one JSON document, refusing a BOM and duplicate keys.
pub fn parse_document(bytes: &[u8]) -> Result<Value, JsonError> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        return Err(JsonError::ByteOrderMark);
    }
    // The whole body is checked as UTF-8 once (std's check runs over long stretches at a
    // time); serde_json's str reader then does not check each string again, as its byte
    // reader would.
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = position(bytes, e.valid_up_to());
        JsonError::InvalidUtf8 { line, column }
    })?;
    let mut de = serde_json::Deserializer::from_str(text);
    let value = StrictValue
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|_| v));
    value.map_err(|e| classify(&e))
}

/// The line and column (both from 1, the column in bytes, as serde_json counts) of byte `at`.
fn position(bytes: &[u8], at: usize) -> (usize, usize) {
    let before = &bytes[..at.min(bytes.len())];
    let line = 1 + memchr::memchr_iter(b'\n', before).count();
    let column = 1 + before.len() - memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    (line, column)
}

fn classify(e: &serde_json::Error) -> JsonError {
    let (line, column) = (e.line(), e.column());
    let text = e.to_string();
    if text.starts_with(DUPLICATE_MARKER) {
        JsonError::DuplicateKey { line, column }
    } else if text.starts_with("recursion limit exceeded") {
        JsonError::TooDeep { line, column }
    } else {
        JsonError::Syntax { line, column }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_document_parses_like_serde_json() {
        let raw = br#"{"a":[1,2.5,"x",null,true],"b":{"c":"d"}}"#;
        assert_eq!(
            parse_document(raw).unwrap(),
            serde_json::from_slice::<Value>(raw).unwrap()
        );
    }

    #[test]
    fn a_number_with_an_integral_value_is_read_as_that_integer() {
        let doc =
            parse_document(br#"[3.0, 3e0, -0.0, 1.5, 1e300, 9007199254740992.0, 4]"#).unwrap();
        let items = doc.as_array().unwrap();
        assert_eq!(items[0].as_i64(), Some(3));
        assert_eq!(items[1].as_i64(), Some(3));
        assert_eq!(items[2].as_i64(), Some(0));
        assert_eq!(items[3].as_f64(), Some(1.5));
        assert!(items[4].as_i64().is_none(), "beyond 2^53 stays a double");
        assert_eq!(items[5].as_i64(), Some(9_007_199_254_740_992));
        assert_eq!(items[6].as_i64(), Some(4));
    }

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        assert!(matches!(
            parse_document(br#"{"a":1,"a":2}"#),
            Err(JsonError::DuplicateKey { .. })
        ));
        assert!(matches!(
            parse_document(br#"{"a":{"b":1,"b":1}}"#),
            Err(JsonError::DuplicateKey { .. })
        ));
    }

    #[test]
    fn a_byte_order_mark_is_refused() {
        assert_eq!(
            parse_document(b"\xEF\xBB\xBF{}"),
            Err(JsonError::ByteOrderMark)
        );
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing_the_stack() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(matches!(
            parse_document(deep.as_bytes()),
            Err(JsonError::TooDeep { .. })
        ));
    }

    #[test]
    fn invalid_utf8_is_reported_as_such_where_it_is() {
        assert_eq!(
            parse_document(b"{\"a\":\"\xff\"}"),
            Err(JsonError::InvalidUtf8 { line: 1, column: 7 })
        );
        assert_eq!(
            parse_document(b"{\n  \"a\": \"\xe3\x81\x82\xff\"\n}"),
            Err(JsonError::InvalidUtf8 {
                line: 2,
                column: 12
            })
        );
        // Outside a string too: the body is not text at all.
        assert!(matches!(
            parse_document(b"{} \xff"),
            Err(JsonError::InvalidUtf8 { .. })
        ));
    }

    #[test]
    fn trailing_garbage_is_a_syntax_error() {
        assert!(matches!(
            parse_document(b"{} x"),
            Err(JsonError::Syntax { .. })
        ));
        assert!(matches!(parse_document(b""), Err(JsonError::Syntax { .. })));
    }
}
