//! The access record: who read or wrote which record, which data categories, for what purpose.
//! Written in the same transaction as the access it records, as a link of the record chain
//! (`chain.rs`); never updated or deleted.
use super::chain::{self, canonical_time, Table};
use super::schema::access_records;
use super::{DbConnection, Page, PageRequest};
use crate::contracts::text_enum::text_enum;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

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

text_enum! {
    /// What was done with a record, as the access record names it (the text is stored and chained).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Action {
        Create = "create",
        Read = "read",
        /// A handoff's state and responses (`GET /v1/handoffs/{id}` as JSON).
        ReadStatus = "read_status",
        ReadHistory = "read_history",
        List = "list",
        Update = "update",
        WithdrawConsent = "withdraw_consent",
        GrantConsent = "grant_consent",
        Match = "match",
        BreakGlassRead = "break_glass_read",
        SendHandoff = "send_handoff",
        BreakGlass = "break_glass",
        Respond = "respond",
        /// A retried request answered with the stored response (which hands the record out again).
        Replay = "replay",
        /// A search for a person (`POST /v1/search/registrations`) that showed this record.
        Search = "search",
        /// The consultation office responsible for a registration was assigned or moved.
        AssignOffice = "assign_office",
        /// A review recorded without a change (見直し).
        Review = "review",
        /// A meeting around a registration was recorded (顔合わせ・見学・体験利用・担当者会議).
        RecordMeeting = "record_meeting",
        /// A packet revoked with the consent it rested on (a withdrawal, or a new consent that
        /// no longer permits it).
        Revoke = "revoke",
    }
}

/// The record an access touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject<'a> {
    Registration(&'a str),
    /// A listing of registrations (no one record).
    Registrations,
    Handoff(&'a str),
    /// An emergency intake (no registration).
    Intake(&'a str),
    /// A listing of intakes (no one record).
    Intakes,
}

impl Subject<'_> {
    fn parts(self) -> (&'static str, String) {
        match self {
            Subject::Registration(id) => ("registration", id.to_owned()),
            Subject::Registrations => ("registration", "*".to_owned()),
            Subject::Handoff(id) => ("handoff", id.to_owned()),
            Subject::Intake(id) => ("emergency_intake", id.to_owned()),
            Subject::Intakes => ("emergency_intake", "*".to_owned()),
        }
    }
}

/// One access to record: who did what to which record, touching which data categories
/// (comma-separated), for what purpose.
#[derive(Debug, Clone, Copy)]
pub struct Access<'a> {
    pub by: &'a str,
    pub action: Action,
    pub subject: Subject<'a>,
    pub categories: &'a str,
    pub purpose: &'a str,
}

/// Records an access, in the caller's transaction and as a link of the record chain.
pub fn record(conn: &mut DbConnection, access: Access<'_>) -> QueryResult<()> {
    insert(conn, &row_of(access))
}

/// Records several accesses of one request at once (one chain step for all of them).
pub fn record_all(conn: &mut DbConnection, accesses: Vec<Access<'_>>) -> QueryResult<()> {
    let rows: Vec<AccessRecord> = accesses.into_iter().map(row_of).collect();
    chain::append_all(conn, &rows)
}

fn row_of(access: Access<'_>) -> AccessRecord {
    let (record_type, record_id) = access.subject.parts();
    AccessRecord {
        id: crate::domain::ids::time_ordered_id("acc_", 6),
        at: crate::time::now(),
        organization_id: access.by.to_owned(),
        action: access.action.as_str().to_owned(),
        record_type: record_type.to_owned(),
        record_id,
        categories: access.categories.to_owned(),
        purpose: access.purpose.to_owned(),
    }
}

/// Appends a complete record (id and time given) to the table and the chain.
pub fn insert(conn: &mut DbConnection, row: &AccessRecord) -> QueryResult<()> {
    chain::append(conn, row)
}

impl chain::Record for AccessRecord {
    const TABLE: Table = Table::AccessRecords;

    fn id(&self) -> &str {
        &self.id
    }

    fn at(&self) -> NaiveDateTime {
        self.at
    }

    fn canonical(&self, seq: i64) -> Vec<u8> {
        crate::crypto::jcs::canonical(&json!({
            "table": Table::AccessRecords.name(),
            "seq": seq,
            "id": self.id,
            "at": canonical_time(self.at),
            "organization_id": self.organization_id,
            "action": self.action,
            "record_type": self.record_type,
            "record_id": self.record_id,
            "categories": self.categories,
            "purpose": self.purpose,
        }))
    }

