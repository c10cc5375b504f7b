//! Normal-time sharing (平時の情報共有): the taking office shares the registration with the
//! facilities the person prearranged, without any emergency; a change of the registration
//! re-sends each shared copy and supersedes the old one, a consent that no longer permits it
//! or a withdrawal revokes it, and the recipients are told in their notices.
use crate::fixtures::hours_ago;
use crate::handoffs::OTHER_FACILITY;
use crate::handoffs::{exchange, open, provisions, register, request, send, FACILITY};
use crate::helpers::*;
use serde_json::{json, Value};

/// The fixture's consent, with `FACILITY` prearranged: it may hold the registration in normal
/// times (everything but the household).
fn prearranged_consent() -> Value {
    json!({
        "granted_on": "2025-10-15", "granted_by": "registrant", "method": "signature",
        "provisions": [
            {"recipients": ["kikan", "hub", "city", "office"], "purposes": ["emergency_preparation", "emergency_acceptance"],
             "categories": ["identity", "contact", "certificates", "care_status", "medical", "emergency_plan", "emergency_contacts", "household"], "decision": "permit"},
            {"recipients": [FACILITY], "purposes": ["emergency_preparation", "emergency_acceptance"],
             "categories": ["identity", "contact", "certificates", "care_status", "medical", "emergency_plan", "emergency_contacts"], "decision": "permit"},
            {"recipients": [OTHER_FACILITY], "purposes": ["emergency_acceptance"],
             "categories": ["identity", "contact", "certificates", "care_status", "medical", "emergency_plan", "emergency_contacts"], "decision": "permit"}
        ]
    })
}

fn share(reg: &str, recipient: &str) -> Value {
    json!({"registration_id": reg, "recipient": recipient, "purpose": "emergency_preparation"})
}

fn id_of(created: &Value) -> String {
    created["handoff_id"].as_str().unwrap().to_owned()
}

fn view(s: &TestServer, org: &str, handoff: &str) -> Value {
    let r = s.get_json(org, &format!("/v1/handoffs/{handoff}"));
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    r.json().unwrap()
}

/// The packet `org` fetches, opened with the exchange's published keys.
fn packet(s: &TestServer, org: &str, handoff: &str) -> Value {
    let r = s.get(org, &format!("/v1/handoffs/{handoff}"), "application/jose");
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    open(s, &r.bytes().unwrap())
        .expect("signed by the exchange")
        .document
}

