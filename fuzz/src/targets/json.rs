//! The strict JSON parser, `kyoten::contracts::json::parse_document`: never panics; accepts
//! exactly what serde_json reads that has no BOM and no duplicate key (checked against an
//! independent reading that keeps every member); reads the value serde_json reads, numbers
//! as kyoten reads them; reads its own output back to the same value; and JCS of the bytes
//! (`jcs::canonical_bytes`) is idempotent.
use crate::{normalize_numbers, Tree};
use kyoten::contracts::json::{parse_document, JsonError};
use kyoten::crypto::jcs;

/// One input: panics when a property does not hold.
pub fn run(data: &[u8]) {
    let strict = parse_document(data);
    let tree = serde_json::from_slice::<Tree>(data);
    let bom = data.starts_with(b"\xEF\xBB\xBF");
    match (&strict, &tree) {
        (Ok(_), Ok(tree)) => {
            assert!(!tree.has_duplicate_key(), "a duplicate key was accepted");
            assert!(!bom, "a byte order mark was accepted");
        }
        (Ok(_), Err(e)) => panic!("accepted what serde_json refuses: {e}"),
        (Err(JsonError::DuplicateKey { .. }), Ok(tree)) => {
            assert!(
                tree.has_duplicate_key(),
                "refused as a duplicate key without one"
            )
        }
        (Err(JsonError::ByteOrderMark), _) => assert!(bom),
        (Err(e), Ok(tree)) => {
            assert!(
                bom || tree.has_duplicate_key(),
                "refused a document serde_json reads: {e}"
            )
        }
        (Err(_), Err(_)) => {}
    }
    let Ok(value) = strict else {
        return;
    };
    let plain: serde_json::Value = serde_json::from_slice(data).expect("serde_json reads it");
    assert_eq!(
        value,
        normalize_numbers(plain),
        "read another value than serde_json"
    );

    let written = serde_json::to_vec(&value).expect("a value serializes");
    assert_eq!(
        parse_document(&written).as_ref(),
        Ok(&value),
        "its own output reads back to another value"
    );

    let canonical = jcs::canonical_bytes(data).expect("JCS reads what parse_document read");
    let again = jcs::canonical_bytes(&canonical).expect("JCS reads its own output");
    assert!(again == canonical, "JCS is not idempotent");
}
