//! The record chain: every access record and every provision record in one hash chain, so that
//! a record removed, changed, moved or slipped in behind the exchange's back shows, and signed
//! checkpoints (`checkpoints.rs`) pin how far the chain reached when.
//!
//! **One chain over both tables**, not one per table: a handoff writes a provision record and an
//! access record in one transaction, and two chains would be two locks taken in whatever order
//! the code happens to write — two such transactions on PostgreSQL could each hold one and wait
//! for the other. One chain is one lock, one order of everything done with personal data (a
//! record cannot be moved from one table to the other or to another moment unnoticed), and one
//! signature per checkpoint.
//!
//! **The definition** (the same on SQLite and PostgreSQL; `kyoten audit verify` recomputes it):
//! - every record has a place `chain_seq` = 1, 2, 3, … across both tables, without gaps;
//! - its canonical bytes are the JCS (RFC 8785) form of a JSON object with every column of the
//!   row except `chain_seq` and `chain_hash`, under the column's name, as a string — the time
//!   `at` written `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, always six digits) — plus `"table"`
//!   (`"access_records"` or `"provision_records"`) and `"seq"` (its place, a number);
//! - `chain_hash` = lower-case hex of SHA-256(the previous record's chain hash as 32 bytes ‖ the
//!   canonical bytes); before the first record stand 32 zero bytes.
//!
//! **Appending** on PostgreSQL inserts the records *pending* and holds nothing; the sealer
//! (`seal.rs`) gives them their places moments after their commit, one short transaction at a
//! time that holds the one row of `chain_head` (other sealers, on any instance, wait for it), so
//! the chain stays one line however many writers there are, and a rolled-back write leaves
//! nothing to seal. On SQLite a record takes the next place from `chain_head` with an UPDATE
//! before its transaction commits (this process's writes come one at a time through the writer
//! thread, which holds the database's write lock anyway); because the head stays locked until
//! commit, a transaction appends records as its last writes.
//!
//! **In a batch of the SQLite writer** (`writer.rs`) the head is read once when the batch
//! starts and written once before it commits ([`Batch`]): the writer already holds the
//! database's write lock for the whole batch, so no one else can append meanwhile, and two
//! statements per record become two per batch. A write of the batch that is rolled back gives
//! its places back ([`Batch::mark`], [`Batch::restore`]); before the head is written the batch
//! checks that the records it appended are all there, in a line, ending in the head's hash, and
//! refuses to commit otherwise.
use super::schema::chain_head;
use super::{DbConnection, StoreError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::cell::RefCell;

/// The hash before the first record.
pub const GENESIS: [u8; 32] = [0; 32];
/// The id of the one row of `chain_head`.
const HEAD: i32 = 1;
/// Places read per query when walking the chain.
pub const PAGE: i64 = 5_000;

/// The chained tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Table {
    #[serde(rename = "access_records")]
    AccessRecords,
    #[serde(rename = "provision_records")]
    ProvisionRecords,
}

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Table::AccessRecords => "access_records",
            Table::ProvisionRecords => "provision_records",
        }
    }
}

/// A time as the canonical bytes write it: UTC, microseconds, `Z`.
pub fn canonical_time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The chain hash of a record: SHA-256 of the previous hash and the record's canonical bytes.
pub fn link(previous: &[u8; 32], canonical: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    hasher.update(canonical);
    hasher.finalize().into()
}

/// A stored chain hash as bytes; `None` if it is not 64 hex digits.
pub fn parse_hash(hex_text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_text, &mut out).ok()?;
    Some(out)
}

