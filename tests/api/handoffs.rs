//! Handoffs: composed from the stored registration and limited to what the consent permits,
//! signed as JWS and XMLDSig with the same content, read by Accept, answered through the
//! lifecycle, submitted pre-signed by a sender's registered key, verified, and recorded.
use crate::fixtures::*;
use crate::helpers::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use kyoten::crypto::jws::{self, Alg, SigningKey};
use kyoten::crypto::keys;
use kyoten::domain::role::Role;
use kyoten::packet;
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::sha::sha256;
use reqwest::blocking::Response;
use serde_json::{json, Value};

pub const FACILITY: &str = "0411200015";
pub const OTHER_FACILITY: &str = "0411200023";

pub fn exchange() -> TestServer {
    TestServer::isolated(&[
        ("city-1", Role::City, "見本市"),
        ("kikan-1", Role::Kikan, "見本基幹相談支援センター"),
        ("office", Role::ConsultationOffice, "見本相談支援事業所"),
        (
            "other-office",
            Role::ConsultationOffice,
            "別の相談支援事業所",
        ),
        (FACILITY, Role::Facility, "見本短期入所"),
        (OTHER_FACILITY, Role::Facility, "別の短期入所"),
    ])
}

/// Registers the full registration vector through `office`; returns its id.
pub fn register(s: &TestServer, office: &str, consent: Option<Value>) -> String {
    let mut doc = registration_from(office);
    if let Some(c) = consent {
        doc["consent"] = c;
    }
    s.register_document(office, &doc)
}

pub fn request(registration_id: &str, recipient: &str) -> Value {
    json!({
        "registration_id": registration_id,
        "recipient": recipient,
        "purpose": "emergency_acceptance",
        "situation": {
            "kind": "caregiver_unavailable",
            "occurred_at": hours_ago(2),
            "description": "主たる介護者が急病で入院した。",
            "urgency": "same_day"
        },
        "request": {"service_type": "short_stay", "start_on": "2026-01-20"}
    })
}

pub fn send(s: &TestServer, sender: &str, body: &Value) -> Value {
    let r = s.post_json(sender, "/v1/handoffs", body);
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    r.json().unwrap()
}

