//! Request examples that work as they are against the demo (`kyoten serve --demo`) with its
//! keys, as Swagger UI's "Try it out" sends them: the demo's own documents, its registration id
//! and its facilities. A test sends every one of them to a fresh demo.
use serde_json::{json, Value};

/// The id of the demo's registration, fixed so that the examples can name it.
pub const DEMO_REGISTRATION_ID: &str = "reg_demo_aoba_1";

/// Stands for the id `POST /v1/handoffs` answered: a handoff exists only once it is sent, so
/// its answer's `handoff_id` goes here and in the path (the operation's description says so).
pub const HANDOFF_ID_PLACEHOLDER: &str = "00000000-0000-4000-8000-000000000000";

const REGISTRATION: &str = include_str!("../../demo/registration.json");
const INTAKE: &str = include_str!("../../demo/intake.json");
const FACILITY: &str = include_str!("../../demo/facilities/0410100101.json");
/// A packet signed with a key of the conformance vectors, which no demo organization holds:
/// the verify example answers with its verdict (`unknown_key`), as it would for a stranger's.
const SIGNED_PACKET: &str =
    include_str!("../../conformance/vectors/signed/valid/handoff.es256.jws");

fn document(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_default()
}

/// One example per operation that takes a JSON body: path, method, media type, example.
/// Long on purpose: one row per example, a table.
pub fn examples() -> Vec<(&'static str, &'static str, &'static str, Value)> {
    let registration = document(REGISTRATION);
    let mut changed = registration.clone();
    changed["registration_id"] = json!(DEMO_REGISTRATION_ID);
    changed["emergency_plan"]["expected_situations"] =
        json!("母の急病・入院で自宅での介護が受けられない場合は、事前調整した事業所の短期入所を利用する。");
    // Its vacancy figures are of the day the demo data was written: accepted, with a warning
    // that they are old; the vacancy update below gives today's.
    let facility = document(FACILITY);
    // A new consent (同意の再取得) replacing the demo registration's, granted after it.
    let mut new_consent = registration["consent"].clone();
    new_consent["granted_on"] = json!("2026-12-01");
    let same_day = json!({"kind": "caregiver_unavailable", "occurred_at": "2026-12-01T08:30:00+09:00",
        "description": "主たる介護者の母が今朝急病で入院した。", "urgency": "same_day"});
    vec![
        (
            "/v1/registrations",
            "post",
            "application/json",
            registration.clone(),
        ),
        ("/v1/registrations/{id}", "put", "application/json", changed),
        (
            "/v1/validate/{document_type}",
            "post",
            "application/json",
            registration,
        ),
        ("/v1/intakes", "post", "application/json", document(INTAKE)),
        (
            "/v1/facilities/{facility_id}",
            "put",
            "application/json",
            facility,
        ),
        (
            "/v1/facilities/{facility_id}/vacancies",
            "patch",
            "application/json",
            json!({"vacancies": [{"service_type": "short_stay", "vacancies": 1}]}),
        ),
        (
            "/v1/handoffs",
            "post",
            "application/json",
            json!({"registration_id": DEMO_REGISTRATION_ID, "recipient": "0410100101",
                   "purpose": "emergency_acceptance", "situation": same_day,
                   "request": {"service_type": "short_stay", "start_on": "2026-12-01"}}),
        ),
        (
            "/v1/handoffs/{id}/responses",
            "post",
            "application/json",
            json!({"document_type": "handoff_response", "schema_version": "1.0.0",
                   "handoff_id": HANDOFF_ID_PLACEHOLDER,
                   "responder": {"organization_id": "0410100101", "role": "facility"},
                   "status": "received", "at": "2026-12-01T09:05:00+09:00"}),
        ),
        (
            "/v1/registrations/{id}/meetings",
            "post",
            "application/json",
            json!({"kind": "visit", "held_on": "2026-11-20",
                   "participants": ["demo-office-aoba", "0410100101"], "person_attended": true,
                   "family_attended": true, "facility_id": "0410100101", "outcome": "prearranged"}),
        ),
        (
            "/v1/registrations/{id}/responsible-office",
            "put",
            "application/json",
            json!({"organization_id": "demo-office-aoba"}),
        ),
        (
            "/v1/registrations/{id}/break-glass-read",
            "post",
            "application/json",
            json!({"legal_basis": "vital_interest"}),
        ),
        (
            "/v1/search/registrations",
            "post",
            "application/json",
            json!({"name": "みほん いちろー", "birth_date": "1995-04-10", "purpose": "emergency_acceptance"}),
        ),
        (
            "/v1/registrations/{id}/consent",
            "post",
            "application/json",
            new_consent,
        ),
        (
            "/v1/validate/{document_type}/batch",
            "post",
            "application/x-ndjson",
            Value::String(format!(
                "{}\n{}\n",
                document(REGISTRATION),
                json!({"document_type": "registration"})
            )),
        ),
        (
            "/v1/verify",
            "post",
            "application/jose",
            Value::String(SIGNED_PACKET.trim().to_owned()),
        ),
        (
            "/v1/keys",
            "post",
            "application/jwk+json",
            json!({"kty": "EC", "crv": "P-256",
                   "x": "rxn2iLgWr5xyQtrOBjCnAOskROPF7gpzIgLpR_sB6T0",
                   "y": "1vj4WL_Y0nlmyrn8Twn5pLo9UaBEHsQoC3dDWemD7ys"}),
        ),
    ]
}

/// Puts each example on its request body.
pub(super) fn declare(doc: &mut Value) {
    for (path, method, media, example) in examples() {
        let within = ["requestBody", "content", media];
        if let Some(content) = super::openapi::operation_part(doc, path, method, &within) {
            content["example"] = example;
        }
    }
}
