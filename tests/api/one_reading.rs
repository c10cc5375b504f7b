//! One strict reading of every signed packet: what the exchange checks is what it stores and
//! delivers, on every path (validate, verify online and offline, submit); the timestamps and
//! values of a sender-signed packet hold against the stored registration; numbers and text
//! have one form in JSON and XML.
use crate::fixtures::*;
use crate::handoffs::{
    exchange, jwks, own_packet, provisions, register, register_key, request, submit, FACILITY,
};
use crate::helpers::*;
use kyoten::conformance::signing::{Attack, Keys};
use kyoten::contracts::DocumentType;
use kyoten::crypto::jws::{self, SigningKey};
use kyoten::crypto::{jcs, keys, xmldsig};
use kyoten::domain::handoff::new_id;
use kyoten::packet::{self, Form};
use kyoten::validation::Engine;
use reqwest::blocking::Response;
use serde_json::{json, Value};

/// `own_packet` with a fresh id.
fn fresh_packet(reg: &str, version: i64) -> Value {
    let mut doc = own_packet(reg, version);
    doc["handoff_id"] = json!(new_id());
    doc
}

/// The XML form of `doc` changed by `edit`, then validly signed by `key`.
fn signed_xml_edited(doc: &Value, key: &SigningKey, edit: impl Fn(&str) -> String) -> Vec<u8> {
    let xml = kyoten::xml::to_xml(DocumentType::Handoff, doc, Engine::get()).unwrap();
    let edited = edit(std::str::from_utf8(&xml).unwrap());
    xmldsig::sign(edited.as_bytes(), key).unwrap()
}

fn body(r: Response) -> Value {
    r.json().unwrap()
}

fn report_ids(report: &Value) -> Vec<String> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn an_xml_packet_with_a_second_subject_holding_the_household_is_refused_on_every_path() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let key = register_key(&s, "office");
    let doc = fresh_packet(&reg, 1);
    let bytes = signed_xml_edited(&doc, &key, |xml| {
        xml.replacen(
            "</subject>",
            "</subject><subject><household><relationship>mother</relationship></household></subject>",
            1,
        )
    });

    // Validation calls it invalid.
    let r = s.post_bytes(
        "office",
        "/v1/validate/handoff",
        "application/xml",
        bytes.clone(),
    );
    let report = body(r);
    assert_eq!(report["valid"], false);
    assert!(
        report_ids(&report).contains(&"KY-XML-REPEATED-ELEMENT".to_owned()),
        "{report}"
    );

    // Submitting it is refused with the report, and nothing is stored.
    let r = s.post_bytes("office", "/v1/handoffs", "application/xml", bytes.clone());
    assert_eq!(r.status(), 422);
    let problem = body(r);
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .ends_with("/invalid-document"),
        "{problem}"
    );
    assert!(report_ids(&problem["report"]).contains(&"KY-XML-REPEATED-ELEMENT".to_owned()));
    assert!(provisions(&s, &reg).is_empty());
    let r = s.get(
        FACILITY,
        &format!("/v1/handoffs/{}", doc["handoff_id"].as_str().unwrap()),
        "application/xml",
    );
    assert_eq!(r.status(), 404, "nothing to deliver");

    // Verifying it online gives invalid_content with the mapping's finding.
    let v = body(s.post_bytes(FACILITY, "/v1/verify", "application/xml", bytes.clone()));
    assert_eq!(v["valid"], false, "{v}");
    assert_eq!(v["verdict"], "invalid_content");
    assert!(
        report_ids(&v["report"]).contains(&"KY-XML-REPEATED-ELEMENT".to_owned()),
        "{v}"
    );

    // And offline.
    let dir = tempfile::tempdir().unwrap();
    let jwk = keys::to_jwk(&keys::verifying_key(&key).unwrap()).unwrap();
    std::fs::write(
        dir.path().join("jwks.json"),
        json!({"keys": [jwk]}).to_string(),
    )
    .unwrap();
    std::fs::write(dir.path().join("packet.xml"), &bytes).unwrap();
    let out = kyoten()
        .current_dir(dir.path())
        .args([
            "verify",
            "--jwks",
            "jwks.json",
            "--output",
            "json",
            "packet.xml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["verdict"], "invalid_content", "{line}");
    assert!(line["findings"]
        .as_array()
        .unwrap()
        .contains(&json!("KY-XML-REPEATED-ELEMENT")));
}

#[test]
fn comments_and_attributes_in_a_signed_xml_packet_are_refused_not_skipped() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let key = register_key(&s, "office");
    for (edit, id) in [
        (
            ("<subject>", "<subject><!-- household: mother -->"),
            "KY-XML-COMMENT",
        ),
        (
            ("<subject>", "<subject household=\"mother\">"),
            "KY-XML-ATTRIBUTE",
        ),
    ] {
        let doc = fresh_packet(&reg, 1);
        let bytes = signed_xml_edited(&doc, &key, |xml| xml.replacen(edit.0, edit.1, 1));
        let r = s.post_bytes("office", "/v1/handoffs", "application/xml", bytes);
        assert_eq!(r.status(), 422, "{id}");
        let problem = body(r);
        assert!(
            report_ids(&problem["report"]).contains(&id.to_owned()),
            "{problem}"
        );
    }
    assert!(provisions(&s, &reg).is_empty());
}

