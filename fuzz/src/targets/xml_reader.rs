//! The hardened XML reader, `kyoten::xml::parse`: never panics; refuses every DOCTYPE; never
//! returns a tree deeper than its limit; and where the canonicalizer's parser (the one the
//! XML signature is checked with) also reads the document, both read the same tree, so a
//! signature never covers something other than what the mapping reads.
use crate::{first_difference, node_of_c14n, node_of_reader, Node};
use kyoten::xml::parse;

const MAX_DEPTH: usize = 64;

fn depth(n: &Node) -> usize {
    1 + n.children.iter().map(depth).max().unwrap_or(0)
}

/// Whether `<!DOCTYPE` (in any case) stands in the markup, skipping comments and CDATA
/// sections, where it is only text.
fn has_doctype(data: &[u8]) -> bool {
    let mut i = 0;
    while i < data.len() {
        let rest = &data[i..];
        let skip_to = |open: &[u8], close: &[u8]| {
            rest.starts_with(open).then(|| {
                rest[open.len()..]
                    .windows(close.len())
                    .position(|w| w == close)
                    .map_or(data.len(), |p| i + open.len() + p + close.len())
            })
        };
        if let Some(next) = skip_to(b"<!--", b"-->").or_else(|| skip_to(b"<![CDATA[", b"]]>")) {
            i = next;
        } else if rest.len() >= 9 && rest[..9].eq_ignore_ascii_case(b"<!DOCTYPE") {
            return true;
        } else {
            i += 1;
        }
    }
    false
}

/// One input: panics when a property does not hold.
pub fn run(data: &[u8]) {
    let Ok(root) = parse(data) else {
        return;
    };
    let tree = node_of_reader(&root);
    assert!(depth(&tree) <= MAX_DEPTH, "a tree deeper than the limit");

    // A document that is read becomes refused as soon as it carries a DOCTYPE: one
    // without declarations, one with an entity it uses, one with an external entity.
    let body = match std::str::from_utf8(data) {
        // The declaration must stay first; the DOCTYPE goes right after it.
        Ok(text) if text.starts_with("<?xml") => match text.find("?>") {
            Some(end) => (&text[..end + 2], &text[end + 2..]),
            None => return,
        },
        Ok(text) => ("", text),
        Err(_) => unreachable!("parse accepted non-UTF-8"),
    };
    for doctype in [
        "<!DOCTYPE r>",
        "<!DOCTYPE r [<!ENTITY a \"aaaa\">]>",
        "<!DOCTYPE r SYSTEM \"file:///etc/passwd\">",
        "\n<!doctype r>",
    ] {
        let with = format!("{}{}{}", body.0, doctype, body.1);
        if let Ok(read) = parse(with.as_bytes()) {
            panic!("a DOCTYPE was not refused: {read:?}");
        }
    }
    // Nor does a document that is read hold one anywhere, outside comments and CDATA.
    assert!(!has_doctype(data), "a document with a DOCTYPE was read");

    // The two readers agree wherever both read the document.
    if let Ok(doc) = kyoten::xml::c14n::Document::parse(data) {
        let signed = node_of_c14n(&doc, doc.root());
        if let Some(difference) = first_difference(&tree, &signed) {
            panic!("the reader and the canonicalizer read different trees: {difference}");
        }
    }
}
