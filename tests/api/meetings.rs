//! Meetings around a registration (顔合わせ・見学・体験利用・担当者会議): recorded as codes, a day
//! and organization ids by who may change the registration, read by who may read it, refused
//! field by field, and recorded as accesses without a data category.
use crate::fixtures::registration_from;
use crate::handoffs::{exchange, FACILITY};
use crate::helpers::*;
use serde_json::{json, Value};

fn visit() -> Value {
    json!({
        "kind": "visit", "held_on": "2026-11-20",
        "participants": ["office", FACILITY],
        "person_attended": true, "family_attended": true,
        "facility_id": FACILITY, "outcome": "prearranged"
    })
}

fn meetings(s: &TestServer, org: &str, reg: &str) -> reqwest::blocking::Response {
    s.get_json(org, &format!("/v1/registrations/{reg}/meetings"))
}

#[test]
fn the_responsible_office_records_a_visit_and_the_coordinators_read_it() {
    let s = exchange();
    let reg = s.register_document("office", &registration_from("office"));
    let path = format!("/v1/registrations/{reg}/meetings");
    let r = s.post_json("office", &path, &visit());
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    assert_eq!(r.headers()["location"], path.as_str());
    let recorded: Value = r.json().unwrap();
    assert!(recorded["meeting_id"].as_str().unwrap().starts_with("mtg_"));
    let mut conference = visit();
    conference["kind"] = json!("care_conference");
    conference["held_on"] = json!("2026-10-01");
    conference["participants"] = json!(["office", "kikan-1"]);
    conference["facility_id"] = Value::Null;
    conference["family_attended"] = json!(false);
    conference["outcome"] = json!("to_be_continued");
    assert_eq!(s.post_json("kikan-1", &path, &conference).status(), 201);

    for reader in ["office", "kikan-1", "city-1"] {
        let r = meetings(&s, reader, &reg);
        assert_eq!(r.status(), 200, "{reader}");
        let list: Vec<Value> = r.json().unwrap();
        let kinds: Vec<&str> = list.iter().map(|m| m["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["care_conference", "visit"], "by the day held");
        assert_eq!(list[1]["participants"], json!(["office", FACILITY]));
        assert_eq!(list[1]["facility_id"], FACILITY);
        assert_eq!(list[1]["recorded_by"], "office");
        assert_eq!(list[0]["facility_id"], Value::Null);
    }
    for outsider in ["other-office", FACILITY] {
        assert_eq!(
            problem_type(meetings(&s, outsider, &reg)),
            "not-found",
            "{outsider}"
        );
        assert_eq!(
            problem_type(s.post_json(outsider, &path, &visit())),
            "not-found"
        );
    }
    assert_eq!(
        problem_type(s.post_json("city-1", &path, &visit())),
        "forbidden"
    );
    let records =
        kyoten::store::audit::for_record(&mut s.store.conn().unwrap(), "registration", &reg)
            .unwrap();
    let recorded: Vec<(&str, &str)> = records
        .iter()
        .filter(|r| r.action == "record_meeting")
        .map(|r| (r.organization_id.as_str(), r.categories.as_str()))
        .collect();
    assert_eq!(recorded, [("office", ""), ("kikan-1", "")]);
}

#[test]
fn refused_meetings_name_the_field_and_store_nothing() {
    let s = exchange();
    let reg = s.register_document("office", &registration_from("office"));
    let path = format!("/v1/registrations/{reg}/meetings");
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(2))
        .date_naive()
        .to_string();
    let cases: Vec<(&str, Value)> = vec![
        ("kind", json!("lunch")),
        ("held_on", json!(tomorrow)),
        ("held_on", json!("2026-02-30")),
        ("participants", json!([])),
        ("participants", json!(["office", "office"])),
        ("participants", json!(["office", "no-such-org"])),
        ("participants", json!("office")),
        ("person_attended", json!("yes")),
        ("facility_id", json!("office")),
        ("facility_id", json!("0499999999")),
        ("outcome", json!("great")),
    ];
    for (field, value) in cases {
        let mut body = visit();
        body[field] = value.clone();
        let r = s.post_json("office", &path, &body);
        assert_eq!(r.status(), 422, "{field}: {value}");
        let problem: Value = r.json().unwrap();
        assert!(problem["type"]
            .as_str()
            .unwrap()
            .ends_with("invalid-meeting"));
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("項目 {field} ")),
            "{field}: {problem}"
        );
        assert!(
            !problem.to_string().contains("no-such-org"),
            "no value is echoed"
        );
    }
    let mut extra = visit();
    extra["note"] = json!("母の体調について");
    assert_eq!(
        problem_type(s.post_json("office", &path, &extra)),
        "invalid-meeting"
    );
    let mut missing = visit();
    missing.as_object_mut().unwrap().remove("outcome");
    assert_eq!(
        problem_type(s.post_json("office", &path, &missing)),
        "invalid-meeting"
    );
    let list: Vec<Value> = meetings(&s, "office", &reg).json().unwrap();
    assert!(list.is_empty());
}
