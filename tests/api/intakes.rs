//! Emergency intakes for people who never registered (事前情報のない新規ケース): recorded by a
//! coordinator or an office with no name, address or phone; seen by who took them and the
//! coordinators; matched to A-group facilities first, never to medical short stay; every
//! access recorded.
use crate::fixtures::intake_from as intake;
use crate::helpers::*;
use crate::matching::{exchange, FACILITIES};
use serde_json::{json, Value};

/// Records `doc` as `org`; returns the stored intake.
fn record(s: &TestServer, org: &str, doc: &Value) -> Value {
    let r = s.post_json(org, "/v1/intakes", doc);
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let stored: Value = r.json().unwrap();
    let id = stored["intake_id"].as_str().unwrap();
    assert_eq!(location, format!("/v1/intakes/{id}"));
    stored
}

fn listed(s: &TestServer, org: &str) -> Vec<String> {
    let r = s.get_json(org, "/v1/intakes");
    assert_eq!(r.status(), 200);
    let page: Value = r.json().unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["intake_id"].as_str().unwrap().to_owned())
        .collect()
}

fn candidates(s: &TestServer, org: &str, id: &str, query: &str) -> Value {
    let r = s.get_json(org, &format!("/v1/intakes/{id}/candidates{query}"));
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    r.json().unwrap()
}

fn facility_ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["facility_id"].as_str().unwrap())
        .collect()
}

#[test]
fn an_intake_is_stored_with_its_id_and_read_by_who_took_it_and_the_coordinators_only() {
    let s = exchange();
    let doc = intake("office", "consultation_office");
    let stored = record(&s, "office", &doc);
    let id = stored["intake_id"].as_str().unwrap();
    assert!(id.starts_with("int_"), "{id}");
    let mut expected = doc.clone();
    expected["intake_id"] = json!(id);
    assert_eq!(stored, expected, "stored as sent, with its id");
    for reader in ["office", "kikan-1", "city-1"] {
        let r = s.get_json(reader, &format!("/v1/intakes/{id}"));
        assert_eq!(r.status(), 200, "{reader}");
        assert_eq!(r.json::<Value>().unwrap(), expected, "{reader}");
    }
    for outsider in ["other-office", FACILITIES[1]] {
        let r = s.get_json(outsider, &format!("/v1/intakes/{id}"));
        assert_eq!(problem_type(r), "not-found", "{outsider}");
    }
}

#[test]
fn an_intake_sent_as_xml_is_stored_as_its_json_form() {
    let s = exchange();
    let xml = std::fs::read(
        repo().join("conformance/vectors/emergency_intake/valid/mother_hospitalized_aoba.xml"),
    )
    .unwrap();
    let xml = String::from_utf8(xml)
        .unwrap()
        .replace("kikan-sendai-mihon", "kikan-1");
    let r = s.post_bytes(
        "kikan-1",
        "/v1/intakes",
        "application/xml",
        xml.into_bytes(),
    );
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    let stored: Value = r.json().unwrap();
    let mut expected = read_json(
        &repo().join("conformance/vectors/emergency_intake/valid/mother_hospitalized_aoba.json"),
    );
    expected["received_by"]["organization_id"] = json!("kikan-1");
    expected["intake_id"] = stored["intake_id"].clone();
    assert_eq!(stored, expected);
}

