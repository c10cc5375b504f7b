//! Rules for every document type: text in NFC, and every address's municipality code inside
//! its prefecture.
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
        Value::String(s) if !s.is_ascii() && !is_nfc(s) => {
            ctx.report(Finding::new("KY-TEXT-NFC", pointer(path)));
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                walk(item, path, ctx);
                path.pop();
            }
        }
        Value::Object(map) => {
            if let (Some(Value::String(pref)), Some(Value::String(code))) =
                (map.get("prefecture"), map.get("municipality_code"))
            {
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
            for (key, item) in map {
                path.push(Seg::Key(key));
                walk(item, path, ctx);
                path.pop();
            }
        }
        _ => {}
    }
}

fn is_nfc(s: &str) -> bool {
    match is_nfc_quick(s.chars()) {
        IsNormalized::Yes => true,
        IsNormalized::No => false,
        IsNormalized::Maybe => s.chars().eq(s.nfc()),
    }
}
