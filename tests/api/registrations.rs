//! Registrations over HTTP: who may submit and read, validation before storage, nothing
//! stored on refusal, every access recorded.
use crate::fixtures::registration_from;
use crate::helpers::*;
use kyoten::store::{audit, registrations};
use serde_json::Value;

fn submit(as_org: &str, doc: &Value) -> reqwest::blocking::Response {
    server().post_json(as_org, "/v1/registrations", doc)
}

/// Registrations taken by the organization whose every submission the tests expect refused
/// (other tests store registrations concurrently, so a global count would race).
fn refused_office_count() -> i64 {
    registrations::count_received_by(&mut server().store.conn().unwrap(), "office-refused").unwrap()
}

fn read_as(as_org: &str, location: &str) -> reqwest::blocking::Response {
    client()
        .get(url(location))
        .bearer_auth(key(as_org))
        .send()
        .unwrap()
}

#[test]
fn a_consultation_office_submits_a_registration_and_gets_its_id_and_version() {
    let res = submit("office-a", &registration_from("office-a"));
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let stored: Value = res.json().unwrap();
    let id = stored["registration_id"]
        .as_str()
        .expect("server assigned an id");
    assert_eq!(location, format!("/v1/registrations/{id}"));
    let read = read_as("office-a", &location);
    assert_eq!(read.status(), 200);
    assert_eq!(read.json::<Value>().unwrap(), stored);
}

#[test]
fn the_kikan_the_hub_and_the_city_read_any_registration_the_taking_office_only_its_own() {
    let res = submit("office-a", &registration_from("office-a"));
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    for reader in ["office-a", "kikan-sendai", "hub-aoba", "city-041009"] {
        assert_eq!(read_as(reader, &location).status(), 200, "{reader}");
    }
    for outsider in ["office-b", "0411200015"] {
        let res = read_as(outsider, &location);
        assert_eq!(
            res.status(),
            404,
            "{outsider} must not learn that it exists"
        );
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }
    assert_eq!(
        read_as("kikan-sendai", "/v1/registrations/reg_doesnotexist").status(),
        404
    );
}

#[test]
fn every_read_and_write_of_a_registration_is_recorded() {
    let res = submit("office-a", &registration_from("office-a"));
    let stored: Value = res.json().unwrap();
    let id = stored["registration_id"].as_str().unwrap().to_owned();
    read_as("kikan-sendai", &format!("/v1/registrations/{id}"));
    read_as("0411200015", &format!("/v1/registrations/{id}"));
    let records =
        audit::for_record(&mut server().store.conn().unwrap(), "registration", &id).unwrap();
    let seen: Vec<(&str, &str)> = records
        .iter()
        .map(|r| (r.organization_id.as_str(), r.action.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![("office-a", "create"), ("kikan-sendai", "read")],
        "a refused read reads nothing"
    );
}

#[test]
fn an_invalid_registration_is_refused_with_its_report_and_nothing_is_stored() {
    let mut doc = registration_from("office-refused");
    doc["registration_reasons"] = serde_json::json!(["disability_related_crisis"]);
    let before = refused_office_count();
    let res = client()
        .post(url("/v1/registrations"))
        .bearer_auth(key("office-refused"))
        .header("accept-language", "en")
        .json(&doc)
        .send()
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem: Value = res.json().unwrap();
    assert_eq!(
        problem["type"],
        "https://w3id.org/kyoten/problems/invalid-document"
    );
    assert_eq!(
        problem["report"]["errors"][0]["id"],
        "KY-REG-SHORTSTAY-REASON"
    );
    assert_eq!(refused_office_count(), before);
}

#[test]
fn a_registration_for_another_office_or_with_an_id_is_refused() {
    let before = refused_office_count();
    let res = submit("office-refused", &registration_from("office-b"));
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>().unwrap()["type"],
        "https://w3id.org/kyoten/problems/received-by-mismatch"
    );
    let mut with_id = registration_from("office-refused");
    with_id["registration_id"] = "reg_mine".into();
    let res = submit("office-refused", &with_id);
    assert_eq!(
        res.json::<Value>().unwrap()["type"],
        "https://w3id.org/kyoten/problems/registration-id-not-allowed"
    );
    assert_eq!(refused_office_count(), before);
}

