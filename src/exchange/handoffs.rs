//! Handoffs (緊急時の受入調整): sending a packet — composed by the exchange from a stored
//! registration, or submitted signed by the sender — delivering it to its recipient, reading
//! its state, and answering it.
use super::handoff_request::{BuiltFrom, Request};
use super::packets::{check_packet, stored_document, Checking};
use crate::contracts::DocumentType;
use crate::crypto::jcs;
use crate::domain::handoff::{self, Case, ComposeError, Composition, Party};
use crate::domain::handoff::{Header, Purpose, Status, Withheld};
use crate::domain::ids::{HandoffId, IntakeId};
use crate::packet::check::{timing, Failure, Lifetime};
use crate::packet::{self, Form};
use crate::problem::ApiError;
use crate::store::handoffs::{self as stored, Created, Delivery, Handoff, Packet, Responded};
use crate::store::handoffs::{HandoffFilter, NewHandoff, Response};
use crate::store::intakes::{self, Linkable};
use crate::store::keys::KeyRing;
use crate::store::organizations::{self, Organization};
use crate::store::{categories_column, parse_stored, registrations, Page, PageRequest, Store};
use crate::time::now;
use crate::time::{jst, parse_timestamp};
use crate::validation::{Engine, Lang};
use chrono::{SecondsFormat, Utc};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// How a packet comes to the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sending {
    /// A `HandoffRequest`: the exchange composes the packet and signs both forms.
    Compose,
    /// A packet the sender signed in this form; the exchange signs the other.
    Signed(Form),
}

/// How often a packet is composed again when its registration changed before it was stored.
const ATTEMPTS: usize = 3;

/// Sends a handoff packet for `caller`: composes or checks it, signs what is not signed yet,
/// and stores it with its provision record. A registration changed between composing and
/// storing (or a database momentarily busy) is composed again; after that the caller is asked
/// to retry (`registration-busy`).
pub fn send(
    store: &Store,
    caller: &Organization,
    lifetime: Lifetime,
    lang: Lang,
    sending: Sending,
    body: &[u8],
) -> Result<Handoff, ApiError> {
    let created = retried(ATTEMPTS, BUSY_RETRY_BUDGET, || {
        let ready = match sending {
            Sending::Compose => compose(lang, store, caller, lifetime, body),
            Sending::Signed(_) => submitted(lang, store, caller, lifetime, body),
        }?;
        store_new(store, caller.clone(), ready)
    })?;
    match created {
        Created::Done(h) => Ok(*h),
        Created::Exists => Err(ApiError::HandoffExists),
        Created::RegistrationChanged => Err(ApiError::RegistrationBusy),
    }
}

/// How long a handoff may have spent before a busy database is no longer tried again: a
/// deadlock or serialization conflict answers at once and is worth another try, while a lock
/// held elsewhere has already been waited for (the store's lock timeout), so waiting for it
/// again would only keep the caller waiting several times as long for the same 503.
const BUSY_RETRY_BUDGET: std::time::Duration = std::time::Duration::from_secs(1);

/// Makes `attempt` up to `attempts` times while the registration changes under it, or while
/// the database is momentarily busy within `busy_budget`; after that the answer is
/// `registration-busy`.
fn retried(
    attempts: usize,
    busy_budget: std::time::Duration,
    mut attempt: impl FnMut() -> Result<Created, ApiError>,
) -> Result<Created, ApiError> {
    let started = std::time::Instant::now();
    for _ in 0..attempts {
        match attempt() {
            Ok(Created::RegistrationChanged) => continue,
            Err(ApiError::RegistrationBusy) if started.elapsed() < busy_budget => continue,
            other => return other,
        }
    }
    Err(ApiError::RegistrationBusy)
}

/// A page of the handoffs `caller` may see — those it sent or received, every one for a
/// coordinating role — oldest first.
pub fn list(
    store: &Store,
    caller: &Organization,
    filter: &HandoffFilter,
    page: &PageRequest,
) -> Result<Page<Handoff>, ApiError> {
    stored::list(&mut *store.conn()?, caller, filter, page)?
        .ok_or(ApiError::InvalidParameter { name: "after" })
}