/// Registers `key`'s public JWK as `org`'s.
fn register_public(s: &TestServer, org: &str, key: &SigningKey) {
    let jwk = keys::to_jwk(&keys::verifying_key(key).unwrap()).unwrap();
    let r = s.post_json(org, "/v1/keys", &jwk);
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
}

fn submit_form(s: &TestServer, bytes: &[u8]) -> Response {
    let content_type = match Form::sniff(bytes) {
        Form::Jws => "application/jose",
        Form::Xml => "application/xml",
    };
    s.post_bytes("office", "/v1/handoffs", content_type, bytes.to_vec())
}

#[test]
fn every_attack_is_refused_on_submission_and_what_is_accepted_is_delivered_as_checked() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let keys = Keys::generate().unwrap();
    for key in keys.trusted() {
        register_public(&s, "office", key);
    }
    for attack in Attack::ALL {
        let doc = fresh_packet(&reg, 1);
        let bytes = attack.build(&doc, &keys).unwrap();
        let r = submit_form(&s, &bytes);
        let status = r.status().as_u16();
        assert!(
            (400..500).contains(&status),
            "{} was answered {status}: {}",
            attack.name(),
            r.text().unwrap()
        );
    }
    assert!(provisions(&s, &reg).is_empty(), "no attack was stored");

    let trusted = jwks(&s);
    let lookup = |kid: &str| trusted.iter().find(|k| k.kid == kid).cloned();
    let signed = [
        (Form::Jws, &keys.es256),
        (Form::Jws, &keys.ed25519),
        (Form::Jws, &keys.ps256),
        (Form::Jws, &keys.rs256),
        (Form::Xml, &keys.es256),
        (Form::Xml, &keys.rs256),
    ];
    for (form, key) in signed {
        let doc = fresh_packet(&reg, 1);
        let id = doc["handoff_id"].as_str().unwrap().to_owned();
        let bytes =
            kyoten::conformance::signing::sign(form, DocumentType::Handoff, &doc, key).unwrap();
        let r = submit_form(&s, &bytes);
        assert_eq!(
            r.status(),
            201,
            "{form:?} {:?}: {}",
            key.alg,
            r.text().unwrap()
        );
        let checked = jcs::sha256_hex(&doc);
        for (accept, delivered_form) in [
            ("application/jose", Form::Jws),
            ("application/xml", Form::Xml),
        ] {
            let r = s.get(FACILITY, &format!("/v1/handoffs/{id}"), accept);
            assert_eq!(r.status(), 200);
            let header = r.headers()["kyoten-content-sha256"]
                .to_str()
                .unwrap()
                .to_owned();
            let delivered = r.bytes().unwrap().to_vec();
            if delivered_form == form {
                assert_eq!(
                    delivered, bytes,
                    "the submitted form is delivered byte for byte"
                );
            }
            // The delivered bytes read, by the one strict reading, as exactly what was checked.
            let opened = packet::open(&delivered, lookup).unwrap();
            assert!(opened.mapping.is_empty(), "{:?}", opened.mapping);
            assert_eq!(opened.document, doc, "{accept}");
            assert_eq!(opened.content_sha256, checked);
            assert_eq!(header, checked);
        }
    }
}

