//! Consent provisions after FHIR `Consent`: actor (role or organization) × purpose ×
//! data category, default deny, deny overrides permit.
//!
//! The consent is read in place from the (already schema-validated) registration JSON, so
//! evaluating it allocates nothing but the resulting set.
use crate::contracts::text_enum::text_enum;
use serde_json::Value;
use std::collections::BTreeSet;

/// A consent object of a registration (`/consent`).
#[derive(Debug, Clone, Copy)]
pub struct Consent<'a> {
    value: &'a Value,
}

/// Who a packet goes to: its role, and its organization id when known.
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    pub role: &'a str,
    pub organization_id: Option<&'a str>,
}

fn strings<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a str> {
    v.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

impl<'a> Consent<'a> {
    pub fn new(value: &'a Value) -> Self {
        Self { value }
    }

    pub fn is_withdrawn(&self) -> bool {
        self.value.get("withdrawn_on").is_some_and(|w| !w.is_null())
    }

    /// The categories the provisions permit for a recipient and purpose, ignoring withdrawal.
    pub fn provisions_permit(&self, recipient: Recipient<'_>, purpose: &str) -> BTreeSet<&'a str> {
        let mut permitted = BTreeSet::new();
        let mut denied = BTreeSet::new();
        let provisions = self
            .value
            .get("provisions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        for p in provisions {
            let for_purpose = strings(p, "purposes").any(|x| x == purpose);
            let for_recipient = strings(p, "recipients")
                .any(|r| r == recipient.role || Some(r) == recipient.organization_id);
            if !(for_purpose && for_recipient) {
                continue;
            }
            let set = match p.get("decision").and_then(Value::as_str) {
                Some("permit") => &mut permitted,
                Some("deny") => &mut denied,
                // An unknown decision permits nothing (default deny).
                _ => continue,
            };
            set.extend(strings(p, "categories"));
        }
        permitted.retain(|c| !denied.contains(c));
        permitted
    }

    /// The categories this consent permits for a recipient and purpose. A withdrawn consent
    /// permits nothing.
    pub fn permitted(&self, recipient: Recipient<'_>, purpose: &str) -> BTreeSet<&'a str> {
        if self.is_withdrawn() {
            return BTreeSet::new();
        }
        self.provisions_permit(recipient, purpose)
    }
}

text_enum! {
    /// A registration's state, as stored: its consent in force, or withdrawn (final; nothing more
    /// is shared).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum RegistrationStatus {
        Active = "active",
        ConsentWithdrawn = "consent_withdrawn",
    }
}

impl RegistrationStatus {
    /// The state a registration document puts itself in: withdrawn once it records a
    /// withdrawal date.
    pub fn of(document: &Value) -> RegistrationStatus {
        if document["consent"]
            .get("withdrawn_on")
            .is_some_and(|w| !w.is_null())
        {
            RegistrationStatus::ConsentWithdrawn
        } else {
            RegistrationStatus::Active
        }
    }
}

/// What the coordinators still see of a registration whose consent is withdrawn: who the person
/// is (`identity`: name, birth date, sex), its status, the registration's ids and its consent —
/// built from
/// an allow-list, never by deleting from the document. `"view": "after_withdrawal"` marks it as
/// not the whole registration (a break-glass read gives that, recorded).
pub fn after_withdrawal(document: &Value) -> Value {
    let mut view = serde_json::Map::new();
    view.insert("view".into(), Value::String("after_withdrawal".into()));
    view.insert(
        "status".into(),
        Value::String(RegistrationStatus::ConsentWithdrawn.as_str().into()),
    );
    for key in [
        "document_type",
        "schema_version",
        "registration_id",
        "municipality_code",
        "received_by",
        "consent",
    ] {
        if let Some(v) = document.get(key) {
            view.insert(key.into(), v.clone());
        }
    }
    let mut registrant = serde_json::Map::new();
    for key in IDENTITY_FIELDS {
        if let Some(v) = document["registrant"].get(key) {
            registrant.insert(key.into(), v.clone());
        }
    }
    view.insert("registrant".into(), Value::Object(registrant));
    Value::Object(view)
}

/// What a consent withdrawal or a new consent answers: the registration's id, version and
/// status and its consent, no personal data (those writes read and share none).
pub fn consent_status(document: &Value, version: i32, status: &str) -> Value {
    serde_json::json!({
        "registration_id": document.get("registration_id"),
        "version": version,
        "status": status,
        "consent": document.get("consent"),
    })
}

/// The registrant's fields of the `identity` category.
const IDENTITY_FIELDS: [&str; 3] = ["name", "birth_date", "sex"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registration_is_withdrawn_once_its_document_records_a_withdrawal_date() {
        let of = |consent: Value| RegistrationStatus::of(&json!({ "consent": consent }));
        assert_eq!(
            of(json!({"granted_on": "2026-01-01"})),
            RegistrationStatus::Active
        );
        assert_eq!(
            of(json!({"withdrawn_on": null})),
            RegistrationStatus::Active
        );
        assert_eq!(
            of(json!({"withdrawn_on": "2026-02-01"})),
            RegistrationStatus::ConsentWithdrawn
        );
        for status in RegistrationStatus::ALL {
            assert_eq!(RegistrationStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(RegistrationStatus::parse("deleted"), None);
    }
    use serde_json::json;

    const FACILITY: Recipient<'static> = Recipient {
        role: "facility",
        organization_id: Some("0410000001"),
    };

    #[test]
    fn after_a_withdrawal_only_identity_ids_and_consent_are_left() {
        let doc = json!({
            "document_type": "registration", "registration_id": "reg_1",
            "municipality_code": "041009", "received_by": {"organization_id": "office"},
            "registrant": {"name": {"family": "見本"}, "birth_date": "1990-01-01", "sex": "female",
                           "address": {"line": "x"}, "phones": ["000"]},
            "condition": {"illnesses": ["x"]}, "household": [{"name": "y"}],
            "emergency_contacts": [{"name": "z"}],
            "consent": {"granted_on": "2025-01-01", "withdrawn_on": "2025-06-01", "provisions": []}
        });
        let view = after_withdrawal(&doc);
        assert_eq!(
            view,
            json!({
                "view": "after_withdrawal", "status": "consent_withdrawn",
                "document_type": "registration",
                "registration_id": "reg_1", "municipality_code": "041009",
                "received_by": {"organization_id": "office"},
                "registrant": {"name": {"family": "見本"}, "birth_date": "1990-01-01", "sex": "female"},
                "consent": {"granted_on": "2025-01-01", "withdrawn_on": "2025-06-01", "provisions": []}
            })
        );
    }

    #[test]
    fn nothing_is_permitted_without_a_matching_provision() {
        let doc = json!({"provisions": [
            {"recipients": ["kikan"], "purposes": ["emergency_preparation"], "categories": ["identity"], "decision": "permit"}
        ]});
        assert!(Consent::new(&doc)
            .permitted(FACILITY, "emergency_acceptance")
            .is_empty());
    }

    #[test]
    fn deny_overrides_permit_for_the_same_category() {
        let doc = json!({"provisions": [
            {"recipients": ["facility"], "purposes": ["emergency_acceptance"], "categories": ["identity", "household"], "decision": "permit"},
            {"recipients": ["0410000001"], "purposes": ["emergency_acceptance"], "categories": ["household"], "decision": "deny"}
        ]});
        assert_eq!(
            Consent::new(&doc).permitted(FACILITY, "emergency_acceptance"),
            BTreeSet::from(["identity"])
        );
    }

    #[test]
    fn a_provision_for_another_organization_does_not_apply() {
        let doc = json!({"provisions": [
            {"recipients": ["0410000002"], "purposes": ["emergency_acceptance"], "categories": ["identity"], "decision": "permit"}
        ]});
        assert!(Consent::new(&doc)
            .permitted(FACILITY, "emergency_acceptance")
            .is_empty());
    }

    #[test]
    fn a_withdrawn_consent_permits_nothing() {
        let doc = json!({"withdrawn_on": "2026-01-01", "provisions": [
            {"recipients": ["facility"], "purposes": ["emergency_acceptance"], "categories": ["identity"], "decision": "permit"}
        ]});
        let consent = Consent::new(&doc);
        assert!(consent
            .permitted(FACILITY, "emergency_acceptance")
            .is_empty());
        assert_eq!(
            consent
                .provisions_permit(FACILITY, "emergency_acceptance")
                .len(),
            1
        );
    }
}
