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

#[test]
fn sqlite_write_ahead_log_stays_bounded_under_steady_writes_and_reads() {
    use kyoten::domain::role::Role;
    use kyoten::store::{organizations, registrations, KekSource, Store};
    // The log limit small, so that a few seconds of writes cross it many times over.
    const LIMIT: u64 = 2 * 1024 * 1024;
    let db = TestDatabase::sqlite();
    let store = Store::open_with_wal_limit(db.url(), KekSource::Key(test_kek()), LIMIT).unwrap();
    let office = store
        .write(|conn| {
            organizations::add(
                conn,
                Some("office"),
                "見本相談支援事業所",
                Role::ConsultationOffice,
            )
            .map(|(org, _)| org)
        })
        .unwrap();
    let mut doc = read_json(&repo().join("conformance/vectors/registration/valid/full.json"));
    doc.as_object_mut().unwrap().remove("registration_id");
    doc["received_by"] =
        serde_json::json!({"organization_id": "office", "role": "consultation_office"});
    let log = std::path::PathBuf::from(format!("{}-wal", db.url()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Readers that keep a snapshot of the log most of the time, as a busy server's do.
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (store, stop) = (store.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let mut conn = store.conn().unwrap();
                    let _ = conn.batch_execute("SELECT count(*) FROM registration_versions");
                }
            })
        })
        .collect();
    let started = std::time::Instant::now();
    let (mut written, mut largest) = (0u64, 0u64);
    // Until the database holds several limits' worth (not for a fixed time: a loaded machine
    // writes less per second, and the test is about the amount).
    let database_size = || std::fs::metadata(db.url()).map_or(0, |m| m.len());
    while database_size() <= 5 * LIMIT && started.elapsed() < std::time::Duration::from_secs(120) {
        for _ in 0..20 {
            let (office, doc) = (office.clone(), doc.clone());
            store
                .write(move |conn| {
                    registrations::create(conn, &office, registrations::NewRegistration::new(doc))
                })
                .unwrap();
            written += 1;
        }
        largest = largest.max(std::fs::metadata(&log).map_or(0, |m| m.len()));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    let database = database_size();
    assert!(
        database > 4 * LIMIT,
        "enough was written to cross the limit many times: {written} registrations, {database} bytes"
    );
    // Without emptying, the log only grows (400 MB in six seconds on an idle machine).
    assert!(
        largest < 8 * LIMIT,
        "the log reached {largest} bytes with a limit of {LIMIT} ({written} registrations)"
    );
}