impl From<ComposeError> for ApiError {
    fn from(e: ComposeError) -> Self {
        match e {
            ComposeError::ConsentWithdrawn => ApiError::ConsentWithdrawn,
            ComposeError::BreakGlassNotAllowed => ApiError::BreakGlassNotAllowed,
            ComposeError::CategoryNotPermitted(category) => {
                ApiError::category_not_permitted(category)
            }
            ComposeError::NothingPermitted => ApiError::NothingPermitted,
            ComposeError::IntakeWithoutConsent => ApiError::IntakeWithoutConsent,
        }
    }
}

/// Validates a packet; an invalid one is refused with its report.
pub(super) fn valid(lang: Lang, document: &Value) -> Result<(), ApiError> {
    let engine = Engine::get();
    let outcome = engine.validate(Some(DocumentType::Handoff), document);
    if engine.is_valid(&outcome) {
        return Ok(());
    }
    let report = engine.render(&outcome, lang, None);
    Err(ApiError::InvalidDocument(Box::new(report)))
}

/// A validated handoff packet ready to be stored, with the signed form it came in (if it was
/// submitted signed); the exchange signs the other form(s).
pub(super) struct Ready {
    pub(super) document: Value,
    submitted: Option<(Form, String, String)>,
    /// The registration version whose consent was checked (`None` for an intake).
    checked_version: Option<i32>,
    /// The categories the sender chose (`None`: every category permitted).
    requested: Option<BTreeSet<String>>,
}

impl Ready {
    /// A packet the exchange composed (and is to sign), from registration version `version`.
    pub(super) fn composed(
        document: Value,
        version: i32,
        requested: Option<BTreeSet<String>>,
    ) -> Ready {
        Ready {
            document,
            submitted: None,
            checked_version: Some(version),
            requested,
        }
    }
}

/// The stored document a packet is built from, and what it is: the registration's current
/// version, or the intake (which must not have become a registration: then the registration
/// is the source).
struct Stored<'a> {
    document: Value,
    case: Case<'a>,
}

impl Stored<'_> {
    /// The registration version whose consent is checked (an intake has none).
    fn version(&self) -> Option<i32> {
        match self.case {
            Case::Registration { version, .. } => Some(version),
            Case::Intake { .. } => None,
        }
    }
}

fn source<'a>(
    store: &Store,
    caller: &Organization,
    from: BuiltFrom<'a>,
) -> Result<Stored<'a>, ApiError> {
    let mut conn = store.conn().map_err(ApiError::contended)?;
    match from {
        BuiltFrom::Registration(id) => {
            let registration = registrations::for_handoff(&mut conn, caller, id)
                .map_err(ApiError::contended)?
                .ok_or(ApiError::NotFound)?;
            Ok(Stored {
                document: stored_document(&registration)?,
                case: Case::Registration {
                    id,
                    version: registration.version,
                },
            })
        }
        BuiltFrom::Intake(id) => {
            match intakes::linkable(&mut conn, caller, &IntakeId::from(id))
                .map_err(ApiError::contended)?
            {
                Linkable::Yes(intake) => Ok(Stored {
                    document: parse_stored(&intake.document)?,
                    case: Case::Intake { id },
                }),
                Linkable::NotFound => Err(ApiError::NotFound),
                Linkable::AlreadyRegistered(_) => {
                    Err(ApiError::IntakeAlreadyRegistered { handoff: true })
                }
            }
        }
    }
}

