//! Consent provisions after FHIR `Consent` (SPEC §4): actor (role or organization) × purpose ×
//! data category, default deny, deny overrides permit.
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeSet;

/// A consent, borrowing its strings from the document where it can.
#[derive(Debug, Clone, Deserialize)]
pub struct Consent<'a> {
    #[serde(default, borrow)]
    pub provisions: Vec<Provision<'a>>,
    #[serde(default, borrow)]
    pub withdrawn_on: Option<Cow<'a, str>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Provision<'a> {
    #[serde(default, borrow)]
    pub recipients: Vec<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub purposes: Vec<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub categories: Vec<Cow<'a, str>>,
    pub decision: Decision,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Permit,
    Deny,
}

/// Who a packet goes to: its role, and its organization id when known.
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    pub role: &'a str,
    pub organization_id: Option<&'a str>,
}

impl Consent<'_> {
    /// The categories this consent permits for a recipient and purpose. Withdrawn consent
    /// permits nothing.
    pub fn permitted(&self, recipient: Recipient<'_>, purpose: &str) -> BTreeSet<&str> {
        if self.withdrawn_on.is_some() {
            return BTreeSet::new();
        }
        let applies = |p: &&Provision| {
            p.purposes.iter().any(|x| x == purpose)
                && p.recipients
                    .iter()
                    .any(|r| r == recipient.role || Some(r.as_ref()) == recipient.organization_id)
        };
        let mut permitted: BTreeSet<&str> = BTreeSet::new();
        let mut denied: BTreeSet<&str> = BTreeSet::new();
        for p in self.provisions.iter().filter(applies) {
            let set = match p.decision {
                Decision::Permit => &mut permitted,
                Decision::Deny => &mut denied,
            };
            set.extend(p.categories.iter().map(|c| c.as_ref()));
        }
        permitted.retain(|c| !denied.contains(c));
        permitted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn consent(v: &serde_json::Value) -> Consent<'_> {
        Consent::deserialize(v).unwrap()
    }

    const FACILITY: Recipient<'static> = Recipient {
        role: "facility",
        organization_id: Some("0410000001"),
    };

    #[test]
    fn nothing_is_permitted_without_a_matching_provision() {
        let doc = json!({"provisions": [
            {"recipients": ["kikan"], "purposes": ["emergency_preparation"], "categories": ["identity"], "decision": "permit"}
        ]});
        let c = consent(&doc);
        assert!(c.permitted(FACILITY, "emergency_acceptance").is_empty());
    }

    #[test]
    fn deny_overrides_permit_for_the_same_category() {
        let doc = json!({"provisions": [
            {"recipients": ["facility"], "purposes": ["emergency_acceptance"], "categories": ["identity", "household"], "decision": "permit"},
            {"recipients": ["0410000001"], "purposes": ["emergency_acceptance"], "categories": ["household"], "decision": "deny"}
        ]});
        let c = consent(&doc);
        assert_eq!(
            c.permitted(FACILITY, "emergency_acceptance"),
            BTreeSet::from(["identity"])
        );
    }

    #[test]
    fn a_withdrawn_consent_permits_nothing() {
        let doc = json!({"withdrawn_on": "2026-01-01", "provisions": [
            {"recipients": ["facility"], "purposes": ["emergency_acceptance"], "categories": ["identity"], "decision": "permit"}
        ]});
        let c = consent(&doc);
        assert!(c.permitted(FACILITY, "emergency_acceptance").is_empty());
    }
}
