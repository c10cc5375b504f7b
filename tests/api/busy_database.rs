//! A database held busy by someone else: every write waits a bounded time, then answers
//! 503 with `Retry-After` and leaves nothing half-written (never a 500, never a wait for ever).
use crate::handoffs::{exchange, register, request, FACILITY};
use crate::helpers::*;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use kyoten::store::Backend;
use serde_json::Value;

/// Holds the database's write lock (SQLite) or an exclusive lock on the registrations
/// (PostgreSQL) from another connection until dropped.
enum Holder {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

fn hold_write_lock(s: &TestServer) -> Holder {
    let url = s.database_url();
    if s.store.backend() == Backend::Sqlite {
        let mut c = SqliteConnection::establish(url).unwrap();
        c.batch_execute("BEGIN IMMEDIATE").unwrap();
        Holder::Sqlite(c)
    } else {
        let mut c = PgConnection::establish(url).unwrap();
        c.batch_execute("BEGIN; LOCK TABLE registrations IN EXCLUSIVE MODE")
            .unwrap();
        Holder::Postgres(c)
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = match self {
            Holder::Sqlite(c) => c.batch_execute("ROLLBACK"),
            Holder::Postgres(c) => c.batch_execute("ROLLBACK"),
        };
    }
}

#[test]
fn a_consent_withdrawal_meeting_a_database_locked_elsewhere_is_busy_and_changes_nothing() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let holder = hold_write_lock(&s);
    let r = s.post_json(
        "office",
        &format!("/v1/registrations/{reg}/consent-withdrawal"),
        &Value::Null,
    );
    drop(holder);
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "1");
    assert_eq!(
        r.headers()["content-type"],
        "application/problem+json",
        "a problem, not a 500"
    );
    let problem: Value = r.json().unwrap();
    assert!(
        ["busy", "registration-busy"]
            .iter()
            .any(|t| problem["type"] == format!("https://w3id.org/kyoten/problems/{t}")),
        "{problem}"
    );
    // Nothing was written: still version 1, consent in force; the retry succeeds.
    let status = kyoten::store::registrations::status(&mut s.store.conn().unwrap(), &reg);
    assert_eq!(status.unwrap().as_deref(), Some("active"));
    let again = s.post_json(
        "office",
        &format!("/v1/registrations/{reg}/consent-withdrawal"),
        &Value::Null,
    );
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["etag"], "\"2\"");
}

#[test]
fn a_handoff_meeting_a_database_locked_elsewhere_is_registration_busy_and_stores_nothing() {
    let s = exchange();
    let reg = register(&s, "office", None);
    let holder = hold_write_lock(&s);
    let r = s.post_json("office", "/v1/handoffs", &request(&reg, FACILITY));
    drop(holder);
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "1");
    let problem: Value = r.json().unwrap();
    assert!(
        ["busy", "registration-busy"]
            .iter()
            .any(|t| problem["type"] == format!("https://w3id.org/kyoten/problems/{t}")),
        "{problem}"
    );
    let listed = s.get("office", "/v1/handoffs", "application/json");
    let listed: Value = listed.json().unwrap();
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(0),
        "{listed}"
    );
    let again = s.post_json("office", "/v1/handoffs", &request(&reg, FACILITY));
    assert_eq!(again.status(), 201, "the retry is stored");
}
