//! Matching: prearranged first, then A with vacancy, then B and C, then the hub's emergency
//! room; medical short stay left out for an unannounced person; short stay only when the
//! situation allows it; medical care needs met; every place explained.
use crate::fixtures::*;
use crate::helpers::*;
use kyoten::domain::role::Role;
use serde_json::{json, Value};

pub const FACILITIES: [&str; 8] = [
    "0410000001", // prearranged, group other, no vacancy
    "0410000002", // A with vacancy
    "0410000003", // A without vacancy
    "0410000004", // B with vacancy
    "0410000005", // C with vacancy
    "0410000006", // medical short stay, A, not prearranged
    "0410000007", // A with vacancy but no suction
    "0410000008", // hub with an emergency room, no short stay
];

pub fn exchange() -> TestServer {
    let mut orgs: Vec<(&'static str, Role, &str)> = vec![
        ("city-1", Role::City, "見本市"),
        ("kikan-1", Role::Kikan, "見本基幹相談支援センター"),
        ("office", Role::ConsultationOffice, "見本相談支援事業所"),
        (
            "other-office",
            Role::ConsultationOffice,
            "別の相談支援事業所",
        ),
    ];
    orgs.extend(
        FACILITIES
            .iter()
            .map(|id| (*id, Role::Facility, "見本施設")),
    );
    let server = TestServer::isolated(&orgs);
    let suction = ["suction"];
    let mut medical = service("short_stay", 2, &["suction", "ventilator"]);
    medical["variant"] = json!("medical");
    let mut hub = facility(
        FACILITIES[7],
        "泉区",
        "other",
        vec![service("daily_life_care", 0, &suction)],
    );
    hub["hub_registration"] = json!({
        "registered": true, "functions": ["emergency_response"], "emergency_room": true
    });
    let records = [
        facility(
            FACILITIES[0],
            "泉区",
            "other",
            vec![service("short_stay", 0, &suction)],
        ),
        facility(
            FACILITIES[1],
            "太白区",
            "A",
            vec![service("short_stay", 1, &suction)],
        ),
        facility(
            FACILITIES[2],
            "青葉区",
            "A",
            vec![service("short_stay", 0, &suction)],
        ),
        facility(
            FACILITIES[3],
            "青葉区",
            "B",
            vec![service("short_stay", 1, &suction)],
        ),
        facility(
            FACILITIES[4],
            "青葉区",
            "C",
            vec![service("short_stay", 3, &suction)],
        ),
        facility(FACILITIES[5], "青葉区", "A", vec![medical]),
        facility(
            FACILITIES[6],
            "青葉区",
            "A",
            vec![service("short_stay", 2, &[])],
        ),
        hub,
    ];
    for doc in records {
        let id = doc["facility_id"].as_str().unwrap().to_owned();
        let res = client()
            .put(server.url(&format!("/v1/facilities/{id}")))
            .bearer_auth(server.key(&id))
            .json(&doc)
            .send()
            .unwrap();
        assert_eq!(res.status(), 201, "{id}: {}", res.text().unwrap());
    }
    server
}

/// Registers a person with the first of `FACILITIES` prearranged; returns the id.
fn register(server: &TestServer) -> String {
    let mut doc = registration_from("office");
    doc["emergency_plan"]["prearranged_facilities"] = json!([FACILITIES[0]]);
    server.register_document("office", &doc)
}

fn candidates(
    server: &TestServer,
    as_org: &str,
    id: &str,
    query: &str,
) -> reqwest::blocking::Response {
    client()
        .get(server.url(&format!("/v1/registrations/{id}/candidates?{query}")))
        .bearer_auth(server.key(as_org))
        .send()
        .unwrap()
}

fn ids_of(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["facility_id"].as_str().unwrap())
        .collect()
}

fn reasons_of<'a>(list: &'a Value, id: &str) -> Vec<&'a str> {
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["facility_id"] == id)
        .unwrap_or_else(|| panic!("{id} not listed"))["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect()
}

