//! Provision records (提供記録, APPI 第29条/第30条): for every packet provided and
//! every packet received, who gave what to whom, on which basis, with the SHA-256 of the exact
//! bytes and the key that signed them. Written in the transaction of the event they record, as
//! links of the record chain (`chain.rs`); never updated or deleted (triggers refuse it in the
//! database too).
use super::chain::{self, canonical_time, Table};
use super::schema::provision_records;
use super::{DbConnection, Page, PageRequest};
use crate::contracts::text_enum::text_enum;
use crate::domain::ids::{time_ordered_id, CaseId, HandoffId, KeyId, OrganizationId};
use crate::packet::Form;
use crate::time::now;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = provision_records)]
pub struct ProvisionRecord {
    pub id: String,
    pub at: NaiveDateTime,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub kind: ProvisionKind,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub handoff_id: HandoffId,
    /// The person: the registration (`reg_…`) or the emergency intake (`int_…`) the packet
    /// was built from. The column keeps its first name, `registration_id`.
    #[diesel(column_name = registration_id)]
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub case_id: CaseId,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub sender_id: OrganizationId,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub recipient_id: OrganizationId,
    pub purpose: String,
    /// Data categories disclosed, comma-separated.
    pub categories: String,
    pub legal_basis: String,
    /// The packet's `consent_ref`, as JSON.
    pub consent_ref: String,
    /// The form whose exact bytes `sha256` covers.
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub form: Form,
    pub sha256: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub kid: KeyId,
}

text_enum! {
    /// What a provision record records.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
    #[serde(rename_all = "lowercase")]
    pub enum ProvisionKind {
        /// The sender gave the packet to the exchange for the recipient.
        Provided = "provided",
        /// The recipient took delivery of it.
        Received = "received",
    }
}

impl ProvisionRecord {
    /// A record of `kind` made now, for the exact bytes of one signed form of a packet.
    pub fn of(
        kind: ProvisionKind,
        handoff: &super::handoffs::Handoff,
        packet: &super::handoffs::Packet,
    ) -> ProvisionRecord {
        ProvisionRecord {
            id: time_ordered_id("prv_", 6),
            at: now(),
            kind,
            handoff_id: handoff.id.clone(),
            case_id: handoff.case().id().into(),
            sender_id: handoff.sender_id.clone(),
            recipient_id: handoff.recipient_id.clone(),
            purpose: handoff.purpose.clone(),
            categories: handoff.categories.clone(),
            legal_basis: handoff.legal_basis.clone(),
            consent_ref: handoff.consent_ref(),
            form: packet.form,
            sha256: crate::crypto::jcs::sha256_bytes_hex(packet.bytes.as_bytes()),
            kid: packet.kid.clone(),
        }
    }
}

/// Appends a record to the table and the chain, in the caller's transaction.
pub fn record(conn: &mut DbConnection, record: &ProvisionRecord) -> QueryResult<()> {
    chain::append(conn, record)
}

impl chain::Record for ProvisionRecord {
    const TABLE: Table = Table::ProvisionRecords;

    fn id(&self) -> &str {
        &self.id
    }

    fn at(&self) -> NaiveDateTime {
        self.at
    }

    fn canonical(&self, seq: i64) -> Vec<u8> {
        crate::crypto::jcs::canonical(&json!({
            "table": Table::ProvisionRecords.name(),
            "seq": seq,
            "id": self.id,
            "at": canonical_time(self.at),
            "kind": self.kind,
            "handoff_id": self.handoff_id,
            "registration_id": self.case_id,
            "sender_id": self.sender_id,
            "recipient_id": self.recipient_id,
            "purpose": self.purpose,
            "categories": self.categories,
            "legal_basis": self.legal_basis,
            "consent_ref": self.consent_ref,
            "form": self.form,
            "sha256": self.sha256,
            "kid": self.kid,
        }))
    }

