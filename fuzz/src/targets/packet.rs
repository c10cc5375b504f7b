//! `kyoten::packet::open` and the one packet check (`kyoten::packet::check::check`) on XML
//! and JWS packets, with the conformance vectors' fixed test keys. The first byte picks how
//! the rest is used:
//!
//! - 0: the rest is a packet as received, opened and checked offline and for `/v1/verify`;
//! - 1: the rest is an XML document, signed with the ES256 test key (`xmldsig::sign`): what
//!   kyoten signed verifies, and the signed packet reads exactly as the unsigned document
//!   does (`xml::to_json_exact`), through `open` and through the check.
use crate::{lookup, now, signing_key};
use kyoten::crypto::xmldsig;
use kyoten::packet::check::{check, Lifetime, NoRecords, Org, Purpose};
use kyoten::packet::{open, Verdict};
use kyoten::validation::Engine;
use kyoten::xml::to_json_exact;

fn ids(findings: &[kyoten::validation::Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.id).collect()
}

fn check_all(bytes: &[u8]) {
    let caller = Org {
        id: "0410100101",
        role: "facility",
    };
    for purpose in [Purpose::Offline, Purpose::Verify { caller }] {
        let Ok(result) = check(
            bytes,
            lookup,
            &NoRecords,
            purpose,
            Lifetime::default(),
            now(),
        );
        if let Ok(checked) = result {
            assert!(
                lookup(&checked.opened.kid).is_some(),
                "checked with an unknown key"
            );
        }
    }
}

/// One input: panics when a property does not hold.
pub fn run(data: &[u8]) {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        if let Ok(opened) = open(rest, lookup) {
            assert!(lookup(&opened.kid).is_some(), "opened with an unknown key");
        }
        check_all(rest);
        return;
    }
    let Ok(signed) = xmldsig::sign(rest, signing_key()) else {
        return;
    };
    if let Err(e) = xmldsig::verify(&signed, lookup) {
        panic!("a document kyoten signed does not verify: {e}");
    }
    let unsigned = to_json_exact(rest, Engine::get());
    match (open(&signed, lookup), unsigned) {
        (Ok(opened), Ok(mapped)) => {
            assert_eq!(opened.document, mapped.value, "signing changed the content");
            assert_eq!(ids(&opened.mapping), ids(&mapped.findings));
        }
        (Err(refusal), Err(_)) => assert!(
            matches!(refusal.code, Verdict::Malformed | Verdict::UnmappableXml),
            "a document kyoten signed was refused: {refusal:?}"
        ),
        (opened, unsigned) => panic!(
            "the signed and the unsigned document read differently: {:?} / {:?}",
            opened.map(|o| o.document),
            unsigned.map(|m| m.value)
        ),
    }
    check_all(&signed);
}