fn notices(s: &TestServer, org: &str) -> Vec<Value> {
    let r = s.get_json(org, "/v1/notices");
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    r.json::<Value>().unwrap()["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn respond(s: &TestServer, org: &str, role: &str, handoff: &str, status: &str) -> u16 {
    let body = json!({
        "document_type": "handoff_response", "schema_version": "1.0.0",
        "handoff_id": handoff,
        "responder": {"organization_id": org, "role": role},
        "status": status, "at": hours_ago(0),
    });
    let r = s.post_json(org, &format!("/v1/handoffs/{handoff}/responses"), &body);
    r.status().as_u16()
}

/// Sends a change notification for `reg` (its note changed) as `org`.
fn change(s: &TestServer, org: &str, reg: &str, note: &str) {
    let read = s.get_json(org, &format!("/v1/registrations/{reg}"));
    let tag = read.headers()["etag"].to_str().unwrap().to_owned();
    let mut doc: Value = read.json().unwrap();
    doc["reason_note"] = json!(note);
    let r = s.put_json(org, &format!("/v1/registrations/{reg}"), Some(&tag), &doc);
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
}

fn grant(s: &TestServer, reg: &str, version: u32, consent: Value) {
    let r = client()
        .post(s.url(&format!("/v1/registrations/{reg}/consent")))
        .bearer_auth(s.key("office"))
        .header("If-Match", format!("\"{version}\""))
        .json(&consent)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
}

fn withdraw(s: &TestServer, reg: &str) {
    let r = s.post_json(
        "office",
        &format!("/v1/registrations/{reg}/consent-withdrawal"),
        &json!({}),
    );
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
}

fn registration_handoffs(s: &TestServer, reg: &str) -> Vec<Value> {
    let page: Value = s
        .get_json("city-1", &format!("/v1/handoffs?registration_id={reg}"))
        .json()
        .unwrap();
    page["items"].as_array().unwrap().clone()
}

#[test]
fn a_prearranged_facility_gets_a_shared_copy_without_any_emergency_and_acknowledges_it() {
    let s = exchange();
    let reg = register(&s, "office", Some(prearranged_consent()));
    let created = send(&s, "office", &share(&reg, FACILITY));
    assert_eq!(created["legal_basis"], "consent");
    let id = id_of(&created);
    let doc = packet(&s, FACILITY, &id);
    assert_eq!(doc["purpose"], "emergency_preparation");
    for invented in ["situation", "request", "supersedes"] {
        assert_eq!(doc.get(invented), None, "{invented}");
    }
    assert!(!doc["subject"]["registrant"].is_null());
    assert_eq!(respond(&s, FACILITY, "facility", &id, "accepted"), 201);
    assert_eq!(
        respond(&s, FACILITY, "facility", &id, "admitted"),
        409,
        "nobody is admitted on a shared copy"
    );
    assert_eq!(view(&s, "office", &id)["status"], "accepted");
}

#[test]
fn a_share_that_names_a_situation_or_a_request_is_refused_naming_the_field() {
    let s = exchange();
    let reg = register(&s, "office", Some(prearranged_consent()));
    let acceptance = request(&reg, FACILITY);
    for field in ["situation", "request"] {
        let mut body = share(&reg, FACILITY);
        body[field] = acceptance[field].clone();
        let r = s.post_json("office", "/v1/handoffs", &body);
        assert_eq!(r.status(), 422, "{field}");
        let problem: Value = r.json().unwrap();
        assert_eq!(problem["field"], field);
    }
    // An acceptance without a request is refused too.
    let mut body = acceptance.clone();
    body.as_object_mut().unwrap().remove("request");
    let r = s.post_json("office", "/v1/handoffs", &body);
    assert_eq!(r.status(), 422);
    assert!(registration_handoffs(&s, &reg).is_empty());
}

#[test]
fn a_change_re_sends_the_shared_copy_which_supersedes_the_old_one_and_the_facility_is_told() {
    let s = exchange();
    let reg = register(&s, "office", Some(prearranged_consent()));
    let old = id_of(&send(&s, "office", &share(&reg, FACILITY)));
    packet(&s, FACILITY, &old);
    assert_eq!(respond(&s, FACILITY, "facility", &old, "accepted"), 201);

    change(&s, "office", &reg, "変更届: 服薬が変わった");

    let old_view = view(&s, "office", &old);
    assert_eq!(old_view["status"], "superseded");
    let new = old_view["superseded_by"].as_str().unwrap().to_owned();
    let new_view = view(&s, FACILITY, &new);
    assert_eq!(new_view["status"], "requested");
    assert_eq!(new_view["sender"]["organization_id"], "office");
    assert_eq!(new_view["registration_version"], 2);
    let doc = packet(&s, FACILITY, &new);
    assert_eq!(doc["supersedes"], old.as_str());
    assert_eq!(doc["registration_ref"]["version"], 2);
    assert_eq!(doc.get("situation"), None);

    let r = s.get(FACILITY, &format!("/v1/handoffs/{old}"), "application/jose");
    assert_eq!(r.status(), 409);
    let problem: Value = r.json().unwrap();
    assert_eq!(
        problem["type"].as_str().unwrap().rsplit('/').next(),
        Some("handoff-superseded")
    );
    assert_eq!(problem["superseded_by"], new.as_str());

    let told = notices(&s, FACILITY);
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["kind"], "handoff_superseded");
    assert_eq!(told[0]["handoff_id"], old.as_str());
    assert_eq!(told[0]["replaced_by"], new.as_str());
    assert!(notices(&s, OTHER_FACILITY).is_empty());
    assert!(notices(&s, "office").is_empty());
    let provided: Vec<Value> = provisions(&s, &reg)
        .into_iter()
        .filter(|p| p["handoff_id"] == new.as_str() && p["kind"] == "provided")
        .collect();
    assert_eq!(
        provided.len(),
        1,
        "the re-sent copy is provided by its sender"
    );
    assert_eq!(provided[0]["sender"], "office");
}

#[test]
fn the_re_sent_copy_keeps_the_categories_the_sender_chose() {
    let s = exchange();
    let reg = register(&s, "office", Some(prearranged_consent()));
    let mut body = share(&reg, FACILITY);
    body["categories"] = json!(["identity", "medical"]);
    let old = id_of(&send(&s, "office", &body));
    change(&s, "office", &reg, "変更届");
    let new = view(&s, "office", &old)["superseded_by"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        view(&s, "office", &new)["disclosed_categories"],
        json!(["identity", "medical"])
    );
}

#[test]
fn a_new_consent_that_no_longer_permits_the_share_revokes_it_and_the_facility_is_told() {
    let s = exchange();
    let reg = register(&s, "office", Some(prearranged_consent()));
    let old = id_of(&send(&s, "office", &share(&reg, FACILITY)));
    let mut narrower = crate::fixtures::narrow_consent();
    narrower["granted_on"] = json!((chrono::Utc::now() + chrono::TimeDelta::hours(9))
        .format("%Y-%m-%d")
        .to_string());
    grant(&s, &reg, 1, narrower);
    assert_eq!(view(&s, "office", &old)["status"], "revoked");
    let r = s.get(FACILITY, &format!("/v1/handoffs/{old}"), "application/jose");
    assert_eq!(r.status(), 409);
    assert_eq!(problem_type(r), "handoff-revoked");
    let told = notices(&s, FACILITY);
    assert_eq!(told.len(), 1);
    assert_eq!(told[0]["kind"], "handoff_revoked");
    assert_eq!(told[0]["replaced_by"], Value::Null);
    assert_eq!(registration_handoffs(&s, &reg).len(), 1, "nothing re-sent");
}

