//! RFC 8785 JSON Canonicalization Scheme. `serde_json_canonicalizer` passes the official
//! vectors; what it cannot do is refuse duplicate keys (like every JSON crate it keeps the last),
//! so bytes from outside are read with the strict parser first.
use crate::contracts::json::{parse_document, JsonError};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The canonical bytes of a JSON value.
///
/// Written out directly rather than through `serde_json_canonicalizer`'s serde formatter, which
/// costs about 12 µs per KB (it dominated signing a JWS); numbers other than integers of at most
/// 2^53 — the only ones the ECMAScript number format writes as plain digits without rounding —
/// still go through the crate, and a test checks that both agree on every conformance vector.
pub fn canonical(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(8192);
    write_value(&mut out, value);
    out
}

/// Integers up to this magnitude are exact in an IEEE double and printed as plain digits.
const EXACT_INTEGER: u64 = 1 << 53;

fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) if u <= EXACT_INTEGER => write_integer(out, false, u),
            (_, Some(i)) if i.unsigned_abs() <= EXACT_INTEGER => {
                write_integer(out, i < 0, i.unsigned_abs())
            }
            _ => out.extend(
                serde_json_canonicalizer::to_vec(value).expect("a JSON number always serializes"),
            ),
        },
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            // RFC 8785 §3.2.3: members sorted by the UTF-16 code units of their names. Without
            // characters beyond U+FFFF (4-byte UTF-8, surrogate pairs in UTF-16) that is the
            // byte order of the UTF-8 names, the order serde_json's map (a BTreeMap without
            // the `preserve_order` feature; a test checks) iterates in. So the members are
            // written in one pass as they come; only if a name is astral is that undone and
            // the members sorted.
            let start = out.len();
            let mut in_order = true;
            for (i, (name, item)) in map.iter().enumerate() {
                if is_astral(name) {
                    in_order = false;
                    break;
                }
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, name);
                out.push(b':');
                write_value(out, item);
            }
            if !in_order {
                out.truncate(start);
                let mut members: Vec<(&String, &Value)> = map.iter().collect();
                members.sort_unstable_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
                for (i, (name, item)) in members.into_iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_string(out, name);
                    out.push(b':');
                    write_value(out, item);
                }
            }
            out.push(b'}');
        }
    }
}

fn write_integer(out: &mut Vec<u8>, negative: bool, mut n: u64) {
    if negative && n != 0 {
        out.push(b'-');
    }
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// RFC 8785 §3.2.2.2: `"` and `\` escaped, control characters as the short escapes or
/// `\u00xx` (lower-case hex), everything else as it is.
fn write_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    if !needs_escape(bytes) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[from..i]);
        if short.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(b >> 4) as usize]);
            out.push(HEX[(b & 0xf) as usize]);
        } else {
            out.extend_from_slice(short);
        }
        from = i + 1;
    }
    out.extend_from_slice(&bytes[from..]);
    out.push(b'"');
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether some byte of `word` is below `n` (n ≤ 128), eight bytes at once ("hasless" of Sean
/// Anderson's bit hacks: exact for whether any byte is, not for which).
fn has_less(word: u64, n: u8) -> bool {
    word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS != 0
}

/// Whether some byte of `word` equals `b`.
fn has_byte(word: u64, b: u8) -> bool {
    has_less(word ^ (ONES * u64::from(b)), 1)
}

/// Whether any byte must be escaped: a control character, `"` or `\\`. Eight bytes at a time:
/// nearly every string needs no escape at all.
fn needs_escape(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    for chunk in &mut words {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        if has_less(w, 0x20) || has_byte(w, b'"') || has_byte(w, b'\\') {
            return true;
        }
    }
    words
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// Whether a name has a character beyond U+FFFF (a 4-byte UTF-8 sequence starts with 0xF0–0xF4).
fn is_astral(name: &str) -> bool {
    !name.is_ascii() && name.bytes().any(|b| b >= 0xF0)
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
    fn the_direct_writer_agrees_with_serde_json_canonicalizer() {
        let reference = |v: &Value| serde_json_canonicalizer::to_vec(v).unwrap();
        let tricky = serde_json::json!({
            "\u{FB33}": 1, "\u{1F600}": 2, "\u{E000}": 3, "é": 4, "b": 5, "": 6, "B": 7,
            "s": "q\"b\\n\nr\rt\tx\u{8}\u{c}\u{0}\u{1f}\u{7f}\u{2028}あ😀</>",
            "n": [0, -0.0, 1.0, -1, 9007199254740992_u64, 9007199254740993_u64, -9007199254740993_i64,
                  18446744073709551615_u64, 1e21, 1e-7, 0.1, 123.456, -5e-324, 1.7976931348623157e308],
            "nested": [{"z": null, "a": [true, false, {}], "m": []}]
        });
        assert_eq!(canonical(&tricky), reference(&tricky));
        // Names equal in their first 8 bytes, a NUL, and more members than fit on the stack.
        let mut many = serde_json::Map::new();
        for name in [
            "abcdefgh1",
            "abcdefgh0",
            "abcdefgh",
            "abcdefg",
            "a\u{0}",
            "a",
            "\u{7f}",
        ] {
            many.insert(name.into(), Value::Null);
        }
        for i in (0..20).rev() {
            many.insert(format!("k{i:02}"), serde_json::json!(i));
        }
        let many = Value::Object(many);
        assert_eq!(canonical(&many), reference(&many));
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/conformance/vectors");
        let mut stack = vec![std::path::PathBuf::from(root)];
        let mut seen = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "json") {
                    let Ok(value) = serde_json::from_slice::<Value>(&std::fs::read(&path).unwrap())
                    else {
                        continue;
                    };
                    assert_eq!(canonical(&value), reference(&value), "{}", path.display());
                    seen += 1;
                }
            }
        }
        assert!(seen > 20, "{seen} vectors");
    }

    #[test]
    fn the_word_at_a_time_checks_find_every_byte_they_look_for() {
        for len in 0..20 {
            for at in 0..len {
                for (b, escaped) in [(0u8, true), (0x1f, true), (b'"', true), (b'\\', true)] {
                    let mut bytes = vec![b'x'; len];
                    bytes[at] = b;
                    assert_eq!(needs_escape(&bytes), escaped, "{b:#x} at {at} of {len}");
                }
            }
            assert!(!needs_escape(&vec![b'x'; len]));
        }
        let plain = "日本語のテキスト、\u{7f}と\u{FFFF}も".to_owned();
        assert!(!needs_escape(plain.as_bytes()));
        assert!(!is_astral(&plain));
        assert!(is_astral("name😀"));
        assert!(!is_astral("name"));
    }

    #[test]
    fn json_maps_iterate_in_the_byte_order_of_their_names() {
        // The canonical writer relies on it; serde_json's `preserve_order` feature, switched
        // on by any dependency, would keep insertion order instead.
        let map = serde_json::json!({"b": 1, "a": 2, "B": 3, "é": 4, "aa": 5});
        let names: Vec<&String> = map.as_object().unwrap().keys().collect();
        assert_eq!(names, ["B", "a", "aa", "b", "é"]);
    }

    #[test]
    fn duplicate_keys_are_refused_before_anything_is_canonicalized() {
        assert!(canonical_bytes(br#"{"a": 1, "a": 2}"#).is_err());
    }
}
