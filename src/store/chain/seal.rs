//! Sealing: how records get their places on PostgreSQL.
//!
//! A write that held the chain's head until its commit made every concurrent writer queue on
//! one row for the length of a whole transaction (its other statements, the commit's flush and
//! the round trips between them): about 630 creates a second at 32 connections on 2 cores,
//! whatever the database could do. So on PostgreSQL a write inserts its records *pending* (no
//! place, `chain_hash` = [`PENDING`]) and holds nothing; the sealer, one short transaction at a
//! time, takes the head, gives the oldest pending records the next places and their hashes, and
//! moves the head. Every instance runs one (`store/sealer.rs`), woken by its own commits; they
//! take turns on the head row, so the chain stays one line across instances. This is how
//! transparency logs sequence their entries (a queue, then integration into the tree).
//!
//! What it changes: the chain's definition does not change (places in the order records were
//! sealed, each hash over the previous one and the record's canonical bytes), and neither do
//! verification and checkpoints, which cover sealed records. A record is pending for the moment
//! between its commit and the sealer's next round (milliseconds; a crashed instance's records
//! are sealed by the next sealer of any instance). A row without a place that is *not* marked
//! pending is still a row slipped in behind the exchange's back, reported by `kyoten audit
//! verify`. Someone who can write the database can mark a row pending and have it sealed, as
//! they could always compute a place and a hash themselves: only checkpoints (signed, and kept
//! off the machine) pin what the chain held, then and now.
//!
//! SQLite keeps its writer's way (`Batch`): one writer thread already holds the database's
//! write lock for a whole batch, so places are given before the batch commits and nothing is
//! ever pending there.
use super::*;
use crate::store::audit::AccessRecord;
use crate::store::provisions::ProvisionRecord;

/// The `chain_hash` of a record waiting for its place.
pub const PENDING: &str = "pending";

/// Records of each table taken per round at most.
const ROUND: i64 = 2_000;

/// Gives the oldest pending records their places, in one transaction that holds the head;
/// returns how many it sealed (0 on SQLite, where nothing is pending).
pub fn seal_round(conn: &mut DbConnection) -> QueryResult<usize> {
    if !matches!(conn, DbConnection::Postgresql(_)) {
        return Ok(0);
    }
    conn.transaction(|conn| {
        let mut head = hold_head(conn)?;
        let mut previous = head
            .chain_hash
            .as_deref()
            .and_then(parse_hash)
            .ok_or_else(not_ready)?;
        let access = crate::store::audit::pending(conn, ROUND)?;
        let provision = crate::store::provisions::pending(conn, ROUND)?;
        let mut order: Vec<Pending<'_>> = access
            .iter()
            .map(Pending::Access)
            .chain(provision.iter().map(Pending::Provision))
            .collect();
        if order.is_empty() {
            return Ok(0);
        }
        order.sort_by(|a, b| a.key().cmp(&b.key()));
        let (mut access_places, mut provision_places) = (Vec::new(), Vec::new());
        for record in &order {
            head.seq += 1;
            previous = link(&previous, &record.canonical(head.seq));
            let (id, hash) = (record.id().to_owned(), hex::encode(previous));
            head.chain_hash = Some(hash.clone());
            head.last_id = Some(id.clone());
            match record {
                Pending::Access(_) => {
                    head.access_count += 1;
                    head.access_last_id = Some(id.clone());
                    access_places.push((id, head.seq, hash));
                }
                Pending::Provision(_) => {
                    head.provision_count += 1;
                    head.provision_last_id = Some(id.clone());
                    provision_places.push((id, head.seq, hash));
                }
            }
        }
        crate::store::audit::seal_places(conn, &access_places)?;
        crate::store::provisions::seal_places(conn, &provision_places)?;
        write_head(conn, head)?;
        Ok(order.len())
    })
}

/// Seals until nothing pending is left (of what was committed when each round began).
pub fn seal_all(conn: &mut DbConnection) -> QueryResult<usize> {
    let mut sealed = 0;
    loop {
        let n = seal_round(conn)?;
        sealed += n;
        if n < usize::try_from(ROUND).unwrap_or(usize::MAX) {
            return Ok(sealed);
        }
    }
}

/// How many records wait for the sealer, in both tables.
pub fn unsealed(conn: &mut DbConnection) -> QueryResult<i64> {
    Ok(crate::store::audit::unsealed(conn)? + crate::store::provisions::unsealed(conn)?)
}

/// A pending record of either table.
enum Pending<'a> {
    Access(&'a AccessRecord),
    Provision(&'a ProvisionRecord),
}

impl Pending<'_> {
    /// The sealing order: oldest first, then by table and id (a stable order for records
    /// written in the same microsecond).
    fn key(&self) -> (NaiveDateTime, Table, &str) {
        match self {
            Pending::Access(r) => (r.at(), Table::AccessRecords, r.id()),
            Pending::Provision(r) => (r.at(), Table::ProvisionRecords, r.id()),
        }
    }

    fn id(&self) -> &str {
        self.key().2
    }

    fn canonical(&self, seq: i64) -> Vec<u8> {
        match self {
            Pending::Access(r) => r.canonical(seq),
            Pending::Provision(r) => r.canonical(seq),
        }
    }
}

/// Writes places and hashes into `table` in one statement (`unnest` of three arrays: one round
/// trip however many), only over rows still pending; refused unless every row was.
pub(in crate::store) fn seal_rows(
    conn: &mut DbConnection,
    table: &'static str,
    places: &[(String, i64, String)],
) -> QueryResult<()> {
    use diesel::sql_types::{Array, BigInt, Text};
    if places.is_empty() {
        return Ok(());
    }
    let DbConnection::Postgresql(pg) = conn else {
        return Err(diesel::result::Error::QueryBuilderError(
            "records are never pending on SQLite".into(),
        ));
    };
    let (mut ids, mut seqs, mut hashes) = (Vec::new(), Vec::new(), Vec::new());
    for (id, seq, hash) in places {
        ids.push(id.as_str());
        seqs.push(*seq);
        hashes.push(hash.as_str());
    }
    // `table` is one of the two chained tables' names (a constant of `chain_queries!`).
    let updated = diesel::sql_query(format!(
        "UPDATE {table} AS r SET chain_seq = v.seq, chain_hash = v.hash \
         FROM unnest($1::text[], $2::bigint[], $3::text[]) AS v(id, seq, hash) \
         WHERE r.id = v.id AND r.chain_seq IS NULL AND r.chain_hash = '{PENDING}'"
    ))
    .bind::<Array<Text>, _>(ids)
    .bind::<Array<BigInt>, _>(seqs)
    .bind::<Array<Text>, _>(hashes)
    .execute(pg)?;
    if updated != places.len() {
        return Err(diesel::result::Error::QueryBuilderError(
            format!(
                "{} of {} records of {table} were no longer pending when sealed; nothing of \
                 this round is kept",
                places.len().saturating_sub(updated),
                places.len()
            )
            .into(),
        ));
    }
    Ok(())
}