#[test]
fn a_withdrawal_revokes_every_shared_copy_and_unaccepted_request_but_not_a_stay_under_way() {
    let s = exchange();
    let reg = register(&s, "office", Some(prearranged_consent()));
    let shared = id_of(&send(&s, "office", &share(&reg, FACILITY)));
    let unanswered = id_of(&send(&s, "office", &request(&reg, OTHER_FACILITY)));
    let staying = id_of(&send(&s, "office", &request(&reg, FACILITY)));
    packet(&s, FACILITY, &staying);
    assert_eq!(respond(&s, FACILITY, "facility", &staying, "accepted"), 201);

    withdraw(&s, &reg);

    assert_eq!(view(&s, "office", &shared)["status"], "revoked");
    assert_eq!(view(&s, "office", &unanswered)["status"], "revoked");
    assert_eq!(view(&s, "office", &staying)["status"], "accepted");
    let kinds = |org: &str| -> Vec<(String, String)> {
        notices(&s, org)
            .iter()
            .map(|n| {
                (
                    n["kind"].as_str().unwrap().to_owned(),
                    n["handoff_id"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        kinds(FACILITY),
        [("handoff_revoked".to_owned(), shared.clone())]
    );
    assert_eq!(
        kinds(OTHER_FACILITY),
        [("handoff_revoked".to_owned(), unanswered)]
    );
    // The packet is withheld on the ended consent, revoked or not.
    let r = s.get(
        FACILITY,
        &format!("/v1/handoffs/{shared}"),
        "application/jose",
    );
    assert_eq!(problem_type(r), "consent-withdrawn");
}

#[test]
fn a_change_refused_as_stale_re_sends_nothing() {
    let s = exchange();
    let reg = register(&s, "office", Some(prearranged_consent()));
    let old = id_of(&send(&s, "office", &share(&reg, FACILITY)));
    let read = s.get_json("office", &format!("/v1/registrations/{reg}"));
    let mut doc: Value = read.json().unwrap();
    doc["reason_note"] = json!("古い版への変更");
    let r = s.put_json(
        "office",
        &format!("/v1/registrations/{reg}"),
        Some("\"7\""),
        &doc,
    );
    assert_eq!(r.status(), 412);
    assert_eq!(view(&s, "office", &old)["status"], "requested");
    assert_eq!(registration_handoffs(&s, &reg).len(), 1);
    assert!(notices(&s, FACILITY).is_empty());
}

#[test]
fn an_acceptance_request_is_not_re_sent_by_a_change() {
    let s = exchange();
    let reg = register(&s, "office", Some(prearranged_consent()));
    let asked = id_of(&send(&s, "office", &request(&reg, FACILITY)));
    change(&s, "office", &reg, "変更届");
    assert_eq!(view(&s, "office", &asked)["status"], "requested");
    assert_eq!(registration_handoffs(&s, &reg).len(), 1);
}

#[test]
fn notices_are_paged_for_their_organization_only_and_an_unknown_cursor_is_refused() {
    let s = exchange();
    let reg = register(&s, "office", Some(prearranged_consent()));
    send(&s, "office", &share(&reg, FACILITY));
    for n in 0..2 {
        change(&s, "office", &reg, &format!("変更届 {n}"));
    }
    let first: Value = s.get_json(FACILITY, "/v1/notices?limit=1").json().unwrap();
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    let after = first["next_after"].as_str().unwrap();
    let rest: Value = s
        .get_json(FACILITY, &format!("/v1/notices?after={after}"))
        .json()
        .unwrap();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["next_after"], Value::Null);
    assert_ne!(first["items"][0]["id"], rest["items"][0]["id"]);
    let about = first["items"][0]["handoff_id"].as_str().unwrap();
    let only: Value = s
        .get_json(FACILITY, &format!("/v1/notices?handoff_id={about}"))
        .json()
        .unwrap();
    assert_eq!(only["items"].as_array().unwrap().len(), 1);
    assert_eq!(only["items"][0]["handoff_id"], about);
    let other: Value = s
        .get_json(OTHER_FACILITY, &format!("/v1/notices?handoff_id={about}"))
        .json()
        .unwrap();
    assert_eq!(
        other["items"],
        json!([]),
        "another organization's notices stay its own"
    );
    for (query, parameter) in [
        ("after=ntc_nothing", Some("after")),
        ("limit=0", Some("limit")),
        ("limit=1001", Some("limit")),
        ("colour=red", Some("colour")),
    ] {
        let r = s.get_json(FACILITY, &format!("/v1/notices?{query}"));
        assert_eq!(r.status(), 400, "{query}");
        let problem: Value = r.json().unwrap();
        assert_eq!(
            problem["parameter"].as_str(),
            parameter,
            "{query}: {problem}"
        );
    }
    let r = client().get(s.url("/v1/notices")).send().unwrap();
    assert_eq!(r.status(), 401);
}
