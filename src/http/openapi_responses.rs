//! The schemas of the success answers whose handlers answer with a stored document or a
//! computed JSON value (not a Rust type utoipa sees): the stored documents by their contract
//! schema, the other answers by hand-written schemas here. Written by hand because their shape
//! is the documents' own (contracts) or flattened serde structures; each stays open to members
//! added later (no `additionalProperties: false`), so a client generated today keeps working.
use serde_json::{json, Value};

/// The hand-written components the answers refer to.
/// Long on purpose: one schema per component, a table read side by side with the answers.
fn components() -> Vec<(&'static str, Value)> {
    let text = json!({"type": "string"});
    let ja_en = json!({"type": "object", "properties": {"ja": text, "en": text}});
    let service = json!({
        "type": "object",
        "description": "The service a candidate would provide: its vacancies (a service with a capacity) or whether it can respond today (one without).",
        "required": ["service_type", "vacancy_as_of"],
        "properties": {
            "service_type": text, "variant": text,
            "vacancies": {"type": "integer", "minimum": 0},
            "can_respond_today": {"type": "boolean"},
            "vacancy_as_of": text
        }
    });
    let reasons = json!({"type": "array", "items": text});
    vec![
        (
            "Candidate",
            json!({
                "type": "object",
                "description": "A facility to call, in rank order, with the reasons (README, Matching).",
                "required": ["rank", "tier", "facility_id", "name", "survey_group", "reasons"],
                "properties": {
                    "rank": {"type": "integer", "minimum": 1},
                    "tier": {"enum": ["prearranged", "group_a_with_vacancy", "group_b_with_vacancy", "group_c_with_vacancy", "hub_emergency_room"]},
                    "facility_id": text, "name": text, "ward": text,
                    "survey_group": {"enum": ["A", "B", "C", "other"]},
                    "service": service,
                    "reasons": reasons
                }
            }),
        ),
        (
            "Ranking",
            json!({
                "type": "object",
                "description": "Matching candidates best first, and the facilities left out with why (the first 100).",
                "required": ["service_types", "short_stay_excluded", "candidates", "excluded_count", "excluded"],
                "properties": {
                    "registration_id": text, "registration_version": {"type": "integer"},
                    "registration_status": text, "intake_id": text, "situation": text,
                    "service_types": {"type": "array", "items": text},
                    "short_stay_excluded": {"type": "boolean"},
                    "candidates": {"type": "array", "items": {"$ref": "#/components/schemas/Candidate"}},
                    "excluded_count": {"type": "integer", "minimum": 0},
                    "excluded": {"type": "array", "items": {
                        "type": "object", "required": ["facility_id", "name", "reasons"],
                        "properties": {"facility_id": text, "name": text, "reasons": reasons}
                    }}
                }
            }),
        ),
        (
            "FacilityPage",
            json!({
                "type": "object",
                "required": ["items", "next_after"],
                "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Facility"}},
                    "next_after": {"type": ["string", "null"], "description": "Pass as `after` for the next page; null on the last"}
                }
            }),
        ),
        (
            "RegistrationAfterWithdrawal",
            json!({
                "type": "object",
                "description": "A registration whose consent was withdrawn, as it is shown after the withdrawal: identity, ids, consent and status only (docs/spec/consent.md §4.4).",
                "required": ["registration_id", "status", "view"],
                "properties": {
                    "document_type": {"const": "registration"}, "schema_version": text,
                    "registration_id": text, "municipality_code": text,
                    "received_by": {"type": "object"}, "registrant": {"type": "object"},
                    "consent": {"$ref": "#/components/schemas/RegistrationConsent"},
                    "status": {"const": "consent_withdrawn"},
                    "view": {"const": "after_withdrawal"}
                }
            }),
        ),
        (
            "ConsentAnswer",
            json!({
                "type": "object",
                "description": "The answer to a withdrawal or a new consent: the version it made, the status and the consent now in force (no other personal data).",
                "required": ["registration_id", "version", "status", "consent"],
                "properties": {
                    "registration_id": text, "version": {"type": "integer", "minimum": 1},
                    "status": {"enum": ["active", "consent_withdrawn"]},
                    "consent": {"$ref": "#/components/schemas/RegistrationConsent"}
                }
            }),
        ),
        (
            "JwkSet",
            json!({
                "type": "object", "required": ["keys"],
                "description": "RFC 7517 JWK Set: the exchange's signing keys and the organizations' registered keys (each kid an RFC 7638 thumbprint).",
                "properties": {"keys": {"type": "array", "items": {
                    "type": "object", "required": ["kty", "kid"],
                    "properties": {"kty": text, "kid": text, "alg": text, "use": text}
                }}}
            }),
        ),
        (
            "CodeList",
            json!({
                "type": "object", "required": ["name", "version"],
                "description": "A code list (`codes`), or one of the catalogues published beside them (problem types, messages).",
                "properties": {
                    "name": text, "version": text, "title": ja_en, "description": ja_en,
                    "codes": {"type": "array", "items": {
                        "type": "object", "required": ["code", "ja", "en"],
                        "properties": {"code": {"type": ["string", "integer"]}, "ja": text, "en": text}
                    }}
                }
            }),
        ),
    ]
}

