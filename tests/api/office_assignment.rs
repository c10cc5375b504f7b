//! The consultation office responsible for a registration (担当の相談支援事業所, 別紙2-2): an
//! office that takes a form is responsible for it; the kikan takes a form for a person without
//! an office and assigns one later; offices change. The responsible office reads and changes
//! the registration as its own, the one before it no longer does, `received_by` never moves,
//! and every assignment is kept and recorded.
use crate::fixtures::registration_from;
use crate::handoffs::{exchange, FACILITY};
use crate::helpers::*;
use serde_json::{json, Value};

fn office_of(s: &TestServer, org: &str, reg: &str) -> Value {
    let r = s.get_json(org, &format!("/v1/registrations/{reg}/responsible-office"));
    assert_eq!(r.status(), 200, "{org}: {}", r.text().unwrap());
    r.json().unwrap()
}

fn assign(s: &TestServer, org: &str, reg: &str, office: Value) -> reqwest::blocking::Response {
    let path = format!("/v1/registrations/{reg}/responsible-office");
    s.put_json(org, &path, None, &json!({ "organization_id": office }))
}

/// A registration the kikan took (no office yet).
fn taken_by_kikan(s: &TestServer) -> String {
    let mut form = registration_from("kikan-1");
    form["received_by"]["role"] = json!("kikan");
    s.register_document("kikan-1", &form)
}

fn listed(s: &TestServer, org: &str) -> Vec<String> {
    let page: Value = s.get_json(org, "/v1/registrations").json().unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["registration_id"].as_str().unwrap().to_owned())
        .collect()
}

/// Whether `org` may read the registration and send a change notification as its own.
fn handles(s: &TestServer, org: &str, reg: &str) -> bool {
    let read = s.get_json(org, &format!("/v1/registrations/{reg}"));
    if read.status() == 404 {
        return false;
    }
    assert_eq!(read.status(), 200);
    let tag = read.headers()["etag"].to_str().unwrap().to_owned();
    let mut doc: Value = read.json().unwrap();
    doc["reason_note"] = json!(format!("{org} が担当として記入"));
    let changed = s.put_json(org, &format!("/v1/registrations/{reg}"), Some(&tag), &doc);
    assert_eq!(changed.status(), 200, "{}", changed.text().unwrap());
    listed(s, org).contains(&reg.to_owned())
}

#[test]
fn an_office_that_takes_a_form_is_responsible_for_it_from_the_start() {
    let s = exchange();
    let reg = s.register_document("office", &registration_from("office"));
    let office = office_of(&s, "kikan-1", &reg);
    assert_eq!(office["received_by"], "office");
    assert_eq!(office["responsible_office"], "office");
    let assignments = office["assignments"].as_array().unwrap();
    assert_eq!(assignments.len(), 1);
    assert_eq!(
        (&assignments[0]["office"], &assignments[0]["assigned_by"]),
        (&json!("office"), &json!("office"))
    );
    let page: Value = s.get_json("city-1", "/v1/registrations").json().unwrap();
    assert_eq!(page["items"][0]["responsible_office"], "office");
}

#[test]
fn the_kikan_assigns_an_office_to_a_form_it_took_and_the_office_handles_it_as_its_own() {
    let s = exchange();
    let reg = taken_by_kikan(&s);
    let before = office_of(&s, "kikan-1", &reg);
    assert_eq!(before["responsible_office"], Value::Null);
    assert_eq!(before["assignments"], json!([]));
    assert!(
        !handles(&s, "office", &reg),
        "no office before the assignment"
    );

    let r = assign(&s, "kikan-1", &reg, json!("office"));
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    let assigned: Value = r.json().unwrap();
    assert_eq!(assigned["responsible_office"], "office");
    assert_eq!(
        assigned["received_by"], "kikan-1",
        "who took the form stays"
    );
    assert_eq!(assigned["assignments"][0]["assigned_by"], "kikan-1");
    assert!(handles(&s, "office", &reg));
    assert!(!handles(&s, "other-office", &reg));
    let found = s.post_json(
        "office",
        "/v1/search/registrations",
        &json!({"name": "センダイ", "purpose": "registration"}),
    );
    let found: Value = found.json().unwrap();
    assert_eq!(
        found["items"][0]["registration_id"],
        reg.as_str(),
        "{found}"
    );

    let record =
        kyoten::store::audit::for_record(&mut s.store.conn().unwrap(), "registration", &reg)
            .unwrap()
            .into_iter()
            .find(|r| r.action == "assign_office")
            .expect("the assignment is recorded");
    assert_eq!(
        (record.organization_id.as_str(), record.categories.as_str()),
        ("kikan-1", "")
    );
}

