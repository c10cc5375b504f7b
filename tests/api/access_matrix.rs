//! Who may do what: every role against every data endpoint. Someone who may not see a record
//! gets 404 (its existence is not revealed); someone who may see it but not write it gets 403;
//! no key gets 401.
use crate::fixtures::*;
use crate::helpers::*;
use kyoten::domain::role::Role;
use reqwest::blocking::RequestBuilder;
use serde_json::{json, Value};

const OWN_FACILITY: &str = "0410000021";
const OTHER_FACILITY: &str = "0410000022";

/// The callers, in the order of the expected-status columns below.
const CALLERS: [&str; 8] = [
    "city-1",
    "kikan-1",
    "hub-1",
    "office",
    "other-office",
    OWN_FACILITY,
    OTHER_FACILITY,
    "(no key)",
];

const ORGS: [(&str, Role, &str); 7] = [
    ("city-1", Role::City, "見本市"),
    ("kikan-1", Role::Kikan, "見本基幹相談支援センター"),
    ("hub-1", Role::Hub, "見本拠点コーディネーター"),
    ("office", Role::ConsultationOffice, "見本相談支援事業所"),
    (
        "other-office",
        Role::ConsultationOffice,
        "別の相談支援事業所",
    ),
    (OWN_FACILITY, Role::Facility, "見本施設"),
    (OTHER_FACILITY, Role::Facility, "別の施設"),
];

struct Endpoint {
    name: &'static str,
    /// Builds the request as `caller`, on a registration taken by "office" and made for this
    /// one request (so that each cell starts from the same state).
    request: fn(&TestServer, &str, &str) -> RequestBuilder,
    expected: [u16; 8],
}

fn registration_as(caller: &str) -> Value {
    let mut doc = registration_from(caller);
    let role = ORGS
        .iter()
        .find(|o| o.0 == caller)
        .map_or("consultation_office", |o| o.1.as_str());
    doc["received_by"]["role"] = json!(role);
    doc
}