pub fn jwks(s: &TestServer) -> Vec<jws::VerifyingKey> {
    let set: Value = client()
        .get(s.url("/.well-known/jwks.json"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    keys::from_jwks(&set).unwrap()
}

pub fn open(s: &TestServer, bytes: &[u8]) -> Result<packet::Opened, packet::Refusal> {
    let trusted = jwks(s);
    packet::open(bytes, |kid| trusted.iter().find(|k| k.kid == kid).cloned())
}

pub fn provisions(s: &TestServer, person: &str) -> Vec<Value> {
    let r = s.get(
        "city-1",
        &format!("/v1/provisions?person={person}"),
        "application/json",
    );
    assert_eq!(r.status(), 200);
    r.json::<Value>().unwrap()["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn a_composed_handoff_carries_only_what_the_consent_permits_in_both_signed_forms() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let created = send(&s, "office", &request(&reg, FACILITY));
    let id = created["handoff_id"].as_str().unwrap();
    assert_eq!(created["status"], "requested");
    // The full registration's consent permits a facility everything but household.
    let disclosed: Vec<&str> = created["disclosed_categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(!disclosed.contains(&"household"));
    assert!(disclosed.contains(&"medical") && disclosed.contains(&"identity"));

    let jose = s.get(FACILITY, &format!("/v1/handoffs/{id}"), "application/jose");
    assert_eq!(jose.status(), 200);
    assert_eq!(jose.headers()["content-type"], "application/jose");
    let jose_sha = jose.headers()["kyoten-content-sha256"]
        .to_str()
        .unwrap()
        .to_owned();
    let jose_bytes = jose.bytes().unwrap().to_vec();
    let xml = s.get(FACILITY, &format!("/v1/handoffs/{id}"), "application/xml");
    assert_eq!(xml.status(), 200);
    let xml_sha = xml.headers()["kyoten-content-sha256"]
        .to_str()
        .unwrap()
        .to_owned();
    let xml_bytes = xml.bytes().unwrap().to_vec();
    assert_eq!(jose_sha, xml_sha);

    let from_jws = open(&s, &jose_bytes).expect("the JWS verifies against the published keys");
    let from_xml = open(&s, &xml_bytes).expect("the XML verifies against the published keys");
    assert_eq!(from_jws.document, from_xml.document);
    assert_eq!(from_jws.content_sha256, jose_sha);
    assert_eq!(from_xml.content_sha256, xml_sha);
    let subject = &from_jws.document["subject"];
    assert!(subject.get("household").is_none());
    assert!(subject["registrant"]["name"].is_object());
    assert_eq!(from_jws.document["recipient"]["organization_id"], FACILITY);
    assert_eq!(from_jws.document["consent_ref"]["legal_basis"], "consent");
    assert!(from_jws.document.get("consent").is_none());

    // The provision records: one provided, one received per delivered form, with the SHA-256
    // of exactly the bytes delivered.
    let records = provisions(&s, &reg);
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["provided", "received", "received"]);
    let digest = |b: &[u8]| hex::encode(sha256(b));
    assert_eq!(records[1]["sha256"], digest(&jose_bytes));
    assert_eq!(records[1]["form"], "jws");
    assert_eq!(records[2]["sha256"], digest(&xml_bytes));
    assert_eq!(records[2]["form"], "xml");
    for r in &records {
        assert_eq!(r["sender"], "office");
        assert_eq!(r["recipient"], FACILITY);
        assert_eq!(r["purpose"], "emergency_acceptance");
        assert_eq!(r["legal_basis"], "consent");
        assert_eq!(r["consent_ref"]["granted_by"], "registrant");
    }
}

#[test]
fn the_recipient_takes_a_handoff_through_its_lifecycle_and_illegal_steps_are_refused() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let id = send(&s, "office", &request(&reg, FACILITY))["handoff_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let respond = |org: &str, role: &str, status: &str, extra: Value| {
        let mut doc = json!({
            "document_type": "handoff_response", "schema_version": "1.0.0",
            "handoff_id": id, "responder": {"organization_id": org, "role": role},
            "status": status, "at": hours_ago(0)
        });
        for (k, v) in extra.as_object().unwrap() {
            doc[k] = v.clone();
        }
        s.post_json(org, &format!("/v1/handoffs/{id}/responses"), &doc)
    };
    // Accepting before receipt skips a step.
    let r = respond(FACILITY, "facility", "accepted", json!({}));
    assert_eq!(r.status(), 409);
    assert_eq!(problem_type(r), "illegal-transition");
    // Fetching the packet is the receipt.
    assert_eq!(
        s.get(FACILITY, &format!("/v1/handoffs/{id}"), "application/jose")
            .status(),
        200
    );
    let view: Value = s
        .get("office", &format!("/v1/handoffs/{id}"), "application/json")
        .json()
        .unwrap();
    assert_eq!(view["status"], "received");
    // The sender cannot accept on the recipient's behalf.
    assert_eq!(
        respond("office", "consultation_office", "accepted", json!({})).status(),
        403
    );
    assert_eq!(
        respond(FACILITY, "facility", "accepted", json!({})).status(),
        201
    );
    let r = respond(FACILITY, "facility", "received", json!({}));
    assert_eq!(r.status(), 409);
    assert_eq!(
        respond(FACILITY, "facility", "admitted", json!({})).status(),
        201
    );
    let report = json!({"report": {"summary": "7日間の短期入所で受け入れた。", "return_plan": "母の退院に合わせて自宅へ戻る。"}});
    let r = respond(FACILITY, "facility", "completed", report);
    assert_eq!(r.status(), 201);
    let view: Value = r.json().unwrap();
    assert_eq!(view["status"], "completed");
    let statuses: Vec<&str> = view["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["received", "accepted", "admitted", "completed"]);
    // A finished handoff can no longer be cancelled.
    let r = respond("office", "consultation_office", "cancelled", json!({}));
    assert_eq!(r.status(), 409);
    // A response naming another responder than the caller is refused.
    let r = respond(
        FACILITY,
        "facility",
        "cancelled",
        json!({"responder": {"organization_id": "office", "role": "consultation_office"}}),
    );
    assert_eq!(r.status(), 422);
}

#[test]
fn an_expired_handoff_takes_no_more_responses() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let mut body = request(&reg, FACILITY);
    let soon = chrono::Utc::now() + chrono::Duration::seconds(2);
    body["expires_at"] = json!(soon.to_rfc3339());
    let id = send(&s, "office", &body)["handoff_id"]
        .as_str()
        .unwrap()
        .to_owned();
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let view: Value = s
        .get("office", &format!("/v1/handoffs/{id}"), "application/json")
        .json()
        .unwrap();
    assert_eq!(view["status"], "expired");
    let doc = json!({
        "document_type": "handoff_response", "schema_version": "1.0.0", "handoff_id": id,
        "responder": {"organization_id": FACILITY, "role": "facility"}, "status": "received", "at": hours_ago(0)
    });
    let r = s.post_json(FACILITY, &format!("/v1/handoffs/{id}/responses"), &doc);
    assert_eq!(r.status(), 409);
    assert_eq!(problem_type(r), "handoff-expired");
}

#[test]
fn a_withdrawn_consent_stops_handoffs_and_only_kikan_hub_or_city_may_break_the_glass() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let r = s.post_json(
        "office",
        &format!("/v1/registrations/{reg}/consent-withdrawal"),
        &json!({"withdrawn_on": "2026-01-10"}),
    );
    assert!(r.status().is_success(), "{}", r.text().unwrap());
    let r = s.post_json("office", "/v1/handoffs", &request(&reg, FACILITY));
    assert_eq!(r.status(), 409);
    assert_eq!(problem_type(r), "consent-withdrawn");

    let mut glass = request(&reg, FACILITY);
    glass["legal_basis"] = json!("vital_interest");
    glass["reason"] = json!("家族が救急搬送され本人の保護に直ちに情報提供が必要なため。");
    let r = s.post_json("office", "/v1/handoffs", &glass);
    assert_eq!(r.status(), 403);
    assert_eq!(problem_type(r), "break-glass-not-allowed");

    glass["categories"] = json!(["identity", "medical"]);
    let created = send(&s, "kikan-1", &glass);
    assert_eq!(created["legal_basis"], "vital_interest");
    assert_eq!(created["break_glass"], true);
    assert_eq!(
        created["disclosed_categories"],
        json!(["identity", "medical"])
    );
    let audit: Value = s
        .get("city-1", "/v1/audit?action=break_glass", "application/json")
        .json()
        .unwrap();
    assert_eq!(audit["items"].as_array().unwrap().len(), 1);
    assert_eq!(audit["items"][0]["organization_id"], "kikan-1");
    let records = provisions(&s, &reg);
    assert_eq!(records[0]["legal_basis"], "vital_interest");
    assert!(records[0]["consent_ref"]["reason"].is_string());
}

#[test]
fn categories_outside_the_consent_or_need_set_are_never_sent() {
    let s = exchange();
    let reg = register(&s, "office", None);
    // Household is denied to facilities; asking for it is refused, not silently dropped.
    let mut body = request(&reg, FACILITY);
    body["categories"] = json!(["identity", "household"]);
    let r = s.post_json("office", "/v1/handoffs", &body);
    assert_eq!(r.status(), 422);
    assert_eq!(problem_type(r), "category-not-permitted");
    // What is not a data category is refused without being written back.
    let mut body = request(&reg, FACILITY);
    body["categories"] = json!(["identity", "見本一郎 090-0000-0200"]);
    let r = s.post_json("office", "/v1/handoffs", &body);
    assert_eq!(r.status(), 422);
    let text = r.text().unwrap();
    assert!(text.contains("category-not-permitted"), "{text}");
    assert!(
        !text.contains("見本一郎") && !text.contains("090-0000"),
        "{text}"
    );
    // The consent gives facilities nothing for preparation.
    let body =
        json!({"registration_id": reg, "recipient": FACILITY, "purpose": "emergency_preparation"});
    let r = s.post_json("office", "/v1/handoffs", &body);
    assert_eq!(r.status(), 422);
    assert_eq!(problem_type(r), "nothing-permitted");
    // The kikan gets household too (permitted and in its need set).
    let created = send(&s, "office", &request(&reg, "kikan-1"));
    assert!(created["disclosed_categories"]
        .as_array()
        .unwrap()
        .contains(&json!("household")));
}

#[test]
fn only_the_parties_and_the_coordinating_roles_see_a_handoff() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let id = send(&s, "office", &request(&reg, FACILITY))["handoff_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for org in [OTHER_FACILITY, "other-office"] {
        for accept in ["application/jose", "application/xml", "application/json"] {
            assert_eq!(
                s.get(org, &format!("/v1/handoffs/{id}"), accept).status(),
                404
            );
        }
    }
    for org in ["office", FACILITY, "kikan-1", "city-1"] {
        assert_eq!(
            s.get(org, &format!("/v1/handoffs/{id}"), "application/json")
                .status(),
            200
        );
    }
    assert_eq!(
        s.get(FACILITY, &format!("/v1/handoffs/{id}"), "text/csv")
            .status(),
        406
    );
    // Provision records are for the city and the kikan only.
    for org in ["office", FACILITY] {
        assert_eq!(
            s.get(
                org,
                &format!("/v1/provisions?person={reg}"),
                "application/json"
            )
            .status(),
            403
        );
    }
    let list: Value = s
        .get(
            FACILITY,
            "/v1/handoffs?direction=received&status=requested",
            "application/json",
        )
        .json()
        .unwrap();
    assert_eq!(list["items"][0]["handoff_id"], id.as_str());
    let list: Value = s
        .get(OTHER_FACILITY, "/v1/handoffs", "application/json")
        .json()
        .unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
}

