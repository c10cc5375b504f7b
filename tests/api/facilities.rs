//! Facility records: a facility uploads and updates only its own, with If-Match; the daily
//! vacancy update; the derived survey group; search.
use crate::fixtures::*;
use crate::helpers::*;
use kyoten::domain::role::Role;
use serde_json::{json, Value};

const ORGS: [(&str, Role, &str); 5] = [
    ("0410000011", Role::Facility, "見本施設1"),
    ("0410000012", Role::Facility, "見本施設2"),
    ("0410000013", Role::Facility, "見本施設3"),
    ("city-1", Role::City, "見本市"),
    ("office", Role::ConsultationOffice, "見本相談支援事業所"),
];

fn put(
    server: &TestServer,
    as_org: &str,
    id: &str,
    doc: &Value,
    if_match: Option<&str>,
) -> reqwest::blocking::Response {
    let mut req = client()
        .put(server.url(&format!("/v1/facilities/{id}")))
        .bearer_auth(server.key(as_org))
        .json(doc);
    if let Some(tag) = if_match {
        req = req.header("If-Match", tag);
    }
    req.send().unwrap()
}

fn patch(server: &TestServer, as_org: &str, id: &str, body: &Value) -> reqwest::blocking::Response {
    client()
        .patch(server.url(&format!("/v1/facilities/{id}/vacancies")))
        .bearer_auth(server.key(as_org))
        .json(body)
        .send()
        .unwrap()
}

#[test]
fn a_facility_uploads_its_record_and_the_server_fills_in_the_survey_group() {
    let server = TestServer::isolated(&ORGS);
    let id = "0410000011";
    let doc = facility(id, "青葉区", "B", vec![service("short_stay", 1, &[])]);
    let res = put(&server, id, id, &doc, None);
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["etag"], "\"1\"");
    assert_eq!(res.headers()["location"], format!("/v1/facilities/{id}"));
    let stored: Value = res.json().unwrap();
    assert_eq!(stored["survey_group"], "B");
    let read = client()
        .get(server.url(&format!("/v1/facilities/{id}")))
        .bearer_auth(server.key("office"))
        .send()
        .unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(read.json::<Value>().unwrap(), stored);
}

#[test]
fn a_declared_survey_group_that_contradicts_the_answers_is_refused_with_the_report() {
    let server = TestServer::isolated(&ORGS);
    let id = "0410000011";
    let mut doc = facility(id, "青葉区", "C", vec![service("short_stay", 1, &[])]);
    doc["survey_group"] = json!("A");
    let res = put(&server, id, id, &doc, None);
    assert_eq!(res.status(), 422);
    let body: Value = res.json().unwrap();
    assert_eq!(body["report"]["errors"][0]["id"], "KY-FAC-SURVEY-GROUP");
}

#[test]
fn an_update_needs_if_match_and_a_stale_one_is_refused() {
    let server = TestServer::isolated(&ORGS);
    let id = "0410000011";
    let doc = facility(id, "青葉区", "A", vec![service("short_stay", 1, &[])]);
    assert_eq!(put(&server, id, id, &doc, None).status(), 201);
    let again = put(&server, id, id, &doc, None);
    assert_eq!(again.status(), 428);
    assert_eq!(problem_type(again), "precondition-required");
    let mut changed = doc.clone();
    changed["emergency_acceptance"] = answers("other");
    let ok = put(&server, id, id, &changed, Some("\"1\""));
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["etag"], "\"2\"");
    assert_eq!(ok.json::<Value>().unwrap()["survey_group"], "other");
    let stale = put(&server, id, id, &doc, Some("\"1\""));
    assert_eq!(stale.status(), 412);
    // If-Match on a record that does not exist yet matches nothing.
    let other = "0410000012";
    let first = facility(other, "泉区", "A", vec![service("short_stay", 1, &[])]);
    assert_eq!(
        put(&server, other, other, &first, Some("\"1\"")).status(),
        412
    );
}

