//! What the handoff endpoints share: the status view of a handoff, the signing of both forms
//! with the exchange's key, and storing a new packet.
use super::problem::ApiError;
use crate::contracts::DocumentType;
use crate::crypto::jcs;
use crate::domain::access::{Permission, Relation};
use crate::domain::handoff::Status;
use crate::packet::check::{check, Checked, Lifetime, Org, Purpose, Records, StoredRegistration};
use crate::packet::Refusal;
use crate::packet::{self, Form};
use crate::store::handoffs::{self, Created, Handoff, Packet, Response};
use crate::store::organizations::{now, Organization};
use crate::store::{registrations, Store};
use crate::time::parse_timestamp;
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
    /// `requested`, `received`, `accepted`, `declined`, `admitted`, `completed`, `cancelled`
    /// or `expired` (derived: not accepted by `expires_at`).
    status: String,
    registration_id: String,
    registration_version: i32,
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

fn utc(t: chrono::NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn view(h: &Handoff, responses: Vec<Response>) -> HandoffView {
    HandoffView {
        handoff_id: h.id.clone(),
        status: h.status_at(now()).as_str().into(),
        registration_id: h.registration_id.clone(),
        registration_version: h.registration_version,
        sender: PartyView {
            organization_id: h.sender_id.clone(),
        },
        recipient: PartyView {
            organization_id: h.recipient_id.clone(),
        },
        purpose: h.purpose.clone(),
        legal_basis: h.legal_basis.clone(),
        break_glass: h.is_break_glass(),
        disclosed_categories: split(&h.categories),
        origin: h.origin.clone(),
        expires_at: utc(h.expires_at),
        content_sha256: h.content_sha256.clone(),
        responses: responses
            .into_iter()
            .map(|r| ResponseView {
                seq: r.seq,
                status: r.status,
                responder: r.responder_id,
                recorded_at: utc(r.recorded_at),
                document: serde_json::from_str(&r.document).unwrap_or(Value::Null),
            })
            .collect(),
    }
}

pub fn split(categories: &str) -> Vec<String> {
    categories
        .split(',')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The JSON of a stored registration.
pub fn stored_document(r: &crate::store::registrations::Registration) -> Result<Value, ApiError> {
    serde_json::from_str(&r.document).map_err(|e| {
        ApiError::Internal(anyhow::Error::new(e).context("stored registration unreadable"))
    })
}

/// The exchange's records as a packet check sees them, for one caller: who owns a key, which
/// organizations exist, and the registrations the caller may read — or, for a recipient, the
/// registrations the exchange holds a handoff to it on.
struct CallerRecords<'a> {
    store: &'a Store,
    caller: &'a Organization,
    ring: std::sync::Arc<crate::store::keys::KeyRing>,
}

impl Records for CallerRecords<'_> {
    type Error = ApiError;

    fn key_owner(&self, kid: &str) -> Result<Option<String>, ApiError> {
        Ok(self.ring.owner(kid).map(str::to_owned))
    }

    fn role_of(&self, organization_id: &str) -> Result<Option<String>, ApiError> {
        let mut conn = self.store.conn().map_err(ApiError::contended)?;
        Ok(crate::store::organizations::get(&mut conn, organization_id)
            .map_err(ApiError::contended)?
            .map(|o| o.role))
    }

    fn registration(&self, id: &str) -> Result<Option<StoredRegistration>, ApiError> {
        let mut conn = self.store.conn().map_err(ApiError::contended)?;
        let found = match registrations::for_handoff(&mut conn, self.caller, id)
            .map_err(ApiError::contended)?
        {
            Some(r) => Some(r),
            None if handoffs::addressed_on(&mut conn, &self.caller.id, id)
                .map_err(ApiError::contended)? =>
            {
                registrations::get(&mut conn, id).map_err(ApiError::contended)?
            }
            None => None,
        };
        found
            .map(|r| {
                Ok(StoredRegistration {
                    version: r.version,
                    document: stored_document(&r)?,
                })
            })
            .transpose()
    }

    fn known_absent(&self, id: &str) -> Result<bool, ApiError> {
        let reads_all = self
            .caller
            .may(Permission::ReadRegistrations, Relation::Other)
            .allowed();
        if !reads_all {
            return Ok(false);
        }
        let mut conn = self.store.conn().map_err(ApiError::contended)?;
        Ok(registrations::version(&mut conn, id)
            .map_err(|e| ApiError::contended(e.into()))?
            .is_none())
    }
}