    fn insert(&self, conn: &mut DbConnection, seq: Option<i64>, hash: &str) -> QueryResult<()> {
        diesel::insert_into(provision_records::table)
            .values((
                self.clone(),
                provision_records::chain_seq.eq(seq),
                provision_records::chain_hash.eq(hash),
            ))
            .execute(conn)
            .map(|_| ())
    }
}

chain::chain_queries!(provision_records, ProvisionRecord);

/// Conditions of a provision-record query.
#[derive(Debug, Clone, Default)]
pub struct ProvisionFilter {
    /// The person: a registration id or an emergency intake id. A registration's records
    /// include those of the emergency intake it was made from.
    pub case_id: Option<String>,
    pub handoff_id: Option<String>,
    pub since: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
    /// Only the records about people of these municipalities (the caller's municipal scope).
    pub scope: crate::domain::scope::Scope,
}

/// A page of the records matching the filter, oldest first. `None` when the page continues
/// after a record that does not exist.
pub fn search(
    conn: &mut DbConnection,
    filter: &ProvisionFilter,
    page: &PageRequest,
) -> QueryResult<Option<Page<ProvisionRecord>>> {
    let Some(mut q) =
        super::paging::page_in_time_order!(conn, provision_records, ProvisionRecord, at, page)
    else {
        return Ok(None);
    };
    if let Some(r) = &filter.case_id {
        let mut ids = vec![r.clone()];
        ids.extend(super::intakes::linked_to(conn, r)?);
        q = q.filter(provision_records::registration_id.eq_any(ids));
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
    if let Some((whole, wards)) = filter.scope.for_query() {
        q = q.filter(super::scoping::person_within!(
            provision_records::registration_id,
            &whole,
            &wards
        ));
    }
    let rows = q.load(conn)?;
    Ok(Some(Page::cut(rows, page, |r| r.id.clone())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chain::Record;
    use chrono::NaiveDate;

    #[test]
    fn the_canonical_bytes_of_a_provision_record_escape_its_json_and_keep_japanese_as_is() {
        let record = ProvisionRecord {
            id: "prv_kat".into(),
            at: NaiveDate::from_ymd_opt(2026, 11, 30)
                .and_then(|d| d.and_hms_micro_opt(1, 2, 3, 4))
                .expect("a valid time"),
            kind: ProvisionKind::Provided,
            handoff_id: "7b0c4a7e-0000-4000-8000-000000000001".into(),
            case_id: "reg_kat".into(),
            sender_id: "office-kat".into(),
            recipient_id: "0411200015".into(),
            purpose: "emergency_acceptance".into(),
            categories: "identity,contact".into(),
            legal_basis: "consent".into(),
            consent_ref: r#"{"granted_on":"2025-10-15","note":"本人"}"#.into(),
            form: Form::Jws,
            sha256: "ab".repeat(32),
            kid: "kid-kat".into(),
        };
        // Known answers written by Python (json.dumps sorted and compact, ensure_ascii=False;
        // hashlib.sha256(bytes.fromhex("11" * 32) + those bytes)).
        assert_eq!(
            String::from_utf8(record.canonical(7)).expect("UTF-8"),
            r#"{"at":"2026-11-30T01:02:03.000004Z","categories":"identity,contact","consent_ref":"{\"granted_on\":\"2025-10-15\",\"note\":\"本人\"}","form":"jws","handoff_id":"7b0c4a7e-0000-4000-8000-000000000001","id":"prv_kat","kid":"kid-kat","kind":"provided","legal_basis":"consent","purpose":"emergency_acceptance","recipient_id":"0411200015","registration_id":"reg_kat","sender_id":"office-kat","seq":7,"sha256":"abababababababababababababababababababababababababababababababab","table":"provision_records"}"#
        );
        assert_eq!(
            hex::encode(chain::link(&[0x11; 32], &record.canonical(7))),
            "339926dade2f9c38736985beed8cf0637e20c2348428a56e851adbd1fa1df4e1"
        );
    }
}