/// A row of a chained table.
pub trait Record {
    const TABLE: Table;
    fn id(&self) -> &str;
    /// When the record was written (the sealer takes pending records in this order).
    fn at(&self) -> NaiveDateTime;
    /// The row's canonical bytes at place `seq`.
    fn canonical(&self, seq: i64) -> Vec<u8>;
    /// Inserts the row with its place and chain hash, or pending (no place, hash [`PENDING`]).
    fn insert(&self, conn: &mut DbConnection, seq: Option<i64>, hash: &str) -> QueryResult<()>;
    /// Inserts rows with their places and chain hashes (or pending), in order.
    fn insert_all(conn: &mut DbConnection, rows: &[(&Self, Option<i64>, String)]) -> QueryResult<()>
    where
        Self: Sized,
    {
        rows.iter()
            .try_for_each(|(row, seq, hash)| row.insert(conn, *seq, hash))
    }
}

fn not_ready() -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(
        "the record chain has records waiting for their hashes (they are computed when the \
         store opens)"
            .into(),
    )
}

/// Appends a record to its table and to the chain, in the caller's transaction; call it after
/// the transaction's other writes (see the module notes).
pub fn append<R: Record>(conn: &mut DbConnection, record: &R) -> QueryResult<()> {
    match Batch::append(conn, record) {
        Some(appended) => appended,
        None => append_all(conn, std::slice::from_ref(record)),
    }
}

/// Appends records of one table in order, in the caller's transaction: on PostgreSQL pending,
/// for the sealer (`seal.rs`); on SQLite with one read and one write of the head however many
/// they are (a search that shows twenty people records twenty reads in one step).
pub fn append_all<R: Record>(conn: &mut DbConnection, records: &[R]) -> QueryResult<()> {
    let (Some(last), Ok(count)) = (records.last(), i64::try_from(records.len())) else {
        return Ok(());
    };
    if matches!(conn, DbConnection::Postgresql(_)) {
        let rows: Vec<_> = records
            .iter()
            .map(|r| (r, None, PENDING.to_owned()))
            .collect();
        return R::insert_all(conn, &rows);
    }
    if BATCH.with(|b| b.borrow().is_some()) {
        // The SQLite writer's batch holds the head in memory: each append is already cheap.
        return records.iter().try_for_each(|r| append(conn, r));
    }
    let (end, previous): (i64, Option<String>) = diesel::update(chain_head::table.find(HEAD))
        .set(chain_head::seq.eq(chain_head::seq + count))
        .returning((chain_head::seq, chain_head::chain_hash))
        .get_result(conn)?;
    let mut previous = previous
        .as_deref()
        .and_then(parse_hash)
        .ok_or_else(not_ready)?;
    let mut rows = Vec::with_capacity(records.len());
    for (seq, record) in (end - count + 1..).zip(records) {
        previous = link(&previous, &record.canonical(seq));
        rows.push((record, Some(seq), hex::encode(previous)));
    }
    R::insert_all(conn, &rows)?;
    let (hash, id) = (hex::encode(previous), last.id());
    let head = diesel::update(chain_head::table.find(HEAD));
    match R::TABLE {
        Table::AccessRecords => head
            .set((
                chain_head::chain_hash.eq(&hash),
                chain_head::last_id.eq(id),
                chain_head::access_count.eq(chain_head::access_count + count),
                chain_head::access_last_id.eq(id),
            ))
            .execute(conn)?,
        Table::ProvisionRecords => head
            .set((
                chain_head::chain_hash.eq(&hash),
                chain_head::last_id.eq(id),
                chain_head::provision_count.eq(chain_head::provision_count + count),
                chain_head::provision_last_id.eq(id),
            ))
            .execute(conn)?,
    };
    Ok(())
}

thread_local! {
    /// The head as the batch running on this thread holds it (only the SQLite writer's thread
    /// ever has one; everywhere else appends go to the head row).
    static BATCH: RefCell<Option<Held>> = const { RefCell::new(None) };
}

/// The head held by a batch: where it stood when the batch began, and where it stands now.
#[derive(Debug, Clone)]
struct Held {
    start: i64,
    head: Head,
    hash: [u8; 32],
}

/// The head held in memory for one batch of the SQLite writer, which holds the database's
/// write lock from before [`Batch::open`] until after [`Batch::close`]. Dropping it without
/// closing (a batch that fails) forgets the head; the next batch reads it again.
pub struct Batch(());

