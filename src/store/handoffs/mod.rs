//! Handoffs: the packet in its JSON form and its two signed forms exactly as served, its
//! lifecycle, the responses, and who may see it. Every change writes its access record and,
//! for a packet provided or received, its provision record, in the same transaction.
use super::audit::{self, Access, Action, Subject};
use super::organizations::Organization;
use super::provisions::{self, ProvisionKind, ProvisionRecord};
use super::schema::{
    handoff_packets, handoff_responses, handoffs, registration_versions, registrations,
};
use super::{DbConnection, StoreError};
use crate::domain::handoff::{
    may_transition, withheld, Case, Purpose, Responder, Status, Withheld,
};
use crate::domain::ids::{HandoffId, KeyId, OrganizationId};
use crate::packet::Form;
use crate::time::now;
use chrono::NaiveDateTime;
use diesel::prelude::*;

mod lists;
pub use lists::{acceptance_requests, list, HandoffFilter};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = handoffs)]
pub struct Handoff {
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub id: HandoffId,
    /// The registration the packet was built from, with its version; `None` for a packet
    /// built from an emergency intake (see [`Handoff::case`]).
    pub registration_id: Option<String>,
    pub registration_version: Option<i32>,
    /// The emergency intake the packet was built from (a person who never registered).
    pub intake_id: Option<String>,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub sender_id: OrganizationId,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub recipient_id: OrganizationId,
    pub purpose: String,
    pub legal_basis: String,
    /// Disclosed categories, comma-separated.
    pub categories: String,
    pub status: String,
    pub version: i32,
    /// The JSON form.
    pub document: String,
    /// SHA-256 of the JCS form of the JSON document (the same for both signed forms).
    pub content_sha256: String,
    /// `composed` (built and signed by the exchange), `jws` or `xml` (submitted signed by the
    /// sender; that form is served as submitted, the other is signed by the exchange).
    pub origin: String,
    pub expires_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The categories the sender chose, comma-separated (`None`: every category the consent
    /// permits); a shared copy re-sent after a change keeps the choice.
    pub requested_categories: Option<String>,
    /// The packet that replaced this shared copy (status `superseded`).
    pub superseded_by: Option<String>,
    /// The municipality and ward of the person (from the registration or intake, when
    /// stored), which keep a coordinator's view to its municipal scope.
    pub municipality_code: Option<String>,
    pub ward: Option<String>,
}

/// One signed form of a packet, exactly as served.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = handoff_packets)]
pub struct Packet {
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub handoff_id: HandoffId,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub form: Form,
    pub bytes: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub kid: KeyId,
}

impl Handoff {
    /// What the handoff is about: exactly one of a registration (at a version) and an intake,
    /// as the table's CHECK constraint keeps it.
    pub fn case(&self) -> Case<'_> {
        match (
            &self.registration_id,
            self.registration_version,
            &self.intake_id,
        ) {
            (Some(id), Some(version), _) => Case::Registration { id, version },
            (_, _, Some(id)) => Case::Intake { id },
            // Unreachable under the CHECK constraint; an empty id names nothing.
            _ => Case::Intake { id: "" },
        }
    }

    /// The access-record subject of the person the handoff is about.
    fn person(&self) -> Subject<'_> {
        match self.case() {
            Case::Registration { id, .. } => Subject::Registration(id),
            Case::Intake { id } => Subject::Intake(id),
        }
    }

    pub fn consent_ref(&self) -> String {
        /// Only the member wanted: the rest of the document is skipped, not built.
        #[derive(serde::Deserialize)]
        struct Member {
            #[serde(default)]
            consent_ref: Value,
        }
        serde_json::from_str::<Member>(&self.document)
            .map(|d| d.consent_ref.to_string())
            .unwrap_or_default()
    }

    pub fn stored_status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Requested)
    }

    /// The status as of `at`: unaccepted and past `expires_at` is expired.
    pub fn status_at(&self, at: NaiveDateTime) -> Status {
        self.stored_status().effective(at >= self.expires_at)
    }

    /// What the handoff is for.
    pub fn purpose_code(&self) -> Purpose {
        Purpose::parse(&self.purpose).unwrap_or(Purpose::EmergencyAcceptance)
    }

    pub fn is_break_glass(&self) -> bool {
        self.legal_basis == "vital_interest"
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = handoff_responses)]
pub struct Response {
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub handoff_id: HandoffId,
    pub seq: i32,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub status: Status,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub responder_id: OrganizationId,
    pub document: String,
    pub recorded_at: NaiveDateTime,
}