/// A raw ES256 JWS over exactly these header and payload bytes.
pub fn raw_es256(header: &Value, payload: &[u8], key: &SigningKey) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let mut signer = openssl::sign::Signer::new(MessageDigest::sha256(), &key.key).unwrap();
    signer.update(input.as_bytes()).unwrap();
    let der = signer.sign_to_vec().unwrap();
    let sig = EcdsaSig::from_der(&der).unwrap();
    let mut raw = sig.r().to_vec_padded(32).unwrap();
    raw.extend(sig.s().to_vec_padded(32).unwrap());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(raw))
}

/// A packet `office` might build itself, for the registration `reg`.
pub fn own_packet(reg: &str, version: i64) -> Value {
    let mut doc = read_json(&repo().join("conformance/vectors/handoff/valid/full.json"));
    doc["handoff_id"] = json!("0b7f3a52-9c1e-4d2a-8e5f-1a2b3c4d5e6f");
    doc["sender"] = json!({"organization_id": "office", "role": "consultation_office"});
    doc["recipient"] = json!({"organization_id": FACILITY, "role": "facility"});
    doc["registration_ref"] = json!({"registration_id": reg, "version": version});
    doc["issued_at"] = json!(hours_ago(1));
    doc["expires_at"] = json!((chrono::Utc::now() + chrono::Duration::hours(12)).to_rfc3339());
    doc
}

pub fn register_key(s: &TestServer, org: &str) -> SigningKey {
    let key = keys::generate(Alg::Es256).unwrap();
    let jwk = keys::to_jwk(&keys::verifying_key(&key).unwrap()).unwrap();
    let r = s.post_json(org, "/v1/keys", &jwk);
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    key
}

pub fn submit(s: &TestServer, org: &str, compact: &str) -> Response {
    s.post_bytes(
        org,
        "/v1/handoffs",
        "application/jose",
        compact.as_bytes().to_vec(),
    )
}

fn verdict(r: Response) -> String {
    let body: Value = r.json().unwrap();
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .ends_with("signature-refused"),
        "{body}"
    );
    body["verdict"].as_str().unwrap().to_owned()
}

#[test]
fn a_packet_signed_by_the_sender_is_stored_as_signed_and_served_in_both_forms() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let key = register_key(&s, "office");
    let compact = jws::sign(&own_packet(&reg, 1), "handoff+jws", &key).unwrap();
    let r = submit(&s, "office", &compact);
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    let id = "0b7f3a52-9c1e-4d2a-8e5f-1a2b3c4d5e6f";
    let jose = s.get(FACILITY, &format!("/v1/handoffs/{id}"), "application/jose");
    assert_eq!(
        jose.text().unwrap(),
        compact,
        "the sender's JWS is served byte for byte"
    );
    let xml = s
        .get(FACILITY, &format!("/v1/handoffs/{id}"), "application/xml")
        .bytes()
        .unwrap();
    let from_xml = open(&s, &xml).unwrap();
    let from_jws = open(&s, compact.as_bytes()).unwrap();
    assert_eq!(from_jws.kid, key.kid);
    assert_ne!(
        from_xml.kid, key.kid,
        "the XML form is signed by the exchange"
    );
    assert_eq!(from_jws.content_sha256, from_xml.content_sha256);
    // The same id again is a conflict.
    assert_eq!(submit(&s, "office", &compact).status(), 409);
}

#[test]
fn tampered_relabelled_and_self_keyed_packets_are_refused_with_a_clear_verdict() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let key = register_key(&s, "office");
    let packet = own_packet(&reg, 1);
    let payload = kyoten::crypto::jcs::canonical(&packet);
    let header = json!({"alg": "ES256", "kid": key.kid, "typ": "handoff+jws"});
    let good = raw_es256(&header, &payload, &key);

    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let mut body = URL_SAFE_NO_PAD.decode(&parts[1]).unwrap();
    let at = body.iter().position(|b| *b == b'2').unwrap();
    body[at] = b'3';
    parts[1] = URL_SAFE_NO_PAD.encode(&body);
    assert_eq!(
        verdict(submit(&s, "office", &parts.join("."))),
        "bad_signature"
    );

    let mut sig = URL_SAFE_NO_PAD
        .decode(good.rsplit('.').next().unwrap())
        .unwrap();
    sig[10] ^= 1;
    let flipped = format!(
        "{}.{}",
        good.rsplit_once('.').unwrap().0,
        URL_SAFE_NO_PAD.encode(sig)
    );
    assert_eq!(verdict(submit(&s, "office", &flipped)), "bad_signature");

    let cases = [
        (
            json!({"alg": "RS256", "kid": key.kid, "typ": "handoff+jws"}),
            "algorithm_mismatch",
        ),
        (
            json!({"alg": "HS256", "kid": key.kid, "typ": "handoff+jws"}),
            "algorithm_not_allowed",
        ),
        (
            json!({"alg": "none", "kid": key.kid, "typ": "handoff+jws"}),
            "algorithm_not_allowed",
        ),
        (
            json!({"alg": "ES256", "kid": key.kid, "typ": "handoff+jws", "crit": ["exp"], "exp": 1}),
            "unknown_crit",
        ),
        (
            json!({"alg": "ES256", "kid": key.kid, "typ": "handoff+jws",
                   "jwk": keys::to_jwk(&keys::verifying_key(&key).unwrap()).unwrap()}),
            "key_in_packet",
        ),
    ];
    for (header, expected) in cases {
        assert_eq!(
            verdict(submit(&s, "office", &raw_es256(&header, &payload, &key))),
            expected,
            "{header}"
        );
    }
    // A key nobody registered.
    let stranger = keys::generate(Alg::Es256).unwrap();
    let compact = jws::sign(&packet, "handoff+jws", &stranger).unwrap();
    assert_eq!(verdict(submit(&s, "office", &compact)), "unknown_key");
    // Duplicate keys in the payload: refused before anything is canonicalized.
    let text = String::from_utf8(payload.clone()).unwrap();
    let duplicated = text.replacen("{", "{\"purpose\":\"emergency_preparation\",", 1);
    let compact = raw_es256(&header, duplicated.as_bytes(), &key);
    assert_eq!(verdict(submit(&s, "office", &compact)), "bad_payload");
    // Another office's registered key, or another sender, is not this caller.
    let other_key = register_key(&s, "other-office");
    let compact = jws::sign(&packet, "handoff+jws", &other_key).unwrap();
    let r = submit(&s, "other-office", &compact);
    assert_eq!(r.status(), 422);
    assert_eq!(problem_type(r), "sender-mismatch");
    let r = submit(&s, "other-office", &good);
    assert_eq!(problem_type(r), "sender-mismatch");
    // Nothing of it was stored.
    assert!(provisions(&s, &reg).is_empty());
}

#[test]
fn a_submitted_packet_must_keep_within_the_stored_consent_and_its_lifetime() {
    let s = exchange();
    // This person lets facilities see identity and contact only.
    let narrow = narrow_consent();
    let reg = register(&s, "office", Some(narrow));
    let key = register_key(&s, "office");
    let packet = own_packet(&reg, 1);
    let compact = jws::sign(&packet, "handoff+jws", &key).unwrap();
    let r = submit(&s, "office", &compact);
    assert_eq!(r.status(), 422);
    assert_eq!(problem_type(r), "category-not-permitted");

    let mut expired = own_packet(&reg, 1);
    expired["issued_at"] = json!(hours_ago(5));
    expired["expires_at"] = json!(hours_ago(1));
    let r = submit(
        &s,
        "office",
        &jws::sign(&expired, "handoff+jws", &key).unwrap(),
    );
    assert_eq!(problem_type(r), "packet-expired");
    assert!(provisions(&s, &reg).is_empty());
}

