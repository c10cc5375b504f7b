//! Documents the data tests build on: facility records of a chosen survey group and service,
//! and registrations taken by a chosen office.
use crate::helpers::*;
use serde_json::{json, Value};

/// A timestamp `hours` ago, Japan time, as a facility reports it.
pub fn hours_ago(hours: i64) -> String {
    let t = chrono::Utc::now() - chrono::TimeDelta::hours(hours);
    t.with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).unwrap())
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// The survey answers that give `group` (A, B, C or other).
pub fn answers(group: &str) -> Value {
    let [capacity, accepted, accepted_new, willing, willing_new] = match group {
        "A" => [true, true, true, true, true],
        "B" => [true, true, false, true, true],
        "C" => [true, false, false, true, true],
        _ => [false, false, false, false, false],
    };
    json!({
        "has_vacancy_capacity": capacity,
        "has_accepted_emergency": accepted,
        "has_accepted_new_without_prior_info": accepted_new,
        "willing_emergency": willing,
        "willing_new_without_prior_info": willing_new,
        "lead_time": "same_day",
        "barriers": []
    })
}

/// Whether a service type has a capacity (定員), as the code list says.
pub fn has_capacity(service_type: &str) -> bool {
    let list = read_json(&repo().join("schemas/codelists/service_types.json"));
    list["codes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == service_type)
        .unwrap_or_else(|| panic!("no service type {service_type}"))["has_capacity"]
        .as_bool()
        .unwrap()
}

/// A service entry: welfare short stay unless changed. A service without a capacity (訪問系,
/// 相談支援 …) states instead whether it can respond today (it can when `vacancies` > 0).
pub fn service(service_type: &str, vacancies: u32, medical_care: &[&str]) -> Value {
    let mut s = json!({
        "service_type": service_type,
        "capacity": 4,
        "vacancies": vacancies,
        "vacancy_as_of": hours_ago(1),
        "targets": ["physical", "intellectual", "mental"],
        "medical_care": medical_care,
        "behavioral_support": true
    });
    if !has_capacity(service_type) {
        let s = s.as_object_mut().unwrap();
        s.remove("capacity");
        s.remove("vacancies");
        let as_of = s.remove("vacancy_as_of").unwrap();
        s.insert(
            "availability".into(),
            json!({"can_respond_today": vacancies > 0, "as_of": as_of}),
        );
    }
    if service_type == "short_stay" {
        s["variant"] = json!("welfare");
    }
    s
}

/// A facility record with one service, in a ward, answering the survey as `group`.
pub fn facility(id: &str, ward: &str, group: &str, services: Vec<Value>) -> Value {
    let mut doc = read_json(&repo().join("conformance/vectors/facility/valid/minimal.json"));
    doc["facility_id"] = json!(id);
    doc["name"] = json!(format!("見本施設 {id}"));
    doc["ward"] = json!(ward);
    doc["services"] = Value::Array(services);
    doc["emergency_acceptance"] = answers(group);
    doc
}

/// The full valid registration, taken by `office`, without an id.
pub fn registration_from(office: &str) -> Value {
    let mut doc = read_json(&repo().join("conformance/vectors/registration/valid/full.json"));
    doc.as_object_mut().unwrap().remove("registration_id");
    doc["received_by"] = json!({"organization_id": office, "role": "consultation_office"});
    doc
}

/// A consent that lets facilities see identity and contact only (for acceptance), and the
/// coordinating roles and `office` everything.
pub fn narrow_consent() -> Value {
    json!({
        "granted_on": "2025-10-15", "granted_by": "registrant", "method": "signature",
        "provisions": [
            {"recipients": ["kikan", "hub", "city", "office"], "purposes": ["emergency_preparation", "emergency_acceptance"],
             "categories": ["identity", "contact", "certificates", "care_status", "medical", "emergency_plan", "emergency_contacts", "household"], "decision": "permit"},
            {"recipients": ["facility"], "purposes": ["emergency_acceptance"], "categories": ["identity", "contact"], "decision": "permit"}
        ]
    })
}

/// The intake of 事例② (a man in his thirties whose mother was taken to hospital), taken by
/// `taker` (of `role`), received an hour ago.
pub fn intake_from(taker: &str, role: &str) -> Value {
    let mut doc = read_json(
        &repo().join("conformance/vectors/emergency_intake/valid/mother_hospitalized_aoba.json"),
    );
    doc["received_by"] = json!({"organization_id": taker, "role": role});
    doc["received_at"] = json!(hours_ago(1));
    doc["situation"]["occurred_at"] = json!(hours_ago(3));
    doc
}
