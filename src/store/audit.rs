//! The access record: who read or wrote which record, which data categories, for what purpose.
//! Written in the same transaction as the access it records; never updated or deleted.
use super::schema::access_records;
use super::DbConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = access_records)]
pub struct AccessRecord {
    pub id: String,
    pub at: NaiveDateTime,
    pub organization_id: String,
    pub action: String,
    pub record_type: String,
    pub record_id: String,
    /// Data categories touched, comma-separated.
    pub categories: String,
    pub purpose: String,
}

/// Every data category of a registration.
pub const ALL_CATEGORIES: &str =
    "identity,contact,certificates,care_status,medical,emergency_plan,emergency_contacts,household";

pub fn record(
    conn: &mut DbConnection,
    organization_id: &str,
    action: &str,
    record_type: &str,
    record_id: &str,
    categories: &str,
    purpose: &str,
) -> QueryResult<()> {
    let row = AccessRecord {
        id: super::organizations::time_ordered_id("acc_", 6),
        at: super::organizations::now(),
        organization_id: organization_id.to_owned(),
        action: action.to_owned(),
        record_type: record_type.to_owned(),
        record_id: record_id.to_owned(),
        categories: categories.to_owned(),
        purpose: purpose.to_owned(),
    };
    diesel::insert_into(access_records::table)
        .values(&row)
        .execute(conn)
        .map(|_| ())
}

pub fn for_record(
    conn: &mut DbConnection,
    record_type: &str,
    record_id: &str,
) -> QueryResult<Vec<AccessRecord>> {
    access_records::table
        .filter(access_records::record_type.eq(record_type))
        .filter(access_records::record_id.eq(record_id))
        .order(access_records::at)
        .select(AccessRecord::as_select())
        .load(conn)
}

/// Conditions of an audit query.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub organization_id: Option<String>,
    pub record_type: Option<String>,
    pub record_id: Option<String>,
    pub action: Option<String>,
    pub since: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
    /// Continue after this access record (records come in time order).
    pub after: Option<String>,
    pub limit: i64,
}

/// Access records matching the filter, oldest first. `None` when `after` names no record.
pub fn search(
    conn: &mut DbConnection,
    filter: &AuditFilter,
) -> QueryResult<Option<Vec<AccessRecord>>> {
    let mut q = access_records::table
        .select(AccessRecord::as_select())
        .order((access_records::at, access_records::id))
        .limit(filter.limit)
        .into_boxed::<<DbConnection as Connection>::Backend>();
    if let Some(after) = &filter.after {
        let Some(at) = access_records::table
            .find(after)
            .select(access_records::at)
            .first::<NaiveDateTime>(conn)
            .optional()?
        else {
            return Ok(None);
        };
        q = q.filter(
            access_records::at.gt(at).or(access_records::at
                .eq(at)
                .and(access_records::id.gt(after.clone()))),
        );
    }
    if let Some(o) = &filter.organization_id {
        q = q.filter(access_records::organization_id.eq(o.clone()));
    }
    if let Some(t) = &filter.record_type {
        q = q.filter(access_records::record_type.eq(t.clone()));
    }
    if let Some(r) = &filter.record_id {
        q = q.filter(access_records::record_id.eq(r.clone()));
    }
    if let Some(a) = &filter.action {
        q = q.filter(access_records::action.eq(a.clone()));
    }
    if let Some(s) = filter.since {
        q = q.filter(access_records::at.ge(s));
    }
    if let Some(u) = filter.until {
        q = q.filter(access_records::at.lt(u));
    }
    q.load(conn).map(Some)
}

/// How many access records of each action fall in [from, to).
pub fn count_actions(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<(String, i64)>> {
    access_records::table
        .filter(access_records::at.ge(from))
        .filter(access_records::at.lt(to))
        .group_by(access_records::action)
        .select((access_records::action, diesel::dsl::count_star()))
        .load(conn)
}