    fn insert(&self, conn: &mut DbConnection, seq: Option<i64>, hash: &str) -> QueryResult<()> {
        diesel::insert_into(access_records::table)
            .values((
                self,
                access_records::chain_seq.eq(seq),
                access_records::chain_hash.eq(hash),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// One statement for all the rows on PostgreSQL, where each statement is a round trip
    /// (diesel's MultiConnection has no multi-row insert, so the backend's own connection
    /// writes it); SQLite, in process, inserts them one by one.
    fn insert_all(
        conn: &mut DbConnection,
        rows: &[(&Self, Option<i64>, String)],
    ) -> QueryResult<()> {
        let DbConnection::Postgresql(pg) = conn else {
            return rows
                .iter()
                .try_for_each(|(row, seq, hash)| row.insert(conn, *seq, hash));
        };
        let values: Vec<_> = rows
            .iter()
            .map(|(row, seq, hash)| {
                (
                    *row,
                    access_records::chain_seq.eq(*seq),
                    access_records::chain_hash.eq(hash.as_str()),
                )
            })
            .collect();
        diesel::insert_into(access_records::table)
            .values(values)
            .execute(pg)
            .map(|_| ())
    }
}

chain::chain_queries!(access_records, AccessRecord);

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
    /// Only the records about people of these municipalities, and the reader's own (the
    /// caller's municipal scope, and its id).
    pub scope: Option<(crate::domain::scope::Scope, String)>,
}

/// A page of the access records matching the filter, oldest first. `None` when the page
/// continues after a record that does not exist.
pub fn search(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    page: &PageRequest,
) -> QueryResult<Option<Page<AccessRecord>>> {
    let Some(mut q) =
        super::paging::page_in_time_order!(conn, access_records, AccessRecord, at, page)
    else {
        return Ok(None);
    };
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
    if let Some((scope, reader)) = &filter.scope {
        if let Some((whole, wards)) = scope.for_query() {
            use super::schema::handoffs;
            let about_handoff = handoffs::table
                .select(handoffs::id)
                .filter(super::scoping::handoff_within!(&whole, &wards));
            q = q.filter(
                access_records::organization_id
                    .eq(reader.clone())
                    .or(access_records::record_type.ne("handoff").and(
                        super::scoping::person_within!(access_records::record_id, &whole, &wards),
                    ))
                    .or(access_records::record_type
                        .eq("handoff")
                        .and(access_records::record_id.eq_any(about_handoff))),
            );
        }
    }
    let rows = q.load(conn)?;
    Ok(Some(Page::cut(rows, page, |r| r.id.clone())))
}

/// How many access records of each record type and action fall in [from, to).
pub fn count_actions(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<(String, String, i64)>> {
    access_records::table
        .filter(access_records::at.ge(from))
        .filter(access_records::at.lt(to))
        .group_by((access_records::record_type, access_records::action))
        .select((
            access_records::record_type,
            access_records::action,
            diesel::dsl::count_star(),
        ))
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chain::Record;
    use chrono::NaiveDate;

    /// The record the known answers below are about (also used by the integration test that
    /// checks both backends store the same hash).
    fn known() -> AccessRecord {
        AccessRecord {
            id: "acc_kat".into(),
            at: NaiveDate::from_ymd_opt(2026, 11, 30)
                .and_then(|d| d.and_hms_micro_opt(12, 34, 56, 123_456))
                .expect("a valid time"),
            organization_id: "kikan-kat".into(),
            action: "read".into(),
            record_type: "registration".into(),
            record_id: "reg_kat".into(),
            categories: "identity,contact".into(),
            purpose: "registration".into(),
        }
    }

    #[test]
    fn the_canonical_bytes_of_an_access_record_are_the_jcs_of_its_columns_place_and_table() {
        // Known answer written by Python's json.dumps(sort_keys=True, separators=(",", ":")).
        assert_eq!(
            String::from_utf8(known().canonical(1)).expect("UTF-8"),
            r#"{"action":"read","at":"2026-11-30T12:34:56.123456Z","categories":"identity,contact","id":"acc_kat","organization_id":"kikan-kat","purpose":"registration","record_id":"reg_kat","record_type":"registration","seq":1,"table":"access_records"}"#
        );
        // hashlib.sha256(bytes(32) + those bytes).hexdigest()
        assert_eq!(
            hex::encode(chain::link(&chain::GENESIS, &known().canonical(1))),
            "eea4b96542bcff2a8795bbbe64783910ab7e3a4aa30f2ff155fb84542db9a2d2"
        );
    }
}
