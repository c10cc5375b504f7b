//! Checkpoints: the exchange's signature over the head of the record chain (`chain.rs`) — its
//! place, the record there, its chain hash, the count and last record of each table, the time —
//! as a compact JWS (`typ` `kyoten-checkpoint+jws`, the exchange's signing key), kept in the
//! append-only `checkpoints` table and printable for keeping elsewhere.
//!
//! The chain alone shows careless edits; someone who can write the database can also recompute
//! every hash after an edit. A checkpoint pins the chain up to its place: recomputing a record
//! it covers changes the hash it signed, and removing records it covers leaves it pointing past
//! the end. Before it signs, the exchange walks the chain from the last valid checkpoint to the
//! head, so it never vouches for a chain that already fails to link.
use super::chain::{self, canonical_time, Counts, Problem, ProblemKind, Walker};
use super::schema::checkpoints;
use super::{DbConnection, Store, StoreError};
use crate::crypto::jws::{self, VerifyingKey};
use crate::domain::ids::time_ordered_id;
use crate::time::now;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Duration;

/// The `typ` of a checkpoint's JWS.
pub const TYP: &str = "kyoten-checkpoint+jws";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = checkpoints)]
pub struct CheckpointRow {
    pub id: String,
    pub at: NaiveDateTime,
    pub seq: i64,
    pub chain_hash: String,
    pub kid: String,
    pub jws: String,
}

/// How far the chain reached in one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableHead {
    pub count: i64,
    pub last_id: Option<String>,
}

/// What a checkpoint signs: the head of the chain at `at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signed {
    /// The place of the last record covered (= how many records the chain held).
    pub seq: i64,
    /// The record at that place.
    pub record_id: String,
    /// Its chain hash.
    pub chain_hash: String,
    pub access_records: TableHead,
    pub provision_records: TableHead,
    /// When it was signed (UTC, as in the canonical bytes).
    pub at: String,
}

impl Signed {
    pub fn counts(&self) -> Counts {
        Counts {
            access_records: self.access_records.count,
            provision_records: self.provision_records.count,
        }
    }
}

/// A checkpoint whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checkpoint {
    /// Its row in `checkpoints`, or where it was read from (`file:LINE`).
    pub id: String,
    pub kid: String,
    #[serde(flatten)]
    pub signed: Signed,
    #[serde(skip)]
    pub jws: String,
}

/// The exchange's own keys, current and retired, by kid (a checkpoint signed before a key was
/// rotated or retired still verifies).
pub fn exchange_keys(conn: &mut DbConnection) -> Result<HashMap<String, VerifyingKey>, StoreError> {
    Ok(super::keys::list(conn, None)?
        .iter()
        .filter_map(|row| Some((row.kid.to_string(), row.verifying_key()?)))
        .collect())
}

/// Verifies a checkpoint's JWS against `keys`; why not, otherwise.
pub fn open(
    jws_text: &str,
    keys: &HashMap<String, VerifyingKey>,
) -> Result<(String, Signed), String> {
    let verified =
        jws::verify(jws_text, TYP, |kid| keys.get(kid).cloned()).map_err(|e| e.to_string())?;
    let signed = serde_json::from_value(verified.payload)
        .map_err(|_| "the signed payload is not a checkpoint".to_string())?;
    Ok((verified.kid, signed))
}

/// Every stored checkpoint, in place order.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<CheckpointRow>> {
    checkpoints::table
        .order(checkpoints::seq)
        .select(CheckpointRow::as_select())
        .load(conn)
}

/// A stored checkpoint, if it verifies and its columns say what it signed.
pub fn verified(
    row: &CheckpointRow,
    keys: &HashMap<String, VerifyingKey>,
) -> Result<Checkpoint, String> {
    let (kid, signed) = open(&row.jws, keys)?;
    if signed.seq != row.seq || signed.chain_hash != row.chain_hash || kid != row.kid {
        return Err("its columns disagree with what it signed".into());
    }
    Ok(Checkpoint {
        id: row.id.clone(),
        kid,
        signed,
        jws: row.jws.clone(),
    })
}