/// Runs the one packet check (`packet::check`) for `caller` against the exchange's records:
/// strictly for a packet the caller submits, as a verifier otherwise.
pub fn check_packet(
    store: &Store,
    caller: &Organization,
    submit: bool,
    lifetime: Lifetime,
    body: &[u8],
) -> Result<Result<Checked, Refusal>, ApiError> {
    let records = CallerRecords {
        store,
        caller,
        ring: store.keyring().map_err(ApiError::contended)?,
    };
    let org = Org {
        id: &caller.id,
        role: &caller.role,
    };
    let purpose = if submit {
        Purpose::Submit { caller: org }
    } else {
        Purpose::Verify { caller: org }
    };
    let keys = |kid: &str| store.keyring_with(kid).ok()?.lookup(kid);
    check(body, keys, &records, purpose, lifetime, chrono::Utc::now())
}

/// A validated handoff packet ready to be stored, with the signed form it came in (if it was
/// submitted signed); the exchange signs the other form(s).
pub struct Ready {
    pub document: Value,
    pub submitted: Option<(Form, String, String)>,
    /// The registration version whose consent was checked.
    pub checked_version: i32,
}

fn timestamp(document: &Value, field: &'static str) -> Result<chrono::NaiveDateTime, ApiError> {
    document[field]
        .as_str()
        .and_then(parse_timestamp)
        .map(|t| t.naive_utc())
        .ok_or(ApiError::InvalidHandoffRequest { field })
}

/// Signs what is not signed yet with the exchange's key and stores the packet.
pub fn store_new(store: &Store, caller: Organization, ready: Ready) -> Result<Created, ApiError> {
    let ring = store.keyring().map_err(ApiError::contended)?;
    let key = ring
        .signing
        .as_ref()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the exchange has no signing key")))?;
    let doc = &ready.document;
    // Canonicalized once: stored, hashed and signed as these bytes.
    let canonical = jcs::canonical(doc);
    // Signing returns its failure as text (`packet`'s signing functions).
    let failed = |what: &str, e: String| ApiError::Internal(anyhow::anyhow!("{what}: {e}"));
    let sign_jws = || {
        packet::sign_jws_canonical(DocumentType::Handoff, &canonical, key)
            .map_err(|e| failed("signing the JWS form", e))
    };
    let sign_xml = || {
        packet::sign_xml(DocumentType::Handoff, doc, key)
            .map_err(|e| failed("signing the XML form", e))
    };
    let (origin, (jws, jws_kid), (xml, xml_kid)) = match &ready.submitted {
        None => (
            "composed",
            (sign_jws()?, key.kid.clone()),
            (sign_xml()?, key.kid.clone()),
        ),
        Some((Form::Jws, bytes, kid)) => (
            "jws",
            (bytes.clone(), kid.clone()),
            (sign_xml()?, key.kid.clone()),
        ),
        Some((Form::Xml, bytes, kid)) => (
            "xml",
            (sign_jws()?, key.kid.clone()),
            (bytes.clone(), kid.clone()),
        ),
    };
    let categories: Vec<&str> = doc["disclosed_categories"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let at = now();
    let id = doc["handoff_id"].as_str().unwrap_or_default().to_owned();
    let packet = |form: &str, bytes: String, kid: String| Packet {
        handoff_id: id.clone(),
        form: form.into(),
        bytes,
        kid,
    };
    let packets = [packet("jws", jws, jws_kid), packet("xml", xml, xml_kid)];
    let row = Handoff {
        id: id.clone(),
        registration_id: doc["registration_ref"]["registration_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        registration_version: doc["registration_ref"]["version"]
            .as_i64()
            .and_then(|v| i32::try_from(v).ok())
            .unwrap_or(1),
        sender_id: caller.id.clone(),
        recipient_id: doc["recipient"]["organization_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        purpose: doc["purpose"].as_str().unwrap_or_default().to_owned(),
        legal_basis: doc["consent_ref"]["legal_basis"]
            .as_str()
            .unwrap_or("consent")
            .to_owned(),
        categories: categories.join(","),
        status: Status::Requested.as_str().into(),
        version: 1,
        content_sha256: jcs::sha256_bytes_hex(&canonical),
        document: String::from_utf8(canonical).unwrap_or_default(),
        origin: origin.into(),
        expires_at: timestamp(doc, "expires_at")?,
        created_at: at,
        updated_at: at,
    };
    let checked = ready.checked_version;
    let new = handoffs::NewHandoff::new(row, packets);
    store
        .write(move |conn| handoffs::create(conn, &caller, new, checked))
        .map_err(ApiError::contended)
}
