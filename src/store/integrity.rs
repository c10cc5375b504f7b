//! `kyoten audit verify`: the whole record chain recomputed from its first record, every
//! checkpoint's signature checked against the exchange's keys (current and retired), and every
//! checkpoint's head found where it was signed — so a record removed, changed, moved or added
//! since, and records cut from the tail back past a checkpoint, are named.
use super::chain::{self, Counts, Problem, ProblemKind, Walker};
use super::checkpoints::{self, Checkpoint};
use super::{DbConnection, StoreError};
use crate::crypto::jws::VerifyingKey;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Problems listed at most (the first is the one that matters).
const MAX_PROBLEMS: usize = 100;

/// The latest checkpoint the chain still matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckpointSummary {
    pub id: String,
    pub seq: i64,
    pub at: String,
    pub kid: String,
}

/// What verification found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub intact: bool,
    /// Records walked (with a place in the chain).
    pub records: i64,
    pub access_records: i64,
    pub provision_records: i64,
    /// The place and chain hash of the last record.
    pub last_seq: i64,
    pub chain_hash: Option<String>,
    /// Checkpoints whose signature verified and whose head the chain still holds.
    pub checkpoints: usize,
    pub last_checkpoint: Option<CheckpointSummary>,
    /// Records after the last such checkpoint: only the database vouches for them so far.
    pub uncovered_records: i64,
    /// Records committed but not sealed yet (PostgreSQL: they get their places moments after
    /// their commit; `kyoten audit verify` seals them before it walks).
    pub unsealed_records: i64,
    /// In chain order; the first is where the chain first breaks.
    pub problems: Vec<Problem>,
    /// Problems found beyond those listed.
    pub more_problems: usize,
}

#[derive(Default)]
struct Found {
    problems: Vec<Problem>,
    more: usize,
}

impl Found {
    fn push(&mut self, problem: Problem) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(problem);
        } else {
            self.more += 1;
        }
    }
}

fn checkpoint_problem(kind: ProblemKind, cp: &Checkpoint, seq: i64, reason: String) -> Problem {
    Problem {
        kind,
        seq: Some(seq),
        table: None,
        record_id: Some(cp.signed.record_id.clone()),
        checkpoint_id: Some(cp.id.clone()),
        reason,
    }
}

/// Verifies the chain and the checkpoints, the stored ones and `external` ones (compact JWS,
/// e.g. kept off the machine), in one snapshot of the database. Checkpoints are checked against
/// `trusted` keys when given (the exchange's keys from a copy of its key set kept elsewhere:
/// whoever can write the database could also have added a key of their own to it), otherwise
/// against the exchange keys the database holds.
pub fn verify(
    conn: &mut DbConnection,
    external: &[String],
    trusted: Option<&HashMap<String, VerifyingKey>>,
) -> Result<Report, StoreError> {
    chain::in_snapshot(conn, |conn| verify_snapshot(conn, external, trusted))
}

fn verify_snapshot(
    conn: &mut DbConnection,
    external: &[String],
    trusted: Option<&HashMap<String, VerifyingKey>>,
) -> Result<Report, StoreError> {
    let mut found = Found::default();
    let keys = match trusted {
        Some(keys) => keys.clone(),
        None => checkpoints::exchange_keys(conn)?,
    };
    let signed = signed_checkpoints(conn, external, &keys, &mut found)?;
    let walked = walk(conn, &signed, &mut found)?;
    let (walker, matched, last_matched) = (walked.walker, walked.matched, walked.last_matched);
    let last = walker.last.clone();
    let reached = last.as_ref().map_or(0, |l| l.seq);
    beyond_the_end(walked.pending, reached, &mut found);
    head_problems(conn, &walker, reached, &mut found)?;
    unchained_problems(conn, &mut found)?;
    let mut problems = found.problems;
    problems.sort_by_key(|p| p.seq.unwrap_or(i64::MAX));
    Ok(Report {
        intact: problems.is_empty(),
        records: walker.counts.total(),
        access_records: walker.counts.access_records,
        provision_records: walker.counts.provision_records,
        last_seq: reached,
        chain_hash: last.and_then(|l| l.hash),
        checkpoints: matched,
        last_checkpoint: last_matched.map(|cp| CheckpointSummary {
            id: cp.id.clone(),
            seq: cp.signed.seq,
            at: cp.signed.at.clone(),
            kid: cp.kid.clone(),
        }),
        uncovered_records: reached - last_matched.map_or(0, |cp| cp.signed.seq),
        unsealed_records: chain::unsealed(conn)?,
        problems,
        more_problems: found.more,
    })
}