/// Who may see a handoff: its sender and recipient, and the kikan, the hub and the city of
/// the person's municipality.
pub fn may_read(caller: &Organization, h: &Handoff) -> bool {
    caller.id == h.sender_id || caller.id == h.recipient_id || coordinates(caller, h)
}

/// Whether `caller` coordinates the handoff: a kikan, hub or city whose scope covers the
/// person.
fn coordinates(caller: &Organization, h: &Handoff) -> bool {
    caller.coordinates()
        && caller.scope().covers(
            h.municipality_code.as_deref().unwrap_or(""),
            h.ward.as_deref(),
        )
}

/// In which capacity the caller answers a handoff, if at all.
pub fn responder(caller: &Organization, h: &Handoff) -> Option<Responder> {
    if caller.id == h.recipient_id {
        Some(Responder::Recipient)
    } else if caller.id == h.sender_id {
        Some(Responder::Sender)
    } else if coordinates(caller, h) {
        Some(Responder::Coordinator)
    } else {
        None
    }
}

/// What storing a new handoff came to.
#[derive(Debug)]
pub enum Created {
    Done(Box<Handoff>),
    /// The registration changed since the packet was composed from it (compose again).
    RegistrationChanged,
    /// A handoff with this id exists.
    Exists,
}

/// A handoff ready to be stored: its row, its two signed forms, and the provision record of
/// the form the sender provided (the one it signed, or the JWS of a composed packet) — made
/// before the write, so the writer only writes.
#[derive(Debug, Clone)]
pub struct NewHandoff {
    handoff: Handoff,
    packets: [Packet; 2],
    provided: Option<ProvisionRecord>,
}

impl NewHandoff {
    pub fn handoff(&self) -> &Handoff {
        &self.handoff
    }

    pub fn new(handoff: Handoff, packets: [Packet; 2]) -> NewHandoff {
        let form = if handoff.origin == "xml" {
            Form::Xml
        } else {
            Form::Jws
        };
        let provided = packets
            .iter()
            .find(|p| p.form == form)
            .map(|p| ProvisionRecord::of(ProvisionKind::Provided, &handoff, p));
        NewHandoff {
            handoff,
            packets,
            provided,
        }
    }
}

/// Stores a new handoff with its provision record and its access record; a break-glass packet
/// gets a second, flagged access record. A registration must still be at `checked_version`,
/// the version whose consent the packet was composed or checked against, so a consent
/// withdrawn meanwhile is never sent on (an intake has no versions: `checked_version` is
/// `None`).
pub fn create(
    conn: &mut DbConnection,
    caller: &Organization,
    new: NewHandoff,
    checked_version: Option<i32>,
) -> Result<Created, StoreError> {
    conn.transaction(|conn| {
        if let Case::Registration { id, .. } = new.handoff.case() {
            if super::registrations::version(conn, id)? != checked_version {
                return Ok(Created::RegistrationChanged);
            }
        }
        if find(conn, new.handoff.id.as_str())?.is_some() {
            return Ok(Created::Exists);
        }
        let stored = insert(conn, caller, &new)?;
        Ok(Created::Done(Box::new(stored)))
    })
}

/// Writes a new handoff: its row, its two signed forms, the provision record of the form the
/// sender provided, its access record and, for a break-glass packet, the flagged one.
pub(super) fn insert(
    conn: &mut DbConnection,
    caller: &Organization,
    new: &NewHandoff,
) -> Result<Handoff, StoreError> {
    let mut stored = new.handoff.clone();
    (stored.municipality_code, stored.ward) = place_of(conn, stored.case())?;
    diesel::insert_into(handoffs::table)
        .values(stored.clone())
        .execute(conn)?;
    let h = &stored;
    for p in &new.packets {
        diesel::insert_into(handoff_packets::table)
            .values(p.clone())
            .execute(conn)?;
    }
    if let Some(record) = &new.provided {
        provisions::record(conn, record)?;
    }
    audit::record(
        conn,
        Access {
            by: caller.id.as_str(),
            action: Action::SendHandoff,
            subject: h.person(),
            categories: &h.categories,
            purpose: &h.purpose,
        },
    )?;
    if h.is_break_glass() {
        audit::record(
            conn,
            Access {
                by: caller.id.as_str(),
                action: Action::BreakGlass,
                subject: Subject::Handoff(h.id.as_str()),
                categories: &h.categories,
                purpose: &h.purpose,
            },
        )?;
    }
    Ok(stored)
}

