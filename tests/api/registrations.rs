//! Registrations over HTTP: who may submit and read, validation before storage, nothing
//! stored on refusal, every access recorded.
use crate::helpers::*;
use kyoten::store::{audit, registrations};
use serde_json::Value;

fn registration_from(office: &str) -> Value {
    let mut doc = read_json(&repo().join("conformance/vectors/registration/valid/full.json"));
    doc.as_object_mut().unwrap().remove("registration_id");
    doc["received_by"] =
        serde_json::json!({"organization_id": office, "role": "consultation_office"});
    doc
}

fn submit(as_org: &str, doc: &Value) -> reqwest::blocking::Response {
    client()
        .post(url("/v1/registrations"))
        .bearer_auth(key(as_org))
        .json(doc)
        .send()
        .unwrap()
}

fn registration_count() -> i64 {
    registrations::count(&mut server().store.conn().unwrap()).unwrap()
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
    let mut doc = registration_from("office-a");
    doc["registration_reasons"] = serde_json::json!(["disability_related_crisis"]);
    let before = registration_count();
    let res = client()
        .post(url("/v1/registrations"))
        .bearer_auth(key("office-a"))
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
    assert_eq!(registration_count(), before);
}

#[test]
fn a_registration_for_another_office_or_with_an_id_is_refused() {
    let before = registration_count();
    let res = submit("office-a", &registration_from("office-b"));
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>().unwrap()["type"],
        "https://w3id.org/kyoten/problems/received-by-mismatch"
    );
    let mut with_id = registration_from("office-a");
    with_id["registration_id"] = "reg_mine".into();
    let res = submit("office-a", &with_id);
    assert_eq!(
        res.json::<Value>().unwrap()["type"],
        "https://w3id.org/kyoten/problems/registration-id-not-allowed"
    );
    assert_eq!(registration_count(), before);
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
