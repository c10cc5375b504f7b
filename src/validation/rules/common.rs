//! Rules for every document type: text in NFC and without characters XML 1.0 cannot carry,
//! and every address's municipality code inside its prefecture.
use super::Context;
use crate::validation::schema_errors::escape;
use crate::validation::Finding;
use serde_json::Value;
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

pub fn check(ctx: &mut Context<'_>) {
    let doc = ctx.doc;
    let mut path = Vec::new();
    walk(doc, &mut path, ctx);
}

/// Builds the pointer only when a finding needs it, so the walk allocates nothing otherwise.
fn pointer(path: &[Seg<'_>]) -> String {
    let mut out = String::new();
    for seg in path {
        out.push('/');
        match seg {
            Seg::Key(k) => out.push_str(&escape(k)),
            Seg::Index(i) => out.push_str(&i.to_string()),
        }
    }
    out
}

fn walk<'v>(v: &'v Value, path: &mut Vec<Seg<'v>>, ctx: &mut Context<'_>) {
    match v {
        Value::String(s) => {
            // Every document has an XML form (and every packet is signed in both), so text
            // that XML 1.0 cannot carry is refused here rather than failing at signing time.
            if !is_xml_text(s) {
                ctx.report(Finding::new("KY-FORMAT-CONTROL-CHARACTER", pointer(path)));
            }
            if !s.is_ascii() && !is_nfc(s) {
                ctx.report(Finding::new("KY-TEXT-NFC", pointer(path)));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                walk(item, path, ctx);
                path.pop();
            }
        }
        Value::Object(map) => {
            if let Some(Value::String(code)) = map.get("municipality_code") {
                if let Some(Value::String(pref)) = map.get("prefecture") {
                    if code.len() == 6 && pref.len() == 2 && !code.starts_with(pref.as_str()) {
                        let here = pointer(path);
                        ctx.report(
                            Finding::new(
                                "KY-ADDR-PREFECTURE-MISMATCH",
                                format!("{here}/municipality_code"),
                            )
                            .label_at(here),
                        );
                    }
                }
            }
            for (key, item) in map {
                path.push(Seg::Key(key));
                walk(item, path, ctx);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Whether every character of `s` is a character XML 1.0 allows (its `Char` production):
/// no C0 control other than tab, line feed and carriage return, and neither U+FFFE nor U+FFFF.
/// (A Rust string holds no lone surrogate, and strict JSON parsing refuses `\uD800` alone.)
pub fn is_xml_text(s: &str) -> bool {
    // U+FFFE and U+FFFF are EF BF BE / EF BF BF in UTF-8.
    let bytes = s.as_bytes();
    // Most text has neither a control byte nor 0xEF: looked for 16 bytes at a time without a
    // branch per byte (the compiler vectorizes the fold), and only then byte by byte.
    let suspect = bytes.chunks(16).any(|chunk| {
        chunk
            .iter()
            .fold(false, |seen, &b| seen | (b < 0x20) | (b == 0xEF))
    });
    if !suspect {
        return true;
    }
    !bytes.iter().enumerate().any(|(i, &b)| {
        (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
            || (b == 0xEF
                && bytes.get(i + 1) == Some(&0xBF)
                && matches!(bytes.get(i + 2), Some(0xBE | 0xBF)))
    })
}

fn is_nfc(s: &str) -> bool {
    if s.chars().all(always_nfc) {
        return true;
    }
    match is_nfc_quick(s.chars()) {
        IsNormalized::Yes => true,
        IsNormalized::No => false,
        IsNormalized::Maybe => s.chars().eq(s.nfc()),
    }
}

/// Characters with canonical combining class 0 and NFC_Quick_Check=Yes in the blocks Japanese
/// text uses, so a string made only of them is NFC without table look-ups. Everything else goes
/// through the full quick check. Excluded on purpose: U+3099/U+309A (combining voiced marks),
/// U+302A–U+302F (tone marks), U+F900–U+FAFF (compatibility ideographs, which NFC changes).
fn always_nfc(c: char) -> bool {
    matches!(c,
        '\u{0000}'..='\u{02FF}'
        | '\u{3000}'..='\u{3029}'
        | '\u{3030}'..='\u{3096}'
        | '\u{309B}'..='\u{30FF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{FF01}'..='\u{FFEF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_path_agrees_with_the_full_check_on_every_character_it_accepts() {
        for c in (0u32..=0xFFFF)
            .filter_map(char::from_u32)
            .filter(|c| always_nfc(*c))
        {
            let s = c.to_string();
            assert_eq!(
                is_nfc_quick(s.chars()),
                IsNormalized::Yes,
                "U+{:04X}",
                c as u32
            );
            assert_eq!(
                unicode_normalization::char::canonical_combining_class(c),
                0,
                "U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn text_xml_cannot_carry_is_told_apart_from_text_it_can() {
        for ok in [
            "",
            "a\tb\nc\r",
            "仙台市",
            "\u{7F}\u{85}",
            "\u{FFFD}",
            "\u{10000}",
            "\u{EFFF}\u{FFEF}",
        ] {
            assert!(is_xml_text(ok), "{ok:?}");
        }
        for bad in [
            "\u{0}",
            "a\u{1}b",
            "\u{1F}",
            "\u{B}",
            "\u{C}",
            "x\u{FFFE}",
            "\u{FFFF}",
        ] {
            assert!(!is_xml_text(bad), "{bad:?}");
        }
    }

    #[test]
    fn decomposed_kana_is_not_nfc() {
        assert!(!is_nfc("\u{30AB}\u{3099}"));
        assert!(is_nfc("\u{30AC}"));
        assert!(is_nfc("仙台市青葉区"));
    }
}
