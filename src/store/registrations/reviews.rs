//! Reviews of registrations (見直し): a registration whose consent is in force is due for review
//! a number of months after it was last reviewed — its submission, each change notification,
//! each new consent, or a review recorded without a change. The months are its municipality's
//! (`municipality_settings`), 12 where the municipality set none.
use super::super::schema::municipality_settings;
use super::*;
use chrono::{Months, NaiveDate};

/// The review interval of a municipality that set none.
pub const DEFAULT_REVIEW_MONTHS: i32 = 12;

/// The review interval of `municipality_code`, in months.
pub fn interval_months(conn: &mut DbConnection, municipality_code: &str) -> QueryResult<i32> {
    Ok(municipality_settings::table
        .find(municipality_code)
        .select(municipality_settings::review_interval_months)
        .first(conn)
        .optional()?
        .unwrap_or(DEFAULT_REVIEW_MONTHS))
}

/// When a registration of `municipality_code` reviewed on `reviewed_on` is next due.
pub fn due_after(
    conn: &mut DbConnection,
    municipality_code: &str,
    reviewed_on: NaiveDate,
) -> QueryResult<NaiveDate> {
    let months = interval_months(conn, municipality_code)?;
    Ok(add_months(reviewed_on, months))
}

/// `day` plus `months` calendar months (the 31st of a shorter month is its last day).
fn add_months(day: NaiveDate, months: i32) -> NaiveDate {
    day.checked_add_months(Months::new(months.unsigned_abs()))
        .unwrap_or(NaiveDate::MAX)
}

/// Today in Japan, the day a review is dated.
pub fn today() -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&crate::time::jst())
        .date_naive()
}

/// Sets a written registration's review dates in its row: reviewed today and due after its
/// municipality's interval while the consent is in force, not due once it is withdrawn.
pub(super) fn after_write(
    conn: &mut DbConnection,
    row: &mut Registration,
    reviewed: bool,
) -> QueryResult<()> {
    let reviewed_on = if reviewed {
        Some(today())
    } else {
        row.reviewed_on
    };
    let due = match (row.status.as_str(), reviewed_on) {
        (ACTIVE, Some(day)) => Some(due_after(conn, &row.municipality_code, day)?),
        _ => None,
    };
    diesel::update(registrations::table.find(row.id.as_str()))
        .set((
            registrations::reviewed_on.eq(reviewed_on),
            registrations::review_due.eq(due),
        ))
        .execute(conn)?;
    row.reviewed_on = reviewed_on;
    row.review_due = due;
    Ok(())
}

/// What recording a review came to.
#[derive(Debug)]
pub enum Reviewed {
    Done(Box<Registration>),
    NotFound,
    Forbidden,
    /// The consent is withdrawn: there is nothing to review.
    Withdrawn,
}

/// Records that `caller` reviewed registration `id` today and found nothing to change (a change
/// is a change notification, which counts as a review itself).
pub fn review(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &str,
) -> Result<Reviewed, StoreError> {
    conn.transaction(|conn| {
        let Some(mut row) = visible(conn, caller, id)? else {
            return Ok(Reviewed::NotFound);
        };
        if !may_write(caller, &row) {
            return Ok(Reviewed::Forbidden);
        }
        if row.status != ACTIVE {
            return Ok(Reviewed::Withdrawn);
        }
        after_write(conn, &mut row, true)?;
        audit::record(conn, no_data_access(caller, Action::Review, id))?;
        Ok(Reviewed::Done(Box::new(row)))
    })
}

/// Sets the review interval of a municipality and moves the due date of each of its
/// registrations in force to its last review plus the new interval.
pub fn set_interval(
    conn: &mut DbConnection,
    municipality_code: &str,
    months: i32,
) -> Result<usize, StoreError> {
    conn.transaction(|conn| {
        let at = now();
        let changed = diesel::update(municipality_settings::table.find(municipality_code))
            .set((
                municipality_settings::review_interval_months.eq(months),
                municipality_settings::updated_at.eq(at),
            ))
            .execute(conn)?;
        if changed == 0 {
            diesel::insert_into(municipality_settings::table)
                .values((
                    municipality_settings::municipality_code.eq(municipality_code),
                    municipality_settings::review_interval_months.eq(months),
                    municipality_settings::updated_at.eq(at),
                ))
                .execute(conn)?;
        }
        let reviewed: Vec<(String, Option<NaiveDate>)> = registrations::table
            .filter(registrations::municipality_code.eq(municipality_code))
            .filter(registrations::status.eq(ACTIVE))
            .select((registrations::id, registrations::reviewed_on))
            .load(conn)?;
        for (id, reviewed_on) in &reviewed {
            let due = reviewed_on.map(|day| add_months(day, months));
            diesel::update(registrations::table.find(id))
                .set(registrations::review_due.eq(due))
                .execute(conn)?;
        }
        Ok(reviewed.len())
    })
}

/// Every municipality's interval that is set, by code.
pub fn intervals(conn: &mut DbConnection) -> QueryResult<Vec<(String, i32)>> {
    municipality_settings::table
        .order(municipality_settings::municipality_code)
        .select((
            municipality_settings::municipality_code,
            municipality_settings::review_interval_months,
        ))
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_review_falls_due_the_same_day_months_later_or_on_the_last_day_of_a_shorter_month() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(add_months(d("2026-04-15"), 12), d("2027-04-15"));
        assert_eq!(add_months(d("2026-08-31"), 6), d("2027-02-28"));
        assert_eq!(add_months(d("2027-08-31"), 6), d("2028-02-29"));
    }
}
