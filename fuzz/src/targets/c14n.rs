//! Exclusive C14N (`kyoten::xml::c14n`): never panics on any subset of any document it reads,
//! and is idempotent: the canonical form of a canonical form is itself, for the whole
//! document, for each element's subtree (what `ds:SignedInfo` is signed as) and for the
//! document without one element (the enveloped-signature transform).
use kyoten::xml::c14n::{canonicalize, Document, Subset};

/// Subsets beyond this many elements are left out: they add little and cost time.
const SUBSETS: usize = 16;

fn idempotent(form: &[u8], what: &str) {
    match canonicalize(form) {
        Ok(again) => assert!(again == form, "c14n is not idempotent ({what})"),
        Err(e) => panic!("c14n output is refused ({what}): {e}"),
    }
}

/// One input: panics when a property does not hold.
pub fn run(data: &[u8]) {
    let Ok(doc) = Document::parse(data) else {
        return;
    };
    let whole = doc.canonicalize(Subset::Document);
    idempotent(&whole, "document");
    assert!(
        doc.canonicalize(Subset::Element(doc.root())) == whole,
        "the root's subtree differs from the document"
    );
    let count = doc.elements().count();
    for id in 0..count.min(SUBSETS) {
        idempotent(&doc.canonicalize(Subset::Element(id)), "element subtree");
        if id != doc.root() {
            idempotent(
                &doc.canonicalize(Subset::DocumentWithout(id)),
                "document without an element",
            );
        }
    }
    // Ids the document does not have are no reason to panic.
    let _ = doc.canonicalize(Subset::Element(count));
    let _ = doc.canonicalize(Subset::DocumentWithout(count));
}
