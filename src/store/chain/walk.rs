//! Checking the chain: a walk over the records in place order that recomputes every link and
//! counts what it finds (`kyoten audit verify`, and the server's checks before a checkpoint).
use super::*;

/// What is wrong with the chain, found at one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A record's content (or place) no longer gives its stored chain hash.
    Changed,
    /// Places of the chain hold no record: records were removed.
    Missing,
    /// A second record claims a place already taken.
    Duplicate,
    /// A record with no place in the chain: added behind the exchange's back.
    Unchained,
    /// A checkpoint whose signature does not verify against the exchange's keys.
    BadCheckpoint,
    /// The chain no longer holds what a checkpoint signed.
    CheckpointMismatch,
    /// The head row disagrees with the records.
    HeadMismatch,
}

/// One finding; it names record ids, places and checkpoint ids, never a record's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub kind: ProblemKind,
    /// The place in the chain where it shows.
    pub seq: Option<i64>,
    pub table: Option<Table>,
    pub record_id: Option<String>,
    pub checkpoint_id: Option<String>,
    pub reason: String,
}

impl Problem {
    pub fn at_row(kind: ProblemKind, row: &ChainRow, reason: String) -> Problem {
        Problem {
            kind,
            seq: Some(row.seq),
            table: Some(row.table),
            record_id: Some(row.id.clone()),
            checkpoint_id: None,
            reason,
        }
    }
}

/// How many records of each table the chain holds up to a place.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub access_records: i64,
    pub provision_records: i64,
}

impl Counts {
    fn add(&mut self, table: Table) {
        match table {
            Table::AccessRecords => self.access_records += 1,
            Table::ProvisionRecords => self.provision_records += 1,
        }
    }

    pub fn total(&self) -> i64 {
        self.access_records + self.provision_records
    }
}

/// The last record a walk took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Last {
    pub seq: i64,
    pub table: Table,
    pub id: String,
    pub hash: Option<String>,
}

/// Walks the chain record by record (in place order), recomputing each link from the stored
/// hash of the record before it, so one changed record is named alone and the walk goes on.
#[derive(Debug, Clone)]
pub struct Walker {
    next: i64,
    previous: Option<[u8; 32]>,
    pub counts: Counts,
    pub last: Option<Last>,
}

impl Default for Walker {
    fn default() -> Self {
        Walker {
            next: 1,
            previous: Some(GENESIS),
            counts: Counts::default(),
            last: None,
        }
    }
}

impl Walker {
    /// A walk from the start of the chain.
    pub fn new() -> Walker {
        Walker::default()
    }

    /// A walk that goes on after the record at `seq`, whose chain hash and counts are known
    /// (from a checkpoint).
    pub fn resume(seq: i64, id: &str, table: Table, hash: &str, counts: Counts) -> Walker {
        Walker {
            next: seq + 1,
            previous: parse_hash(hash),
            counts,
            last: Some(Last {
                seq,
                table,
                id: id.to_owned(),
                hash: Some(hash.to_owned()),
            }),
        }
    }

    /// The place the walk expects next.
    pub fn next_seq(&self) -> i64 {
        self.next
    }

    /// Takes the next record; the problem it shows, if any.
    pub fn step(&mut self, row: &ChainRow) -> Option<Problem> {
        if row.seq < self.next {
            return Some(Problem::at_row(
                ProblemKind::Duplicate,
                row,
                format!(
                    "a second record claims place {}, which another record holds",
                    row.seq
                ),
            ));
        }
        let problem = if row.seq > self.next {
            let gap = if row.seq - 1 == self.next {
                format!("place {} holds no record", self.next)
            } else {
                format!("places {} to {} hold no record", self.next, row.seq - 1)
            };
            Some(Problem {
                seq: Some(self.next),
                ..Problem::at_row(
                    ProblemKind::Missing,
                    row,
                    format!("{gap}: removed from before this record"),
                )
            })
        } else {
            match (&self.previous, &row.hash) {
                (_, None) => Some(Problem::at_row(
                    ProblemKind::Changed,
                    row,
                    "the record has no chain hash".into(),
                )),
                (Some(previous), Some(stored))
                    if hex::encode(link(previous, &row.canonical)) != *stored =>
                {
                    Some(Problem::at_row(
                        ProblemKind::Changed,
                        row,
                        "the record's content does not give its chain hash: it was changed, or \
                         moved to this place, after it was written"
                            .into(),
                    ))
                }
                _ => None,
            }
        };
        self.previous = row.hash.as_deref().and_then(parse_hash);
        self.next = row.seq + 1;
        self.counts.add(row.table);
        self.last = Some(Last {
            seq: row.seq,
            table: row.table,
            id: row.id.clone(),
            hash: row.hash.clone(),
        });
        problem
    }
}
