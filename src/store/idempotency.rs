//! Idempotency keys: the first response to a POST carrying `Idempotency-Key`, kept so that a
//! retry — to this server or to another instance on the same database — gets that response
//! instead of a second write. The key is claimed by inserting its row before the request runs
//! (the primary key decides between concurrent claims), and the response is stored after.
use super::schema::idempotency_keys;
use super::{DbConnection, StoreError};
use crate::time::now;
use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// How long a key and its response are kept.
pub const RETENTION: TimeDelta = TimeDelta::hours(24);

#[derive(Insertable)]
#[diesel(table_name = idempotency_keys)]
struct Claim<'a> {
    organization_id: &'a str,
    key: &'a str,
    fingerprint: &'a str,
    created_at: NaiveDateTime,
}

/// A response as stored: status, the headers worth replaying, the body.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Debug, PartialEq)]
pub enum Begin {
    /// The key is new: the request runs, and its response is stored with `complete`.
    Claimed,
    /// The key was used before for this same request: here is the response it got.
    Replay(StoredResponse),
    /// The first request with this key has not been answered yet.
    InProgress,
    /// The key was used before for a different request.
    Mismatch,
}

type Row = (
    String,
    Option<i32>,
    Option<String>,
    Option<Vec<u8>>,
    NaiveDateTime,
);

/// Claims `key` for a request with this fingerprint, or tells what became of an earlier claim.
pub fn begin(
    conn: &mut DbConnection,
    organization_id: &str,
    key: &str,
    fingerprint: &str,
) -> Result<Begin, StoreError> {
    let at = now();
    for _ in 0..2 {
        let claim = Claim {
            organization_id,
            key,
            fingerprint,
            created_at: at,
        };
        // In a savepoint of its own: on PostgreSQL a failed statement would otherwise abort
        // the surrounding transaction, and the look-up below with it.
        match conn.transaction(|conn| {
            diesel::insert_into(idempotency_keys::table)
                .values(&claim)
                .execute(conn)
        }) {
            Ok(_) => return Ok(Begin::Claimed),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {}
            Err(e) => return Err(e.into()),
        }
        let found: Option<Row> = idempotency_keys::table
            .find((organization_id, key))
            .select((
                idempotency_keys::fingerprint,
                idempotency_keys::status,
                idempotency_keys::headers,
                idempotency_keys::body,
                idempotency_keys::created_at,
            ))
            .first(conn)
            .optional()?;
        let Some((stored_fingerprint, status, headers, body, created_at)) = found else {
            continue; // released in between: claim again
        };
        if at - created_at > RETENTION {
            // Expired: forget it and claim the key anew.
            release(conn, organization_id, key)?;
            continue;
        }
        if stored_fingerprint != fingerprint {
            return Ok(Begin::Mismatch);
        }
        let Some(status) = status else {
            return Ok(Begin::InProgress);
        };
        let headers = headers
            .and_then(|h| serde_json::from_str(&h).ok())
            .unwrap_or_default();
        return Ok(Begin::Replay(StoredResponse {
            status: status as u16,
            headers,
            body: body.unwrap_or_default(),
        }));
    }
    Ok(Begin::InProgress)
}

/// Stores the response to a claimed key.
pub fn complete(
    conn: &mut DbConnection,
    organization_id: &str,
    key: &str,
    response: &StoredResponse,
) -> Result<(), StoreError> {
    let headers = serde_json::to_string(&response.headers).unwrap_or_else(|_| "[]".into());
    diesel::update(idempotency_keys::table.find((organization_id, key)))
        .set((
            idempotency_keys::status.eq(Some(i32::from(response.status))),
            idempotency_keys::headers.eq(Some(headers)),
            idempotency_keys::body.eq(Some(&response.body)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Gives a claimed key up (the request failed on the server's side, so a retry may run it).
pub fn release(
    conn: &mut DbConnection,
    organization_id: &str,
    key: &str,
) -> Result<(), StoreError> {
    diesel::delete(idempotency_keys::table.find((organization_id, key))).execute(conn)?;
    Ok(())
}

/// Deletes keys older than the retention period; returns how many.
pub fn purge_expired(conn: &mut DbConnection) -> Result<usize, StoreError> {
    let cutoff = now() - RETENTION;
    Ok(diesel::delete(idempotency_keys::table)
        .filter(idempotency_keys::created_at.lt(cutoff))
        .execute(conn)?)
}