#[test]
fn verify_gives_a_verdict_for_any_packet_the_caller_holds() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let id = send(&s, "office", &request(&reg, FACILITY))["handoff_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (accept, content_type) in [
        ("application/jose", "application/jose"),
        ("application/xml", "application/xml"),
    ] {
        let bytes = s
            .get(FACILITY, &format!("/v1/handoffs/{id}"), accept)
            .bytes()
            .unwrap()
            .to_vec();
        let v: Value = s
            .post_bytes(FACILITY, "/v1/verify", content_type, bytes.clone())
            .json()
            .unwrap();
        assert_eq!(v["valid"], true, "{v}");
        assert_eq!(v["verdict"], "valid");
        assert_eq!(v["document_type"], "handoff");
        assert_eq!(v["signer"]["exchange"], true);
        assert_eq!(v["report"]["valid"], true);
        let v: Value = s
            .post_bytes(OTHER_FACILITY, "/v1/verify", content_type, bytes.clone())
            .json()
            .unwrap();
        assert_eq!(v["verdict"], "wrong_recipient");
        let mut tampered = bytes.clone();
        let at = tampered.len() / 2;
        tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
        let v: Value = s
            .post_bytes(FACILITY, "/v1/verify", content_type, tampered)
            .json()
            .unwrap();
        assert_eq!(v["valid"], false, "{v}");
    }
    let r = s.post_bytes(FACILITY, "/v1/verify", "text/plain", b"x".to_vec());
    assert_eq!(r.status(), 415);
}

#[test]
fn the_jwks_publishes_the_exchange_key_under_its_thumbprint_and_registered_keys_until_retired() {
    let s = exchange();
    let published = jwks(&s);
    assert_eq!(published.len(), 1);
    let set: Value = client()
        .get(s.url("/.well-known/jwks.json"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let exchange = &set["keys"][0];
    assert_eq!(exchange["alg"], "ES256");
    assert_eq!(
        exchange["kid"],
        published[0].kid.as_str(),
        "kid is the RFC 7638 thumbprint"
    );
    let key = register_key(&s, "office");
    assert_eq!(jwks(&s).len(), 2);
    let listed: Value = s
        .get("office", "/v1/keys", "application/json")
        .json()
        .unwrap();
    assert_eq!(listed[0]["kid"], key.kid.as_str());
    // The key is where its registration said (Location), for its organization only.
    let at = format!("/v1/keys/{}", key.kid);
    let own = s.get("office", &at, "application/json");
    assert_eq!(own.status(), 200);
    assert_eq!(own.json::<Value>().unwrap()["kid"], key.kid.as_str());
    assert_eq!(s.get("other-office", &at, "application/json").status(), 404);
    assert_eq!(
        s.get("office", "/v1/keys/not-a-thumbprint", "application/json")
            .status(),
        404
    );
    // Registering the same key elsewhere is refused.
    let jwk = keys::to_jwk(&keys::verifying_key(&key).unwrap()).unwrap();
    assert_eq!(s.post_json("other-office", "/v1/keys", &jwk).status(), 409);
    let r = s.post_bytes(
        "office",
        &format!("/v1/keys/{}/retire", key.kid),
        "application/json",
        Vec::new(),
    );
    assert_eq!(r.status(), 204);
    assert_eq!(jwks(&s).len(), 1);
    let retired: Value = s.get("office", &at, "application/json").json().unwrap();
    assert!(
        retired["retired_at"].is_string(),
        "a retired key is still shown"
    );
    let reg = register(&s, "office", None);
    let compact = jws::sign(&own_packet(&reg, 1), "handoff+jws", &key).unwrap();
    assert_eq!(verdict(submit(&s, "office", &compact)), "unknown_key");
}

#[test]
fn a_rotated_exchange_key_keeps_verifying_old_packets_until_it_is_retired() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let first = send(&s, "office", &request(&reg, FACILITY))["handoff_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let old_packet = s
        .get(
            FACILITY,
            &format!("/v1/handoffs/{first}"),
            "application/jose",
        )
        .bytes()
        .unwrap()
        .to_vec();
    let old_kid = open(&s, &old_packet).unwrap().kid;
    let new = s.store.rotate_signing_key(Alg::Es256).unwrap();
    s.store.reload_keyring().unwrap();
    assert_eq!(jwks(&s).len(), 2);
    let second = send(&s, "office", &request(&reg, FACILITY))["handoff_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let new_packet = s
        .get(
            FACILITY,
            &format!("/v1/handoffs/{second}"),
            "application/jose",
        )
        .bytes()
        .unwrap()
        .to_vec();
    assert_eq!(
        open(&s, &new_packet).unwrap().kid,
        new.kid,
        "the newest key signs"
    );
    let verdict_of = |bytes: &[u8]| -> Value {
        s.post_bytes(FACILITY, "/v1/verify", "application/jose", bytes.to_vec())
            .json()
            .unwrap()
    };
    assert_eq!(verdict_of(&old_packet)["verdict"], "valid");
    assert!(kyoten::store::keys::retire(&mut s.store.conn().unwrap(), None, &old_kid).unwrap());
    s.store.reload_keyring().unwrap();
    assert_eq!(verdict_of(&old_packet)["verdict"], "unknown_key");
    assert_eq!(verdict_of(&new_packet)["verdict"], "valid");
}

/// A self-signed certificate of `key` naming `cn`, in force from `from` to `to` (Unix time).
fn self_signed(key: &kyoten::crypto::jws::SigningKey, cn: &str, from: i64, to: i64) -> Vec<u8> {
    let mut name = openssl::x509::X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    let name = name.build();
    let mut b = openssl::x509::X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(
        &openssl::bn::BigNum::from_u32(7)
            .unwrap()
            .to_asn1_integer()
            .unwrap(),
    )
    .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_not_before(&openssl::asn1::Asn1Time::from_unix(from).unwrap())
        .unwrap();
    b.set_not_after(&openssl::asn1::Asn1Time::from_unix(to).unwrap())
        .unwrap();
    b.set_pubkey(&key.key).unwrap();
    b.sign(&key.key, MessageDigest::sha256()).unwrap();
    b.build().to_pem().unwrap()
}

#[test]
fn an_organization_may_register_its_key_as_an_x509_certificate_in_force_whatever_its_subject_says()
{
    let s = exchange();
    let (now, day) = (chrono::Utc::now().timestamp(), 86_400);
    let expired_key = keys::generate(Alg::Es256).unwrap();
    let expired = self_signed(&expired_key, "office", now - 400 * day, now - day);
    let r = s.post_bytes("office", "/v1/keys", "application/x-pem-file", expired);
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().unwrap();
    assert!(problem["type"].as_str().unwrap().ends_with("/key-refused"));
    assert!(
        problem["detail"].as_str().unwrap().contains("notAfter"),
        "{problem}"
    );
    // The subject names another organization: it is not an identity, the key is the office's.
    let key = keys::generate(Alg::Es256).unwrap();
    let pem = self_signed(&key, "city-041009", now - day, now + 365 * day);
    let r = s.post_bytes("office", "/v1/keys", "application/x-pem-file", pem);
    assert_eq!(r.status(), 201);
    let entry: Value = r.json().unwrap();
    assert_eq!(entry["kid"], key.kid.as_str());
    assert_eq!(entry["certificate"], true);
    let r = s.post_bytes(
        "office",
        "/v1/keys",
        "application/x-pem-file",
        b"not a certificate".to_vec(),
    );
    assert_eq!(r.status(), 422);
    assert_eq!(problem_type(r), "key-refused");
    let reg = register(&s, "office", None);
    let compact = jws::sign(&own_packet(&reg, 1), "handoff+jws", &key).unwrap();
    assert_eq!(submit(&s, "office", &compact).status(), 201);
}

#[test]
fn provision_records_cannot_be_changed_even_in_the_database() {
    use diesel::prelude::*;
    use kyoten::store::schema::provision_records;
    let s = exchange();
    let reg = register(&s, "office", None);
    send(&s, "office", &request(&reg, FACILITY));
    let mut conn = s.store.conn().unwrap();
    let update = conn.transaction(|c| {
        diesel::update(provision_records::table)
            .set(provision_records::recipient_id.eq("someone-else"))
            .execute(c)
    });
    assert!(update.is_err());
    let delete = conn.transaction(|c| diesel::delete(provision_records::table).execute(c));
    assert!(delete.is_err());
    drop(conn);
    assert_eq!(provisions(&s, &reg).len(), 1);
}

#[test]
fn the_operations_report_counts_handoffs_by_outcome_and_break_glass() {
    let s = exchange();
    let reg = register(&s, "office", None);
    send(&s, "office", &request(&reg, FACILITY));
    let mut glass = request(&reg, FACILITY);
    glass["legal_basis"] = json!("vital_interest");
    glass["reason"] = json!("本人の保護のため。");
    send(&s, "kikan-1", &glass);
    let year = {
        use chrono::Datelike;
        let today = chrono::Utc::now().with_timezone(&kyoten::time::jst());
        if today.month() >= 4 {
            today.year()
        } else {
            today.year() - 1
        }
    };
    let report: Value = s
        .get(
            "city-1",
            &format!("/v1/reports/operations?fiscal_year={year}"),
            "application/json",
        )
        .json()
        .unwrap();
    assert_eq!(report["handoffs"]["sent"], 2);
    assert_eq!(report["handoffs"]["break_glass"], 1);
    assert_eq!(report["handoffs"]["by_outcome"]["requested"], 2);
    assert_eq!(report["handoffs"]["by_purpose"]["emergency_acceptance"], 2);
    // Two facilities asked for one person: one emergency.
    send(&s, "office", &request(&reg, OTHER_FACILITY));
    let other = register(&s, "office", None);
    send(&s, "office", &request(&other, FACILITY));
    let report: Value = s
        .get(
            "city-1",
            &format!("/v1/reports/operations?fiscal_year={year}"),
            "application/json",
        )
        .json()
        .unwrap();
    assert_eq!(report["handoffs"]["sent"], 4);
    assert_eq!(report["handoffs"]["emergency_cases"], 2);

    let csv = s.get(
        "city-1",
        &format!("/v1/reports/operations?fiscal_year={year}"),
        "text/csv",
    );
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        csv.headers()["content-disposition"],
        format!("attachment; filename=\"operations-{year}.csv\"").as_str()
    );
    let bytes = csv.bytes().unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "a byte order mark for Excel"
    );
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "項目,内訳,値,key,item");
    for expected in [
        "緊急対応の件数（人数）,,2,handoffs.emergency_cases,Emergency cases (people)".to_owned(),
        "受入調整パケットの送信数,,4,handoffs.sent,Handoff packets sent".to_owned(),
        format!(
            "新規登録数,,{},registrations.new,New registrations",
            report["registrations"]["new"]
        ),
        "パケット数（目的別）,emergency_acceptance,4,handoffs.by_purpose,Packets by purpose"
            .to_owned(),
    ] {
        assert!(rows.contains(&expected.as_str()), "{expected} in\n{text}");
    }
    let r = s.get(
        "city-1",
        &format!("/v1/reports/operations?fiscal_year={year}"),
        "image/png",
    );
    assert_eq!(r.status(), 406);
}