/// What each success answer is, by operation path, method, status and media type.
/// Long on purpose: one row per answer, a table.
fn answers() -> Vec<(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Value,
)> {
    let r = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    let registration = r("Registration");
    let object = |what: &str| json!({"type": "object", "description": what});
    vec![
        (
            "/v1/registrations",
            "post",
            "201",
            "application/json",
            registration.clone(),
        ),
        (
            "/v1/registrations/{id}",
            "put",
            "200",
            "application/json",
            registration.clone(),
        ),
        (
            "/v1/registrations/{id}",
            "get",
            "200",
            "application/json",
            json!({"anyOf": [registration.clone(), r("RegistrationAfterWithdrawal")]}),
        ),
        (
            "/v1/registrations/{id}/break-glass-read",
            "post",
            "200",
            "application/json",
            registration,
        ),
        (
            "/v1/registrations/{id}/consent",
            "post",
            "200",
            "application/json",
            r("ConsentAnswer"),
        ),
        (
            "/v1/registrations/{id}/consent-withdrawal",
            "post",
            "200",
            "application/json",
            r("ConsentAnswer"),
        ),
        (
            "/v1/registrations/{id}/candidates",
            "get",
            "200",
            "application/json",
            r("Ranking"),
        ),
        (
            "/v1/intakes/{id}/candidates",
            "get",
            "200",
            "application/json",
            r("Ranking"),
        ),
        (
            "/v1/facilities",
            "get",
            "200",
            "application/json",
            r("FacilityPage"),
        ),
        (
            "/v1/facilities/{facility_id}",
            "get",
            "200",
            "application/json",
            r("Facility"),
        ),
        (
            "/v1/facilities/{facility_id}",
            "put",
            "200",
            "application/json",
            r("Facility"),
        ),
        (
            "/v1/facilities/{facility_id}",
            "put",
            "201",
            "application/json",
            r("Facility"),
        ),
        (
            "/v1/facilities/{facility_id}/vacancies",
            "patch",
            "200",
            "application/json",
            r("Facility"),
        ),
        (
            "/.well-known/jwks.json",
            "get",
            "200",
            "application/jwk-set+json",
            r("JwkSet"),
        ),
        (
            "/codelists/{name}",
            "get",
            "200",
            "application/json",
            r("CodeList"),
        ),
        (
            "/openapi.json",
            "get",
            "200",
            "application/json",
            object("This OpenAPI 3.1 document"),
        ),
        (
            "/policies/{name}",
            "get",
            "200",
            "application/json",
            object("A published policy (e.g. the minimization policy)"),
        ),
        (
            "/schemas/{name}/{version}",
            "get",
            "200",
            "application/schema+json",
            object("A JSON Schema 2020-12 document, served unchanged"),
        ),
    ]
}

/// Adds the components and declares the schema of each answer listed in [`answers`].
pub(super) fn declare(doc: &mut Value) {
    for (name, schema) in components() {
        doc["components"]["schemas"][name] = schema;
    }
    for (path, method, status, media, schema) in answers() {
        let within = ["responses", status, "content", media];
        if let Some(content) = super::openapi::operation_part(doc, path, method, &within) {
            content["schema"] = schema;
        }
    }
}
