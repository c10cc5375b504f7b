//! Tamper-evident records: access and provision records form one hash chain with signed
//! checkpoints, and `kyoten audit verify` names a record removed, changed, moved or slipped in,
//! and records cut from the tail — on the backend under test, reaching into the database as
//! someone with access to its file would (triggers dropped or disabled first).
use crate::handoffs::{exchange, register, request, send, FACILITY};
use crate::helpers::*;
use diesel::connection::SimpleConnection;
use diesel::Connection;
use kyoten::crypto::jws::{self, Alg};
use kyoten::domain::role::Role;
use kyoten::store::audit::{self, AccessRecord};
use kyoten::store::chain::{self, ChainRow, Problem, ProblemKind, Table};
use kyoten::store::checkpoints::{self, Checkpoint, Made};
use kyoten::store::integrity::{self, Report};
use kyoten::store::{organizations, Backend, DbConnection, Store, StoreError};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// An exchange in use: registrations, reads, a handoff sent (provision record `provided`) and
/// fetched by its recipient (`received`).
fn busy_exchange() -> TestServer {
    let s = exchange();
    let reg = register(&s, "office", None);
    let read = s.get(
        "kikan-1",
        &format!("/v1/registrations/{reg}"),
        "application/json",
    );
    assert_eq!(read.status(), 200);
    let sent = send(&s, "office", &request(&reg, FACILITY));
    let id = sent["handoff_id"].as_str().unwrap();
    let fetched = s.get(FACILITY, &format!("/v1/handoffs/{id}"), "application/jose");
    assert_eq!(fetched.status(), 200);
    register(&s, "other-office", None);
    s
}

/// Seals what is pending (PostgreSQL), as every instance's sealer does moments after a commit.
fn sealed(store: &Store) -> kyoten::store::Conn {
    let mut conn = store.conn().unwrap();
    chain::seal_all(&mut conn).unwrap();
    conn
}

fn verify(store: &Store) -> Report {
    integrity::verify(&mut sealed(store), &[], None).unwrap()
}

fn chain_rows(store: &Store) -> Vec<ChainRow> {
    chain::rows(&mut sealed(store), 0, i64::MAX).unwrap()
}

/// A checkpoint over the head now (the server's own may have signed it already).
fn checkpoint(store: &Store) -> Checkpoint {
    match checkpoints::make(store).unwrap() {
        Made::Signed(cp) | Made::UpToDate(cp) => cp,
        other => panic!("no checkpoint: {other:?}"),
    }
}

fn first_problem(report: &Report) -> &Problem {
    report
        .problems
        .first()
        .unwrap_or_else(|| panic!("reported intact: {report:?}"))
}

/// What someone who can write the database does: switch the append-only triggers off, then
/// run `statements`.
fn as_attacker(store: &Store, statements: &[String]) {
    let mut conn = store.conn().unwrap();
    let off = match store.backend() {
        Backend::Sqlite => {
            "DROP TRIGGER IF EXISTS access_records_no_update;
             DROP TRIGGER IF EXISTS access_records_no_delete;
             DROP TRIGGER IF EXISTS access_records_chained;
             DROP TRIGGER IF EXISTS provision_records_no_update;
             DROP TRIGGER IF EXISTS provision_records_no_delete;
             DROP TRIGGER IF EXISTS provision_records_chained;
             DROP TRIGGER IF EXISTS checkpoints_no_update;
             DROP TRIGGER IF EXISTS checkpoints_no_delete;"
        }
        Backend::Postgres => {
            "ALTER TABLE access_records DISABLE TRIGGER USER;
             ALTER TABLE provision_records DISABLE TRIGGER USER;
             ALTER TABLE checkpoints DISABLE TRIGGER USER;"
        }
    };
    conn.batch_execute(off).unwrap();
    for statement in statements {
        conn.batch_execute(statement).unwrap();
    }
}

