//! What the handoff endpoints share: the status view of a handoff and its headers.
use crate::store::categories_of;
use crate::store::handoffs::{Handoff, Response};
use crate::time::now;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// Media type of a compact JWS (RFC 7515 §9.2.1).
pub use crate::packet::JOSE;
/// The header that carries the SHA-256 of the JCS form of the packet's JSON content: the same
/// for the JWS and the XML form of one packet.
pub const CONTENT_SHA256: &str = "Kyoten-Content-SHA256";

/// A party of a handoff.
#[derive(Serialize, ToSchema)]
pub struct PartyView {
    organization_id: String,
}

/// One response to a handoff.
#[derive(Serialize, ToSchema)]
pub struct ResponseView {
    seq: i32,
    status: String,
    responder: String,
    recorded_at: String,
    /// The handoff_response document.
    #[schema(value_type = Object)]
    document: Value,
}

/// A handoff without its personal data: state, parties, basis, and where its signed forms are.
#[derive(Serialize, ToSchema)]
pub struct HandoffView {
    handoff_id: String,
    /// `requested`, `received`, `accepted`, `declined`, `admitted`, `completed`, `cancelled`,
    /// `expired` (derived: not accepted by `expires_at`), or, set by the exchange, `superseded`
    /// (a shared copy replaced by the one re-sent after the registration changed) and `revoked`
    /// (the consent it rested on was withdrawn or no longer permits it).
    status: String,
    /// The packet that replaced this shared copy (`superseded` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    superseded_by: Option<String>,
    /// The registration the packet was built from, and its version (absent for a packet built
    /// from an emergency intake).
    #[serde(skip_serializing_if = "Option::is_none")]
    registration_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    registration_version: Option<i32>,
    /// The emergency intake the packet was built from (a person who never registered).
    #[serde(skip_serializing_if = "Option::is_none")]
    intake_id: Option<String>,
    sender: PartyView,
    recipient: PartyView,
    purpose: String,
    /// `consent`, or `vital_interest` for break-glass.
    legal_basis: String,
    /// A vital-interest packet, flagged for review.
    break_glass: bool,
    disclosed_categories: Vec<String>,
    /// `composed` by the exchange, or submitted signed as `jws` or `xml`.
    origin: String,
    expires_at: String,
    /// SHA-256 of the JCS form of the packet's JSON content.
    content_sha256: String,
    responses: Vec<ResponseView>,
}

use crate::time::utc_text as utc;

pub fn view(h: &Handoff, responses: Vec<Response>) -> HandoffView {
    HandoffView {
        handoff_id: h.id.to_string(),
        status: h.status_at(now()).as_str().into(),
        superseded_by: h.superseded_by.clone(),
        registration_id: h.registration_id.clone(),
        registration_version: h.registration_version,
        intake_id: h.intake_id.clone(),
        sender: PartyView {
            organization_id: h.sender_id.to_string(),
        },
        recipient: PartyView {
            organization_id: h.recipient_id.to_string(),
        },
        purpose: h.purpose.clone(),
        legal_basis: h.legal_basis.clone(),
        break_glass: h.is_break_glass(),
        disclosed_categories: categories_of(&h.categories),
        origin: h.origin.clone(),
        expires_at: utc(h.expires_at),
        content_sha256: h.content_sha256.clone(),
        responses: responses
            .into_iter()
            .map(|r| ResponseView {
                seq: r.seq,
                status: r.status.to_string(),
                responder: r.responder_id.to_string(),
                recorded_at: utc(r.recorded_at),
                document: serde_json::from_str(&r.document).unwrap_or(Value::Null),
            })
            .collect(),
    }
}