#[test]
fn moving_a_registration_to_another_office_ends_the_first_offices_access_and_keeps_the_history() {
    let s = exchange();
    let reg = s.register_document("office", &registration_from("office"));
    assert!(handles(&s, "office", &reg));
    let r = assign(&s, "city-1", &reg, json!("other-office"));
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    assert!(handles(&s, "other-office", &reg));
    assert!(
        !handles(&s, "office", &reg),
        "the office before no longer sees it"
    );
    assert_eq!(
        problem_type(s.get_json(
            "office",
            &format!("/v1/registrations/{reg}/responsible-office")
        )),
        "not-found"
    );
    let r = assign(&s, "kikan-1", &reg, Value::Null);
    assert_eq!(r.status(), 200);
    let history = office_of(&s, "kikan-1", &reg);
    assert_eq!(history["responsible_office"], Value::Null);
    let offices: Vec<&Value> = history["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["office"])
        .collect();
    assert_eq!(
        offices,
        [&json!("office"), &json!("other-office"), &Value::Null]
    );
    assert!(!handles(&s, "other-office", &reg));
}

#[test]
fn only_the_kikan_the_hub_and_the_city_assign_and_naming_the_same_office_changes_nothing() {
    let s = exchange();
    let reg = s.register_document("office", &registration_from("office"));
    assert_eq!(
        problem_type(assign(&s, "office", &reg, json!("other-office"))),
        "forbidden"
    );
    for outsider in ["other-office", FACILITY] {
        assert_eq!(
            problem_type(assign(&s, outsider, &reg, json!(outsider))),
            "not-found",
            "{outsider}"
        );
    }
    let r = assign(&s, "kikan-1", &reg, json!("office"));
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().unwrap()["assignments"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let records =
        kyoten::store::audit::for_record(&mut s.store.conn().unwrap(), "registration", &reg)
            .unwrap();
    assert!(!records.iter().any(|r| r.action == "assign_office"));
}

#[test]
fn refused_assignments_change_nothing_and_say_why() {
    let s = exchange();
    let reg = taken_by_kikan(&s);
    let path = format!("/v1/registrations/{reg}/responsible-office");
    for (body, expected) in [
        (json!({}), "invalid-office-assignment"),
        (json!({"organization_id": 7}), "invalid-office-assignment"),
        (json!({"organization_id": " "}), "invalid-office-assignment"),
        (
            json!({"organization_id": "office", "note": "x"}),
            "invalid-office-assignment",
        ),
        (json!(["office"]), "invalid-office-assignment"),
        (
            json!({"organization_id": FACILITY}),
            "invalid-office-assignment",
        ),
        (
            json!({"organization_id": "kikan-1"}),
            "invalid-office-assignment",
        ),
        (
            json!({"organization_id": "no-such-office"}),
            "invalid-office-assignment",
        ),
    ] {
        let r = s.put_json("kikan-1", &path, None, &body);
        assert_eq!(r.status(), 422, "{body}");
        assert_eq!(problem_type(r), expected, "{body}");
    }
    let r = client()
        .put(s.url(&path))
        .bearer_auth(s.key("kikan-1"))
        .header("Content-Type", "application/json")
        .body("{\"organization_id\": ")
        .send()
        .unwrap();
    assert_eq!(problem_type(r), "malformed-json");
    let r = assign(&s, "kikan-1", "reg_none", json!("office"));
    assert_eq!(problem_type(r), "not-found");
    let office = office_of(&s, "kikan-1", &reg);
    assert_eq!(office["responsible_office"], Value::Null);
    assert_eq!(office["assignments"], json!([]));
}