/// The municipality and ward of the person a handoff is about.
fn place_of(
    conn: &mut DbConnection,
    case: Case<'_>,
) -> QueryResult<(Option<String>, Option<String>)> {
    use super::schema::emergency_intakes;
    let place = match case {
        Case::Registration { id, .. } => registrations::table
            .find(id)
            .select((registrations::municipality_code, registrations::ward))
            .first::<(String, Option<String>)>(conn)
            .optional()?,
        Case::Intake { id } => emergency_intakes::table
            .find(id)
            .select((
                emergency_intakes::municipality_code,
                emergency_intakes::ward,
            ))
            .first::<(String, Option<String>)>(conn)
            .optional()?,
    };
    Ok(place.map_or((None, None), |(m, w)| (Some(m), w)))
}

pub(super) fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Handoff>> {
    handoffs::table
        .find(id)
        .select(Handoff::as_select())
        .first(conn)
        .optional()
}

/// A handoff the caller may see, without recording anything (status views).
pub fn get(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &str,
) -> Result<Option<Handoff>, StoreError> {
    Ok(find(conn, id)?.filter(|h| may_read(caller, h)))
}

/// A handoff's state and its responses for a caller who may see it, recording the read: the
/// responses carry free text (a facility's notes, the 事後報告) that may be about the person.
pub fn read_status(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &str,
) -> Result<Option<(Handoff, Vec<Response>)>, StoreError> {
    conn.transaction(|conn| {
        let Some(h) = get(conn, caller, id)? else {
            return Ok(None);
        };
        let responses = responses(conn, id)?;
        audit::record(
            conn,
            Access {
                by: caller.id.as_str(),
                action: Action::ReadStatus,
                subject: Subject::Handoff(id),
                categories: "",
                purpose: &h.purpose,
            },
        )?;
        Ok(Some((h, responses)))
    })
}

/// Whether the exchange holds a handoff on this registration addressed to `recipient_id` (so
/// the recipient may ask about the consent it relied on).
pub fn addressed_on(
    conn: &mut DbConnection,
    recipient_id: &str,
    registration_id: &str,
) -> Result<bool, StoreError> {
    Ok(diesel::select(diesel::dsl::exists(
        handoffs::table
            .filter(handoffs::recipient_id.eq(recipient_id))
            .filter(handoffs::registration_id.eq(registration_id)),
    ))
    .get_result(conn)?)
}

/// The responses of a handoff, in order.
pub fn responses(conn: &mut DbConnection, id: &str) -> Result<Vec<Response>, StoreError> {
    Ok(handoff_responses::table
        .filter(handoff_responses::handoff_id.eq(id))
        .order(handoff_responses::seq)
        .select(Response::as_select())
        .load(conn)?)
}

/// What asking for a signed packet came to.
#[derive(Debug)]
pub enum Delivery {
    Delivered(Box<(Handoff, Packet)>),
    /// No such handoff, or not visible to the caller.
    NotFound,
    /// The caller is the recipient, and may not have the packet now (nothing was recorded).
    Withheld(Withheld),
}

/// Whether the consent the packet was sent under has been withdrawn: the registration's consent
/// is withdrawn now, or a withdrawal was recorded after the packet was made — a new consent
/// given since does not bring back a packet sent under the consent that ended (it may permit
/// less; send again under it).
fn consent_withdrawn_since(
    conn: &mut DbConnection,
    registration_id: &str,
    sent_at: NaiveDateTime,
) -> QueryResult<bool> {
    let status = registrations::table
        .find(registration_id)
        .select(registrations::status)
        .first::<String>(conn)
        .optional()?;
    if status.as_deref() == Some(super::registrations::WITHDRAWN) {
        return Ok(true);
    }
    let withdrawals: i64 = registration_versions::table
        .filter(registration_versions::registration_id.eq(registration_id))
        .filter(registration_versions::event.eq("withdraw_consent"))
        .filter(registration_versions::recorded_at.ge(sent_at))
        .count()
        .get_result(conn)?;
    Ok(withdrawals > 0)
}