/// Composes the packet from the stored registration or intake: its `subject` is what is
/// stored ∩ what the consent permits for that recipient and purpose ∩ the purpose's need set.
fn compose(
    lang: Lang,
    store: &Store,
    caller: &Organization,
    lifetime: Lifetime,
    body: &[u8],
) -> Result<Ready, ApiError> {
    let body = super::request_body(body)?;
    let asked = Request::parse(&body)?;
    let issued = Utc::now().with_timezone(&jst());
    let expires_at = match asked.expires_at {
        Some(t) => t.to_owned(),
        None => {
            (issued + asked.purpose.default_lifetime()).to_rfc3339_opts(SecondsFormat::Secs, false)
        }
    };
    let issued_at = issued.to_rfc3339_opts(SecondsFormat::Secs, false);
    let stored = source(store, caller, asked.from)?;
    let recipient = organizations::get(
        &mut *store.conn().map_err(ApiError::contended)?,
        asked.recipient,
    )
    .map_err(ApiError::contended)?
    .ok_or(ApiError::UnknownRecipient)?;
    let handoff_id = handoff::new_id();
    let composition = Composition {
        handoff_id: &handoff_id,
        case: stored.case,
        source: &stored.document,
        sender: Party {
            organization_id: caller.id.as_str(),
            role: caller.role.as_str(),
        },
        recipient: Party {
            organization_id: recipient.id.as_str(),
            role: recipient.role.as_str(),
        },
        purpose: asked.purpose.as_str(),
        situation: match asked.purpose {
            Purpose::EmergencyPreparation => None,
            _ => asked.situation.or(Some(&stored.document["situation"])),
        },
        request: asked.request,
        supersedes: None,
        issued_at: &issued_at,
        expires_at: &expires_at,
        basis: asked.basis,
        only: asked.only.as_ref(),
    };
    let document = handoff::compose(&Engine::get().policy, &composition)?;
    valid(lang, &document)?;
    // A composed packet keeps the same bounds as a submitted one.
    if let Some(failure) = timing(&document, lifetime, Utc::now()) {
        return Err(failure.into());
    }
    Ok(Ready {
        document,
        submitted: None,
        checked_version: stored.version(),
        requested: asked.only,
    })
}

/// Checks a packet the sender signed, with the one packet check (`packet::check`): the
/// signature against the caller's registered key, the content, the sender, the recipient, the
/// lifetime, the registration's current version and its consent, and every `subject` value.
fn submitted(
    lang: Lang,
    store: &Store,
    caller: &Organization,
    lifetime: Lifetime,
    body: &[u8],
) -> Result<Ready, ApiError> {
    let checked = check_packet(store, caller, Checking::Submit, lifetime, body)?
        .map_err(ApiError::SignatureRefused)?;
    if let Some(failure) = checked.failure {
        return Err(match failure {
            Failure::InvalidContent => {
                let engine = Engine::get();
                ApiError::InvalidDocument(Box::new(engine.render(&checked.outcome, lang, None)))
            }
            Failure::NotAHandoff => ApiError::InvalidHandoffRequest {
                field: "document_type",
            },
            Failure::UnknownRegistration => ApiError::InvalidHandoffRequest {
                field: "registration_ref",
            },
            other => ApiError::from(other),
        });
    }
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::InvalidHandoffRequest { field: "(body)" })?;
    if checked.registration_version.is_none()
        && checked.opened.document.get("registration_ref").is_some()
    {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "a submitted packet passed unchecked"
        )));
    }
    Ok(Ready {
        document: checked.opened.document,
        submitted: Some((checked.opened.form, text, checked.opened.kid)),
        checked_version: checked.registration_version,
        requested: None,
    })
}

/// A signed form: its bytes and the id of the key that signed it.
type Signed = (String, String);

/// The two signed forms of a packet: the one submitted as it came, the other (or both, for a
/// composed packet) signed with the exchange's key over the canonical bytes.
fn signed_forms(
    ring: &KeyRing,
    ready: &Ready,
    canonical: &[u8],
) -> Result<(&'static str, [Signed; 2]), ApiError> {
    let key = ring
        .signing
        .as_ref()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the exchange has no signing key")))?;
    let failed = |e: packet::SignError| ApiError::Internal(e.into());
    let jws = || {
        packet::sign_jws_canonical(DocumentType::Handoff, canonical, key)
            .map(|bytes| (bytes, key.kid.clone()))
            .map_err(failed)
    };
    let xml = || {
        packet::sign_xml(DocumentType::Handoff, &ready.document, key)
            .map(|bytes| (bytes, key.kid.clone()))
            .map_err(failed)
    };
    Ok(match &ready.submitted {
        None => ("composed", [jws()?, xml()?]),
        Some((Form::Jws, bytes, kid)) => ("jws", [(bytes.clone(), kid.clone()), xml()?]),
        Some((Form::Xml, bytes, kid)) => ("xml", [jws()?, (bytes.clone(), kid.clone())]),
    })
}