/// Every checkpoint that verifies with `keys`, stored and given (`external`), by the place it
/// signed; one that does not verify is a problem.
fn signed_checkpoints(
    conn: &mut DbConnection,
    external: &[String],
    keys: &HashMap<String, VerifyingKey>,
    found: &mut Found,
) -> Result<BTreeMap<i64, Vec<Checkpoint>>, StoreError> {
    let mut signed: BTreeMap<i64, Vec<Checkpoint>> = BTreeMap::new();
    for row in checkpoints::list(conn)? {
        match checkpoints::verified(&row, keys) {
            Ok(cp) => signed.entry(cp.signed.seq).or_default().push(cp),
            Err(why) => found.push(Problem {
                kind: ProblemKind::BadCheckpoint,
                seq: Some(row.seq),
                table: None,
                record_id: None,
                checkpoint_id: Some(row.id.clone()),
                reason: format!("the checkpoint does not verify: {why}"),
            }),
        }
    }
    for (n, text) in external.iter().enumerate() {
        let id = format!("file:{}", n + 1);
        match checkpoints::open(text, keys) {
            Ok((kid, s)) => {
                let list = signed.entry(s.seq).or_default();
                if !list.iter().any(|c| c.signed == s) {
                    list.push(Checkpoint {
                        id,
                        kid,
                        signed: s,
                        jws: text.clone(),
                    });
                }
            }
            Err(why) => found.push(Problem {
                kind: ProblemKind::BadCheckpoint,
                seq: None,
                table: None,
                record_id: None,
                checkpoint_id: Some(id),
                reason: format!("the checkpoint does not verify: {why}"),
            }),
        }
    }
    Ok(signed)
}

/// What a walk over the whole chain found: its walker at the end, the checkpoints it matched
/// and the last of them, and those it did not reach.
struct Walked<'a, P> {
    walker: Walker,
    matched: usize,
    last_matched: Option<&'a Checkpoint>,
    pending: P,
}

/// Walks the chain page by page, comparing it with each checkpoint at the place it signed.
fn walk<'a>(
    conn: &mut DbConnection,
    signed: &'a BTreeMap<i64, Vec<Checkpoint>>,
    found: &mut Found,
) -> Result<Walked<'a, impl Iterator<Item = (&'a i64, &'a Vec<Checkpoint>)>>, StoreError> {
    let end = chain::last_place(conn)?;
    let mut walker = Walker::new();
    let mut pending = signed.iter().peekable();
    let mut matched = 0usize;
    let mut last_matched: Option<&Checkpoint> = None;
    let mut after = 0;
    while after < end {
        let until = (after + chain::PAGE).min(end);
        for row in chain::rows(conn, after, until)? {
            let taken = row.seq >= walker.next_seq();
            if let Some(problem) = walker.step(&row) {
                found.push(problem);
            }
            if !taken {
                continue;
            }
            // Checkpoints whose place a gap swallowed.
            while let Some((&seq, list)) = pending.next_if(|(seq, _)| **seq < row.seq) {
                for cp in list {
                    found.push(checkpoint_problem(
                        ProblemKind::Missing,
                        cp,
                        seq,
                        format!(
                            "place {seq}, which checkpoint {} signed, holds no record: removed",
                            cp.id
                        ),
                    ));
                }
            }
            if let Some((_, list)) = pending.next_if(|(seq, _)| **seq == row.seq) {
                for cp in list {
                    let same = row.hash.as_deref() == Some(cp.signed.chain_hash.as_str())
                        && row.id == cp.signed.record_id
                        && walker.counts == cp.signed.counts();
                    if same {
                        matched += 1;
                        last_matched = Some(cp);
                    } else {
                        found.push(Problem {
                            checkpoint_id: Some(cp.id.clone()),
                            ..Problem::at_row(
                                ProblemKind::CheckpointMismatch,
                                &row,
                                format!(
                                    "the chain up to this place is not what checkpoint {} of {} \
                                     signed: records up to here were changed, removed, added or \
                                     reordered and the hashes computed again",
                                    cp.id, cp.signed.at
                                ),
                            )
                        });
                    }
                }
            }
        }
        after = until;
    }
    Ok(Walked {
        walker,
        matched,
        last_matched,
        pending,
    })
}