#[test]
fn refused_intakes_store_nothing_and_say_why() {
    let s = exchange();
    let mut named = intake("kikan-1", "kikan");
    named["person"]["name"] = json!("見本 太郎");
    let r = s.post_json("kikan-1", "/v1/intakes", &named);
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().unwrap();
    assert!(problem["type"]
        .as_str()
        .unwrap()
        .ends_with("/invalid-document"));
    assert!(
        !problem.to_string().contains("見本 太郎"),
        "the refused name is not echoed"
    );

    let mut with_id = intake("kikan-1", "kikan");
    with_id["intake_id"] = json!("int_chosen");
    assert_eq!(
        problem_type(s.post_json("kikan-1", "/v1/intakes", &with_id)),
        "intake-id-not-allowed"
    );
    let mut with_registration = intake("kikan-1", "kikan");
    with_registration["registration_id"] = json!("reg_chosen");
    assert_eq!(
        problem_type(s.post_json("kikan-1", "/v1/intakes", &with_registration)),
        "intake-id-not-allowed"
    );
    assert_eq!(
        problem_type(s.post_json(
            "kikan-1",
            "/v1/intakes",
            &intake("office", "consultation_office")
        )),
        "received-by-mismatch"
    );
    let facility = FACILITIES[1];
    assert_eq!(
        problem_type(s.post_json(facility, "/v1/intakes", &intake(facility, "facility"))),
        "forbidden"
    );
    assert!(listed(&s, "kikan-1").is_empty(), "nothing was stored");
}

#[test]
fn the_list_shows_a_coordinator_every_intake_and_an_office_its_own_without_personal_data() {
    let s = exchange();
    let by_office = record(&s, "office", &intake("office", "consultation_office"));
    let by_other = record(
        &s,
        "other-office",
        &intake("other-office", "consultation_office"),
    );
    let by_kikan = record(&s, "kikan-1", &intake("kikan-1", "kikan"));
    let id = |v: &Value| v["intake_id"].as_str().unwrap().to_owned();
    assert_eq!(
        listed(&s, "city-1"),
        [id(&by_office), id(&by_other), id(&by_kikan)]
    );
    assert_eq!(listed(&s, "office"), [id(&by_office)]);
    assert_eq!(
        problem_type(s.get_json(FACILITIES[1], "/v1/intakes")),
        "forbidden"
    );
    let page: Value = s.get_json("kikan-1", "/v1/intakes?limit=2").json().unwrap();
    let item = page["items"][0].as_object().unwrap();
    let keys: Vec<&str> = item.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "created_at",
            "intake_id",
            "municipality_code",
            "received_by",
            "registration_id",
            "ward"
        ]
    );
    let next = page["next_after"].as_str().unwrap();
    let rest: Value = s
        .get_json("kikan-1", &format!("/v1/intakes?after={next}"))
        .json()
        .unwrap();
    assert_eq!(rest["items"][0]["intake_id"], id(&by_kikan));
    assert_eq!(rest["next_after"], Value::Null);
}

