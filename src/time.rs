//! Dates and times as the exchange reads and writes them: Japan Standard Time, `YYYY-MM-DD`
//! dates and RFC 3339 timestamps, and ages. The bottom of the module graph: everything may use
//! it, it uses nothing of the crate.
use chrono::{DateTime, FixedOffset, NaiveDate};

/// Japan Standard Time, in which dates on the forms are written.
pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("valid offset")
}

/// A `YYYY-MM-DD` date. (chrono's `FromStr` reads exactly that form with a fixed parser;
/// `parse_from_str` would read its format string again on every call.)
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let shaped = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    shaped.then(|| s.parse::<NaiveDate>().ok()).flatten()
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

/// Now, in UTC, to the microsecond: the precision both backends store, so a row reads back
/// equal to what was written.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::Timelike;
    let t = chrono::Utc::now().naive_utc();
    t.with_nanosecond(t.nanosecond() / 1000 * 1000).unwrap_or(t)
}

/// A stored (UTC) time as RFC 3339 text with whole seconds and `Z`, as lists show it.
pub fn utc_text(t: chrono::NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
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

    #[test]
    fn a_date_is_exactly_four_two_and_two_digits() {
        assert_eq!(
            parse_date("2025-04-01"),
            NaiveDate::from_ymd_opt(2025, 4, 1)
        );
        for not_a_date in [
            "2025-4-01 ",
            "2025-4- 01",
            " 2025-4-01",
            "+202-04-01",
            "2025-02-30",
            "2025/04/01",
            "2025-04-1",
        ] {
            assert_eq!(parse_date(not_a_date), None, "{not_a_date}");
        }
    }
}
