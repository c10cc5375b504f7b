//! Reports of the exchange's operation, in figures only (no personal data): the yearly
//! operations report (運用状況) the city compiles for its fiscal year.
use crate::problem::ApiError;
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
    /// First and last day of the fiscal year.
    pub from: String,
    pub to: String,
    #[serde(flatten)]
    pub figures: OperationsFigures,
}

/// The operations report of `fiscal_year`; a year outside [`FISCAL_YEARS`] is refused as the
/// parameter `fiscal_year`.
pub fn operations(store: &Store, fiscal_year: i32) -> Result<OperationsReport, ApiError> {
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
    let figures = reports::operations(&mut *store.conn()?, from, to)?;
    Ok(OperationsReport {
        fiscal_year,
        from: start.to_string(),
        to: end.pred_opt().unwrap_or(end).to_string(),
        figures,
    })
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
