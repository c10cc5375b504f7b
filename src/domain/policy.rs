//! The minimization policy (`schemas/policies/minimization.json`) and the data categories with
//! the registration fields each covers (`schemas/codelists/data_categories.json`).
use crate::contracts::{ContractError, Contracts};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Debug, Deserialize)]
struct NeedSet {
    recipient_role: String,
    purpose: String,
    categories: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct PolicyFile {
    need_sets: Vec<NeedSet>,
}

#[derive(Debug, Deserialize)]
struct CategoryCode {
    code: String,
    fields: Vec<String>,
    #[serde(default)]
    intake_fields: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct CategoryList {
    codes: Vec<CategoryCode>,
}

#[derive(Debug, Default)]
pub struct Policy {
    need: HashMap<(String, String), BTreeSet<String>>,
    /// Category → JSON Pointers (into a registration, and equally into a handoff `subject`).
    pub category_fields: BTreeMap<String, Vec<String>>,
    /// Category → JSON Pointers into an emergency intake (and equally into the `subject` of a
    /// packet built from one); categories an intake has no field of are absent.
    pub intake_category_fields: BTreeMap<String, Vec<String>>,
}

/// The kind of document a packet's `subject` is drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Registration,
    /// An emergency intake (a packet with `intake_ref`).
    Intake,
}

impl Source {
    /// The source of a handoff packet: an intake when it carries `intake_ref`.
    pub fn of_packet(packet: &serde_json::Value) -> Source {
        if packet.get("intake_ref").is_some() {
            Source::Intake
        } else {
            Source::Registration
        }
    }
}

impl Policy {
    pub fn load(contracts: &Contracts) -> Result<Self, ContractError> {
        let file = contracts
            .policies
            .get("minimization")
            .ok_or_else(|| ContractError("policies/minimization.json missing".into()))?;
        let parsed: PolicyFile = serde_json::from_value(file.value.clone())
            .map_err(|e| ContractError(format!("policies/minimization.json: {e}")))?;
        let need = parsed
            .need_sets
            .into_iter()
            .map(|n| {
                (
                    (n.recipient_role, n.purpose),
                    n.categories.into_iter().collect(),
                )
            })
            .collect();
        let categories = contracts
            .codelist("data_categories")
            .ok_or_else(|| ContractError("codelists/data_categories.json missing".into()))?;
        let list: CategoryList = serde_json::from_value(categories.value.clone())
            .map_err(|e| ContractError(format!("codelists/data_categories.json: {e}")))?;
        let intake_category_fields = list
            .codes
            .iter()
            .filter(|c| !c.intake_fields.is_empty())
            .map(|c| (c.code.clone(), c.intake_fields.clone()))
            .collect();
        let category_fields = list.codes.into_iter().map(|c| (c.code, c.fields)).collect();
        Ok(Self {
            need,
            category_fields,
            intake_category_fields,
        })
    }

    /// The categories a recipient role needs for a purpose; empty (default deny) if unlisted.
    pub fn need_set(&self, recipient_role: &str, purpose: &str) -> Option<&BTreeSet<String>> {
        self.need
            .get(&(recipient_role.to_owned(), purpose.to_owned()))
    }

    /// Category → JSON Pointers into a document of `source`.
    pub fn fields_of(&self, source: Source) -> &BTreeMap<String, Vec<String>> {
        match source {
            Source::Registration => &self.category_fields,
            Source::Intake => &self.intake_category_fields,
        }
    }

    /// The categories with at least one field present in a value shaped as `source`, each with
    /// the first pointer found. An empty list, object or text carries no data and does not count.
    pub fn categories_present<'p>(
        &'p self,
        source: Source,
        subject: &serde_json::Value,
    ) -> Vec<(&'p str, &'p str)> {
        self.fields_of(source)
            .iter()
            .filter_map(|(cat, fields)| {
                fields
                    .iter()
                    .find(|f| crate::contracts::pointer::get(subject, f).is_some_and(carries_data))
                    .map(|f| (cat.as_str(), f.as_str()))
            })
            .collect()
    }
}

fn carries_data(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}