#[test]
fn candidates_for_an_intake_are_a_group_first_and_never_medical_short_stay() {
    let s = exchange();
    let stored = record(&s, "kikan-1", &intake("kikan-1", "kikan"));
    let id = stored["intake_id"].as_str().unwrap();
    let found = candidates(&s, "kikan-1", id, "");
    assert_eq!(found["intake_id"], id);
    assert_eq!(found["situation"], "caregiver_unavailable");
    assert_eq!(found["service_types"], json!(["short_stay"]));
    let tiers: Vec<&str> = found["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["tier"].as_str().unwrap())
        .collect();
    // Needed today (the intake's urgency): the C facility, which never took an emergency, is
    // not asked the same day.
    assert_eq!(
        tiers,
        [
            "group_a_with_vacancy",
            "group_a_with_vacancy",
            "group_b_with_vacancy",
            "hub_emergency_room"
        ]
    );
    let listed = facility_ids(&found["candidates"]);
    // No medical care is needed, so the A facility without suction is a candidate too; of
    // the two A facilities the one in the person's ward (青葉区) comes first.
    assert_eq!(
        listed,
        [FACILITIES[6], FACILITIES[1], FACILITIES[3], FACILITIES[7]]
    );
    let group_c = found["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["facility_id"] == FACILITIES[4])
        .expect("the C facility is left out today");
    assert_eq!(group_c["reasons"], json!(["group_c_not_same_day"]));
    let mut later = intake("kikan-1", "kikan");
    later["situation"]["urgency"] = json!("within_days");
    let later = record(&s, "kikan-1", &later);
    let found_later = candidates(&s, "kikan-1", later["intake_id"].as_str().unwrap(), "");
    assert!(facility_ids(&found_later["candidates"]).contains(&FACILITIES[4]));
    let medical = found["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["facility_id"] == FACILITIES[5])
        .expect("the medical short stay is left out");
    assert_eq!(
        medical["reasons"],
        json!(["medical_short_stay_unannounced"])
    );
}

#[test]
fn an_intake_in_a_crisis_is_not_offered_short_stay() {
    let s = exchange();
    let mut doc = intake("kikan-1", "kikan");
    doc["situation"]["kind"] = json!("disability_related_crisis");
    doc["desired_services"] = json!(["short_stay", "daily_life_care"]);
    let r = s.post_json("kikan-1", "/v1/intakes", &doc);
    assert_eq!(r.status(), 201, "a warning does not refuse the intake");
    let id = r.json::<Value>().unwrap()["intake_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let found = candidates(&s, "kikan-1", &id, "");
    assert_eq!(found["short_stay_excluded"], true);
    assert_eq!(found["service_types"], json!(["daily_life_care"]));
    assert_eq!(facility_ids(&found["candidates"]), [FACILITIES[7]]);
    let r = s.get_json(
        "kikan-1",
        &format!("/v1/intakes/{id}/candidates?service_type=flying"),
    );
    assert_eq!(problem_type(r), "invalid-query");
    let r = s.get_json("other-office", &format!("/v1/intakes/{id}/candidates"));
    assert_eq!(problem_type(r), "not-found");
}

#[test]
fn every_access_to_an_intake_is_recorded_with_its_purpose() {
    let s = exchange();
    let stored = record(&s, "office", &intake("office", "consultation_office"));
    let id = stored["intake_id"].as_str().unwrap();
    s.get_json("city-1", &format!("/v1/intakes/{id}"));
    candidates(&s, "kikan-1", id, "");
    s.get_json("other-office", &format!("/v1/intakes/{id}"));
    let records =
        kyoten::store::audit::for_record(&mut s.store.conn().unwrap(), "emergency_intake", id)
            .unwrap();
    let seen: Vec<(&str, &str, &str)> = records
        .iter()
        .map(|r| {
            (
                r.organization_id.as_str(),
                r.action.as_str(),
                r.purpose.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("office", "create", "emergency_acceptance"),
            ("city-1", "read", "emergency_acceptance"),
            ("kikan-1", "match", "emergency_acceptance"),
        ],
        "a refused read is not an access"
    );
    assert!(records.iter().all(|r| r.categories.contains("medical")));
}

/// The registrations `org` may list.
fn registrations(s: &TestServer, org: &str) -> Vec<String> {
    let page: Value = s.get_json(org, "/v1/registrations").json().unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["registration_id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn an_intake_becomes_a_registration_once_and_then_names_it() {
    let s = exchange();
    let stored = record(&s, "kikan-1", &intake("kikan-1", "kikan"));
    let id = stored["intake_id"].as_str().unwrap();
    let mut form = crate::fixtures::registration_from("kikan-1");
    form["received_by"]["role"] = json!("kikan");
    let path = format!("/v1/registrations?from_intake={id}");

    let r = s.post_json("kikan-1", &path, &form);
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    let registration = r.json::<Value>().unwrap()["registration_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let read: Value = s
        .get_json("city-1", &format!("/v1/intakes/{id}"))
        .json()
        .unwrap();
    assert_eq!(read["registration_id"], registration.as_str());
    let page: Value = s.get_json("city-1", "/v1/intakes").json().unwrap();
    assert_eq!(page["items"][0]["registration_id"], registration.as_str());

    assert_eq!(
        problem_type(s.post_json("kikan-1", &path, &form)),
        "intake-already-registered"
    );
    assert_eq!(
        registrations(&s, "city-1"),
        std::slice::from_ref(&registration),
        "one registration"
    );

    let linked =
        kyoten::store::audit::for_record(&mut s.store.conn().unwrap(), "emergency_intake", id)
            .unwrap()
            .into_iter()
            .find(|r| r.action == "update")
            .expect("the link is recorded");
    assert_eq!(
        (linked.organization_id.as_str(), linked.purpose.as_str()),
        ("kikan-1", "registration")
    );
}

#[test]
fn a_registration_from_an_intake_the_caller_may_not_see_is_refused_and_stores_nothing() {
    let s = exchange();
    let stored = record(&s, "office", &intake("office", "consultation_office"));
    let id = stored["intake_id"].as_str().unwrap();
    for (caller, intake_id) in [("other-office", id), ("office", "int_none")] {
        let form = crate::fixtures::registration_from(caller);
        let r = s.post_json(
            caller,
            &format!("/v1/registrations?from_intake={intake_id}"),
            &form,
        );
        assert_eq!(r.status(), 400, "{caller}");
        let problem: Value = r.json().unwrap();
        assert!(
            problem["detail"].as_str().unwrap().contains("from_intake"),
            "{problem}"
        );
    }
    assert!(registrations(&s, "city-1").is_empty());
    let read: Value = s
        .get_json("office", &format!("/v1/intakes/{id}"))
        .json()
        .unwrap();
    assert_eq!(read.get("registration_id"), None);
}

#[test]
fn the_operations_report_counts_intakes_and_their_matching_apart_from_registrations() {
    let s = exchange();
    let first = record(&s, "kikan-1", &intake("kikan-1", "kikan"));
    let mut crisis = intake("kikan-1", "kikan");
    crisis["situation"]["kind"] = json!("disability_related_crisis");
    crisis["desired_services"] = json!(["daily_life_care"]);
    crisis["person"].as_object_mut().unwrap().remove("ward");
    record(&s, "kikan-1", &crisis);
    let id = first["intake_id"].as_str().unwrap();
    candidates(&s, "kikan-1", id, "");
    let mut form = crate::fixtures::registration_from("kikan-1");
    form["received_by"]["role"] = json!("kikan");
    let r = s.post_json(
        "kikan-1",
        &format!("/v1/registrations?from_intake={id}"),
        &form,
    );
    assert_eq!(r.status(), 201);

    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).unwrap());
    use chrono::Datelike;
    let year = today.year() - i32::from(today.month() < 4);
    let report: Value = s
        .get_json(
            "city-1",
            &format!("/v1/reports/operations?fiscal_year={year}"),
        )
        .json()
        .unwrap();
    assert_eq!(
        report["intakes"],
        json!({
            "received": 2,
            "by_ward": {"青葉区": 1, "unknown": 1},
            "by_situation": {"caregiver_unavailable": 1, "disability_related_crisis": 1},
            "registered_since": 1
        })
    );
    assert_eq!(
        report["matching"],
        json!({"requests": 0, "intake_requests": 1})
    );
    assert_eq!(report["registrations"]["new"], 1);
    assert_eq!(
        report["registrations"]["changed"], 0,
        "linking an intake is not a change notification"
    );
    // Survey groups are about short stay: a facility without one is not among them.
    let facilities = &report["facilities"];
    let short_stay = facilities["short_stay_total"].as_i64().unwrap();
    let with_short_stay = facilities["by_service_type"]["short_stay"]
        .as_i64()
        .unwrap();
    assert_eq!(short_stay, with_short_stay);
    assert!(short_stay < facilities["total"].as_i64().unwrap());
    let groups = facilities["short_stay_by_survey_group"]
        .as_object()
        .unwrap();
    assert_eq!(
        groups.values().map(|n| n.as_i64().unwrap()).sum::<i64>(),
        short_stay
    );
    for (group, n) in groups {
        let share = facilities["short_stay_survey_share"][group]
            .as_f64()
            .unwrap();
        let expected = (n.as_i64().unwrap() as f64 * 1000.0 / short_stay as f64).round() / 10.0;
        assert_eq!(share, expected, "{group}");
    }
}