/// Signs what is not signed yet with the exchange's key and stores the packet.
fn store_new(store: &Store, caller: Organization, ready: Ready) -> Result<Created, ApiError> {
    let ring = store.keyring().map_err(ApiError::contended)?;
    let checked = ready.checked_version;
    let new = prepared(&ring, &caller, ready)?;
    store
        .write(move |conn| stored::create(conn, &caller, new, checked))
        .map_err(ApiError::contended)
}

/// The stored form of a packet `caller` sends: what is not signed yet signed with the
/// exchange's key, both forms, and the row.
pub(super) fn prepared(
    ring: &KeyRing,
    caller: &Organization,
    ready: Ready,
) -> Result<NewHandoff, ApiError> {
    let header = Header::of(&ready.document).map_err(|e| {
        ApiError::Internal(anyhow::Error::new(e).context("a validated packet without its header"))
    })?;
    let expires_at = parse_timestamp(&header.expires_at)
        .map(|t| t.naive_utc())
        .ok_or(ApiError::InvalidHandoffRequest {
            field: "expires_at",
        })?;
    // Canonicalized once: stored, hashed and signed as these bytes.
    let canonical = jcs::canonical(&ready.document);
    let (origin, [jws, xml]) = signed_forms(ring, &ready, &canonical)?;
    let at = now();
    let packet = |form: Form, (bytes, kid): Signed| Packet {
        handoff_id: header.handoff_id.clone().into(),
        form,
        bytes,
        kid: kid.into(),
    };
    let packets = [packet(Form::Jws, jws), packet(Form::Xml, xml)];
    let (registration_id, registration_version, intake_id) = match header.case() {
        Case::Registration { id, version } => (Some(id.to_owned()), Some(version), None),
        Case::Intake { id } => (None, None, Some(id.to_owned())),
    };
    let row = Handoff {
        legal_basis: header.legal_basis().to_owned(),
        id: header.handoff_id.into(),
        registration_id,
        registration_version,
        intake_id,
        sender_id: caller.id.clone(),
        recipient_id: header.recipient.organization_id.into(),
        purpose: header.purpose,
        categories: categories_column(&header.disclosed_categories),
        status: Status::Requested.as_str().into(),
        version: 1,
        content_sha256: jcs::sha256_bytes_hex(&canonical),
        document: String::from_utf8(canonical).unwrap_or_default(),
        origin: origin.into(),
        expires_at,
        created_at: at,
        updated_at: at,
        requested_categories: ready
            .requested
            .as_ref()
            .map(|chosen| chosen.iter().cloned().collect::<Vec<_>>().join(",")),
        superseded_by: None,
        municipality_code: None,
        ward: None,
    };
    Ok(NewHandoff::new(row, packets))
}

/// Gives `caller` one signed form of a handoff. The recipient's first fetch records its
/// receipt (a `received` response and a provision record); a packet the recipient may no
/// longer have (cancelled, consent withdrawn, expired unaccepted) is withheld.
pub fn deliver(
    store: &Store,
    caller: &Organization,
    id: &HandoffId,
    form: Form,
) -> Result<(Handoff, Packet), ApiError> {
    let recipient = caller.clone();
    let receipt = move |h: &Handoff| {
        json!({
            "document_type": "handoff_response",
            "schema_version": "1.0.0",
            "handoff_id": h.id,
            "responder": {"organization_id": recipient.id, "role": recipient.role},
            "status": "received",
            "at": Utc::now().with_timezone(&jst()).to_rfc3339_opts(SecondsFormat::Secs, false),
        })
        .to_string()
    };
    let (caller, id) = (caller.clone(), id.as_str().to_owned());
    let (who, which) = (caller.clone(), id.clone());
    let delivery =
        store.write(move |conn| stored::deliver(conn, &caller, &id, form.as_str(), receipt))?;
    match delivery {
        Delivery::Withheld(Withheld::Superseded) => {
            let h = stored::get(&mut *store.conn()?, &who, &which)?;
            Err(ApiError::HandoffSuperseded {
                superseded_by: h.and_then(|h| h.superseded_by).unwrap_or_default(),
            })
        }
        Delivery::Withheld(Withheld::Revoked) => Err(ApiError::HandoffRevoked),
        Delivery::Delivered(delivered) => Ok(*delivered),
        Delivery::NotFound => Err(ApiError::NotFound),
        Delivery::Withheld(Withheld::Cancelled) => Err(ApiError::HandoffCancelled),
        Delivery::Withheld(Withheld::ConsentWithdrawn) => Err(ApiError::ConsentWithdrawn),
        Delivery::Withheld(Withheld::Expired) => Err(ApiError::HandoffExpired),
    }
}

