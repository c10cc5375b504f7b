//! Domain rules beyond the schema, one file per document type. Each rule reads only the fields
//! it needs and stays silent where the schema already reports a missing or mistyped field.
mod common;
mod facility;
mod handoff;
mod handoff_response;
mod registration;

use super::{Engine, Finding};
use crate::contracts::{ContractError, Contracts, DocumentType};
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

/// Japan Standard Time, in which dates on the forms are written.
pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("valid offset")
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

pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|_| s.len() == 10)
}

/// An RFC 3339 timestamp with `T` and an offset, as the schema's `date-time` format requires
/// (chrono alone would also take a space separator).
pub fn parse_timestamp(s: &str) -> Option<DateTime<FixedOffset>> {
    if s.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    DateTime::parse_from_rfc3339(s).ok()
}

/// Age in completed years on a date.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    use chrono::Datelike;
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

pub fn check(doc_type: DocumentType, ctx: &mut Context<'_>) {
    common::check(ctx);
    match doc_type {
        DocumentType::Registration => registration::check(ctx),
        DocumentType::Facility => facility::check(ctx),
        DocumentType::Handoff => handoff::check(ctx),
        DocumentType::HandoffResponse => handoff_response::check(ctx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_only_in_the_schema_form() {
        assert_eq!(
            parse_date("2026-02-28"),
            NaiveDate::from_ymd_opt(2026, 2, 28)
        );
        for bad in [
            "2026-02-30",
            "2026-2-28",
            "2026/02/28",
            "２０２６-02-28",
            "20260-2-28",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn age_counts_completed_years_including_leap_day_births() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(age_on(d(2008, 4, 2), d(2026, 4, 1)), 17);
        assert_eq!(age_on(d(2008, 4, 2), d(2026, 4, 2)), 18);
        assert_eq!(age_on(d(2008, 2, 29), d(2026, 2, 28)), 17);
        assert_eq!(age_on(d(2008, 2, 29), d(2026, 3, 1)), 18);
    }

    #[test]
    fn timestamps_need_the_t_separator_and_an_offset() {
        assert!(parse_timestamp("2026-01-01T09:00:00+09:00").is_some());
        assert!(parse_timestamp("2026-01-01 09:00:00+09:00").is_none());
        assert!(parse_timestamp("2026-01-01T09:00:00").is_none());
    }
}