/// Checkpoints beyond the end: the tail was cut back past them.
fn beyond_the_end<'a>(
    pending: impl Iterator<Item = (&'a i64, &'a Vec<Checkpoint>)>,
    reached: i64,
    found: &mut Found,
) {
    for (&seq, list) in pending {
        for cp in list {
            found.push(checkpoint_problem(
                ProblemKind::Missing,
                cp,
                reached + 1,
                format!(
                    "the chain ends at place {reached}, but checkpoint {} of {} signed {} \
                     records up to place {seq} (its last record named here): records from place \
                     {} on were removed",
                    cp.id,
                    cp.signed.at,
                    cp.signed.counts().total(),
                    reached + 1
                ),
            ));
        }
    }
}

/// The head of the chain against the records: their last place, hash and counts.
fn head_problems(
    conn: &mut DbConnection,
    walker: &Walker,
    reached: i64,
    found: &mut Found,
) -> Result<(), StoreError> {
    let last = walker.last.as_ref();
    let head = chain::head(conn)?;
    if head.seq > reached {
        found.push(Problem {
            kind: ProblemKind::Missing,
            seq: Some(reached + 1),
            table: None,
            record_id: head.last_id.clone(),
            checkpoint_id: None,
            reason: format!(
                "the head of the chain says it reaches place {} (its last record named here), \
                 but the records end at place {reached}: records were removed",
                head.seq
            ),
        });
    } else if head.seq < reached
        || head.chain_hash
            != last
                .and_then(|l| l.hash.clone())
                .or_else(|| (reached == 0).then(|| hex::encode(chain::GENESIS)))
        || (Counts {
            access_records: head.access_count,
            provision_records: head.provision_count,
        }) != walker.counts
    {
        found.push(Problem {
            kind: ProblemKind::HeadMismatch,
            seq: Some(head.seq),
            table: None,
            record_id: head.last_id.clone(),
            checkpoint_id: None,
            reason: format!(
                "the head of the chain (place {}) does not match the records, which end at \
                 place {reached}",
                head.seq
            ),
        });
    }
    Ok(())
}

/// Records of either table without a place in the chain.
fn unchained_problems(conn: &mut DbConnection, found: &mut Found) -> Result<(), StoreError> {
    for (table, (count, first)) in [
        (chain::Table::AccessRecords, super::audit::unchained(conn)?),
        (
            chain::Table::ProvisionRecords,
            super::provisions::unchained(conn)?,
        ),
    ] {
        if count > 0 {
            found.push(Problem {
                kind: ProblemKind::Unchained,
                seq: None,
                table: Some(table),
                record_id: first,
                checkpoint_id: None,
                reason: format!(
                    "{count} record(s) of {} have no place in the chain (added behind the \
                     exchange's back); the first is named here",
                    table.name()
                ),
            });
        }
    }
    Ok(())
}