#[test]
fn a_sender_signed_packet_must_be_current_true_to_the_registration_and_within_its_lifetime() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let key = register_key(&s, "office");
    let sign = |doc: &Value| jws::sign(doc, "handoff+jws", &key).unwrap();
    let refused = |doc: &Value, verdict: &str| {
        let r = submit(&s, "office", &sign(doc));
        assert_eq!(r.status(), 422, "{verdict}");
        let p = body(r);
        assert!(
            p["type"].as_str().unwrap().ends_with("/packet-refused"),
            "{p}"
        );
        assert_eq!(p["verdict"], verdict, "{p}");
    };
    refused(&fresh_packet(&reg, 2), "version_not_current");
    let mut changed = fresh_packet(&reg, 1);
    changed["subject"]["registrant"]["birth_date"] = json!("1950-01-01");
    refused(&changed, "subject_mismatch");
    let mut ahead = fresh_packet(&reg, 1);
    ahead["issued_at"] = json!((chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339());
    refused(&ahead, "issued_in_future");
    let mut long = fresh_packet(&reg, 1);
    long["expires_at"] = json!((chrono::Utc::now() + chrono::Duration::days(31)).to_rfc3339());
    refused(&long, "lifetime_too_long");
    assert!(provisions(&s, &reg).is_empty());

    // A packet may leave fields out, as long as what it carries is the registration's.
    let mut fewer = fresh_packet(&reg, 1);
    fewer["subject"]["registrant"]
        .as_object_mut()
        .unwrap()
        .remove("phones");
    let r = submit(&s, "office", &sign(&fewer));
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());

    // A composed packet has the same bound.
    let mut req = request(&reg, FACILITY);
    req["expires_at"] = json!((chrono::Utc::now() + chrono::Duration::days(40)).to_rfc3339());
    let r = s.post_json("office", "/v1/handoffs", &req);
    assert_eq!(r.status(), 422);
    assert_eq!(body(r)["verdict"], "lifetime_too_long");
}

#[test]
fn a_registration_change_makes_earlier_sender_signed_packets_stale() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let key = register_key(&s, "office");
    let doc: Value = client()
        .get(s.url(&format!("/v1/registrations/{reg}")))
        .bearer_auth(s.key("office"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let r = client()
        .put(s.url(&format!("/v1/registrations/{reg}")))
        .bearer_auth(s.key("office"))
        .header("If-Match", "\"1\"")
        .json(&doc)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    let r = submit(
        &s,
        "office",
        &jws::sign(&fresh_packet(&reg, 1), "handoff+jws", &key).unwrap(),
    );
    assert_eq!(r.status(), 422);
    assert_eq!(body(r)["verdict"], "version_not_current");
    let r = submit(
        &s,
        "office",
        &jws::sign(&fresh_packet(&reg, 2), "handoff+jws", &key).unwrap(),
    );
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
}

#[test]
fn the_typ_header_is_compared_as_a_media_type() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let key = register_key(&s, "office");
    for typ in ["application/handoff+jws", "HANDOFF+JWS"] {
        let compact = jws::sign(&fresh_packet(&reg, 1), typ, &key).unwrap();
        let r = submit(&s, "office", &compact);
        assert_eq!(r.status(), 201, "{typ}: {}", r.text().unwrap());
        let v = body(s.post_bytes(
            FACILITY,
            "/v1/verify",
            "application/jose",
            compact.into_bytes(),
        ));
        assert_eq!(v["verdict"], "valid", "{typ}: {v}");
    }
}

#[test]
fn a_number_written_with_a_fraction_is_the_integer_it_equals_in_every_form() {
    let s = exchange();
    // A facility record with "capacity": 4.0 is stored, and read back as 4.
    let doc = facility(FACILITY, "青葉区", "A", vec![service("short_stay", 1, &[])]);
    let text = doc
        .to_string()
        .replace("\"capacity\":4", "\"capacity\":4.0");
    assert!(text.contains("4.0"));
    let r = client()
        .put(s.url(&format!("/v1/facilities/{FACILITY}")))
        .bearer_auth(s.key(FACILITY))
        .header("Content-Type", "application/json")
        .body(text)
        .send()
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    let stored: Value = body(
        client()
            .get(s.url(&format!("/v1/facilities/{FACILITY}")))
            .bearer_auth(s.key(FACILITY))
            .send()
            .unwrap(),
    );
    assert_eq!(stored["services"][0]["capacity"], json!(4));
    assert!(stored["services"][0]["capacity"].is_i64());

    // A JWS whose payload says "version": 1.0: stored, and both forms verify.
    let reg = register(&s, "office", None);
    let key = register_key(&s, "office");
    let doc = fresh_packet(&reg, 1);
    let id = doc["handoff_id"].as_str().unwrap().to_owned();
    let payload = String::from_utf8(jcs::canonical(&doc))
        .unwrap()
        .replace("\"version\":1", "\"version\":1.0");
    assert!(payload.contains("\"version\":1.0"));
    let compact = crate::handoffs::raw_es256(
        &json!({"alg": "ES256", "kid": key.kid, "typ": "handoff+jws"}),
        payload.as_bytes(),
        &key,
    );
    let r = submit(&s, "office", &compact);
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    for (accept, content_type) in [
        ("application/jose", "application/jose"),
        ("application/xml", "application/xml"),
    ] {
        let bytes = s
            .get(FACILITY, &format!("/v1/handoffs/{id}"), accept)
            .bytes()
            .unwrap()
            .to_vec();
        let v = body(s.post_bytes(FACILITY, "/v1/verify", content_type, bytes));
        assert_eq!(v["verdict"], "valid", "{accept}: {v}");
    }
}

