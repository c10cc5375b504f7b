//! Provision records (提供記録, APPI 第29条/第30条; SPEC §4): for every packet provided and
//! every packet received, who gave what to whom, on which basis, with the SHA-256 of the exact
//! bytes and the key that signed them. Written in the transaction of the event they record;
//! never updated or deleted (triggers refuse it in the database too).
use super::organizations::{now, time_ordered_id};
use super::schema::provision_records;
use super::DbConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = provision_records)]
pub struct ProvisionRecord {
    pub id: String,
    pub at: NaiveDateTime,
    /// `provided` (the sender gave the packet to the exchange for the recipient) or `received`
    /// (the recipient took delivery of it).
    pub kind: String,
    pub handoff_id: String,
    /// The person: the registration the packet was built from.
    pub registration_id: String,
    pub sender_id: String,
    pub recipient_id: String,
    pub purpose: String,
    /// Data categories disclosed, comma-separated.
    pub categories: String,
    pub legal_basis: String,
    /// The packet's `consent_ref`, as JSON.
    pub consent_ref: String,
    /// `jws` or `xml`.
    pub form: String,
    pub sha256: String,
    pub kid: String,
}

impl ProvisionRecord {
    /// A record of `kind` made now, for the exact bytes of one signed form of a packet.
    pub fn of(
        kind: &str,
        handoff: &super::handoffs::Handoff,
        packet: &super::handoffs::Packet,
    ) -> ProvisionRecord {
        ProvisionRecord {
            id: time_ordered_id("prv_", 6),
            at: now(),
            kind: kind.to_owned(),
            handoff_id: handoff.id.clone(),
            registration_id: handoff.registration_id.clone(),
            sender_id: handoff.sender_id.clone(),
            recipient_id: handoff.recipient_id.clone(),
            purpose: handoff.purpose.clone(),
            categories: handoff.categories.clone(),
            legal_basis: handoff.legal_basis.clone(),
            consent_ref: handoff.consent_ref(),
            form: packet.form.clone(),
            sha256: crate::crypto::jcs::sha256_bytes_hex(packet.bytes.as_bytes()),
            kid: packet.kid.clone(),
        }
    }
}

pub fn record(conn: &mut DbConnection, record: &ProvisionRecord) -> QueryResult<()> {
    diesel::insert_into(provision_records::table)
        .values(record)
        .execute(conn)
        .map(|_| ())
}

/// Conditions of a provision-record query.
#[derive(Debug, Clone, Default)]
pub struct ProvisionFilter {
    pub registration_id: Option<String>,
    pub handoff_id: Option<String>,
    pub since: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
    /// Continue after this record (records come in time order).
    pub after: Option<String>,
    pub limit: i64,
}

/// Records matching the filter, oldest first. `None` when `after` names no record.
pub fn search(
    conn: &mut DbConnection,
    filter: &ProvisionFilter,
) -> QueryResult<Option<Vec<ProvisionRecord>>> {
    let mut q = provision_records::table
        .select(ProvisionRecord::as_select())
        .order((provision_records::at, provision_records::id))
        .limit(filter.limit)
        .into_boxed::<<DbConnection as Connection>::Backend>();
    if let Some(after) = &filter.after {
        let Some(at) = provision_records::table
            .find(after)
            .select(provision_records::at)
            .first::<NaiveDateTime>(conn)
            .optional()?
        else {
            return Ok(None);
        };
        q = q.filter(
            provision_records::at.gt(at).or(provision_records::at
                .eq(at)
                .and(provision_records::id.gt(after.clone()))),
        );
    }
    if let Some(r) = &filter.registration_id {
        q = q.filter(provision_records::registration_id.eq(r.clone()));
    }
    if let Some(h) = &filter.handoff_id {
        q = q.filter(provision_records::handoff_id.eq(h.clone()));
    }
    if let Some(s) = filter.since {
        q = q.filter(provision_records::at.ge(s));
    }
    if let Some(u) = filter.until {
        q = q.filter(provision_records::at.lt(u));
    }
    q.load(conn).map(Some)
}