#[test]
fn a_facility_writes_only_its_own_record() {
    let server = TestServer::isolated(&ORGS);
    let mine = "0410000011";
    let theirs = "0410000012";
    let doc = facility(theirs, "泉区", "A", vec![service("short_stay", 1, &[])]);
    for writer in [mine, "city-1", "office"] {
        let res = put(&server, writer, theirs, &doc, None);
        assert_eq!(res.status(), 403, "{writer}");
        assert_eq!(problem_type(res), "forbidden");
    }
    // Its own id in the URL, someone else's in the document.
    let res = put(&server, mine, mine, &doc, None);
    assert_eq!(res.status(), 422);
    assert_eq!(problem_type(res), "facility-id-mismatch");
    let missing = client()
        .get(server.url(&format!("/v1/facilities/{theirs}")))
        .bearer_auth(server.key("city-1"))
        .send()
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[test]
fn the_daily_vacancy_update_changes_only_the_named_service_and_bumps_the_version() {
    let server = TestServer::isolated(&ORGS);
    let id = "0410000011";
    let mut medical = service("short_stay", 0, &["suction"]);
    medical["variant"] = json!("medical");
    let doc = facility(
        id,
        "青葉区",
        "other",
        vec![
            service("short_stay", 1, &[]),
            medical,
            service("daily_life_care", 2, &[]),
        ],
    );
    assert_eq!(put(&server, id, id, &doc, None).status(), 201);
    let as_of = hours_ago(0);
    let res = patch(
        &server,
        id,
        id,
        &json!({"as_of": as_of, "vacancies": [{"service_type": "short_stay", "variant": "medical", "vacancies": 2}]}),
    );
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let body: Value = res.json().unwrap();
    assert_eq!(body["services"][1]["vacancies"], 2);
    assert_eq!(body["services"][1]["vacancy_as_of"], as_of);
    assert_eq!(body["services"][0]["vacancies"], 1);
    assert_eq!(body["services"][2]["vacancies"], 2);
    // The search sees the new figure.
    let found: Value = client()
        .get(server.url("/v1/facilities?service_type=short_stay&variant=medical&has_vacancy=true"))
        .bearer_auth(server.key("city-1"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
}

#[test]
fn a_vacancy_update_is_refused_for_an_unknown_service_over_capacity_in_the_future_or_by_others() {
    let server = TestServer::isolated(&ORGS);
    let id = "0410000011";
    let mut medical = service("short_stay", 0, &[]);
    medical["variant"] = json!("medical");
    let doc = facility(
        id,
        "青葉区",
        "A",
        vec![service("short_stay", 1, &[]), medical],
    );
    assert_eq!(put(&server, id, id, &doc, None).status(), 201);
    let cases = [
        (
            json!({"vacancies": [{"service_type": "group_home", "vacancies": 1}]}),
            422,
            "unknown-service",
        ),
        // Two short stays: which one is meant must be said.
        (
            json!({"vacancies": [{"service_type": "short_stay", "vacancies": 1}]}),
            422,
            "unknown-service",
        ),
        (
            json!({"vacancies": [{"service_type": "short_stay", "variant": "welfare", "vacancies": 5}]}),
            422,
            "vacancies-over-capacity",
        ),
        (
            json!({"as_of": "2999-01-01T00:00:00+09:00", "vacancies": [{"service_type": "short_stay", "variant": "welfare", "vacancies": 1}]}),
            422,
            "vacancy-as-of-future",
        ),
        (json!({"vacancies": []}), 422, "invalid-vacancy-update"),
        (
            json!({"vacancies": [{"service_type": "short_stay", "variant": "welfare", "vacancies": -1}]}),
            422,
            "invalid-vacancy-update",
        ),
        (json!({"vacancy": 1}), 422, "invalid-vacancy-update"),
        // Codes outside the code lists are not a vacancy update at all.
        (
            json!({"vacancies": [{"service_type": "AAA", "vacancies": 1}]}),
            422,
            "invalid-vacancy-update",
        ),
        (
            json!({"vacancies": [{"service_type": "short_stay", "variant": "AAA", "vacancies": 1}]}),
            422,
            "invalid-vacancy-update",
        ),
    ];
    for (body, status, kind) in cases {
        let res = patch(&server, id, id, &body);
        assert_eq!(res.status(), status, "{body}");
        assert_eq!(problem_type(res), kind, "{body}");
    }
    let ok = json!({"vacancies": [{"service_type": "short_stay", "variant": "welfare", "vacancies": 0}]});
    assert_eq!(patch(&server, "0410000012", id, &ok).status(), 403);
    assert_eq!(patch(&server, "city-1", id, &ok).status(), 403);
    assert_eq!(patch(&server, "city-1", "0410000013", &ok).status(), 404);
    // Nothing of the refused updates was kept.
    let read = client()
        .get(server.url(&format!("/v1/facilities/{id}")))
        .bearer_auth(server.key("city-1"))
        .send()
        .unwrap();
    assert_eq!(read.headers()["etag"], "\"1\"");
}

#[test]
fn a_vacancy_update_with_codes_outside_the_code_lists_is_refused_whatever_if_match_says() {
    let server = TestServer::isolated(&ORGS);
    let id = "0410000011";
    let doc = facility(id, "青葉区", "A", vec![service("short_stay", 1, &[])]);
    assert_eq!(put(&server, id, id, &doc, None).status(), 201);
    let res = client()
        .patch(server.url(&format!("/v1/facilities/{id}/vacancies")))
        .bearer_auth(server.key(id))
        .header("If-Match", "\"7\"")
        .json(&json!({"vacancies": [{"service_type": "AAA", "vacancies": 1}]}))
        .send()
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(problem_type(res), "invalid-vacancy-update");
}

#[test]
fn the_search_filters_by_service_vacancy_group_medical_care_function_ward_and_freshness() {
    let server = TestServer::isolated(&ORGS);
    let a = "0410000011";
    let b = "0410000012";
    let c = "0410000013";
    let mut hub = facility(
        a,
        "青葉区",
        "A",
        vec![service("short_stay", 2, &["suction", "tube_feeding"])],
    );
    hub["hub_registration"] = json!({"registered": true, "functions": ["emergency_response", "experience"], "emergency_room": true});
    let mut old = service("short_stay", 1, &["suction"]);
    old["vacancy_as_of"] = json!(hours_ago(24 * 3));
    old["behavioral_support"] = json!(false);
    let records = [
        hub,
        facility(b, "泉区", "B", vec![old]),
        facility(c, "泉区", "other", vec![service("daily_life_care", 0, &[])]),
    ];
    for doc in &records {
        let id = doc["facility_id"].as_str().unwrap();
        assert_eq!(put(&server, id, id, doc, None).status(), 201);
    }
    let search = |query: &str| -> Vec<String> {
        let res = client()
            .get(server.url(&format!("/v1/facilities?{query}")))
            .bearer_auth(server.key("office"))
            .send()
            .unwrap();
        assert_eq!(res.status(), 200, "{query}");
        let body: Value = res.json().unwrap();
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["facility_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(search(""), [a, b, c]);
    assert_eq!(search("service_type=short_stay"), [a, b]);
    assert_eq!(search("has_vacancy=true"), [a, b]);
    assert_eq!(search("has_vacancy=false"), [c]);
    assert_eq!(search("survey_group=A,B"), [a, b]);
    assert_eq!(search("survey_group=other"), [c]);
    assert_eq!(search("medical_care=suction,tube_feeding"), [a]);
    assert_eq!(search("medical_care=suction"), [a, b]);
    assert_eq!(search("behavioral_support=false"), [b]);
    assert_eq!(search("hub_function=emergency_response"), [a]);
    assert_eq!(search("hub_function=consultation"), Vec::<String>::new());
    assert_eq!(search("emergency_room=true"), [a]);
    assert_eq!(search("ward=%E6%B3%89%E5%8C%BA"), [b, c]);
    let yesterday = hours_ago(24).replace('+', "%2B");
    assert_eq!(
        search(&format!(
            "vacancy_since={yesterday}&service_type=short_stay"
        )),
        [a]
    );
    // Pages.
    let first: Value = client()
        .get(server.url("/v1/facilities?limit=2"))
        .bearer_auth(server.key("office"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(first["next_after"], b);
    assert_eq!(search(&format!("limit=2&after={b}")), [c]);
}

#[test]
fn a_search_with_an_unknown_code_or_parameter_is_a_clear_400() {
    let server = TestServer::isolated(&ORGS);
    // Each refusal names the parameter, unknown or with a value that does not fit.
    for (query, parameter) in [
        ("service_type=spa", "service_type"),
        ("medical_care=suction,magic", "medical_care"),
        ("survey_group=D", "survey_group"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=many", "limit"),
        ("vacancy_since=yesterday", "vacancy_since"),
        ("colour=red", "colour"),
        ("has_vacancy=maybe", "has_vacancy"),
    ] {
        let res = client()
            .get(server.url(&format!("/v1/facilities?{query}")))
            .bearer_auth(server.key("city-1"))
            .header("Accept-Language", "en")
            .send()
            .unwrap();
        assert_eq!(res.status(), 400, "{query}");
        let problem: Value = res.json().unwrap();
        assert_eq!(
            problem["type"], "https://w3id.org/kyoten/problems/invalid-query",
            "{query}"
        );
        assert_eq!(problem["parameter"], parameter, "{query}: {problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains(parameter),
            "{query}: {problem}"
        );
    }
}

#[test]
fn a_service_without_a_capacity_reports_whether_it_can_respond_today() {
    let server = TestServer::isolated(&ORGS);
    let id = "0410000012";
    // A home-help provider with a short stay beside it.
    let doc = facility(
        id,
        "青葉区",
        "A",
        vec![service("home_care", 0, &[]), service("short_stay", 1, &[])],
    );
    assert_eq!(
        doc["services"][0]["availability"]["can_respond_today"],
        false
    );
    assert_eq!(put(&server, id, id, &doc, None).status(), 201);
    let found = |query: &str| -> usize {
        let r = server.get_json("city-1", &format!("/v1/facilities?{query}"));
        assert_eq!(r.status(), 200);
        r.json::<Value>().unwrap()["items"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(found("service_type=home_care&has_vacancy=true"), 0);

    // A number of vacancies for the home help, or an availability for the short stay, is the
    // figure of the other kind of service; one entry with both is no update at all.
    let refused = [
        (
            json!({"vacancies": [{"service_type": "home_care", "vacancies": 1}]}),
            "wrong-vacancy-figure",
        ),
        (
            json!({"vacancies": [{"service_type": "home_care", "can_respond_today": true}, {"service_type": "short_stay", "can_respond_today": true}]}),
            "wrong-vacancy-figure",
        ),
        (
            json!({"vacancies": [{"service_type": "home_care", "vacancies": 1, "can_respond_today": true}]}),
            "invalid-vacancy-update",
        ),
        (
            json!({"vacancies": [{"service_type": "home_care"}]}),
            "invalid-vacancy-update",
        ),
    ];
    for (body, problem) in &refused {
        let r = patch(&server, id, id, body);
        assert_eq!(r.status(), 422, "{body}");
        let p: Value = r.json().unwrap();
        assert!(
            p["type"].as_str().unwrap().ends_with(problem),
            "{body}: {p}"
        );
    }
    let p: Value = patch(&server, id, id, &refused[1].0).json().unwrap();
    let detail = p["detail"].as_str().unwrap();
    assert!(
        detail.contains("vacancies[1]") && detail.contains("空き数（vacancies）"),
        "the short stay is the one refused, and the detail says what to send: {p}"
    );
    let unchanged: Value = server
        .get_json(id, &format!("/v1/facilities/{id}"))
        .json()
        .unwrap();
    assert_eq!(
        unchanged["services"][0]["availability"]["can_respond_today"],
        false
    );

    let r = patch(
        &server,
        id,
        id,
        &json!({"vacancies": [{"service_type": "home_care", "can_respond_today": true}]}),
    );
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    let now: Value = server
        .get_json(id, &format!("/v1/facilities/{id}"))
        .json()
        .unwrap();
    let availability = &now["services"][0]["availability"];
    assert_eq!(availability["can_respond_today"], true);
    assert_ne!(
        availability["as_of"],
        doc["services"][0]["availability"]["as_of"]
    );
    assert!(now["services"][0].get("vacancies").is_none());
    assert_eq!(found("service_type=home_care&has_vacancy=true"), 1);

    // A record that gives the home help a capacity is refused and nothing changes.
    let mut wrong = now.clone();
    wrong["services"][0] = json!({
        "service_type": "home_care", "capacity": 3, "vacancies": 1, "vacancy_as_of": hours_ago(0),
        "targets": ["physical"], "medical_care": [], "behavioral_support": false
    });
    let r = put(&server, id, id, &wrong, Some("\"2\""));
    assert_eq!(r.status(), 422);
    assert_eq!(found("service_type=home_care&has_vacancy=true"), 1);
}