/// Delivers the signed packet in `form` to the caller, recording the access; when the caller
/// is the recipient this is a receipt: a `received` provision record for the exact bytes, and
/// a packet still `requested` becomes `received` (with a response on the recipient's behalf,
/// `receipt` builds its document). The recipient gets the packet only while
/// `domain::handoff::withheld` allows it — not once the handoff is cancelled, the consent
/// withdrawn (break-glass aside) or the packet expired unaccepted, fetched before or not — and
/// then nothing is written. The sender and the coordinating roles keep reading what was sent.
pub fn deliver(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &str,
    form: &str,
    receipt: impl FnOnce(&Handoff) -> String,
) -> Result<Delivery, StoreError> {
    conn.transaction(|conn| {
        let Some(mut h) = find(conn, id)?.filter(|h| may_read(caller, h)) else {
            return Ok(Delivery::NotFound);
        };
        let at = now();
        let is_recipient = caller.id == h.recipient_id;
        if is_recipient {
            // An intake's consent was given for this emergency and has no withdrawal.
            let withdrawn = match h.case() {
                Case::Registration { id, .. } => consent_withdrawn_since(conn, id, h.created_at)?,
                Case::Intake { .. } => false,
            };
            if let Some(reason) = withheld(h.status_at(at), h.is_break_glass(), withdrawn) {
                return Ok(Delivery::Withheld(reason));
            }
        }
        let packet: Packet = handoff_packets::table
            .find((id, form))
            .select(Packet::as_select())
            .first(conn)?;
        // The records come last: appending holds the chain's head until commit (store::chain).
        if is_recipient && h.status_at(at) == Status::Requested {
            let document = receipt(&h);
            if let Some(updated) =
                transition(conn, &h, Status::Received, caller.id.as_str(), document, at)?
            {
                h = updated;
            }
        }
        audit::record(
            conn,
            Access {
                by: caller.id.as_str(),
                action: Action::Read,
                subject: Subject::Handoff(id),
                categories: &h.categories,
                purpose: &h.purpose,
            },
        )?;
        if is_recipient {
            provisions::record(
                conn,
                &ProvisionRecord::of(ProvisionKind::Received, &h, &packet),
            )?;
        }
        Ok(Delivery::Delivered(Box::new((h, packet))))
    })
}

/// Moves a handoff from its current state to `to` with one conditional UPDATE (of two
/// concurrent responses exactly one wins) and appends the response. `None` when the state
/// changed in between.
pub(super) fn transition(
    conn: &mut DbConnection,
    h: &Handoff,
    to: Status,
    responder_id: &str,
    document: String,
    at: NaiveDateTime,
) -> QueryResult<Option<Handoff>> {
    let n = diesel::update(
        handoffs::table
            .filter(handoffs::id.eq(h.id.as_str()))
            .filter(handoffs::version.eq(h.version)),
    )
    .set((
        handoffs::status.eq(to.as_str()),
        handoffs::version.eq(h.version + 1),
        handoffs::updated_at.eq(at),
    ))
    .execute(conn)?;
    if n != 1 {
        return Ok(None);
    }
    diesel::insert_into(handoff_responses::table)
        .values(Response {
            handoff_id: h.id.clone(),
            seq: h.version,
            status: to,
            responder_id: responder_id.to_owned().into(),
            document,
            recorded_at: at,
        })
        .execute(conn)?;
    Ok(Some(Handoff {
        status: to.as_str().into(),
        version: h.version + 1,
        updated_at: at,
        ..h.clone()
    }))
}

/// What a response came to.
#[derive(Debug)]
pub enum Responded {
    Done(Box<Handoff>),
    NotFound,
    /// The caller may see the handoff but not answer it this way.
    Forbidden,
    /// Not a transition the lifecycle allows from the current state.
    Illegal {
        current: Status,
    },
    /// The packet expired before it was accepted.
    Expired,
}

/// Records a response with status `to` by the caller.
pub fn respond(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &str,
    to: Status,
    document: String,
) -> Result<Responded, StoreError> {
    conn.transaction(|conn| {
        let Some(h) = find(conn, id)?.filter(|h| may_read(caller, h)) else {
            return Ok(Responded::NotFound);
        };
        let Some(who) = responder(caller, &h) else {
            return Ok(Responded::Forbidden);
        };
        let at = now();
        let current = h.status_at(at);
        if current == Status::Expired {
            return Ok(Responded::Expired);
        }
        if !may_transition(h.purpose_code(), current, to, who) {
            if to != Status::Cancelled && who != Responder::Recipient && current.is_open() {
                return Ok(Responded::Forbidden);
            }
            return Ok(Responded::Illegal { current });
        }
        let Some(updated) = transition(conn, &h, to, caller.id.as_str(), document, at)? else {
            let current = find(conn, id)?.map_or(current, |h| h.status_at(at));
            return Ok(Responded::Illegal { current });
        };
        audit::record(
            conn,
            Access {
                by: caller.id.as_str(),
                action: Action::Respond,
                subject: Subject::Handoff(id),
                categories: "",
                purpose: &h.purpose,
            },
        )?;
        Ok(Responded::Done(Box::new(updated)))
    })
}