#[test]
fn xml_packets_with_a_second_signature_a_wrapped_signature_a_key_url_or_a_doctype_are_refused() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let id = send(&s, "office", &request(&reg, FACILITY))["handoff_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let xml = s
        .get(FACILITY, &format!("/v1/handoffs/{id}"), "application/xml")
        .text()
        .unwrap();
    let start = xml.find("<ds:Signature").unwrap();
    let end = xml.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let signature = &xml[start..end];
    let unsigned = format!("{}{}", &xml[..start], &xml[end..]);
    let close = unsigned.rfind("</handoff>").unwrap();
    let wrapped = unsigned.replacen("<subject>", &format!("<subject>{signature}"), 1);
    // A key URL in KeyInfo is refused (a KeyValue or X509Data is allowed and ignored).
    let key_url = signature.replace(
        "<ds:KeyInfo><ds:KeyName>",
        "<ds:KeyInfo><ds:RetrievalMethod URI=\"https://attacker.example/key\"></ds:RetrievalMethod><ds:KeyName>",
    );
    let relabelled = signature.replace("xmldsig-more#ecdsa-sha256", "xmldsig-more#rsa-sha256");
    let hmac = signature.replace("xmldsig-more#ecdsa-sha256", "xmldsig-more#hmac-sha256");
    let with = |sig: &str| format!("{}{sig}{}", &unsigned[..close], &unsigned[close..]);
    let cases = [
        (with(&format!("{signature}{signature}")), "multiple_signatures"),
        (wrapped, "signature_wrapping"),
        (with(&key_url), "key_in_packet"),
        (with(&relabelled), "algorithm_mismatch"),
        (with(&hmac), "algorithm_mismatch"),
        (unsigned.clone(), "no_signature"),
        (xml.replacen("<subject>", "<subject><extra>x</extra>", 1), "digest_mismatch"),
        (
            xml.replacen(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                "<?xml version=\"1.0\"?><!DOCTYPE handoff [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>",
                1,
            ),
            "hostile_xml",
        ),
    ];
    for (body, expected) in cases {
        let v: Value = s
            .post_bytes(FACILITY, "/v1/verify", "application/xml", body.into_bytes())
            .json()
            .unwrap();
        assert_eq!(v["valid"], false, "{expected}: {v}");
        assert_eq!(v["verdict"], expected, "{v}");
    }
    let v: Value = s
        .post_bytes(FACILITY, "/v1/verify", "application/xml", xml.into_bytes())
        .json()
        .unwrap();
    assert_eq!(v["verdict"], "valid");
}