fn current_etag(server: &TestServer, path: &str) -> String {
    client()
        .get(server.url(path))
        .bearer_auth(server.key("kikan-1"))
        .send()
        .unwrap()
        .headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// An intake taken by "office"; its id.
fn intake_by_office(s: &TestServer) -> String {
    let r = client()
        .post(s.url("/v1/intakes"))
        .bearer_auth(s.key("office"))
        .json(&intake_from("office", "consultation_office"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json::<Value>().unwrap()["intake_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

const ENDPOINTS: [Endpoint; 36] = [
    Endpoint {
        name: "GET /v1/registrations",
        request: |s, _, _| client().get(s.url("/v1/registrations")),
        expected: [200, 200, 200, 200, 200, 403, 403, 401],
    },
    Endpoint {
        name: "POST /v1/search/registrations",
        request: |s, _, _| {
            client()
                .post(s.url("/v1/search/registrations"))
                .json(&json!({"name": "センダイ", "purpose": "emergency_acceptance"}))
        },
        expected: [200, 200, 200, 200, 200, 403, 403, 401],
    },
    Endpoint {
        name: "POST /v1/registrations",
        request: |s, caller, _| {
            client()
                .post(s.url("/v1/registrations"))
                .json(&registration_as(caller))
        },
        expected: [403, 201, 201, 201, 201, 403, 403, 401],
    },
    Endpoint {
        name: "POST /v1/intakes",
        request: |s, caller, _| {
            client()
                .post(s.url("/v1/intakes"))
                .json(&intake_from(caller, "kikan"))
        },
        expected: [201, 201, 201, 201, 201, 403, 403, 401],
    },
    Endpoint {
        name: "GET /v1/intakes",
        request: |s, _, _| client().get(s.url("/v1/intakes")),
        expected: [200, 200, 200, 200, 200, 403, 403, 401],
    },
    Endpoint {
        name: "GET /v1/intakes/{id}",
        request: |s, _, _| client().get(s.url(&format!("/v1/intakes/{}", intake_by_office(s)))),
        expected: [200, 200, 200, 200, 404, 404, 404, 401],
    },
    Endpoint {
        name: "GET /v1/intakes/{id}/candidates",
        request: |s, _, _| {
            client().get(s.url(&format!("/v1/intakes/{}/candidates", intake_by_office(s))))
        },
        expected: [200, 200, 200, 200, 404, 404, 404, 401],
    },
    Endpoint {
        name: "GET /v1/registrations/{id}",
        request: |s, _, id| client().get(s.url(&format!("/v1/registrations/{id}"))),
        expected: [200, 200, 200, 200, 404, 404, 404, 401],
    },
    Endpoint {
        name: "PUT /v1/registrations/{id}",
        request: |s, _, id| {
            let mut doc = registration_from("office");
            doc["registration_id"] = json!(id);
            client()
                .put(s.url(&format!("/v1/registrations/{id}")))
                .header("If-Match", "\"1\"")
                .json(&doc)
        },
        expected: [403, 200, 200, 200, 404, 404, 404, 401],
    },
    Endpoint {
        name: "GET /v1/registrations/{id}/versions",
        request: |s, _, id| client().get(s.url(&format!("/v1/registrations/{id}/versions"))),
        expected: [200, 200, 200, 200, 404, 404, 404, 401],
    },
    Endpoint {
        name: "POST /v1/registrations/{id}/consent-withdrawal",
        request: |s, _, id| {
            client().post(s.url(&format!("/v1/registrations/{id}/consent-withdrawal")))
        },
        expected: [403, 200, 200, 200, 404, 404, 404, 401],
    },
    Endpoint {
        name: "POST /v1/registrations/{id}/consent",
        request: |s, _, id| {
            let mut consent = registration_from("office")["consent"].clone();
            consent["granted_on"] = json!((chrono::Utc::now() + chrono::TimeDelta::hours(9))
                .format("%Y-%m-%d")
                .to_string());
            client()
                .post(s.url(&format!("/v1/registrations/{id}/consent")))
                .header("If-Match", "\"1\"")
                .json(&consent)
        },
        expected: [403, 200, 200, 200, 404, 404, 404, 401],
    },
    Endpoint {
        name: "POST /v1/registrations/{id}/break-glass-read",
        request: |s, _, id| {
            client()
                .post(s.url(&format!("/v1/registrations/{id}/break-glass-read")))
                .json(&json!({"legal_basis": "vital_interest"}))
        },
        expected: [200, 200, 200, 403, 404, 404, 404, 401],
    },
    Endpoint {
        name: "GET /v1/registrations/{id}/candidates",
        request: |s, _, id| {
            client().get(s.url(&format!(
                "/v1/registrations/{id}/candidates?situation=caregiver_unavailable"
            )))
        },
        expected: [200, 200, 200, 200, 404, 404, 404, 401],
    },
    Endpoint {
        name: "GET /v1/facilities",
        request: |s, _, _| client().get(s.url("/v1/facilities?service_type=short_stay")),
        expected: [200, 200, 200, 200, 200, 200, 200, 401],
    },
    Endpoint {
        name: "GET /v1/facilities/{id}",
        request: |s, _, _| client().get(s.url(&format!("/v1/facilities/{OWN_FACILITY}"))),
        expected: [200, 200, 200, 200, 200, 200, 200, 401],
    },
    Endpoint {
        name: "PUT /v1/facilities/{id}",
        request: |s, _, _| {
            let path = format!("/v1/facilities/{OWN_FACILITY}");
            let tag = current_etag(s, &path);
            client()
                .put(s.url(&path))
                .header("If-Match", tag)
                .json(&own_facility())
        },
        expected: [403, 403, 403, 403, 403, 200, 403, 401],
    },
    Endpoint {
        name: "PATCH /v1/facilities/{id}/vacancies",
        request: |s, _, _| {
            client()
                .patch(s.url(&format!("/v1/facilities/{OWN_FACILITY}/vacancies")))
                .json(&json!({"vacancies": [{"service_type": "short_stay", "vacancies": 1}]}))
        },
        expected: [403, 403, 403, 403, 403, 200, 403, 401],
    },
    Endpoint {
        name: "POST /v1/handoffs",
        request: |s, _, id| {
            client()
                .post(s.url("/v1/handoffs"))
                .json(&handoff_request(id))
        },
        expected: [201, 201, 201, 201, 404, 403, 403, 401],
    },
    Endpoint {
        name: "POST /v1/handoffs (vital_interest, no consent)",
        request: |s, _, id| {
            let mut body = handoff_request(id);
            body["legal_basis"] = json!("vital_interest");
            body["reason"] = json!("本人が意識不明で同意を確認できない。");
            client().post(s.url("/v1/handoffs")).json(&body)
        },
        expected: [201, 201, 201, 403, 404, 403, 403, 401],
    },
    Endpoint {
        name: "GET /v1/handoffs",
        request: |s, _, _| client().get(s.url("/v1/handoffs")),
        expected: [200, 200, 200, 200, 200, 200, 200, 401],
    },
    Endpoint {
        name: "GET /v1/handoffs/{id} (application/jose)",
        request: |s, _, id| {
            let h = handoff(s, id);
            client()
                .get(s.url(&format!("/v1/handoffs/{h}")))
                .header("Accept", "application/jose")
        },
        expected: [200, 200, 200, 200, 404, 200, 404, 401],
    },
    Endpoint {
        name: "GET /v1/handoffs/{id} (application/xml)",
        request: |s, _, id| {
            let h = handoff(s, id);
            client()
                .get(s.url(&format!("/v1/handoffs/{h}")))
                .header("Accept", "application/xml")
        },
        expected: [200, 200, 200, 200, 404, 200, 404, 401],
    },
    Endpoint {
        name: "POST /v1/handoffs/{id}/responses (cancelled)",
        request: |s, caller, id| {
            let h = handoff(s, id);
            let role = ORGS
                .iter()
                .find(|o| o.0 == caller)
                .map_or("city", |o| o.1.as_str());
            client()
                .post(s.url(&format!("/v1/handoffs/{h}/responses")))
                .json(&json!({
                    "document_type": "handoff_response", "schema_version": "1.0.0",
                    "handoff_id": h, "responder": {"organization_id": caller, "role": role},
                    "status": "cancelled", "at": hours_ago(0)
                }))
        },
        expected: [201, 201, 201, 201, 404, 201, 404, 401],
    },
    Endpoint {
        name: "POST /v1/verify",
        request: |s, _, id| {
            let h = handoff(s, id);
            let packet = client()
                .get(s.url(&format!("/v1/handoffs/{h}")))
                .bearer_auth(s.key("kikan-1"))
                .send()
                .unwrap()
                .text()
                .unwrap();
            client()
                .post(s.url("/v1/verify"))
                .header("Content-Type", "application/jose")
                .body(packet)
        },
        expected: [200, 200, 200, 200, 200, 200, 200, 401],
    },
    Endpoint {
        name: "POST /v1/registrations/{id}/meetings",
        request: |s, _, id| {
            client()
                .post(s.url(&format!("/v1/registrations/{id}/meetings")))
                .json(&json!({"kind": "face_to_face", "held_on": "2026-11-01",
                              "participants": ["office", "kikan-1"], "person_attended": true,
                              "family_attended": false, "outcome": "held"}))
        },
        expected: [403, 201, 201, 201, 404, 404, 404, 401],
    },
    Endpoint {
        name: "GET /v1/registrations/{id}/meetings",
        request: |s, _, id| client().get(s.url(&format!("/v1/registrations/{id}/meetings"))),
        expected: [200, 200, 200, 200, 404, 404, 404, 401],
    },
    Endpoint {
        name: "POST /v1/registrations/{id}/review",
        request: |s, _, id| client().post(s.url(&format!("/v1/registrations/{id}/review"))),
        expected: [403, 200, 200, 200, 404, 404, 404, 401],
    },
    Endpoint {
        name: "GET /v1/registrations/{id}/responsible-office",
        request: |s, _, id| {
            client().get(s.url(&format!("/v1/registrations/{id}/responsible-office")))
        },
        expected: [200, 200, 200, 200, 404, 404, 404, 401],
    },
    Endpoint {
        name: "PUT /v1/registrations/{id}/responsible-office",
        request: |s, _, id| {
            client()
                .put(s.url(&format!("/v1/registrations/{id}/responsible-office")))
                .json(&json!({"organization_id": "other-office"}))
        },
        expected: [200, 200, 200, 403, 404, 404, 404, 401],
    },
    Endpoint {
        name: "GET /v1/provisions",
        request: |s, _, id| client().get(s.url(&format!("/v1/provisions?person={id}"))),
        expected: [200, 200, 403, 403, 403, 403, 403, 401],
    },
    Endpoint {
        name: "GET /v1/notices",
        request: |s, _, _| client().get(s.url("/v1/notices")),
        expected: [200, 200, 200, 200, 200, 200, 200, 401],
    },
    Endpoint {
        name: "GET /v1/keys",
        request: |s, _, _| client().get(s.url("/v1/keys")),
        expected: [200, 200, 200, 200, 200, 200, 200, 401],
    },
    Endpoint {
        name: "GET /v1/keys/{kid}",
        request: |s, _, _| client().get(s.url("/v1/keys/no-such-key")),
        expected: [404, 404, 404, 404, 404, 404, 404, 401],
    },
    Endpoint {
        name: "GET /v1/audit",
        request: |s, _, _| client().get(s.url("/v1/audit")),
        expected: [200, 200, 403, 403, 403, 403, 403, 401],
    },
    Endpoint {
        name: "GET /v1/reports/operations",
        request: |s, _, _| client().get(s.url("/v1/reports/operations?fiscal_year=2026")),
        expected: [200, 200, 200, 403, 403, 403, 403, 401],
    },
];

fn handoff_request(registration_id: &str) -> Value {
    json!({
        "registration_id": registration_id, "recipient": OWN_FACILITY,
        "purpose": "emergency_acceptance",
        "situation": {"kind": "caregiver_unavailable", "occurred_at": hours_ago(1),
                      "description": "主たる介護者が入院した。", "urgency": "same_day"},
        "request": {"service_type": "short_stay", "start_on": "2026-01-20"}
    })
}

/// A handoff from "office" to the own facility, built from the registration `id`.
fn handoff(s: &TestServer, id: &str) -> String {
    let res = client()
        .post(s.url("/v1/handoffs"))
        .bearer_auth(s.key("office"))
        .json(&handoff_request(id))
        .send()
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().unwrap()["handoff_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn own_facility() -> Value {
    facility(
        OWN_FACILITY,
        "青葉区",
        "A",
        vec![service("short_stay", 1, &["suction"])],
    )
}

#[test]
fn every_role_gets_exactly_its_access_on_every_data_endpoint() {
    let server = TestServer::isolated(&ORGS);
    let created = client()
        .put(server.url(&format!("/v1/facilities/{OWN_FACILITY}")))
        .bearer_auth(server.key(OWN_FACILITY))
        .json(&own_facility())
        .send()
        .unwrap();
    assert_eq!(created.status(), 201);
    let mut wrong = Vec::new();
    for endpoint in &ENDPOINTS {
        for (caller, expected) in CALLERS.iter().zip(endpoint.expected) {
            let res = client()
                .post(server.url("/v1/registrations"))
                .bearer_auth(server.key("office"))
                .json(&registration_from("office"))
                .send()
                .unwrap();
            assert_eq!(res.status(), 201);
            let id = res.json::<Value>().unwrap()["registration_id"]
                .as_str()
                .unwrap()
                .to_owned();
            let mut req = (endpoint.request)(&server, caller, &id);
            if *caller != "(no key)" {
                req = req.bearer_auth(server.key(caller));
            }
            let res = req.send().unwrap();
            let status = res.status().as_u16();
            if status != expected {
                wrong.push(format!(
                    "{} as {caller}: {status} (expected {expected}) {}",
                    endpoint.name,
                    res.text().unwrap_or_default()
                ));
            } else if status >= 400 {
                assert_eq!(
                    res.headers()["content-type"],
                    "application/problem+json",
                    "{} as {caller}",
                    endpoint.name
                );
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_tables_of_who_may_do_what_in_the_readme_and_the_specification_are_the_access_policy() {
    let table = kyoten::domain::access::matrix_markdown();
    for file in ["README.md", "docs/spec/api.md"] {
        let text = std::fs::read_to_string(repo().join(file)).unwrap();
        assert!(
            text.contains(&table),
            "{file}'s \"Who may do what\" table should read:\n{table}"
        );
    }
}