#[test]
fn candidates_come_prearranged_first_then_a_b_c_with_vacancy_then_the_hub_emergency_room() {
    let server = exchange();
    let id = register(&server);
    let res = candidates(&server, "city-1", &id, "situation=caregiver_unavailable");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().unwrap();
    assert_eq!(
        ids_of(&body["candidates"]),
        [
            FACILITIES[0],
            FACILITIES[1],
            FACILITIES[3],
            FACILITIES[4],
            FACILITIES[7]
        ]
    );
    let tiers: Vec<&str> = body["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["tier"].as_str().unwrap())
        .collect();
    assert_eq!(
        tiers,
        [
            "prearranged",
            "group_a_with_vacancy",
            "group_b_with_vacancy",
            "group_c_with_vacancy",
            "hub_emergency_room"
        ]
    );
    assert_eq!(body["candidates"][0]["rank"], 1);
    assert!(reasons_of(&body["candidates"], FACILITIES[0]).contains(&"prearranged"));
    assert!(reasons_of(&body["candidates"], FACILITIES[0]).contains(&"no_vacancy"));
    let a = reasons_of(&body["candidates"], FACILITIES[1]);
    for r in ["survey_group_a", "has_vacancy", "medical_care_covered"] {
        assert!(a.contains(&r), "{r} in {a:?}");
    }
    assert!(reasons_of(&body["candidates"], FACILITIES[7]).contains(&"hub_emergency_room"));
}

#[test]
fn asked_for_today_a_short_stay_that_cannot_take_the_person_today_is_left_out_unless_prearranged() {
    let server = exchange();
    // A B facility that needs days from a request to a stay.
    let mut slow = facility(
        FACILITIES[3],
        "青葉区",
        "B",
        vec![service("short_stay", 1, &["suction"])],
    );
    slow["emergency_acceptance"]["lead_time"] = json!("within_days");
    let put = client()
        .put(server.url(&format!("/v1/facilities/{}", FACILITIES[3])))
        .bearer_auth(server.key(FACILITIES[3]))
        .header("If-Match", "\"1\"")
        .json(&slow)
        .send()
        .unwrap();
    assert_eq!(put.status(), 200, "{}", put.text().unwrap());
    let mut doc = registration_from("office");
    doc["emergency_plan"]["prearranged_facilities"] = json!([FACILITIES[4]]);
    let prearranged_c = server.register_document("office", &doc);
    let id = register(&server);

    let today: Value = candidates(
        &server,
        "city-1",
        &id,
        "situation=caregiver_unavailable&urgency=same_day",
    )
    .json()
    .unwrap();
    let listed = ids_of(&today["candidates"]);
    assert!(
        !listed.contains(&FACILITIES[3]) && !listed.contains(&FACILITIES[4]),
        "{listed:?}"
    );
    assert_eq!(
        reasons_of(&today["excluded"], FACILITIES[3]),
        ["lead_time_not_same_day"]
    );
    assert_eq!(
        reasons_of(&today["excluded"], FACILITIES[4]),
        ["group_c_not_same_day"]
    );
    assert!(
        listed.contains(&FACILITIES[7]),
        "the hub's emergency room bridges the day"
    );

    for query in [
        "situation=caregiver_unavailable&urgency=within_days",
        "situation=caregiver_unavailable",
    ] {
        let later: Value = candidates(&server, "city-1", &id, query).json().unwrap();
        let listed = ids_of(&later["candidates"]);
        assert!(
            listed.contains(&FACILITIES[3]) && listed.contains(&FACILITIES[4]),
            "{query}: {listed:?}"
        );
    }
    let known: Value = candidates(
        &server,
        "city-1",
        &prearranged_c,
        "situation=caregiver_unavailable&urgency=same_day",
    )
    .json()
    .unwrap();
    assert_eq!(
        known["candidates"][0]["facility_id"], FACILITIES[4],
        "prearranged: asked today"
    );
    let r = candidates(
        &server,
        "city-1",
        &id,
        "situation=caregiver_unavailable&urgency=now",
    );
    assert_eq!(problem_type(r), "invalid-query");
}

#[test]
fn medical_short_stay_no_suction_and_no_vacancy_are_left_out_with_their_reasons() {
    let server = exchange();
    let id = register(&server);
    let body: Value = candidates(&server, "city-1", &id, "situation=caregiver_unavailable")
        .json()
        .unwrap();
    let excluded = &body["excluded"];
    assert_eq!(
        reasons_of(excluded, FACILITIES[5]),
        ["medical_short_stay_unannounced"]
    );
    assert_eq!(
        reasons_of(excluded, FACILITIES[6]),
        ["medical_care_not_covered"]
    );
    assert_eq!(reasons_of(excluded, FACILITIES[2]), ["no_vacancy"]);
    assert_eq!(body["excluded_count"], 3);
}

#[test]
fn a_medical_short_stay_prearranged_for_the_person_is_a_candidate() {
    let server = exchange();
    let mut doc = registration_from("office");
    doc["emergency_plan"]["prearranged_facilities"] = json!([FACILITIES[5]]);
    let res = client()
        .post(server.url("/v1/registrations"))
        .bearer_auth(server.key("office"))
        .json(&doc)
        .send()
        .unwrap();
    let id = res.json::<Value>().unwrap()["registration_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body: Value = candidates(&server, "office", &id, "situation=caregiver_unavailable")
        .json()
        .unwrap();
    assert_eq!(body["candidates"][0]["facility_id"], FACILITIES[5]);
    assert_eq!(body["candidates"][0]["tier"], "prearranged");
}

#[test]
fn short_stay_is_not_offered_when_the_situation_is_not_the_caregiver_being_unavailable() {
    let server = exchange();
    let id = register(&server);
    let body: Value = candidates(
        &server,
        "city-1",
        &id,
        "situation=disability_related_crisis",
    )
    .json()
    .unwrap();
    assert_eq!(body["short_stay_excluded"], true);
    // The registration also desires home care, which no facility here offers.
    assert_eq!(body["service_types"], json!(["home_care"]));
    // Only the hub's emergency room remains.
    assert_eq!(ids_of(&body["candidates"]), [FACILITIES[7]]);
}

#[test]
fn matching_is_refused_for_unknown_situations_and_hidden_from_those_who_may_not_see_the_person() {
    let server = exchange();
    let id = register(&server);
    let bad = candidates(&server, "city-1", &id, "situation=holiday");
    assert_eq!(bad.status(), 400);
    assert_eq!(
        bad.json::<Value>().unwrap()["type"],
        "https://w3id.org/kyoten/problems/invalid-query"
    );
    assert_eq!(candidates(&server, "city-1", &id, "").status(), 400);
    for outsider in ["other-office", FACILITIES[1]] {
        let res = candidates(&server, outsider, &id, "situation=caregiver_unavailable");
        assert_eq!(res.status(), 404, "{outsider}");
    }
    assert_eq!(
        candidates(
            &server,
            "city-1",
            "reg_missing",
            "situation=caregiver_unavailable"
        )
        .status(),
        404
    );
}

#[test]
fn a_matching_request_is_recorded_in_the_access_record() {
    let server = exchange();
    let id = register(&server);
    candidates(&server, "city-1", &id, "situation=caregiver_unavailable");
    let records =
        kyoten::store::audit::for_record(&mut server.store.conn().unwrap(), "registration", &id)
            .unwrap();
    let matching = records
        .iter()
        .find(|r| r.action == "match")
        .expect("recorded");
    assert_eq!(matching.organization_id, "city-1");
    assert_eq!(matching.purpose, "emergency_acceptance");
    assert!(matching.categories.contains("medical"));
}

/// Sends the kikan's packet for intake `id` to `facility`; the facility fetches it (its
/// receipt, `received`) and answers `status` unless `None`.
fn ask(server: &TestServer, id: &str, facility: &str, status: Option<&str>) {
    let body = json!({
        "intake_id": id, "recipient": facility, "purpose": "emergency_acceptance",
        "request": {"service_type": "short_stay", "start_on": "2026-10-14"},
        "legal_basis": "vital_interest", "reason": "同居の母が入院し、本人の同意を確かめる手段がない。"
    });
    let r = server.post_json("kikan-1", "/v1/handoffs", &body);
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    let handoff = r.json::<Value>().unwrap()["handoff_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let Some(status) = status else { return };
    assert_eq!(
        server
            .get(
                facility,
                &format!("/v1/handoffs/{handoff}"),
                "application/jose"
            )
            .status(),
        200
    );
    if status == "received" {
        return; // fetching the packet was the receipt
    }
    let mut answer = json!({
        "document_type": "handoff_response", "schema_version": "1.0.0", "handoff_id": handoff,
        "responder": {"organization_id": facility, "role": "facility"},
        "status": status, "at": crate::fixtures::hours_ago(0),
    });
    if status == "declined" {
        answer["reason"] = json!("本日は夜勤の職員が足りず受け入れられない。");
    }
    let r = server.post_json(
        facility,
        &format!("/v1/handoffs/{handoff}/responses"),
        &answer,
    );
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
}

#[test]
fn a_facility_that_declines_makes_way_for_the_next_and_one_asked_is_marked() {
    let server = exchange();
    let mut doc = crate::fixtures::intake_from("kikan-1", "kikan");
    doc["situation"]["urgency"] = json!("within_days");
    let r = server.post_json("kikan-1", "/v1/intakes", &doc);
    let id = r.json::<Value>().unwrap()["intake_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/intakes/{id}/candidates");
    let before: Value = server.get_json("kikan-1", &path).json().unwrap();
    let first = ids_of(&before["candidates"]);
    assert_eq!(&first[..3], [FACILITIES[6], FACILITIES[1], FACILITIES[3]]);

    ask(&server, &id, FACILITIES[6], Some("declined"));
    ask(&server, &id, FACILITIES[1], None);
    ask(&server, &id, FACILITIES[3], Some("received"));
    ask(&server, &id, FACILITIES[4], Some("accepted"));
    let after: Value = server.get_json("kikan-1", &path).json().unwrap();
    let listed = ids_of(&after["candidates"]);
    assert!(!listed.contains(&FACILITIES[6]), "{listed:?}");
    assert_eq!(reasons_of(&after["excluded"], FACILITIES[6]), ["declined"]);
    assert_eq!(after["candidates"][0]["facility_id"], FACILITIES[1]);
    assert_eq!(after["candidates"][0]["rank"], 1);
    assert_eq!(
        reasons_of(&after["candidates"], FACILITIES[1])[0],
        "already_asked"
    );
    assert_eq!(
        reasons_of(&after["candidates"], FACILITIES[3])[0],
        "already_asked"
    );
    assert_eq!(listed.len(), first.len() - 1);
    // Another person's requests change nothing here.
    let other = server
        .post_json("kikan-1", "/v1/intakes", &doc)
        .json::<Value>()
        .unwrap();
    let theirs: Value = server
        .get_json(
            "kikan-1",
            &format!(
                "/v1/intakes/{}/candidates",
                other["intake_id"].as_str().unwrap()
            ),
        )
        .json()
        .unwrap();
    assert_eq!(ids_of(&theirs["candidates"]), first);
}

/// Puts the hub's record again with `uses` of its emergency room (version `version`).
fn record_room_uses(server: &TestServer, uses: Value, version: u32) {
    let mut hub = facility(
        FACILITIES[7],
        "泉区",
        "other",
        vec![service("daily_life_care", 0, &["suction"])],
    );
    hub["hub_registration"] = json!({
        "registered": true, "functions": ["emergency_response"], "emergency_room": true,
        "emergency_room_uses": uses
    });
    let put = client()
        .put(server.url(&format!("/v1/facilities/{}", FACILITIES[7])))
        .bearer_auth(server.key(FACILITIES[7]))
        .header("If-Match", format!("\"{version}\""))
        .json(&hub)
        .send()
        .unwrap();
    assert_eq!(put.status(), 200, "{}", put.text().unwrap());
}

#[test]
fn a_hub_emergency_room_in_use_today_is_left_out_and_offered_again_once_the_use_ends() {
    let server = exchange();
    let id = register(&server);
    let today = chrono::Utc::now()
        .with_timezone(&kyoten::time::jst())
        .date_naive();
    let day = |d: i64| (today + chrono::TimeDelta::days(d)).to_string();
    record_room_uses(&server, json!([{"from": day(-2)}]), 1);
    let body: Value = candidates(&server, "city-1", &id, "situation=caregiver_unavailable")
        .json()
        .unwrap();
    assert!(!ids_of(&body["candidates"]).contains(&FACILITIES[7]));
    assert!(reasons_of(&body["excluded"], FACILITIES[7]).contains(&"emergency_room_in_use"));

    record_room_uses(
        &server,
        json!([{"from": day(-9), "until": day(-5)}, {"from": day(-2), "until": day(-1)}]),
        2,
    );
    let body: Value = candidates(&server, "city-1", &id, "situation=caregiver_unavailable")
        .json()
        .unwrap();
    assert!(reasons_of(&body["candidates"], FACILITIES[7]).contains(&"hub_emergency_room"));
}