fn withdraw_consent(s: &TestServer, reg: &str) {
    let r = s.post_json(
        "office",
        &format!("/v1/registrations/{reg}/consent-withdrawal"),
        &json!({}),
    );
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
}

fn break_glass(reg: &str) -> Value {
    let mut glass = request(reg, FACILITY);
    glass["legal_basis"] = json!("vital_interest");
    glass["reason"] = json!("家族が救急搬送され本人の保護に直ちに情報提供が必要なため。");
    glass
}

fn handoff_id(created: &Value) -> String {
    created["handoff_id"].as_str().unwrap().to_owned()
}

/// A response to a handoff by one of its parties.
fn respond(s: &TestServer, org: &str, role: &str, id: &str, status: &str) -> Response {
    let doc = json!({
        "document_type": "handoff_response", "schema_version": "1.0.0", "handoff_id": id,
        "responder": {"organization_id": org, "role": role}, "status": status, "at": hours_ago(0)
    });
    s.post_json(org, &format!("/v1/handoffs/{id}/responses"), &doc)
}

/// The recipient asks for the packet in both signed forms: each is refused with `expected`,
/// and nothing at all is written (no provision record, no access record, no receipt).
fn assert_withheld(s: &TestServer, id: &str, expected: &str) {
    let before = crate::rejected_writes::snapshot(&mut s.store.conn().unwrap());
    for accept in ["application/jose", "application/xml"] {
        let r = s.get(FACILITY, &format!("/v1/handoffs/{id}"), accept);
        assert_eq!(r.status(), 409, "{accept}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        assert_eq!(problem_type(r), expected, "{accept}");
    }
    let after = crate::rejected_writes::snapshot(&mut s.store.conn().unwrap());
    assert_eq!(after, before, "a withheld packet left a trace");
}

fn received_provisions(s: &TestServer, reg: &str) -> usize {
    provisions(s, reg)
        .iter()
        .filter(|p| p["kind"] == "received")
        .count()
}

#[test]
fn once_the_consent_is_withdrawn_the_recipient_gets_no_packet_sent_on_it_but_a_break_glass_one() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let fetched = handoff_id(&send(&s, "office", &request(&reg, FACILITY)));
    let unfetched = handoff_id(&send(&s, "office", &request(&reg, FACILITY)));
    let r = s.get(
        FACILITY,
        &format!("/v1/handoffs/{fetched}"),
        "application/jose",
    );
    assert_eq!(r.status(), 200);
    assert_eq!(received_provisions(&s, &reg), 1);
    withdraw_consent(&s, &reg);

    assert_withheld(&s, &unfetched, "consent-withdrawn");
    // Fetched before: the recipient does not keep reading it after the withdrawal either.
    assert_withheld(&s, &fetched, "consent-withdrawn");
    assert_eq!(received_provisions(&s, &reg), 1);
    // The state of the handoff (no personal data) stays visible to the recipient.
    let view = s.get(
        FACILITY,
        &format!("/v1/handoffs/{unfetched}"),
        "application/json",
    );
    assert_eq!(view.status(), 200);
    assert_eq!(
        view.json::<Value>().unwrap()["status"],
        "revoked",
        "an unanswered request is revoked with the consent"
    );
    // The sender and the coordinating roles still read what was sent, for the record.
    for org in ["office", "kikan-1"] {
        let r = s.get(
            org,
            &format!("/v1/handoffs/{unfetched}"),
            "application/jose",
        );
        assert_eq!(r.status(), 200, "{org}");
    }

    // A packet on the vital-interest basis does not rest on the consent: it is delivered.
    let glass = handoff_id(&send(&s, "kikan-1", &break_glass(&reg)));
    let r = s.get(
        FACILITY,
        &format!("/v1/handoffs/{glass}"),
        "application/xml",
    );
    assert_eq!(r.status(), 200);
    assert_eq!(received_provisions(&s, &reg), 2);
}

#[test]
fn a_cancelled_handoff_is_not_delivered_to_its_recipient_whatever_its_legal_basis() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let unfetched = handoff_id(&send(&s, "office", &request(&reg, FACILITY)));
    let fetched = handoff_id(&send(&s, "office", &request(&reg, FACILITY)));
    let glass = handoff_id(&send(&s, "kikan-1", &break_glass(&reg)));
    let r = s.get(
        FACILITY,
        &format!("/v1/handoffs/{fetched}"),
        "application/jose",
    );
    assert_eq!(r.status(), 200);
    for (id, org, role) in [
        (&unfetched, "office", "consultation_office"),
        (&fetched, "office", "consultation_office"),
        (&glass, "kikan-1", "kikan"),
    ] {
        let r = respond(&s, org, role, id, "cancelled");
        assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    }
    for id in [&unfetched, &fetched, &glass] {
        assert_withheld(&s, id, "handoff-cancelled");
    }
    assert_eq!(received_provisions(&s, &reg), 1);
}

#[test]
fn a_handoff_past_its_expiry_without_acceptance_is_not_delivered_but_an_accepted_one_is() {
    let s = exchange();
    let reg = register(&s, "office", None);
    // Long enough for three sends, a fetch and a response on a slow, busy machine.
    let expiry = chrono::Utc::now() + chrono::Duration::seconds(8);
    let expiring = |mut body: Value| {
        body["expires_at"] = json!(expiry.to_rfc3339());
        body
    };
    let plain = handoff_id(&send(&s, "office", &expiring(request(&reg, FACILITY))));
    let glass = handoff_id(&send(&s, "kikan-1", &expiring(break_glass(&reg))));
    let accepted = handoff_id(&send(&s, "office", &expiring(request(&reg, FACILITY))));
    let r = s.get(
        FACILITY,
        &format!("/v1/handoffs/{accepted}"),
        "application/jose",
    );
    assert_eq!(r.status(), 200);
    let r = respond(&s, FACILITY, "facility", &accepted, "accepted");
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    let past = expiry + chrono::Duration::milliseconds(500) - chrono::Utc::now();
    std::thread::sleep(past.to_std().unwrap_or_default());

    assert_withheld(&s, &plain, "handoff-expired");
    assert_withheld(&s, &glass, "handoff-expired");
    let r = s.get(
        FACILITY,
        &format!("/v1/handoffs/{accepted}"),
        "application/xml",
    );
    assert_eq!(r.status(), 200, "an accepted handoff does not expire");
}

/// Changes the registration through the store as fast as it can — as another instance on the
/// same database would — until `go` is false; returns how many changes it made.
fn change_continuously(s: &TestServer, reg: &str, go: &std::sync::atomic::AtomicBool) -> usize {
    use kyoten::store::{organizations, registrations};
    let office = organizations::get(&mut s.store.conn().unwrap(), "office")
        .unwrap()
        .unwrap();
    let mut changes = 0;
    while go.load(std::sync::atomic::Ordering::SeqCst) {
        let current = registrations::get(&mut s.store.conn().unwrap(), reg)
            .unwrap()
            .unwrap();
        let doc: Value = serde_json::from_str(&current.document).unwrap();
        let (office, reg) = (office.clone(), reg.to_owned());
        let changed = s
            .store
            .write(move |conn| registrations::change(conn, &office, &reg, current.version, doc))
            .unwrap();
        if matches!(changed, registrations::Change::Changed(_)) {
            changes += 1;
        }
    }
    changes
}

