//! The differential: what the validator reads of an XML document equals what a receiver
//! reads of what is delivered. For bytes that `xml::to_json_exact` maps with no finding and
//! no error, the JSON form written back as XML (`xml::to_xml`) maps to the same JSON value
//! with no finding; the exchange's own signed forms of that value (JWS over JCS, XMLDSig over
//! the written XML) open to the same value; and neither the validator nor the packet check
//! (`packet::check`) panics on any of them.
use crate::{lookup, now, signing_key};
use kyoten::contracts::DocumentType;
use kyoten::packet::check::{check, Lifetime, NoRecords, Purpose};
use kyoten::packet::{open, sign_jws, sign_xml, Verdict};
use kyoten::validation::Engine;
use kyoten::xml::{parse, to_json_exact, to_xml};

/// One input: panics when a property does not hold.
pub fn run(data: &[u8]) {
    let engine = Engine::get();
    let Ok(mapped) = to_json_exact(data, engine) else {
        return;
    };
    // The validator runs on every document the mapping reads, findings or not.
    let _ = engine.validate_at(None, &mapped.value, now().fixed_offset());
    if !mapped.findings.is_empty() {
        return;
    }
    let root = parse(data).expect("to_json_exact read it");
    let Some(doc_type) = DocumentType::parse(&root.name) else {
        return;
    };
    let _ = engine.validate_at(Some(doc_type), &mapped.value, now().fixed_offset());

    let written = to_xml(doc_type, &mapped.value, engine).expect("to_json_exact wrote it");
    let again = match to_json_exact(&written, engine) {
        Ok(again) => again,
        Err(e) => panic!("the written XML is not read exactly: {e:?}"),
    };
    let ids: Vec<_> = again.findings.iter().map(|f| f.id).collect();
    assert!(
        ids.is_empty(),
        "the written XML has mapping findings: {ids:?}"
    );
    assert_eq!(
        again.value, mapped.value,
        "the written XML reads another value"
    );

    let jws = sign_jws(doc_type, &mapped.value, signing_key()).expect("signs as JWS");
    let xml = sign_xml(doc_type, &mapped.value, signing_key()).expect("signs as XML");
    for packet in [jws.as_bytes(), xml.as_bytes()] {
        match open(packet, lookup) {
            // A document whose document_type names another type is not a packet.
            Err(r) if r.code == Verdict::WrongType => {}
            Err(r) => panic!("the exchange's own packet was refused: {r:?}"),
            Ok(opened) => {
                assert_eq!(
                    opened.document, mapped.value,
                    "the packet reads another value"
                )
            }
        }
        let Ok(_) = check(
            packet,
            lookup,
            &NoRecords,
            Purpose::Offline,
            Lifetime::default(),
            now(),
        );
    }
}