/// A handoff's state and responses, for a party to it (with an access record: the responses'
/// free text may be about the person).
pub fn read_status(
    store: &Store,
    caller: &Organization,
    id: &HandoffId,
) -> Result<(Handoff, Vec<Response>), ApiError> {
    let (caller, id) = (caller.clone(), id.as_str().to_owned());
    store
        .write(move |conn| stored::read_status(conn, &caller, &id))
        .map_err(ApiError::contended)?
        .ok_or(ApiError::NotFound)
}

/// Records `caller`'s `handoff_response` document (already valid) on handoff `id`, and gives
/// the handoff's new state and responses.
pub fn respond(
    store: &Store,
    caller: &Organization,
    id: &HandoffId,
    document: &Value,
) -> Result<(Handoff, Vec<Response>), ApiError> {
    if document["handoff_id"].as_str() != Some(id.as_str())
        || document["responder"]["organization_id"].as_str() != Some(caller.id.as_str())
        || document["responder"]["role"].as_str() != Some(caller.role.as_str())
    {
        return Err(ApiError::ResponseMismatch);
    }
    let to = document["status"]
        .as_str()
        .and_then(Status::parse)
        .ok_or(ApiError::ResponseMismatch)?;
    let text = document.to_string();
    let responded = {
        let (caller, id) = (caller.clone(), id.as_str().to_owned());
        store.write(move |conn| stored::respond(conn, &caller, &id, to, text))?
    };
    let h = match responded {
        Responded::Done(h) => *h,
        Responded::NotFound => return Err(ApiError::NotFound),
        Responded::Forbidden => return Err(ApiError::Forbidden),
        Responded::Expired => return Err(ApiError::HandoffExpired),
        Responded::Illegal { current } => {
            return Err(ApiError::IllegalTransition {
                current: current.as_str(),
            })
        }
    };
    let responses = stored::responses(&mut *store.conn()?, id.as_str())?;
    Ok((h, responses))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registration_that_keeps_changing_is_tried_a_bounded_number_of_times_then_busy() {
        let mut tries = 0;
        let result = retried(ATTEMPTS, BUSY_RETRY_BUDGET, || {
            tries += 1;
            if tries % 2 == 0 {
                Err(ApiError::RegistrationBusy)
            } else {
                Ok(Created::RegistrationChanged)
            }
        });
        assert!(matches!(result, Err(ApiError::RegistrationBusy)));
        assert_eq!(tries, ATTEMPTS);
    }

    #[test]
    fn a_registration_that_changed_once_is_composed_again_and_stored() {
        let mut tries = 0;
        let result = retried(ATTEMPTS, BUSY_RETRY_BUDGET, || {
            tries += 1;
            Ok(if tries == 1 {
                Created::RegistrationChanged
            } else {
                Created::Exists
            })
        });
        assert!(matches!(result, Ok(Created::Exists)));
        assert_eq!(tries, 2);
    }

    #[test]
    fn a_refusal_is_answered_at_once_without_trying_again() {
        let mut tries = 0;
        let result = retried(ATTEMPTS, BUSY_RETRY_BUDGET, || {
            tries += 1;
            Err(ApiError::HandoffExists)
        });
        assert!(matches!(result, Err(ApiError::HandoffExists)));
        assert_eq!(tries, 1);
    }

    #[test]
    fn a_database_busy_past_the_budget_is_answered_busy_without_waiting_again() {
        let mut tries = 0;
        let result = retried(ATTEMPTS, std::time::Duration::ZERO, || {
            tries += 1;
            Err(ApiError::RegistrationBusy)
        });
        assert!(matches!(result, Err(ApiError::RegistrationBusy)));
        assert_eq!(tries, 1);
    }
}