/// The stored checkpoint furthest along the chain whose signature verifies.
fn latest_valid(
    conn: &mut DbConnection,
    keys: &HashMap<String, VerifyingKey>,
) -> QueryResult<Option<Checkpoint>> {
    const BATCH: i64 = 100;
    let mut before = i64::MAX;
    loop {
        let rows: Vec<CheckpointRow> = checkpoints::table
            .filter(checkpoints::seq.lt(before))
            .order(checkpoints::seq.desc())
            .limit(BATCH)
            .select(CheckpointRow::as_select())
            .load(conn)?;
        let Some(oldest) = rows.last().map(|r| r.seq) else {
            return Ok(None);
        };
        if let Some(found) = rows.iter().find_map(|row| verified(row, keys).ok()) {
            return Ok(Some(found));
        }
        before = oldest;
    }
}

/// What asking for a checkpoint came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Made {
    /// A new checkpoint over the head.
    Signed(Checkpoint),
    /// The latest checkpoint already covers the head.
    UpToDate(Checkpoint),
    /// The chain holds no record yet.
    Empty,
    /// The chain does not verify from the last checkpoint to the head: nothing was signed.
    Refused(Problem),
}

enum Prepared {
    Sign(Signed),
    Done(Made),
}

/// A walker resumed after the record the last checkpoint signed, if that record is still at
/// its place with its hash; the problem otherwise.
fn resume_after(
    conn: &mut DbConnection,
    cp: &Checkpoint,
) -> Result<Result<Walker, Problem>, StoreError> {
    let at = chain::rows(conn, cp.signed.seq - 1, cp.signed.seq)?;
    Ok(match at.as_slice() {
        [row]
            if row.id == cp.signed.record_id
                && row.hash.as_deref() == Some(cp.signed.chain_hash.as_str()) =>
        {
            Ok(Walker::resume(
                row.seq,
                &row.id,
                row.table,
                &cp.signed.chain_hash,
                cp.signed.counts(),
            ))
        }
        _ => Err(Problem {
            kind: ProblemKind::CheckpointMismatch,
            seq: Some(cp.signed.seq),
            table: None,
            record_id: Some(cp.signed.record_id.clone()),
            checkpoint_id: Some(cp.id.clone()),
            reason: "the record the last checkpoint signed is no longer at its place with its \
                     hash"
                .into(),
        }),
    })
}

/// Walks the chain on to place `end`, page by page; the first problem found.
fn walk_to(
    conn: &mut DbConnection,
    walker: &mut Walker,
    end: i64,
) -> Result<Option<Problem>, StoreError> {
    let mut after = walker.next_seq() - 1;
    while after < end {
        let until = (after + chain::PAGE).min(end);
        for row in chain::rows(conn, after, until)? {
            if let Some(problem) = walker.step(&row) {
                return Ok(Some(problem));
            }
        }
        after = until;
    }
    Ok(None)
}

/// Walks the chain from the latest valid checkpoint to the head, in one snapshot; what to sign.
fn prepare(conn: &mut DbConnection) -> Result<Prepared, StoreError> {
    let head = chain::head(conn)?;
    let Some(head_hash) = head.chain_hash.clone() else {
        return Err(StoreError::Write(
            "the record chain has records waiting for their hashes".into(),
        ));
    };
    if head.seq == 0 {
        return Ok(Prepared::Done(Made::Empty));
    }
    let keys = exchange_keys(conn)?;
    let last = latest_valid(conn, &keys)?;
    let mut walker = match &last {
        Some(cp) if cp.signed.seq == head.seq && cp.signed.chain_hash == head_hash => {
            return Ok(Prepared::Done(Made::UpToDate(cp.clone())));
        }
        Some(cp) => match resume_after(conn, cp)? {
            Ok(walker) => walker,
            Err(problem) => return Ok(Prepared::Done(Made::Refused(problem))),
        },
        None => Walker::new(),
    };
    if let Some(problem) = walk_to(conn, &mut walker, head.seq)? {
        return Ok(Prepared::Done(Made::Refused(problem)));
    }
    let reached = walker.last.as_ref().map_or(0, |l| l.seq);
    if reached < head.seq {
        return Ok(Prepared::Done(Made::Refused(Problem {
            kind: ProblemKind::Missing,
            seq: Some(reached + 1),
            table: None,
            record_id: head.last_id.clone(),
            checkpoint_id: None,
            reason: format!(
                "the head of the chain is at place {} but the records end at place {reached}",
                head.seq
            ),
        })));
    }
    let ends_at_head = walker.last.as_ref().is_some_and(|l| {
        l.hash.as_deref() == Some(head_hash.as_str()) && head.last_id.as_deref() == Some(&l.id)
    }) && walker.counts
        == (Counts {
            access_records: head.access_count,
            provision_records: head.provision_count,
        });
    let Some(last) = walker.last.filter(|_| ends_at_head) else {
        return Ok(Prepared::Done(Made::Refused(Problem {
            kind: ProblemKind::HeadMismatch,
            seq: Some(head.seq),
            table: None,
            record_id: head.last_id.clone(),
            checkpoint_id: None,
            reason: "the head of the chain does not match its last record".into(),
        })));
    };
    Ok(Prepared::Sign(Signed {
        seq: head.seq,
        record_id: last.id,
        chain_hash: head_hash,
        access_records: TableHead {
            count: head.access_count,
            last_id: head.access_last_id,
        },
        provision_records: TableHead {
            count: head.provision_count,
            last_id: head.provision_last_id,
        },
        at: String::new(),
    }))
}