#[test]
fn concurrent_changes_and_handoffs_on_one_registration_never_answer_a_server_error() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
    let s = exchange();
    let reg = register(&s, "office", None);
    let location = format!("/v1/registrations/{reg}");
    // (request, status, Retry-After present, problem type)
    type Outcome = (&'static str, u16, bool, String);
    let outcome = |what: &'static str, r: Response| -> Outcome {
        let status = r.status().as_u16();
        let retry_after = r.headers().contains_key("retry-after");
        let kind = if status >= 400 {
            problem_type(r)
        } else {
            String::new()
        };
        (what, status, retry_after, kind)
    };
    // Ten offices' change notifications and ten handoffs at once on the same registration,
    // while for the first half of the handoffs the registration also changes without pause.
    let (senders, rounds) = (10, 5);
    let answered = AtomicUsize::new(0);
    let churning = AtomicBool::new(true);
    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let churn = scope.spawn(|| change_continuously(&s, &reg, &churning));
        let mut handles = Vec::new();
        for i in 0..10 {
            let (s, reg, location, answered, churning) =
                (&s, &reg, &location, &answered, &churning);
            handles.push(scope.spawn(move || {
                let mut seen = Vec::new();
                let mut round = 0;
                while answered.load(SeqCst) < senders * rounds {
                    round += 1;
                    let current = s.get("office", location, "application/json");
                    assert_eq!(current.status(), 200);
                    let etag = current.headers()["etag"].to_str().unwrap().to_owned();
                    let mut doc: Value = current.json().unwrap();
                    doc["reason_note"] = json!(format!("同時の変更届 {i}-{round}"));
                    let r = client()
                        .put(s.url(location))
                        .bearer_auth(s.key("office"))
                        .header("If-Match", etag)
                        .json(&doc)
                        .send()
                        .unwrap();
                    seen.push(outcome("PUT", r));
                }
                seen
            }));
            handles.push(scope.spawn(move || {
                (0..rounds)
                    .map(|_| {
                        let r = s.post_json("office", "/v1/handoffs", &request(reg, FACILITY));
                        if answered.fetch_add(1, SeqCst) + 1 >= senders * rounds / 2 {
                            churning.store(false, SeqCst);
                        }
                        outcome("POST", r)
                    })
                    .collect::<Vec<_>>()
            }));
        }
        let outcomes = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        assert!(churn.join().unwrap() > 0);
        outcomes
    });
    for (what, status, retry_after, kind) in &outcomes {
        let allowed = match *what {
            "PUT" => [200, 412, 503].contains(status),
            _ => [201, 503].contains(status),
        };
        assert!(allowed, "{what} answered {status} {kind}: {outcomes:?}");
        if *status == 503 {
            assert!(*retry_after && kind == "registration-busy", "{outcomes:?}");
        }
    }
    // Whether a handoff met the registration changing three times in a row depends on the
    // machine's timing, so it is not asserted here (the bounded retry has its own unit tests
    // and `busy_database` forces the 503); what must hold is that some handoffs were stored.
    assert!(outcomes.iter().any(|o| o.1 == 201), "{outcomes:?}");
}

/// The consent of `reg` as it is stored, granted anew today (Japan time), recorded as a new
/// consent on version `version`.
fn consent_again(s: &TestServer, reg: &str, version: u32) {
    let stored = s.store.conn().map(|mut c| {
        kyoten::store::registrations::get(&mut c, reg)
            .unwrap()
            .unwrap()
    });
    let doc: Value = serde_json::from_str(&stored.unwrap().document).unwrap();
    let mut consent = doc["consent"].clone();
    consent.as_object_mut().unwrap().remove("withdrawn_on");
    consent["granted_on"] = json!((chrono::Utc::now() + chrono::TimeDelta::hours(9))
        .format("%Y-%m-%d")
        .to_string());
    let r = client()
        .post(s.url(&format!("/v1/registrations/{reg}/consent")))
        .bearer_auth(s.key("office"))
        .header("If-Match", format!("\"{version}\""))
        .json(&consent)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
}

#[test]
fn a_new_consent_does_not_bring_back_a_packet_sent_under_the_consent_that_was_withdrawn() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let before = handoff_id(&send(&s, "office", &request(&reg, FACILITY)));
    withdraw_consent(&s, &reg);
    consent_again(&s, &reg, 2);
    assert_withheld(&s, &before, "consent-withdrawn");
    // A packet sent under the new consent is delivered.
    let after = handoff_id(&send(&s, "office", &request(&reg, FACILITY)));
    let r = s.get(
        FACILITY,
        &format!("/v1/handoffs/{after}"),
        "application/jose",
    );
    assert_eq!(r.status(), 200);
}

#[test]
fn matching_is_refused_once_the_consent_is_withdrawn() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let path = format!("/v1/registrations/{reg}/candidates?situation=caregiver_unavailable");
    assert_eq!(s.get("kikan-1", &path, "application/json").status(), 200);
    withdraw_consent(&s, &reg);
    let r = s.get("kikan-1", &path, "application/json");
    assert_eq!(r.status(), 409);
    assert_eq!(problem_type(r), "consent-withdrawn");
}

#[test]
fn a_registration_submitted_with_its_consent_withdrawn_is_stored_withdrawn_and_shares_nothing() {
    let s = exchange();
    let mut consent = registration_from("office")["consent"].clone();
    consent["withdrawn_on"] = json!("2026-01-10");
    let reg = register(&s, "office", Some(consent));
    let status = kyoten::store::registrations::status(&mut s.store.conn().unwrap(), &reg);
    assert_eq!(status.unwrap().as_deref(), Some("consent_withdrawn"));
    let read: Value = s
        .get(
            "kikan-1",
            &format!("/v1/registrations/{reg}"),
            "application/json",
        )
        .json()
        .unwrap();
    assert_eq!(read["view"], "after_withdrawal");
    let r = s.post_json("office", "/v1/handoffs", &request(&reg, FACILITY));
    assert_eq!(r.status(), 409);
}

#[test]
fn a_break_glass_read_is_recorded_every_time_even_when_retried_with_one_idempotency_key() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let read = || {
        client()
            .post(s.url(&format!("/v1/registrations/{reg}/break-glass-read")))
            .bearer_auth(s.key("kikan-1"))
            .header("Idempotency-Key", "glass-1")
            .json(&json!({"legal_basis": "vital_interest"}))
            .send()
            .unwrap()
    };
    for _ in 0..2 {
        let r = read();
        assert_eq!(r.status(), 200);
        assert!(r.headers().get("idempotent-replayed").is_none());
    }
    let records =
        kyoten::store::audit::for_record(&mut s.store.conn().unwrap(), "registration", &reg)
            .unwrap();
    assert_eq!(
        records
            .iter()
            .filter(|r| r.action == "break_glass_read")
            .count(),
        2
    );
}

