//! Domain rules beyond the schema, one file per document type. Each rule reads only the fields
//! it needs and stays silent where the schema already reports a missing or mistyped field.
mod common;
mod emergency_intake;
mod facility;
mod handoff;
mod handoff_response;
mod registration;

use super::{Engine, Finding};
use crate::contracts::{ContractError, Contracts, DocumentType};
use crate::time::{jst, parse_date};
use chrono::{DateTime, FixedOffset, NaiveDate, TimeDelta};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

/// Data the rules read from the code lists.
#[derive(Debug, Default)]
pub struct RuleData {
    /// 療育手帳 grades per issuing prefecture, where the prefecture's scheme is known.
    pub intellectual_grades: HashMap<String, Vec<String>>,
}

#[derive(Deserialize)]
struct Scheme {
    grades: Vec<String>,
    prefectures: Vec<String>,
}

impl RuleData {
    pub fn load(contracts: &Contracts) -> Result<Self, ContractError> {
        let list = contracts
            .codelist("intellectual_grades")
            .ok_or_else(|| ContractError("codelists/intellectual_grades.json missing".into()))?;
        let schemes: Vec<Scheme> = match list.value.get("schemes") {
            Some(v) => serde_json::from_value(v.clone())
                .map_err(|e| ContractError(format!("intellectual_grades schemes: {e}")))?,
            None => Vec::new(),
        };
        let mut intellectual_grades = HashMap::new();
        for s in schemes {
            for p in s.prefectures {
                intellectual_grades.insert(p, s.grades.clone());
            }
        }
        Ok(Self {
            intellectual_grades,
        })
    }
}

/// What a rule sees: the document, the clock and the engine's policy and code lists.
pub struct Context<'a> {
    pub doc: &'a Value,
    pub now: DateTime<FixedOffset>,
    pub engine: &'a Engine,
    pub out: &'a mut Vec<Finding>,
}

impl Context<'_> {
    pub fn report(&mut self, finding: Finding) {
        self.out.push(finding);
    }
    pub fn str(&self, pointer: &str) -> Option<&str> {
        crate::contracts::pointer::get(self.doc, pointer).and_then(Value::as_str)
    }
    pub fn bool(&self, pointer: &str) -> Option<bool> {
        crate::contracts::pointer::get(self.doc, pointer).and_then(Value::as_bool)
    }
    pub fn array(&self, pointer: &str) -> &[Value] {
        crate::contracts::pointer::get(self.doc, pointer)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
    pub fn int(&self, pointer: &str) -> Option<i64> {
        crate::contracts::pointer::get(self.doc, pointer).and_then(Value::as_i64)
    }
    pub fn date(&self, pointer: &str) -> Option<NaiveDate> {
        self.str(pointer).and_then(parse_date)
    }
    pub fn timestamp(&self, pointer: &str) -> Option<DateTime<FixedOffset>> {
        self.str(pointer)
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
    }
    /// Today's date in Japan.
    pub fn today(&self) -> NaiveDate {
        self.now.with_timezone(&jst()).date_naive()
    }
    pub fn days_since(&self, t: DateTime<FixedOffset>) -> TimeDelta {
        self.now.signed_duration_since(t)
    }
}

pub fn check(doc_type: DocumentType, ctx: &mut Context<'_>) {
    common::check(ctx);
    match doc_type {
        DocumentType::Registration => registration::check(ctx),
        DocumentType::Facility => facility::check(ctx),
        DocumentType::Handoff => handoff::check(ctx),
        DocumentType::HandoffResponse => handoff_response::check(ctx),
        DocumentType::EmergencyIntake => emergency_intake::check(ctx),
    }
}