/// Where a batch's head stood before one write of it ([`Batch::mark`]).
pub struct Mark(Option<Held>);

impl Batch {
    /// Reads the head for a batch; call it after the batch has taken the write lock. While
    /// records wait for their hashes nothing is held, and appends are refused as without it.
    pub fn open(conn: &mut DbConnection) -> QueryResult<Batch> {
        let head = head(conn)?;
        let held = head
            .chain_hash
            .as_deref()
            .and_then(parse_hash)
            .map(|hash| Held {
                start: head.seq,
                head,
                hash,
            });
        BATCH.with(|b| *b.borrow_mut() = held);
        Ok(Batch(()))
    }

    /// Where the head stands before one write of the batch.
    pub fn mark(&self) -> Mark {
        Mark(BATCH.with(|b| b.borrow().clone()))
    }

    /// Puts the head back where it stood at `mark`: the write was rolled back.
    pub fn restore(&self, mark: Mark) {
        BATCH.with(|b| *b.borrow_mut() = mark.0);
    }

    /// Appends in the held head; `None` when no batch runs on this thread.
    fn append<R: Record>(conn: &mut DbConnection, record: &R) -> Option<QueryResult<()>> {
        let (seq, previous) =
            BATCH.with(|b| b.borrow().as_ref().map(|h| (h.head.seq + 1, h.hash)))?;
        let next = link(&previous, &record.canonical(seq));
        let hash = hex::encode(next);
        if let Err(e) = record.insert(conn, Some(seq), &hash) {
            return Some(Err(e));
        }
        let id = Some(record.id().to_owned());
        BATCH.with(|b| {
            if let Some(held) = b.borrow_mut().as_mut() {
                let head = &mut held.head;
                head.seq = seq;
                head.chain_hash = Some(hash);
                head.last_id = id.clone();
                match R::TABLE {
                    Table::AccessRecords => {
                        head.access_count += 1;
                        head.access_last_id = id;
                    }
                    Table::ProvisionRecords => {
                        head.provision_count += 1;
                        head.provision_last_id = id;
                    }
                }
                held.hash = next;
            }
        });
        Some(Ok(()))
    }

    /// Checks that the batch's records are all in place and writes the head, before the batch
    /// commits. A write that kept records although it was rolled back (a savepoint of its own
    /// undone while the write went on) would leave a gap or a stray place: the batch is then
    /// refused as a whole rather than committed with a broken chain.
    pub fn close(self, conn: &mut DbConnection) -> QueryResult<()> {
        let Some(held) = BATCH.with(|b| b.borrow_mut().take()) else {
            return Ok(());
        };
        if held.head.seq == held.start {
            return Ok(());
        }
        let present = super::audit::places_after(conn, held.start)?
            + super::provisions::places_after(conn, held.start)?;
        let last = rows(conn, held.head.seq - 1, held.head.seq)?;
        let in_line = present == held.head.seq - held.start
            && matches!(last.as_slice(), [row] if row.hash == held.head.chain_hash);
        if !in_line {
            return Err(diesel::result::Error::QueryBuilderError(
                "a batch's records are not in line with the chain's head; nothing of it is kept"
                    .into(),
            ));
        }
        write_head(conn, held.head)
    }
}