#[test]
fn a_retried_withdrawal_hands_out_no_personal_data_and_records_no_read() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let withdraw = || {
        client()
            .post(s.url(&format!("/v1/registrations/{reg}/consent-withdrawal")))
            .bearer_auth(s.key("office"))
            .header("Idempotency-Key", "withdraw-1")
            .send()
            .unwrap()
    };
    let first: Value = withdraw().json().unwrap();
    let again = withdraw();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().unwrap(), first);
    assert!(first.get("registrant").is_none());
    let records =
        kyoten::store::audit::for_record(&mut s.store.conn().unwrap(), "registration", &reg)
            .unwrap();
    assert!(records.iter().all(|r| r.action != "replay"), "{records:?}");
}

#[test]
fn a_change_notification_may_record_a_withdrawal_of_today_or_before_but_not_otherwise_change_the_consent(
) {
    let s = exchange();
    let reg = register(&s, "office", None);
    let doc: Value = s
        .get(
            "office",
            &format!("/v1/registrations/{reg}"),
            "application/json",
        )
        .json()
        .unwrap();
    let put = |body: &Value, version: u32| {
        client()
            .put(s.url(&format!("/v1/registrations/{reg}")))
            .bearer_auth(s.key("office"))
            .header("If-Match", format!("\"{version}\""))
            .json(body)
            .send()
            .unwrap()
    };
    let mut widened = doc.clone();
    widened["consent"]["provisions"][1]["categories"]
        .as_array_mut()
        .unwrap()
        .push(json!("household"));
    let mut backdated = doc.clone();
    backdated["consent"]["granted_on"] = json!("2025-01-01");
    for (what, body) in [("widened", &widened), ("backdated", &backdated)] {
        let r = put(body, 1);
        assert_eq!(r.status(), 409, "{what}");
        assert_eq!(problem_type(r), "consent-change-not-allowed", "{what}");
    }
    let mut other = doc.clone();
    other["reason_note"] = json!("連絡先の訂正");
    assert_eq!(
        put(&other, 1).status(),
        200,
        "other fields change as before"
    );
    let mut ahead = other.clone();
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(2)).date_naive();
    ahead["consent"]["withdrawn_on"] = json!(tomorrow.to_string());
    let r = put(&ahead, 2);
    assert_eq!(r.status(), 422, "a withdrawal dated ahead is refused");
    let report = r.json::<Value>().unwrap().to_string();
    assert!(report.contains("KY-REG-CONSENT-DATES"), "{report}");
    let status = kyoten::store::registrations::status(&mut s.store.conn().unwrap(), &reg);
    assert_eq!(status.unwrap().as_deref(), Some("active"));
    let mut withdrawn = other.clone();
    withdrawn["consent"]["withdrawn_on"] = json!("2026-01-10");
    assert_eq!(
        put(&withdrawn, 2).status(),
        200,
        "a withdrawal may be recorded"
    );
    let status = kyoten::store::registrations::status(&mut s.store.conn().unwrap(), &reg);
    assert_eq!(status.unwrap().as_deref(), Some("consent_withdrawn"));
}

#[test]
fn provision_records_come_in_pages_that_continue_after_the_last_one_read() {
    let s = exchange();
    let reg = register(&s, "office", None);
    for _ in 0..3 {
        send(&s, "office", &request(&reg, FACILITY));
    }
    let page = |query: &str| {
        let r = s.get(
            "city-1",
            &format!("/v1/provisions?person={reg}{query}"),
            "application/json",
        );
        (
            r.status().as_u16(),
            r.json::<Value>().unwrap_or(Value::Null),
        )
    };
    let (_, all) = page("");
    let ids: Vec<&Value> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["id"])
        .collect();
    assert_eq!(ids.len(), 3);
    let (_, first) = page("&limit=2");
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let after = first["next_after"].as_str().unwrap();
    assert_eq!(json!(after), *ids[1]);
    let (_, second) = page(&format!("&limit=2&after={after}"));
    assert_eq!(second["items"][0]["id"], *ids[2]);
    assert_eq!(second["next_after"], Value::Null);
    assert_eq!(page("&after=prv_nothing").0, 400);
}

#[test]
fn a_verified_packet_about_a_registration_that_does_not_exist_is_unknown_to_those_who_read_all() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let key = register_key(&s, "office");
    let mut packet = own_packet(&reg, 1);
    packet["registration_ref"]["registration_id"] = json!("reg_000000000000000000000000");
    let compact = jws::sign(&packet, "handoff+jws", &key).unwrap();
    let verify = |org: &str| -> Value {
        s.post_bytes(
            org,
            "/v1/verify",
            "application/jose",
            compact.as_bytes().to_vec(),
        )
        .json()
        .unwrap()
    };
    // The kikan reads every registration, so it may be told there is none.
    let v = verify("kikan-1");
    assert_eq!(v["valid"], false, "{v}");
    assert_eq!(v["verdict"], "unknown_registration", "{v}");
    // The recipient may not learn which registrations exist: its consent was not checked.
    let v = verify(FACILITY);
    assert_eq!(v["verdict"], "valid", "{v}");
    assert_eq!(v["consent_checked"], false, "{v}");
}

#[test]
fn reading_a_handoffs_state_and_responses_is_recorded() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let created = send(&s, "office", &request(&reg, FACILITY));
    let id = created["handoff_id"].as_str().unwrap();
    let view_as = |org: &str| s.get(org, &format!("/v1/handoffs/{id}"), "application/json");
    let recorded = || -> Vec<Value> {
        let path = format!("/v1/audit?record_id={id}&action=read_status");
        let page: Value = s.get("city-1", &path, "application/json").json().unwrap();
        page["items"].as_array().unwrap().clone()
    };
    assert_eq!(view_as(FACILITY).status(), 200);
    let items = recorded();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["organization_id"], FACILITY);
    assert_eq!(items[0]["record_type"], "handoff");
    // Someone who may not see the handoff gets 404, and nothing is recorded for it.
    assert_eq!(view_as(OTHER_FACILITY).status(), 404);
    assert_eq!(recorded().len(), 1);
}

#[test]
fn verify_answers_in_the_language_asked_for_japanese_by_default() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let id = send(&s, "office", &request(&reg, FACILITY))["handoff_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let packet = s
        .get(FACILITY, &format!("/v1/handoffs/{id}"), "application/jose")
        .bytes()
        .unwrap()
        .to_vec();
    let verify = |body: &[u8], lang: Option<&str>| -> Value {
        let mut req = client()
            .post(s.url("/v1/verify"))
            .bearer_auth(s.key(FACILITY))
            .header("content-type", "application/jose")
            .body(body.to_vec());
        if let Some(lang) = lang {
            req = req.header("accept-language", lang);
        }
        req.send().unwrap().json().unwrap()
    };
    let japanese = |v: &Value| {
        v["message"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| ('\u{3040}'..='\u{30ff}').contains(&c))
    };
    for (body, verdict) in [(&packet[..], "valid"), (&b"not a packet"[..], "malformed")] {
        let ja = verify(body, None);
        assert_eq!(ja["verdict"], verdict);
        assert!(japanese(&ja), "{ja}");
        let en = verify(body, Some("en"));
        assert_eq!(en["verdict"], verdict);
        assert!(!japanese(&en), "{en}");
    }
}
