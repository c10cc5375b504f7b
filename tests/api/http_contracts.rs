//! Contract endpoints: root, health, schemas, code lists, policies, docs.
use crate::helpers::*;
use serde_json::Value;

#[test]
fn the_root_describes_the_service_and_links_every_contract() {
    let root: Value = client().get(url("/")).send().unwrap().json().unwrap();
    assert_eq!(root["name"], "kyoten");
    for link in ["openapi", "docs", "schemas", "codelists", "validate"] {
        assert!(root["links"][link].is_string(), "{link}");
    }
}

#[test]
fn health_answers_ok() {
    let res = client().get(url("/health")).send().unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().unwrap()["status"], "ok");
}

#[test]
fn a_schema_is_served_unchanged_as_schema_json_with_an_etag() {
    let res = client()
        .get(url("/schemas/registration/1.0.0"))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/schema+json");
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let body = res.bytes().unwrap();
    assert_eq!(
        &body[..],
        &std::fs::read(repo().join("schemas/registration/1.0.0.json")).unwrap()[..]
    );
    let again = client()
        .get(url("/schemas/registration/1.0.0"))
        .header("if-none-match", &etag)
        .send()
        .unwrap();
    assert_eq!(again.status(), 304);
}

#[test]
fn the_schema_index_lists_every_document_schema_with_its_id() {
    let list: Vec<Value> = client()
        .get(url("/schemas"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    for name in [
        "registration",
        "facility",
        "handoff",
        "handoff_response",
        "common",
    ] {
        let entry = list
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("{name}"));
        assert_eq!(
            entry["$id"],
            format!("https://w3id.org/kyoten/schemas/{name}/1.0.0")
        );
    }
}

#[test]
fn an_unknown_schema_version_is_a_404_problem() {
    let res = client()
        .get(url("/schemas/registration/9.9.9"))
        .send()
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

#[test]
fn code_lists_are_listed_and_served_with_both_languages() {
    let list: Vec<Value> = client()
        .get(url("/codelists"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(list.iter().any(|e| e["name"] == "service_types"));
    assert!(list.iter().any(|e| e["name"] == "messages"));
    let services: Value = client()
        .get(url("/codelists/service_types"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let short_stay = services["codes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "short_stay")
        .unwrap();
    assert_eq!(short_stay["ja"], "短期入所");
    let messages: Value = client()
        .get(url("/codelists/messages"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(messages["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["id"] == "KY-REG-SHORTSTAY-REASON"));
}

#[test]
fn the_minimization_policy_is_published() {
    let policy: Value = client()
        .get(url("/policies/minimization"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let facility = policy["need_sets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["recipient_role"] == "facility")
        .unwrap();
    assert!(!facility["categories"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "household"));
}

#[test]
fn interactive_docs_are_served_offline() {
    let res = client().get(url("/docs/")).send().unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().unwrap().contains("swagger"));
    let res = client().get(url("/docs/swagger-ui.css")).send().unwrap();
    assert_eq!(res.status(), 200);
}