/// Writes the whole head row (the caller holds it).
fn write_head(conn: &mut DbConnection, h: Head) -> QueryResult<()> {
    diesel::update(chain_head::table.find(HEAD))
        .set((
            chain_head::seq.eq(h.seq),
            chain_head::chain_hash.eq(h.chain_hash),
            chain_head::last_id.eq(h.last_id),
            chain_head::access_count.eq(h.access_count),
            chain_head::access_last_id.eq(h.access_last_id),
            chain_head::provision_count.eq(h.provision_count),
            chain_head::provision_last_id.eq(h.provision_last_id),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Takes the head row for the rest of the caller's transaction (other writers of the head wait
/// until it ends, on any instance) and reads it.
fn hold_head(conn: &mut DbConnection) -> QueryResult<Head> {
    diesel::update(chain_head::table.find(HEAD))
        .set(chain_head::seq.eq(chain_head::seq))
        .execute(conn)?;
    head(conn)
}

impl Drop for Batch {
    fn drop(&mut self) {
        BATCH.with(|b| b.borrow_mut().take());
    }
}

/// The queries the chain makes of a chained table (`chain_seq`, `chain_hash`, `id`, `at`
/// columns), written once for both tables: `chain_queries!(access_records, AccessRecord)`.
macro_rules! chain_queries {
    ($table:ident, $Record:ty) => {
        /// The records at places `after + 1 ..= until`.
        pub fn chain_rows(
            conn: &mut $crate::store::DbConnection,
            after: i64,
            until: i64,
        ) -> diesel::QueryResult<Vec<$crate::store::chain::ChainRow>> {
            use diesel::prelude::*;
            let rows: Vec<($Record, Option<i64>, Option<String>)> = $table::table
                .filter($table::chain_seq.gt(after))
                .filter($table::chain_seq.le(until))
                .order($table::chain_seq)
                .select((
                    <$Record>::as_select(),
                    $table::chain_seq,
                    $table::chain_hash,
                ))
                .load(conn)?;
            Ok(rows
                .into_iter()
                .filter_map(|(r, seq, hash)| {
                    Some($crate::store::chain::ChainRow::of(&r, seq?, hash))
                })
                .collect())
        }

        /// How many records have a place after `seq`.
        pub fn places_after(
            conn: &mut $crate::store::DbConnection,
            seq: i64,
        ) -> diesel::QueryResult<i64> {
            use diesel::prelude::*;
            $table::table
                .filter($table::chain_seq.gt(seq))
                .count()
                .get_result(conn)
        }

        /// The highest place a record claims.
        pub fn last_place(
            conn: &mut $crate::store::DbConnection,
        ) -> diesel::QueryResult<Option<i64>> {
            use diesel::prelude::*;
            $table::table
                .select(diesel::dsl::max($table::chain_seq))
                .first(conn)
        }

        /// How many records have no place in the chain and are not pending (not written by
        /// the exchange), and the first of them.
        pub fn unchained(
            conn: &mut $crate::store::DbConnection,
        ) -> diesel::QueryResult<(i64, Option<String>)> {
            use diesel::prelude::*;
            let stray = || {
                $table::table.filter($table::chain_seq.is_null()).filter(
                    $table::chain_hash
                        .is_null()
                        .or($table::chain_hash.ne($crate::store::chain::PENDING)),
                )
            };
            let count = stray().count().get_result(conn)?;
            let first = stray()
                .order(($table::at, $table::id))
                .select($table::id)
                .first(conn)
                .optional()?;
            Ok((count, first))
        }

        /// How many records wait for the sealer.
        pub fn unsealed(conn: &mut $crate::store::DbConnection) -> diesel::QueryResult<i64> {
            use diesel::prelude::*;
            $table::table
                .filter($table::chain_seq.is_null())
                .filter($table::chain_hash.eq($crate::store::chain::PENDING))
                .count()
                .get_result(conn)
        }

        /// The oldest `limit` records waiting for the sealer.
        pub(in $crate::store) fn pending(
            conn: &mut $crate::store::DbConnection,
            limit: i64,
        ) -> diesel::QueryResult<Vec<$Record>> {
            use diesel::prelude::*;
            $table::table
                .filter($table::chain_seq.is_null())
                .filter($table::chain_hash.eq($crate::store::chain::PENDING))
                .order(($table::at, $table::id))
                .limit(limit)
                .select(<$Record>::as_select())
                .load(conn)
        }

        /// Gives pending records their places and hashes (`(id, place, hash)`); refused unless
        /// every one of them was still pending.
        pub(in $crate::store) fn seal_places(
            conn: &mut $crate::store::DbConnection,
            places: &[(String, i64, String)],
        ) -> diesel::QueryResult<()> {
            $crate::store::chain::seal_rows(conn, stringify!($table), places)
        }

        /// Fills in the hash of a record written before the chain existed (the one change the
        /// database lets through, once).
        pub(in $crate::store) fn set_backfilled_hash(
            conn: &mut $crate::store::DbConnection,
            id: &str,
            hash: &str,
        ) -> diesel::QueryResult<()> {
            use diesel::prelude::*;
            diesel::update($table::table.find(id))
                .set($table::chain_hash.eq(hash))
                .execute(conn)
                .map(|_| ())
        }
    };
}
pub(crate) use chain_queries;

/// The end of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = chain_head)]
pub struct Head {
    pub seq: i64,
    /// `None` only while records written before the chain existed wait for their hashes.
    pub chain_hash: Option<String>,
    pub last_id: Option<String>,
    pub access_count: i64,
    pub access_last_id: Option<String>,
    pub provision_count: i64,
    pub provision_last_id: Option<String>,
}

pub fn head(conn: &mut DbConnection) -> QueryResult<Head> {
    chain_head::table
        .find(HEAD)
        .select(Head::as_select())
        .first(conn)
}

/// A record as it sits in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainRow {
    pub table: Table,
    pub seq: i64,
    pub id: String,
    /// Its canonical bytes at `seq`.
    pub canonical: Vec<u8>,
    pub hash: Option<String>,
}

impl ChainRow {
    pub fn of<R: Record>(record: &R, seq: i64, hash: Option<String>) -> ChainRow {
        ChainRow {
            table: R::TABLE,
            seq,
            id: record.id().to_owned(),
            canonical: record.canonical(seq),
            hash,
        }
    }
}

/// The records at places `after + 1 ..= until` of both tables, in place order.
pub fn rows(conn: &mut DbConnection, after: i64, until: i64) -> QueryResult<Vec<ChainRow>> {
    let mut rows = super::audit::chain_rows(conn, after, until)?;
    rows.extend(super::provisions::chain_rows(conn, after, until)?);
    rows.sort_by_key(|r| (r.seq, r.table));
    Ok(rows)
}

/// The highest place any record claims (0 when there is none).
pub fn last_place(conn: &mut DbConnection) -> QueryResult<i64> {
    Ok(super::audit::last_place(conn)?
        .unwrap_or(0)
        .max(super::provisions::last_place(conn)?.unwrap_or(0)))
}

/// Hashes the records the migration gave places (those written before the chain existed), once,
/// at the first start after it; returns how many. Rows without a place are never taken in.
pub fn backfill(conn: &mut DbConnection) -> Result<usize, StoreError> {
    if head(conn)?.chain_hash.is_some() {
        return Ok(0);
    }
    conn.transaction(|conn| {
        // Hold the head, then look again: another instance may have done it meanwhile.
        let head = hold_head(conn)?;
        if head.chain_hash.is_some() {
            return Ok(0);
        }
        let rows = rows(conn, 0, head.seq)?;
        let mut previous = GENESIS;
        let (mut last, mut access_last, mut provision_last) = (None, None, None);
        for row in &rows {
            previous = link(&previous, &row.canonical);
            let hash = hex::encode(previous);
            match row.table {
                Table::AccessRecords => {
                    super::audit::set_backfilled_hash(conn, &row.id, &hash)?;
                    access_last = Some(row.id.clone());
                }
                Table::ProvisionRecords => {
                    super::provisions::set_backfilled_hash(conn, &row.id, &hash)?;
                    provision_last = Some(row.id.clone());
                }
            }
            last = Some(row.id.clone());
        }
        diesel::update(chain_head::table.find(HEAD))
            .set((
                chain_head::chain_hash.eq(hex::encode(previous)),
                chain_head::last_id.eq(last),
                chain_head::access_last_id.eq(access_last),
                chain_head::provision_last_id.eq(provision_last),
            ))
            .execute(conn)?;
        if !rows.is_empty() {
            tracing::info!(
                records = rows.len(),
                "records written before the chain existed are now chained"
            );
        }
        Ok(rows.len())
    })
}

/// Runs `f` in one read-only snapshot of the database, so that the head, the records and the
/// checkpoints it reads belong together while writers go on.
pub fn in_snapshot<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.transaction(|conn| {
        if matches!(conn, DbConnection::Postgresql(_)) {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(conn)?;
        }
        f(conn)
    })
}

mod seal;
mod walk;
pub use seal::*;
pub use walk::*;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 30)
            .and_then(|d| d.and_hms_micro_opt(12, 34, 56, 120_000))
            .expect("a valid time")
    }

    #[test]
    fn times_are_written_in_utc_with_six_digits_whatever_their_precision() {
        assert_eq!(canonical_time(at()), "2026-11-30T12:34:56.120000Z");
        let whole = NaiveDate::from_ymd_opt(2026, 1, 2)
            .and_then(|d| d.and_hms_opt(3, 4, 5))
            .expect("a valid time");
        assert_eq!(canonical_time(whole), "2026-01-02T03:04:05.000000Z");
    }

    #[test]
    fn a_link_is_sha256_of_the_previous_hash_and_the_canonical_bytes() {
        // Known answer (Python: hashlib.sha256(bytes(32) + b"{}").hexdigest()).
        assert_eq!(
            hex::encode(link(&GENESIS, b"{}")),
            "fb1634c4e6cd4b1f1afe3ce2d6ef080f7ac5d1f357d723ad4dfca782733b62db"
        );
        assert_eq!(parse_hash(&hex::encode([7u8; 32])), Some([7u8; 32]));
        assert_eq!(parse_hash("not hex"), None);
    }

    fn row(seq: i64, previous: &[u8; 32], text: &str) -> ChainRow {
        ChainRow {
            table: Table::AccessRecords,
            seq,
            id: format!("acc_{seq}"),
            canonical: text.as_bytes().to_vec(),
            hash: Some(hex::encode(link(previous, text.as_bytes()))),
        }
    }

    fn chain(n: i64) -> Vec<ChainRow> {
        let mut previous = GENESIS;
        (1..=n)
            .map(|seq| {
                let r = row(seq, &previous, &format!("{{\"n\":{seq}}}"));
                previous = parse_hash(r.hash.as_deref().unwrap_or_default()).unwrap_or(GENESIS);
                r
            })
            .collect()
    }

    fn problems(rows: &[ChainRow]) -> Vec<Problem> {
        let mut walker = Walker::new();
        rows.iter().filter_map(|r| walker.step(r)).collect()
    }

    #[test]
    fn an_intact_chain_walks_without_problems() {
        assert!(problems(&chain(5)).is_empty());
    }

    #[test]
    fn a_changed_record_is_named_alone() {
        let mut rows = chain(5);
        rows[2].canonical = b"{\"n\":33}".to_vec();
        let found = problems(&rows);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind, ProblemKind::Changed);
        assert_eq!(found[0].record_id.as_deref(), Some("acc_3"));
    }

    #[test]
    fn a_removed_record_shows_as_a_gap_before_the_next() {
        let mut rows = chain(5);
        rows.remove(1);
        let found = problems(&rows);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind, ProblemKind::Missing);
        assert_eq!(found[0].seq, Some(2));
        assert_eq!(found[0].record_id.as_deref(), Some("acc_3"));
    }

    #[test]
    fn two_records_on_one_place_are_found() {
        let mut rows = chain(3);
        let mut twin = rows[1].clone();
        twin.table = Table::ProvisionRecords;
        twin.id = "prv_twin".into();
        rows.insert(2, twin);
        let found = problems(&rows);
        assert_eq!(found[0].kind, ProblemKind::Duplicate);
        assert_eq!(found[0].record_id.as_deref(), Some("prv_twin"));
    }
}