/// `kyoten audit … --database-url URL` with `args` after the subcommand.
fn audit_cli(s: &TestServer, args: &[&str]) -> std::process::Output {
    kyoten()
        .args(["audit", "--database-url", s.database_url()])
        .args(args)
        .output()
        .unwrap()
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn an_exchange_in_use_verifies_intact_from_the_command_line() {
    let s = busy_exchange();
    let rows = chain_rows(&s.store);
    assert!(rows.iter().any(|r| r.table == Table::AccessRecords));
    assert!(rows.iter().any(|r| r.table == Table::ProvisionRecords));
    let places: Vec<i64> = rows.iter().map(|r| r.seq).collect();
    assert_eq!(places, (1..=rows.len() as i64).collect::<Vec<_>>());

    let signed = audit_cli(&s, &["checkpoint"]);
    assert_eq!(
        signed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    let compact = String::from_utf8(signed.stdout).unwrap();
    let keys = checkpoints::exchange_keys(&mut s.store.conn().unwrap()).unwrap();
    let (_, head) = checkpoints::open(compact.trim(), &keys).unwrap();
    assert_eq!(head.seq, rows.len() as i64);
    assert_eq!(head.record_id, rows.last().unwrap().id);

    let out = audit_cli(&s, &["verify", "--output", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let report = json_of(&out);
    assert_eq!(report["intact"], true);
    assert_eq!(report["records"], rows.len());
    assert_eq!(report["last_checkpoint"]["seq"], rows.len());
    assert_eq!(report["uncovered_records"], 0);
    assert_eq!(report["problems"], json!([]));

    let text = audit_cli(&s, &["verify"]);
    assert_eq!(text.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&text.stdout).starts_with("intact:"));
}

#[test]
fn a_record_deleted_from_the_database_is_reported_as_missing_before_the_record_after_it() {
    let s = busy_exchange();
    checkpoint(&s.store);
    let rows = chain_rows(&s.store);
    let (gone, after) = (&rows[2], &rows[3]);
    as_attacker(
        &s.store,
        &[format!(
            "DELETE FROM {} WHERE id = '{}'",
            gone.table.name(),
            gone.id
        )],
    );
    let report = verify(&s.store);
    let p = first_problem(&report);
    assert_eq!(p.kind, ProblemKind::Missing);
    assert_eq!(p.seq, Some(gone.seq));
    assert_eq!(p.record_id.as_deref(), Some(after.id.as_str()));

    let out = audit_cli(&s, &["verify"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("BROKEN") && text.contains(&after.id),
        "{text}"
    );
}

#[test]
fn a_field_changed_in_the_database_is_reported_at_the_changed_record() {
    let s = busy_exchange();
    let cp = checkpoint(&s.store);
    let rows = chain_rows(&s.store);
    let changed = rows
        .iter()
        .find(|r| r.table == Table::ProvisionRecords)
        .unwrap();
    as_attacker(
        &s.store,
        &[format!(
            "UPDATE provision_records SET recipient_id = 'someone-else' WHERE id = '{}'",
            changed.id
        )],
    );
    let report = verify(&s.store);
    let p = first_problem(&report);
    assert_eq!(p.kind, ProblemKind::Changed);
    assert_eq!(p.seq, Some(changed.seq));
    assert_eq!(p.record_id.as_deref(), Some(changed.id.as_str()));
    assert_eq!(p.table, Some(Table::ProvisionRecords));
    assert_eq!(report.problems.len(), 1, "{report:?}");
    assert_eq!(
        report.checkpoints, 1,
        "the checkpoint's own record is untouched"
    );
    assert_eq!(
        report.last_checkpoint.as_ref().map(|c| c.seq),
        Some(cp.signed.seq)
    );

    let out = audit_cli(&s, &["verify", "--output", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json = json_of(&out);
    assert_eq!(json["problems"][0]["kind"], "changed");
    assert_eq!(json["problems"][0]["record_id"], changed.id.as_str());
    assert_eq!(json["problems"][0]["table"], "provision_records");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("someone-else"),
        "the report names records, never their content"
    );
}

#[test]
fn two_records_swapped_in_the_chain_are_reported_where_the_first_of_them_stood() {
    let s = busy_exchange();
    checkpoint(&s.store);
    let rows = chain_rows(&s.store);
    let (a, b) = (&rows[1], &rows[4]);
    as_attacker(
        &s.store,
        &[
            format!(
                "UPDATE {} SET chain_seq = -1 WHERE id = '{}'",
                a.table.name(),
                a.id
            ),
            format!(
                "UPDATE {} SET chain_seq = {} WHERE id = '{}'",
                b.table.name(),
                a.seq,
                b.id
            ),
            format!(
                "UPDATE {} SET chain_seq = {} WHERE id = '{}'",
                a.table.name(),
                b.seq,
                a.id
            ),
        ],
    );
    let report = verify(&s.store);
    let p = first_problem(&report);
    assert_eq!(p.kind, ProblemKind::Changed);
    assert_eq!(p.seq, Some(a.seq));
    assert_eq!(p.record_id.as_deref(), Some(b.id.as_str()));
    assert!(report
        .problems
        .iter()
        .any(|p| p.seq == Some(b.seq) && p.record_id.as_deref() == Some(a.id.as_str())));
}

#[test]
fn records_cut_from_the_tail_back_past_a_checkpoint_are_reported_as_missing() {
    let s = busy_exchange();
    let cp = checkpoint(&s.store);
    register(&s, "office", None);
    let keep = cp.signed.seq - 2;
    let rows = chain_rows(&s.store);
    let last_kept = &rows[keep as usize - 1];
    // A careful attacker also sets the head back to the last record kept.
    as_attacker(
        &s.store,
        &[
            format!("DELETE FROM access_records WHERE chain_seq > {keep}"),
            format!("DELETE FROM provision_records WHERE chain_seq > {keep}"),
            format!(
                "UPDATE chain_head SET seq = {keep}, chain_hash = '{}', last_id = '{}', \
                 access_count = (SELECT COUNT(*) FROM access_records), \
                 provision_count = (SELECT COUNT(*) FROM provision_records), \
                 access_last_id = (SELECT id FROM access_records ORDER BY chain_seq DESC LIMIT 1), \
                 provision_last_id = (SELECT id FROM provision_records ORDER BY chain_seq DESC LIMIT 1)",
                last_kept.hash.as_deref().unwrap(),
                last_kept.id
            ),
        ],
    );
    let report = verify(&s.store);
    let p = first_problem(&report);
    assert_eq!(p.kind, ProblemKind::Missing);
    assert_eq!(p.seq, Some(keep + 1));
    assert_eq!(p.record_id.as_deref(), Some(cp.signed.record_id.as_str()));
    assert_eq!(p.checkpoint_id.as_deref(), Some(cp.id.as_str()));
    assert!(
        matches!(checkpoints::make(&s.store).unwrap(), Made::Refused(_)),
        "no checkpoint is signed over the shortened chain"
    );
}

/// Recomputes every chain hash and the head after an edit, as an attacker who read the
/// definition would.
fn rehash(store: &Store) {
    let rows = chain_rows(store);
    let mut previous = chain::GENESIS;
    let mut statements = Vec::new();
    for row in &rows {
        previous = chain::link(&previous, &row.canonical);
        statements.push(format!(
            "UPDATE {} SET chain_hash = '{}' WHERE id = '{}'",
            row.table.name(),
            hex::encode(previous),
            row.id
        ));
    }
    statements.push(format!(
        "UPDATE chain_head SET chain_hash = '{}'",
        hex::encode(previous)
    ));
    as_attacker(store, &statements);
}

#[test]
fn an_edit_with_every_hash_recomputed_is_caught_by_a_checkpoint_even_one_kept_off_the_machine() {
    let s = busy_exchange();
    let cp = checkpoint(&s.store);
    let exported = audit_cli(&s, &["checkpoints"]);
    assert_eq!(exported.status.code(), Some(0));
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("checkpoints.jws");
    std::fs::write(&kept, &exported.stdout).unwrap();
    register(&s, "office", None);

    let edited = chain_rows(&s.store)[1].clone();
    as_attacker(
        &s.store,
        &[format!(
            "UPDATE {} SET purpose = 'other' WHERE id = '{}'",
            edited.table.name(),
            edited.id
        )],
    );
    rehash(&s.store);
    let report = verify(&s.store);
    let p = first_problem(&report);
    assert_eq!(p.kind, ProblemKind::CheckpointMismatch);
    assert_eq!(p.seq, Some(cp.signed.seq));
    assert_eq!(p.record_id.as_deref(), Some(cp.signed.record_id.as_str()));
    assert_eq!(p.checkpoint_id.as_deref(), Some(cp.id.as_str()));

    // With the checkpoints removed too, the database alone looks intact…
    as_attacker(&s.store, &["DELETE FROM checkpoints".into()]);
    assert!(verify(&s.store).intact);
    // …but not against the checkpoints kept elsewhere.
    let out = audit_cli(
        &s,
        &[
            "verify",
            "--output",
            "json",
            "--checkpoints",
            kept.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let json = json_of(&out);
    assert_eq!(json["problems"][0]["kind"], "checkpoint_mismatch");
    assert_eq!(json["problems"][0]["checkpoint_id"], "file:1");
    assert_eq!(json["problems"][0]["seq"], cp.signed.seq);
}

#[test]
fn a_record_slipped_in_without_a_place_and_a_forged_checkpoint_are_reported() {
    let s = busy_exchange();
    checkpoint(&s.store);
    let head = chain::head(&mut s.store.conn().unwrap()).unwrap();
    // A checkpoint signed by a key that is not the exchange's.
    let forger = kyoten::crypto::keys::generate(Alg::Es256).unwrap();
    let forged = jws::sign(
        &json!({"seq": head.seq + 5, "record_id": "acc_x", "chain_hash": "00",
                "access_records": {"count": 1, "last_id": null},
                "provision_records": {"count": 0, "last_id": null},
                "at": "2026-01-01T00:00:00.000000Z"}),
        checkpoints::TYP,
        &forger,
    )
    .unwrap();
    as_attacker(
        &s.store,
        &[
            "INSERT INTO access_records (id, at, organization_id, action, record_type, \
             record_id, categories, purpose) VALUES ('acc_slipped_in', '2026-01-01 00:00:00', \
             'kikan-1', 'read', 'registration', 'reg_x', '', 'registration')"
                .into(),
            format!(
                "INSERT INTO checkpoints (id, at, seq, chain_hash, kid, jws) VALUES \
                 ('cpt_forged', '2026-01-01 00:00:00', {}, '00', '{}', '{forged}')",
                head.seq + 5,
                forger.kid
            ),
        ],
    );
    let report = verify(&s.store);
    assert!(!report.intact);
    let slipped = report
        .problems
        .iter()
        .find(|p| p.kind == ProblemKind::Unchained)
        .unwrap_or_else(|| panic!("{report:?}"));
    assert_eq!(slipped.record_id.as_deref(), Some("acc_slipped_in"));
    assert_eq!(slipped.table, Some(Table::AccessRecords));
    let bad = report
        .problems
        .iter()
        .find(|p| p.kind == ProblemKind::BadCheckpoint)
        .unwrap_or_else(|| panic!("{report:?}"));
    assert_eq!(bad.checkpoint_id.as_deref(), Some("cpt_forged"));
    assert_eq!(report.checkpoints, 1, "the genuine checkpoint still counts");
}

#[test]
fn a_checkpoint_signed_by_a_key_slipped_into_the_database_is_refused_against_a_saved_key_set() {
    let s = busy_exchange();
    let trusted = client()
        .get(s.url("/.well-known/jwks.json"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("jwks.json");
    std::fs::write(&saved, trusted).unwrap();
    let genuine = checkpoint(&s.store);

    // The attacker edits a record, recomputes every hash, removes the checkpoints, adds a key
    // of their own as one of the exchange's (retired, so it signs nothing else) and signs a
    // checkpoint over the rewritten chain with it.
    let edited = chain_rows(&s.store)[1].clone();
    as_attacker(
        &s.store,
        &[
            format!(
                "UPDATE {} SET purpose = 'other' WHERE id = '{}'",
                edited.table.name(),
                edited.id
            ),
            "DELETE FROM checkpoints".into(),
        ],
    );
    rehash(&s.store);
    let forger = kyoten::crypto::keys::generate(Alg::Es256).unwrap();
    let public = kyoten::crypto::keys::verifying_key(&forger).unwrap();
    let jwk = kyoten::crypto::keys::to_jwk(&public).unwrap();
    let mut signed = genuine.signed.clone();
    signed.chain_hash = chain_rows(&s.store)
        .iter()
        .find(|r| r.id == signed.record_id)
        .and_then(|r| r.hash.clone())
        .unwrap();
    let forged = jws::sign(
        &serde_json::to_value(&signed).unwrap(),
        checkpoints::TYP,
        &forger,
    )
    .unwrap();
    as_attacker(
        &s.store,
        &[
            format!(
                "INSERT INTO signing_keys (kid, organization_id, alg, jwk, created_at, \
                 retired_at) VALUES ('{}', NULL, 'ES256', '{jwk}', '2026-01-01 00:00:00', \
                 '2026-01-02 00:00:00')",
                forger.kid
            ),
            format!(
                "INSERT INTO checkpoints (id, at, seq, chain_hash, kid, jws) VALUES \
                 ('cpt_forged', '2026-01-01 00:00:00', {}, '{}', '{}', '{forged}')",
                signed.seq, signed.chain_hash, forger.kid
            ),
        ],
    );
    // Against the keys the database now holds, the forgery passes…
    let fooled = audit_cli(&s, &["verify", "--output", "json"]);
    assert_eq!(fooled.status.code(), Some(0), "{fooled:?}");
    // …against the key set saved while it was trusted, it does not.
    let out = audit_cli(
        &s,
        &[
            "verify",
            "--output",
            "json",
            "--jwks",
            saved.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let json = json_of(&out);
    assert_eq!(json["problems"][0]["kind"], "bad_checkpoint");
    assert_eq!(json["problems"][0]["checkpoint_id"], "cpt_forged");
}

#[test]
fn no_checkpoint_is_signed_over_a_chain_that_no_longer_links() {
    let s = busy_exchange();
    checkpoint(&s.store);
    register(&s, "office", None);
    let rows = chain_rows(&s.store);
    let changed = rows.last().unwrap();
    as_attacker(
        &s.store,
        &[format!(
            "UPDATE {} SET purpose = 'other' WHERE id = '{}'",
            changed.table.name(),
            changed.id
        )],
    );
    let out = audit_cli(&s, &["checkpoint"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&changed.id));
    assert!(out.stdout.is_empty());
}

/// A fresh database of the backend under test with one organization, and a store on it.
fn plain_store() -> (TestDatabase, Store) {
    let db = backend_database();
    let store = open_store(db.url());
    organizations::add(
        &mut store.conn().unwrap(),
        Some("kikan-1"),
        "見本基幹相談支援センター",
        Role::Kikan,
    )
    .unwrap();
    (db, store)
}

/// A read of a registration by the kikan, as an access to record.
fn kikan_read<'a>(id: &'a str, categories: &'a str, purpose: &'a str) -> audit::Access<'a> {
    audit::Access {
        by: "kikan-1",
        action: audit::Action::Read,
        subject: audit::Subject::Registration(id),
        categories,
        purpose,
    }
}

/// One access, recorded in its own transaction as the store's functions do.
fn access(store: &Store, record_id: String) -> Result<(), StoreError> {
    store.write(move |conn| {
        conn.transaction(|conn| {
            Ok(audit::record(
                conn,
                kikan_read(&record_id, "identity", "registration"),
            )?)
        })
    })
}

#[test]
fn concurrent_writers_on_two_instances_keep_one_chain_without_gaps() {
    let (db, first) = plain_store();
    // A second store on the same database: what a second server instance is to it.
    let second = open_store(db.url());
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let store = if t % 2 == 0 {
                first.clone()
            } else {
                second.clone()
            };
            std::thread::spawn(move || {
                for i in 0..25 {
                    access(&store, format!("reg_{t}_{i}")).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let report = verify(&first);
    assert!(report.intact, "{report:?}");
    assert_eq!((report.records, report.last_seq), (150, 150));
    let places: Vec<i64> = chain_rows(&second).iter().map(|r| r.seq).collect();
    assert_eq!(places, (1..=150).collect::<Vec<_>>());
    // Both instances asking for a checkpoint at once get one checkpoint for the place.
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| checkpoints::make(&first).unwrap());
        let b = scope.spawn(|| checkpoints::make(&second).unwrap());
        (a.join().unwrap(), b.join().unwrap())
    });
    assert!(
        matches!(
            (&a, &b),
            (Made::Signed(_), Made::UpToDate(_))
                | (Made::UpToDate(_), Made::Signed(_))
                | (Made::Signed(_), Made::Signed(_))
        ),
        "{a:?} {b:?}"
    );
    let stored = checkpoints::list(&mut first.conn().unwrap()).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].seq, 150);
}

#[test]
fn an_access_rolled_back_leaves_no_place_in_the_chain() {
    let (_db, store) = plain_store();
    let refused = store.write(|conn| {
        conn.transaction(|conn| {
            audit::record(conn, kikan_read("reg_1", "", "registration"))?;
            Err::<(), _>(StoreError::Write(
                "refused after the record was written".into(),
            ))
        })
    });
    assert!(refused.is_err());
    access(&store, "reg_2".into()).unwrap();
    let report = verify(&store);
    assert!(report.intact, "{report:?}");
    assert_eq!((report.records, report.last_seq), (1, 1));
    assert_eq!(chain::head(&mut store.conn().unwrap()).unwrap().seq, 1);
}

#[test]
fn writes_refused_among_many_in_one_batch_give_their_places_back() {
    let (_db, store) = plain_store();
    // Many writers at once: on SQLite they share the writer's batches, where the head is held
    // in memory; every other write is refused after its record was appended.
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                let mut kept = 0;
                for i in 0..40 {
                    let refuse = (t + i) % 2 == 0;
                    let id = format!("reg_{t}_{i}");
                    let done = store.write(move |conn| {
                        conn.transaction(|conn| {
                            audit::record(conn, kikan_read(&id, "identity", "registration"))?;
                            if refuse {
                                return Err(StoreError::Write("refused".into()));
                            }
                            Ok(())
                        })
                    });
                    assert_eq!(done.is_ok(), !refuse);
                    kept += usize::from(done.is_ok());
                }
                kept
            })
        })
        .collect();
    let kept: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(kept, 160);
    let report = verify(&store);
    assert!(report.intact, "{report:?}");
    assert_eq!((report.records, report.last_seq), (160, 160));
    let head = chain::head(&mut store.conn().unwrap()).unwrap();
    assert_eq!((head.seq, head.access_count), (160, 160));
    let last = chain_rows(&store).pop().unwrap();
    assert_eq!(head.chain_hash, last.hash);
    assert_eq!(head.last_id.as_deref(), Some(last.id.as_str()));
}

#[test]
fn a_write_that_goes_on_after_undoing_its_own_record_never_leaves_a_gap_in_the_chain() {
    let (_db, store) = plain_store();
    access(&store, "reg_1".into()).unwrap();
    // The write appends a record in a savepoint of its own, undoes that savepoint, then
    // appends another and succeeds.
    let outcome = store.write(|conn| {
        conn.transaction(|conn| {
            let undone: Result<(), StoreError> = conn.transaction(|conn| {
                audit::record(conn, kikan_read("reg_2", "", "x"))?;
                Err(StoreError::Write("undone".into()))
            });
            assert!(undone.is_err());
            Ok(audit::record(conn, kikan_read("reg_3", "", "x"))?)
        })
    });
    access(&store, "reg_4".into()).unwrap();
    let report = verify(&store);
    assert!(report.intact, "{report:?}");
    // Either the write kept its second record in the next place (the head row follows every
    // savepoint), or, where the head is held for a batch, the batch was refused as a whole.
    let expected = if outcome.is_ok() { 3 } else { 2 };
    assert_eq!((report.records, report.last_seq), (expected, expected));
    assert_eq!(
        chain::head(&mut store.conn().unwrap()).unwrap().seq,
        expected
    );
}

fn known_record(
    id: &str,
    micros: u32,
    action: &str,
    record_id: &str,
    categories: &str,
) -> AccessRecord {
    AccessRecord {
        id: id.into(),
        at: chrono::NaiveDate::from_ymd_opt(2026, 11, 30)
            .and_then(|d| d.and_hms_opt(12, 34, 56))
            .unwrap()
            + chrono::TimeDelta::microseconds(micros.into()),
        organization_id: "kikan-1".into(),
        action: action.into(),
        record_type: "registration".into(),
        record_id: record_id.into(),
        categories: categories.into(),
        purpose: "registration".into(),
    }
}

#[test]
fn the_same_records_get_the_same_chain_hashes_on_sqlite_and_postgresql() {
    let (_db, store) = plain_store();
    for record in [
        known_record("acc_kat", 123_456, "read", "reg_kat", "identity,contact"),
        known_record("acc_kat2", 1_000_000, "list", "*", ""),
    ] {
        store
            .write(move |conn| conn.transaction(|conn| Ok(audit::insert(conn, &record)?)))
            .unwrap();
    }
    let rows = chain_rows(&store);
    // Known answers from Python (json.dumps sorted and compact; hashlib.sha256), which both
    // backends must reproduce from what they stored.
    assert_eq!(
        String::from_utf8(rows[0].canonical.clone()).unwrap(),
        r#"{"action":"read","at":"2026-11-30T12:34:56.123456Z","categories":"identity,contact","id":"acc_kat","organization_id":"kikan-1","purpose":"registration","record_id":"reg_kat","record_type":"registration","seq":1,"table":"access_records"}"#
    );
    assert_eq!(
        rows.iter()
            .map(|r| r.hash.clone().unwrap())
            .collect::<Vec<_>>(),
        [
            "ff4ca1c6c6007e6e7aa5ccf66c16d5badff96de4a0f5d40418976cb514fc72e1",
            "b611c70275bef360ab7d9c29b9f6a5e3b4fe7f7271cbf8ecbcb615d9254d238f"
        ]
    );
}

/// How many migrations there are from the record chain's on (it and every later one).
fn migrations_from_the_chain_on() -> usize {
    use diesel::migration::MigrationSource;
    MigrationSource::<diesel::sqlite::Sqlite>::migrations(&kyoten::store::SQLITE_MIGRATIONS)
        .unwrap()
        .iter()
        .filter(|m| m.name().to_string().as_str() >= "2026-11-30-000001_record_chain")
        .count()
}

#[test]
fn records_written_before_the_chain_existed_are_chained_in_time_order_at_the_next_start() {
    use diesel_migrations::MigrationHarness;
    let (db, store) = plain_store();
    {
        let mut conn = store.conn().unwrap();
        match &mut *conn {
            // Back to before the chain: every migration from the chain's on.
            DbConnection::Sqlite(c) => (0..migrations_from_the_chain_on()).try_for_each(|_| {
                c.revert_last_migration(kyoten::store::SQLITE_MIGRATIONS)
                    .map(|_| ())
            }),
            DbConnection::Postgresql(c) => (0..migrations_from_the_chain_on()).try_for_each(|_| {
                c.revert_last_migration(kyoten::store::POSTGRES_MIGRATIONS)
                    .map(|_| ())
            }),
        }
        .unwrap();
        for (id, second) in [("acc_b", 2), ("acc_a", 1), ("acc_c", 3)] {
            conn.batch_execute(&format!(
                "INSERT INTO access_records (id, at, organization_id, action, record_type, \
                 record_id, categories, purpose) VALUES ('{id}', '2026-11-01 10:00:0{second}', \
                 'kikan-1', 'read', 'registration', 'reg_1', 'identity', 'registration')"
            ))
            .unwrap();
        }
    }
    drop(store);
    let store = open_store(db.url());
    let rows = chain_rows(&store);
    let order: Vec<(&str, i64)> = rows.iter().map(|r| (r.id.as_str(), r.seq)).collect();
    assert_eq!(order, [("acc_a", 1), ("acc_b", 2), ("acc_c", 3)]);
    assert!(verify(&store).intact);
    access(&store, "reg_2".into()).unwrap();
    let again = open_store(db.url());
    let report = verify(&again);
    assert!(report.intact, "{report:?}");
    assert_eq!(report.last_seq, 4);
}

#[test]
fn the_server_signs_a_checkpoint_when_it_starts_with_records_no_checkpoint_covers() {
    let (db, store) = plain_store();
    for i in 0..3 {
        access(&store, format!("reg_{i}")).unwrap();
    }
    assert!(checkpoints::list(&mut store.conn().unwrap())
        .unwrap()
        .is_empty());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = kyoten()
        .args(["serve", "--port", &port.to_string(), "--workers", "1"])
        .args(["--database-url", db.url()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let signed = loop {
        let list = checkpoints::list(&mut store.conn().unwrap()).unwrap();
        if !list.is_empty() || started.elapsed() > Duration::from_secs(30) {
            break list;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(signed.len(), 1, "no checkpoint within 30 s");
    assert_eq!(signed[0].seq, 3);
    assert!(verify(&store).last_checkpoint.is_some());
}

#[test]
fn a_write_on_postgresql_does_not_wait_for_the_commit_of_another() {
    let (_db, store) = plain_store();
    if store.backend() == Backend::Sqlite {
        // SQLite has one writer at a time by design (the writer thread): nothing to show.
        return;
    }
    let (started, started_rx) = std::sync::mpsc::channel();
    let (committed, committed_rx) = std::sync::mpsc::channel::<()>();
    let holder = store.clone();
    let open = std::thread::spawn(move || {
        holder.write(move |conn| {
            conn.transaction(|conn| {
                audit::record(conn, kikan_read("reg_open", "", "registration"))?;
                started.send(()).unwrap();
                // Kept open until the other write has committed (or given up on after 30 s).
                let other = committed_rx.recv_timeout(Duration::from_secs(30)).is_ok();
                Ok::<bool, StoreError>(other)
            })
        })
    });
    started_rx.recv().unwrap();
    access(&store, "reg_other".into()).unwrap();
    committed.send(()).unwrap();
    assert!(
        open.join().unwrap().unwrap(),
        "the second write waited for the first one's transaction to end"
    );
    let report = verify(&store);
    assert!(report.intact, "{report:?}");
    assert_eq!(report.records, 2);
}

#[test]
fn committed_records_take_their_places_moments_later_without_anyone_asking() {
    let (_db, store) = plain_store();
    for i in 0..20 {
        access(&store, format!("reg_{i}")).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let waiting = chain::unsealed(&mut store.conn().unwrap()).unwrap();
        if waiting == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{waiting} records still pending");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Verified as it stands: nothing sealed by the test itself.
    let report = integrity::verify(&mut store.conn().unwrap(), &[], None).unwrap();
    assert!(report.intact, "{report:?}");
    assert_eq!((report.records, report.unsealed_records), (20, 0));
    let places: Vec<i64> = chain_rows(&store).iter().map(|r| r.seq).collect();
    assert_eq!(places, (1..=20).collect::<Vec<_>>());
}

#[test]
fn the_database_takes_a_pending_record_only_without_a_place_and_seals_it_only_unchanged() {
    let (_db, store) = plain_store();
    let mut conn = store.conn().unwrap();
    let insert = |seq: &str, hash: &str| {
        format!(
            "INSERT INTO access_records (id, at, organization_id, action, record_type, \
             record_id, categories, purpose, chain_seq, chain_hash) VALUES ('acc_p', \
             '2026-01-01 00:00:00', 'kikan-1', 'read', 'registration', 'reg_x', '', \
             'registration', {seq}, '{hash}')"
        )
    };
    let refused = |conn: &mut DbConnection, statements: &[String]| {
        // Each attempt in a transaction of its own that is rolled back: the sealers of this
        // test's store never see the row.
        let result = conn.transaction::<(), diesel::result::Error, _>(|conn| {
            for s in statements {
                conn.batch_execute(s)?;
            }
            Err(diesel::result::Error::RollbackTransaction)
        });
        !matches!(result, Err(diesel::result::Error::RollbackTransaction))
    };
    let good = "a".repeat(64);
    // A pending record claiming a place is refused on both backends.
    assert!(refused(&mut conn, &[insert("7", "pending")]));
    if store.backend() == Backend::Sqlite {
        // Nothing is ever pending on SQLite: a record arrives with its place.
        assert!(refused(&mut conn, &[insert("NULL", "pending")]));
        return;
    }
    assert!(!refused(&mut conn, &[insert("NULL", "pending")]));
    let seal = |set: &str| format!("UPDATE access_records SET {set} WHERE id = 'acc_p'");
    // Sealed with a place and a hash: let through once, and nothing after.
    assert!(!refused(
        &mut conn,
        &[
            insert("NULL", "pending"),
            seal(&format!("chain_seq = 7, chain_hash = '{good}'"))
        ]
    ));
    for changed in [
        format!("chain_seq = 7, chain_hash = '{good}', purpose = 'emergency'"),
        "chain_seq = 7, chain_hash = 'not a hash'".to_owned(),
        format!("chain_hash = '{good}'"),
    ] {
        assert!(
            refused(&mut conn, &[insert("NULL", "pending"), seal(&changed)]),
            "{changed}"
        );
    }
    assert!(refused(
        &mut conn,
        &[
            insert("NULL", "pending"),
            seal(&format!("chain_seq = 7, chain_hash = '{good}'")),
            seal("chain_seq = 8"),
        ]
    ));
}
