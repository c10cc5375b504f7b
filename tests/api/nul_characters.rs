//! A NUL character (U+0000) can hold no id, code, name or search term, and PostgreSQL cannot
//! take one as text (its query fails instead of finding nothing). Wherever it comes in — the
//! URL, a request body that is not a document — it is `422 nul-character` on both backends,
//! and nothing is stored; a document with one gets its report (`KY-FORMAT-CONTROL-CHARACTER`).
use crate::fixtures::registration_from;
use crate::handoffs::{exchange, request, FACILITY};
use crate::helpers::*;
use serde_json::{json, Value};

fn refused(r: reqwest::blocking::Response, what: &str) {
    assert_eq!(r.status(), 422, "{what}");
    assert_eq!(
        r.headers()["content-type"],
        "application/problem+json",
        "{what}"
    );
    let problem: Value = r.json().unwrap();
    assert_eq!(
        problem["type"], "https://w3id.org/kyoten/problems/nul-character",
        "{what}"
    );
}

#[test]
fn a_nul_character_anywhere_in_a_url_is_refused_with_nul_character() {
    let s = exchange();
    let reg = s.register_document("office", &registration_from("office"));
    for path in [
        "/v1/registrations/reg%00x".to_owned(),
        format!("/v1/registrations/{reg}%00"),
        "/v1/registrations?ward=%00".to_owned(),
        "/v1/registrations?ward=%E9%9D%92%00".to_owned(),
        "/v1/facilities?ward=%00".to_owned(),
        "/v1/facilities/04%00".to_owned(),
        "/v1/handoffs/ab%00".to_owned(),
        "/v1/handoffs?registration_id=%00".to_owned(),
        "/v1/intakes/x%00".to_owned(),
        "/v1/audit?organization=%00".to_owned(),
        "/v1/audit?record_id=%00".to_owned(),
        "/v1/provisions?person=%00".to_owned(),
        "/v1/notices?handoff_id=%00".to_owned(),
        "/v1/keys/%00".to_owned(),
        "/codelists/%00".to_owned(),
    ] {
        refused(s.get_json("kikan-1", &path), &path);
    }
    // `%2500` is the text "%00", not a NUL: an unknown id, as any other.
    assert_eq!(
        s.get_json("kikan-1", "/v1/registrations/reg%2500").status(),
        404
    );
}

#[test]
fn a_nul_character_in_a_request_body_is_refused_and_changes_nothing() {
    let s = exchange();
    let reg = s.register_document("office", &registration_from("office"));
    let before: Value = s
        .get_json("kikan-1", &format!("/v1/registrations/{reg}/versions"))
        .json()
        .unwrap();
    let mut handoff = request(&reg, FACILITY);
    handoff["recipient"] = json!(format!("{FACILITY}\u{0}"));
    let bodies = [
        (
            "/v1/search/registrations".to_owned(),
            json!({"name": "みほん\u{0}", "purpose": "emergency_acceptance"}),
        ),
        (
            format!("/v1/registrations/{reg}/responsible-office"),
            json!({"organization_id": "x\u{0}"}),
        ),
        (
            format!("/v1/registrations/{reg}/break-glass-read"),
            json!({"legal_basis": "vital\u{0}"}),
        ),
        ("/v1/handoffs".to_owned(), handoff),
        (
            format!("/v1/registrations/{reg}/meetings"),
            json!({"kind": "visit\u{0}", "held_on": "2026-11-20", "participants": ["office"]}),
        ),
        // A NUL in a key counts too.
        (
            "/v1/search/registrations".to_owned(),
            json!({"name\u{0}": "みほん"}),
        ),
    ];
    for (path, body) in bodies {
        let r = if path.ends_with("responsible-office") {
            s.put_json("kikan-1", &path, None, &body)
        } else {
            s.post_json("kikan-1", &path, &body)
        };
        refused(r, &path);
    }
    let vacancies = json!({"vacancies": [{"service_type": "short_stay\u{0}", "vacancies": 1}]});
    let path = format!("/v1/facilities/{FACILITY}/vacancies");
    let patched = client()
        .patch(s.url(&path))
        .bearer_auth(s.key(FACILITY))
        .json(&vacancies)
        .send()
        .unwrap();
    refused(patched, "vacancies");
    let after: Value = s
        .get_json("kikan-1", &format!("/v1/registrations/{reg}/versions"))
        .json()
        .unwrap();
    assert_eq!(before, after, "nothing about the registration changed");
    let handoffs: Value = s.get_json("kikan-1", "/v1/handoffs").json().unwrap();
    assert_eq!(handoffs["items"].as_array().unwrap().len(), 0);
}

#[test]
fn a_document_with_a_nul_character_gets_its_report_not_a_server_error() {
    let s = exchange();
    let mut doc = registration_from("office");
    doc["registrant"]["name"]["family"] = json!("見本\u{0}");
    let r = s.post_json("office", "/v1/registrations", &doc);
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().unwrap();
    let ids: Vec<&str> = problem["report"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["id"].as_str())
        .collect();
    assert!(ids.contains(&"KY-FORMAT-CONTROL-CHARACTER"), "{ids:?}");
}
