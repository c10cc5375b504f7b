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
        id: format!("acc_{}", super::organizations::random_hex(10)),
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