#[test]
fn text_that_xml_cannot_carry_is_refused_before_anything_is_stored() {
    let s = exchange();
    let mut doc = registration_from("office");
    doc["reason_note"] = json!("介護者が入院\u{1}した");
    let r = s.post_json("office", "/v1/registrations", &doc);
    assert_eq!(r.status(), 422);
    let problem = body(r);
    assert!(
        report_ids(&problem["report"]).contains(&"KY-FORMAT-CONTROL-CHARACTER".to_owned()),
        "{problem}"
    );
    assert!(
        !problem.to_string().contains("介護者が入院"),
        "the value is never echoed"
    );
    let list = body(
        client()
            .get(s.url("/v1/registrations"))
            .bearer_auth(s.key("kikan-1"))
            .send()
            .unwrap(),
    );
    assert!(list["items"].as_array().unwrap().is_empty(), "{list}");
}

#[test]
fn verify_answers_consent_questions_only_about_registrations_the_caller_may_read() {
    let s = exchange();
    // office's registration lets facilities see identity and contact only.
    let narrow = narrow_consent();
    let reg = register(&s, "office", Some(narrow));
    // Another office signs a packet about it, carrying more than the consent permits.
    let key = register_key(&s, "other-office");
    let mut doc = fresh_packet(&reg, 1);
    doc["sender"] = json!({"organization_id": "other-office", "role": "consultation_office"});
    let compact = jws::sign(&doc, "handoff+jws", &key).unwrap().into_bytes();
    // The other office may not read the registration: its verdict says nothing of the consent.
    let v = body(s.post_bytes(
        "other-office",
        "/v1/verify",
        "application/jose",
        compact.clone(),
    ));
    assert_eq!(v["consent_checked"], false, "{v}");
    assert_eq!(v["verdict"], "valid", "{v}");
    // The kikan may read it, and is told.
    let v = body(s.post_bytes("kikan-1", "/v1/verify", "application/jose", compact));
    assert_eq!(v["consent_checked"], true, "{v}");
    assert_eq!(v["verdict"], "category_not_permitted", "{v}");
}

#[test]
fn the_published_keys_name_their_owners_and_an_offline_verifier_refuses_another_organizations_key()
{
    let s = exchange();
    let reg = register(&s, "office", None);
    let office_key = register_key(&s, "office");
    let facility_key = register_key(&s, FACILITY);
    let set: Value = body(
        client()
            .get(s.url("/.well-known/jwks.json"))
            .send()
            .unwrap(),
    );
    let owner_of = |kid: &str| {
        set["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid)
            .map(|k| k["kyoten_owner"].clone())
            .unwrap()
    };
    assert_eq!(
        owner_of(&office_key.kid),
        json!({"organization_id": "office"})
    );
    assert_eq!(
        owner_of(&facility_key.kid),
        json!({"organization_id": FACILITY})
    );
    let exchange_keys: Vec<&Value> = set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["kyoten_owner"] == json!({"exchange": true}))
        .collect();
    assert_eq!(exchange_keys.len(), 1, "{set}");

    // The office's packet, once signed by the office and once by the facility's key.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("jwks.json"), set.to_string()).unwrap();
    let doc = fresh_packet(&reg, 1);
    for (file, key) in [("office.jws", &office_key), ("facility.jws", &facility_key)] {
        std::fs::write(
            dir.path().join(file),
            jws::sign(&doc, "handoff+jws", key).unwrap(),
        )
        .unwrap();
    }
    let out = kyoten()
        .current_dir(dir.path())
        .args([
            "verify",
            "--jwks",
            "jwks.json",
            "--output",
            "json",
            "office.jws",
            "facility.jws",
        ])
        .output()
        .unwrap();
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["verdict"], "valid", "{}", lines[0]);
    assert_eq!(lines[0]["signer"], "office");
    assert_eq!(lines[1]["verdict"], "sender_mismatch", "{}", lines[1]);
    assert_eq!(lines[1]["signer"], FACILITY);
    assert_eq!(out.status.code(), Some(1));
    // Online, the same.
    let bytes = jws::sign(&doc, "handoff+jws", &facility_key)
        .unwrap()
        .into_bytes();
    let v = body(s.post_bytes(FACILITY, "/v1/verify", "application/jose", bytes));
    assert_eq!(v["verdict"], "sender_mismatch", "{v}");
}