#[test]
fn facilities_and_the_city_may_not_submit_registrations() {
    for org in ["0411200015", "city-041009"] {
        let mut doc = registration_from(org);
        doc["received_by"]["role"] = "facility".into();
        assert_eq!(submit(org, &doc).status(), 403, "{org}");
    }
}

#[test]
fn requests_without_a_valid_key_are_401_with_a_bearer_challenge() {
    let res = client().get(url("/v1/registrations/reg_x")).send().unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    let res = client()
        .get(url("/v1/registrations/reg_x"))
        .bearer_auth("kyk_not_a_key")
        .send()
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.json::<Value>().unwrap()["type"],
        "https://w3id.org/kyoten/problems/unauthorized"
    );
}

fn created(as_org: &str) -> (String, Value) {
    let res = submit(as_org, &registration_from(as_org));
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    (location, res.json().unwrap())
}

fn change(
    as_org: &str,
    location: &str,
    if_match: Option<&str>,
    doc: &Value,
) -> reqwest::blocking::Response {
    let mut req = client()
        .put(url(location))
        .bearer_auth(key(as_org))
        .json(doc);
    if let Some(tag) = if_match {
        req = req.header("if-match", tag);
    }
    req.send().unwrap()
}

#[test]
fn a_change_notification_with_the_current_etag_becomes_the_next_version() {
    let (location, mut doc) = created("office-a");
    doc["reason_note"] = "同居の母が入院予定のため、短期入所の事前調整を追加".into();
    let res = change("office-a", &location, Some("\"1\""), &doc);
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let read = read_as("kikan-sendai", &location);
    assert_eq!(read.headers()["etag"], "\"2\"");
    assert_eq!(
        read.json::<Value>().unwrap()["reason_note"],
        doc["reason_note"]
    );
    let history: Vec<Value> = read_as("city-041009", &format!("{location}/versions"))
        .json()
        .unwrap();
    assert_eq!(
        history
            .iter()
            .map(|v| v["version"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(history[1]["recorded_by"], "office-a");
    assert_ne!(
        history[0]["document"]["reason_note"],
        history[1]["document"]["reason_note"]
    );
}

#[test]
fn a_change_without_if_match_is_428_and_with_a_stale_one_412_and_nothing_changes() {
    let (location, mut doc) = created("office-a");
    doc["reason_note"] = "変更".into();
    let res = change("office-a", &location, None, &doc);
    assert_eq!(res.status(), 428);
    assert_eq!(
        res.json::<Value>().unwrap()["type"],
        "https://w3id.org/kyoten/problems/precondition-required"
    );
    assert_eq!(
        change("office-a", &location, Some("\"1\""), &doc).status(),
        200
    );
    let stale = change("office-a", &location, Some("\"1\""), &doc);
    assert_eq!(stale.status(), 412);
    assert_eq!(
        stale.json::<Value>().unwrap()["type"],
        "https://w3id.org/kyoten/problems/precondition-failed"
    );
    assert_eq!(
        change("office-a", &location, Some("*garbage*"), &doc).status(),
        412
    );
    assert_eq!(read_as("office-a", &location).headers()["etag"], "\"2\"");
}

#[test]
fn two_concurrent_changes_on_the_same_version_have_exactly_one_winner() {
    let (location, doc) = created("office-a");
    let outcomes: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (location, mut doc) = (location.clone(), doc.clone());
                scope.spawn(move || {
                    doc["reason_note"] = format!("同時変更 {i}").into();
                    let who = if i % 2 == 0 {
                        "office-a"
                    } else {
                        "kikan-sendai"
                    };
                    change(who, &location, Some("\"1\""), &doc)
                        .status()
                        .as_u16()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        outcomes.iter().filter(|s| **s == 200).count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes.iter().filter(|s| **s == 412).count(),
        7,
        "{outcomes:?}"
    );
    let history: Vec<Value> = read_as("kikan-sendai", &format!("{location}/versions"))
        .json()
        .unwrap();
    assert_eq!(history.len(), 2, "no lost or doubled update");
}

#[test]
fn the_city_may_read_but_not_change_and_outsiders_cannot_even_see() {
    let (location, doc) = created("office-a");
    let res = change("city-041009", &location, Some("\"1\""), &doc);
    assert_eq!(res.status(), 403);
    for outsider in ["office-b", "0411200015"] {
        assert_eq!(
            change(outsider, &location, Some("\"1\""), &doc).status(),
            404,
            "{outsider}"
        );
        assert_eq!(
            read_as(outsider, &format!("{location}/versions")).status(),
            404,
            "{outsider}"
        );
    }
    assert_eq!(read_as("office-a", &location).headers()["etag"], "\"1\"");
}

#[test]
fn an_invalid_change_is_refused_with_its_report_and_the_registration_keeps_its_version() {
    let (location, mut doc) = created("office-a");
    doc["emergency_contacts"][0]["consent_obtained"] = false.into();
    let res = change("office-a", &location, Some("\"1\""), &doc);
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().unwrap();
    assert_eq!(
        problem["report"]["errors"][0]["id"],
        "KY-REG-CONTACT-CONSENT"
    );
    let mut other = doc.clone();
    other["emergency_contacts"][0]["consent_obtained"] = true.into();
    other["registration_id"] = "reg_someone_else".into();
    assert_eq!(
        change("office-a", &location, Some("\"1\""), &other).status(),
        422
    );
    assert_eq!(read_as("office-a", &location).headers()["etag"], "\"1\"");
}

#[test]
fn fifty_concurrent_submissions_are_all_stored_without_a_server_error() {
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..50)
            .map(|i| {
                scope.spawn(move || {
                    let office = if i % 2 == 0 { "office-a" } else { "office-b" };
                    submit(office, &registration_from(office)).status().as_u16()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
}

fn withdraw(as_org: &str, location: &str) -> reqwest::blocking::Response {
    client()
        .post(url(&format!("{location}/consent-withdrawal")))
        .bearer_auth(key(as_org))
        .send()
        .unwrap()
}

fn status_of(doc: &Value) -> Option<String> {
    let id = doc["registration_id"].as_str().unwrap();
    registrations::status(&mut server().store.conn().unwrap(), id).unwrap()
}

#[test]
fn a_consent_withdrawal_is_recorded_as_a_new_version_and_only_once() {
    let (location, doc) = created("office-a");
    let res = withdraw("kikan-sendai", &location);
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let withdrawn: Value = res.json().unwrap();
    assert!(withdrawn["consent"]["withdrawn_on"].is_string());
    assert_eq!(status_of(&doc).as_deref(), Some("consent_withdrawn"));
    let again = withdraw("office-a", &location);
    assert_eq!(again.status(), 409);
    assert_eq!(
        again.json::<Value>().unwrap()["type"],
        "https://w3id.org/kyoten/problems/consent-already-withdrawn"
    );
    let history: Vec<Value> = read_as("kikan-sendai", &format!("{location}/versions"))
        .json()
        .unwrap();
    assert_eq!(
        history.len(),
        2,
        "the registration is kept, with its history"
    );
    let records = audit::for_record(
        &mut server().store.conn().unwrap(),
        "registration",
        doc["registration_id"].as_str().unwrap(),
    )
    .unwrap();
    assert!(records
        .iter()
        .any(|r| r.action == "withdraw_consent" && r.organization_id == "kikan-sendai"));
}

#[test]
fn only_those_who_may_change_a_registration_may_record_a_withdrawal() {
    let (location, doc) = created("office-a");
    assert_eq!(withdraw("city-041009", &location).status(), 403);
    assert_eq!(withdraw("office-b", &location).status(), 404);
    assert_eq!(withdraw("0411200015", &location).status(), 404);
    assert_eq!(status_of(&doc).as_deref(), Some("active"));
}

#[test]
fn a_change_notification_that_drops_or_moves_a_withdrawal_is_refused_and_changes_nothing() {
    let (location, doc) = created("office-a");
    let answer: Value = withdraw("office-a", &location).json().unwrap();
    let withdrawn_on = answer["consent"]["withdrawn_on"].clone();
    assert!(withdrawn_on.is_string());
    // The whole document as the office keeps it, with the withdrawal recorded.
    let mut withdrawn = doc.clone();
    withdrawn["consent"] = answer["consent"].clone();

    let mut dropped = withdrawn.clone();
    dropped["consent"]
        .as_object_mut()
        .unwrap()
        .remove("withdrawn_on");
    dropped["consent"]["granted_on"] = "2026-03-01".into();
    let mut moved = withdrawn.clone();
    moved["consent"]["withdrawn_on"] = "2026-01-05".into();
    let mut widened = withdrawn.clone();
    widened["consent"]["granted_on"] = "2026-03-01".into();
    for (what, body, who) in [
        ("dropped", &dropped, "office-a"),
        ("dropped by the kikan", &dropped, "kikan-sendai"),
        ("moved", &moved, "hub-aoba"),
        ("the consent it ends altered", &widened, "office-a"),
    ] {
        let res = change(who, &location, Some("\"2\""), body);
        assert_eq!(res.status(), 409, "{what}");
        assert_eq!(
            res.headers()["content-type"],
            "application/problem+json",
            "{what}"
        );
        assert_eq!(problem_type(res), "consent-withdrawal-final", "{what}");
    }
    assert_eq!(read_as("office-a", &location).headers()["etag"], "\"2\"");
    assert_eq!(status_of(&doc).as_deref(), Some("consent_withdrawn"));
    let history: Vec<Value> = read_as("kikan-sendai", &format!("{location}/versions"))
        .json()
        .unwrap();
    assert_eq!(history.len(), 2);

    // Other corrections of a withdrawn registration remain possible; the withdrawal stays.
    let mut corrected = withdrawn.clone();
    corrected["reason_note"] = "連絡先の訂正".into();
    let res = change("office-a", &location, Some("\"2\""), &corrected);
    assert_eq!(res.status(), 200);
    let stored: Value = res.json().unwrap();
    assert_eq!(stored["consent"]["withdrawn_on"], withdrawn_on);
    assert_eq!(status_of(&doc).as_deref(), Some("consent_withdrawn"));
}

#[test]
fn a_change_notification_may_not_rewrite_who_received_the_registration() {
    let (location, doc) = created("office-a");
    let mut other_office = doc.clone();
    other_office["received_by"]["organization_id"] = "office-b".into();
    let mut other_role = doc.clone();
    other_role["received_by"]["role"] = "kikan".into();
    for (what, body, who) in [
        ("another office, by the office", &other_office, "office-a"),
        (
            "another office, by the kikan",
            &other_office,
            "kikan-sendai",
        ),
        ("another role, by the hub", &other_role, "hub-aoba"),
    ] {
        let res = change(who, &location, Some("\"1\""), body);
        assert_eq!(res.status(), 409, "{what}");
        assert_eq!(problem_type(res), "received-by-immutable", "{what}");
    }
    assert_eq!(read_as("office-a", &location).headers()["etag"], "\"1\"");
    assert_eq!(read_as("office-b", &location).status(), 404);
    let stored = registrations::get(
        &mut server().store.conn().unwrap(),
        doc["registration_id"].as_str().unwrap(),
    )
    .unwrap()
    .unwrap();
    assert_eq!(stored.received_by, "office-a");
    let document: Value = serde_json::from_str(&stored.document).unwrap();
    assert_eq!(document["received_by"], doc["received_by"]);
}

fn today_in_japan() -> String {
    (chrono::Utc::now() + chrono::TimeDelta::hours(9))
        .format("%Y-%m-%d")
        .to_string()
}

fn post_as(
    as_org: &str,
    path: &str,
    if_match: Option<&str>,
    body: &Value,
) -> reqwest::blocking::Response {
    let mut req = client().post(url(path)).bearer_auth(key(as_org)).json(body);
    if let Some(tag) = if_match {
        req = req.header("if-match", tag);
    }
    req.send().unwrap()
}

/// The access records of a registration with this action, as (organization, categories,
/// purpose).
fn recorded(doc: &Value, action: &str) -> Vec<(String, String, String)> {
    audit::for_record(
        &mut server().store.conn().unwrap(),
        "registration",
        doc["registration_id"].as_str().unwrap(),
    )
    .unwrap()
    .into_iter()
    .filter(|r| r.action == action)
    .map(|r| (r.organization_id, r.categories, r.purpose))
    .collect()
}

#[test]
fn the_answer_to_a_withdrawal_carries_no_personal_data_as_its_access_record_says() {
    let (location, doc) = created("office-a");
    let answer: Value = withdraw("office-a", &location).json().unwrap();
    assert_eq!(
        answer.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["consent", "registration_id", "status", "version"]
    );
    assert_eq!(answer["status"], "consent_withdrawn");
    assert_eq!(answer["version"], 2);
    assert_eq!(
        recorded(&doc, "withdraw_consent"),
        [("office-a".into(), String::new(), "registration".into())]
    );
}

#[test]
fn after_a_withdrawal_reads_and_the_history_show_only_identity_and_status() {
    let (location, doc) = created("office-a");
    withdraw("office-a", &location);
    for who in ["office-a", "kikan-sendai", "hub-aoba", "city-041009"] {
        let read: Value = read_as(who, &location).json().unwrap();
        assert_eq!(read["view"], "after_withdrawal", "{who}");
        assert_eq!(read["registrant"]["name"], doc["registrant"]["name"]);
        assert_eq!(
            read["registrant"]["birth_date"],
            doc["registrant"]["birth_date"]
        );
        for withheld in [
            "condition",
            "emergency_plan",
            "emergency_contacts",
            "household",
        ] {
            assert!(read.get(withheld).is_none(), "{who} sees {withheld}");
        }
        assert!(read["registrant"].get("address").is_none(), "{who}");
        assert!(read["registrant"].get("phones").is_none(), "{who}");
        let history: Vec<Value> = read_as(who, &format!("{location}/versions"))
            .json()
            .unwrap();
        assert_eq!(history.len(), 2);
        for v in &history {
            assert_eq!(v["document"]["view"], "after_withdrawal", "{who}: {v}");
            assert!(v["document"].get("condition").is_none());
        }
        assert_eq!(history[0]["event"], "create");
        assert_eq!(history[1]["event"], "withdraw_consent");
    }
    let reads = recorded(&doc, "read");
    assert!(!reads.is_empty());
    assert!(
        reads
            .iter()
            .all(|(_, categories, _)| categories == "identity"),
        "{reads:?}"
    );
}

#[test]
fn the_whole_record_after_a_withdrawal_takes_a_recorded_break_glass_read_by_a_coordinator() {
    let (location, doc) = created("office-a");
    withdraw("office-a", &location);
    let path = format!("{location}/break-glass-read");
    let basis = serde_json::json!({"legal_basis": "vital_interest"});
    let res = post_as("kikan-sendai", &path, None, &basis);
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let full: Value = res.json().unwrap();
    assert_eq!(full["condition"], doc["condition"]);
    assert_eq!(full["household"], doc["household"]);
    let records = recorded(&doc, "break_glass_read");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].0, "kikan-sendai");
    assert_eq!(records[0].2, "vital_interest");
    assert!(records[0].1.contains("household"));

    // Not for the office (it cannot send on this basis either), not without the basis, and
    // not for someone who cannot see the registration.
    let office = post_as("office-a", &path, None, &basis);
    assert_eq!(office.status(), 403);
    assert_eq!(problem_type(office), "break-glass-not-allowed");
    for body in [
        serde_json::json!({}),
        serde_json::json!({"legal_basis": "consent"}),
        serde_json::json!({"legal_basis": "vital_interest", "note": "x"}),
    ] {
        let res = post_as("hub-aoba", &path, None, &body);
        assert_eq!(res.status(), 422, "{body}");
        assert_eq!(problem_type(res), "invalid-break-glass-request");
    }
    assert_eq!(post_as("0411200015", &path, None, &basis).status(), 404);
    assert_eq!(
        recorded(&doc, "break_glass_read").len(),
        1,
        "refusals record nothing"
    );
}

#[test]
fn a_new_consent_is_its_own_recorded_act_and_makes_the_registration_active_again() {
    let (location, doc) = created("office-a");
    withdraw("office-a", &location);
    let path = format!("{location}/consent");
    let mut consent = doc["consent"].clone();
    consent["granted_on"] = today_in_japan().into();
    consent["method"] = "signature".into();

    let res = post_as("office-a", &path, Some("\"2\""), &consent);
    assert_eq!(res.status(), 200, "{}", res.text().unwrap());
    let res = read_as("office-a", &location);
    assert_eq!(res.headers()["etag"], "\"3\"");
    let read: Value = res.json().unwrap();
    assert!(read.get("view").is_none(), "the whole record again");
    assert_eq!(read["consent"], consent);
    assert_eq!(read["condition"], doc["condition"], "nothing else changed");
    assert_eq!(status_of(&doc).as_deref(), Some("active"));
    let history: Vec<Value> = read_as("kikan-sendai", &format!("{location}/versions"))
        .json()
        .unwrap();
    let events: Vec<&str> = history
        .iter()
        .map(|v| v["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["create", "withdraw_consent", "grant_consent"]);
    assert_eq!(
        recorded(&doc, "grant_consent"),
        [("office-a".into(), String::new(), "registration".into())]
    );
}

/// A refused new consent: what, by whom, with which If-Match, the body, status and type.
type RefusedConsent<'a> = (&'a str, &'a str, Option<&'a str>, &'a Value, u16, &'a str);

#[test]
fn a_new_consent_that_is_not_newer_invalid_or_not_the_callers_changes_nothing() {
    let (location, doc) = created("office-a");
    withdraw("office-a", &location);
    let path = format!("{location}/consent");
    let newer = |f: &dyn Fn(&mut Value)| {
        let mut c = doc["consent"].clone();
        c["granted_on"] = today_in_japan().into();
        f(&mut c);
        c
    };
    let older = newer(&|c| c["granted_on"] = "2025-10-15".into());
    let withdrawn_too = newer(&|c| c["withdrawn_on"] = today_in_japan().into());
    let no_kikan = newer(&|c| {
        c["provisions"] = serde_json::json!([{"recipients": ["facility"],
            "purposes": ["emergency_acceptance"], "categories": ["identity"],
            "decision": "permit"}])
    });
    let cases: [RefusedConsent; 6] = [
        (
            "not after the old one",
            "office-a",
            Some("\"2\""),
            &older,
            409,
            "consent-not-newer",
        ),
        (
            "carrying a withdrawal",
            "office-a",
            Some("\"2\""),
            &withdrawn_too,
            409,
            "consent-not-newer",
        ),
        (
            "invalid with the registration",
            "kikan-sendai",
            Some("\"2\""),
            &no_kikan,
            422,
            "invalid-document",
        ),
        (
            "without If-Match",
            "office-a",
            None,
            &older,
            428,
            "precondition-required",
        ),
        (
            "on a stale version",
            "office-a",
            Some("\"1\""),
            &newer(&|_| ()),
            412,
            "precondition-failed",
        ),
        (
            "by the city",
            "city-041009",
            Some("\"2\""),
            &newer(&|_| ()),
            403,
            "forbidden",
        ),
    ];
    for (what, who, tag, body, status, kind) in cases {
        let res = post_as(who, &path, tag, body);
        assert_eq!(res.status(), status, "{what}");
        assert_eq!(problem_type(res), kind, "{what}");
    }
    let other = post_as("office-b", &path, Some("\"2\""), &newer(&|_| ()));
    assert_eq!(other.status(), 404);
    assert_eq!(read_as("office-a", &location).headers()["etag"], "\"2\"");
    assert_eq!(status_of(&doc).as_deref(), Some("consent_withdrawn"));
    assert!(recorded(&doc, "grant_consent").is_empty());
}
