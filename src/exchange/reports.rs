//! Reports of the exchange's operation, in figures only (no personal data): the yearly
//! operations report (運用状況) the city compiles for its fiscal year.
use crate::domain::scope::Scope;
use crate::problem::ApiError;
use crate::store::organizations::Organization;
use crate::store::reports::{self, OperationsFigures};
use crate::store::Store;
use crate::time::jst;
use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use serde::Serialize;

/// The fiscal years a report may be asked for.
pub const FISCAL_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// The figures of one fiscal year (年度): April 1 of `fiscal_year` to March 31 of the next,
/// Japan time.
#[derive(Debug, Serialize)]
pub struct OperationsReport {
    pub fiscal_year: i32,
    /// The municipalities (and wards) the figures are of (`041009`, `041009/青葉区,042021`),
    /// or `everywhere`: the whole deployment.
    pub area: String,
    /// First and last day of the fiscal year.
    pub from: String,
    pub to: String,
    /// Person counts above zero and below this are shown as `<N` (`domain::small_cells`);
    /// 1 shows every count.
    pub small_cell_threshold: u32,
    /// The sections (`registrations`, `intakes`, `facilities`, `matching`, `handoffs`), their
    /// small cells hidden.
    #[serde(flatten)]
    pub figures: serde_json::Map<String, serde_json::Value>,
}

/// What a report covers: one `municipality` when asked (within the caller's scope), else the
/// caller's municipal scope.
fn area(caller: &Organization, municipality: Option<&str>) -> Result<Scope, ApiError> {
    let Some(code) = municipality else {
        return Ok(caller.scope());
    };
    let asked = match Scope::parse(Some(code)) {
        Ok(Scope::Areas(areas)) if areas.len() == 1 && areas[0].ward.is_none() => {
            Scope::Areas(areas)
        }
        _ => {
            return Err(ApiError::InvalidParameter {
                name: "municipality",
            })
        }
    };
    match caller.scope() {
        Scope::Everywhere => Ok(asked),
        // A scope that names the whole municipality covers its report; a ward scope does not.
        mine if mine.covers(code, None) => Ok(asked),
        _ => Err(ApiError::OutsideScope),
    }
}

/// The operations report of `fiscal_year` for `caller`: of `municipality` (within its scope)
/// or of its whole scope; a year outside [`FISCAL_YEARS`] is refused as the parameter
/// `fiscal_year`.
pub fn operations(
    store: &Store,
    caller: &Organization,
    fiscal_year: i32,
    municipality: Option<&str>,
    small_cell_threshold: u32,
) -> Result<OperationsReport, ApiError> {
    let scope = area(caller, municipality)?;
    let invalid = || ApiError::InvalidParameter {
        name: "fiscal_year",
    };
    if !FISCAL_YEARS.contains(&fiscal_year) {
        return Err(invalid());
    }
    let start = NaiveDate::from_ymd_opt(fiscal_year, 4, 1).ok_or_else(invalid)?;
    let end = NaiveDate::from_ymd_opt(fiscal_year + 1, 4, 1).ok_or_else(invalid)?;
    let (from, to) = (
        japan_midnight(start).ok_or_else(invalid)?,
        japan_midnight(end).ok_or_else(invalid)?,
    );
    let figures = reports::operations(&mut *store.conn()?, from, to, &scope)?;
    Ok(OperationsReport {
        fiscal_year,
        area: scope.to_text().unwrap_or_else(|| "everywhere".into()),
        from: start.to_string(),
        to: end.pred_opt().unwrap_or(end).to_string(),
        small_cell_threshold: small_cell_threshold.max(1),
        figures: published(&figures, small_cell_threshold),
    })
}

/// The figures as published: small cells hidden.
fn published(
    figures: &OperationsFigures,
    threshold: u32,
) -> serde_json::Map<String, serde_json::Value> {
    let mut value = serde_json::to_value(figures).unwrap_or_default();
    crate::domain::small_cells::suppress(&mut value, threshold);
    match value {
        serde_json::Value::Object(sections) => sections,
        _ => serde_json::Map::new(),
    }
}

/// The start of `day` in Japan, in UTC.
fn japan_midnight(day: NaiveDate) -> Option<NaiveDateTime> {
    jst()
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|t| t.naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fiscal_year_starts_at_midnight_of_april_first_japan_time() {
        let day = NaiveDate::from_ymd_opt(2025, 4, 1).unwrap();
        assert_eq!(
            japan_midnight(day).unwrap().to_string(),
            "2025-03-31 15:00:00"
        );
    }
}