/// Signs a checkpoint over the head of the chain, unless the latest one covers it already or
/// the chain does not verify from there.
pub fn make(store: &Store) -> Result<Made, StoreError> {
    let ring = store.keyring()?;
    let Some(key) = ring.signing.as_ref() else {
        return Err(StoreError::Write(
            "the exchange has no signing key to sign a checkpoint with".into(),
        ));
    };
    let mut conn = store.conn()?;
    // The checkpoint covers everything committed before it (PostgreSQL: sealed first).
    chain::seal_all(&mut conn)?;
    let prepared = chain::in_snapshot(&mut conn, prepare)?;
    drop(conn);
    let mut signed = match prepared {
        Prepared::Sign(signed) => signed,
        Prepared::Done(made) => return Ok(made),
    };
    let at = now();
    signed.at = canonical_time(at);
    let payload =
        serde_json::to_value(&signed).map_err(|e| StoreError::Write(format!("checkpoint: {e}")))?;
    let jws_text =
        jws::sign(&payload, TYP, key).map_err(|e| StoreError::Write(format!("checkpoint: {e}")))?;
    let row = CheckpointRow {
        id: time_ordered_id("cpt_", 6),
        at,
        seq: signed.seq,
        chain_hash: signed.chain_hash.clone(),
        kid: key.kid.clone(),
        jws: jws_text.clone(),
    };
    let checkpoint = Checkpoint {
        id: row.id.clone(),
        kid: row.kid.clone(),
        signed,
        jws: jws_text,
    };
    // Another instance may have signed the same head a moment ago: one checkpoint per place.
    // (The insert is the write's first statement: on SQLite a write that reads first cannot
    // wait for another process's write lock.)
    let inserted = store.write(move |conn| {
        match diesel::insert_into(checkpoints::table)
            .values(&row)
            .execute(conn)
        {
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => Ok(0),
            done => Ok(done?),
        }
    })?;
    if inserted == 1 {
        return Ok(Made::Signed(checkpoint));
    }
    let seq = checkpoint.signed.seq;
    let mut conn = store.conn()?;
    let stored: CheckpointRow = checkpoints::table
        .filter(checkpoints::seq.eq(seq))
        .select(CheckpointRow::as_select())
        .first(&mut *conn)?;
    let keys = exchange_keys(&mut conn)?;
    Ok(match verified(&stored, &keys) {
        Ok(existing) => Made::UpToDate(existing),
        Err(why) => Made::Refused(Problem {
            kind: ProblemKind::BadCheckpoint,
            seq: Some(seq),
            table: None,
            record_id: None,
            checkpoint_id: Some(stored.id),
            reason: format!("a checkpoint that does not verify holds this place: {why}"),
        }),
    })
}

/// When a running server signs a checkpoint by itself: at start if there are new records, then
/// whenever `every_records` new records have come, or `interval` has passed since the last
/// checkpoint it made and there is anything new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub every_records: i64,
    pub interval: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            every_records: 1_000,
            interval: Duration::from_secs(60),
        }
    }
}

/// How many places the head is beyond the furthest stored checkpoint (negative when a
/// checkpoint points past the head: records were removed).
pub fn uncovered(conn: &mut DbConnection) -> Result<i64, StoreError> {
    let head = chain::head(conn)?;
    let covered: Option<i64> = checkpoints::table
        .select(diesel::dsl::max(checkpoints::seq))
        .first(conn)?;
    Ok(head.seq - covered.unwrap_or(0))
}
