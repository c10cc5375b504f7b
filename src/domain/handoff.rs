//! Handoff packets: composing the consent-minimized packet from a stored
//! registration, checking a submitted packet against the stored consent, and the lifecycle of
//! the responses.
use super::consent::{Consent, Recipient};
use super::policy::{Policy, Source};
use crate::contracts::pointer;
use crate::contracts::text_enum::text_enum;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// The article of the Act on the Protection of Personal Information a sender provides data
/// under without consent (code list `legal_provisions`): a city is a public body (Art.
/// 69(2)(iv)); every other sender is a private operator (Art. 27(1)(ii)), a kikan or hub run
/// under contract included.
pub fn provision_for(sender_role: &str) -> &'static str {
    if sender_role == "city" {
        "appi_69_2_4"
    } else {
        "appi_27_1_2"
    }
}

/// An organization as a packet names it.
#[derive(Debug, Clone, Copy)]
pub struct Party<'a> {
    pub organization_id: &'a str,
    pub role: &'a str,
}

impl Party<'_> {
    fn to_json(self) -> Value {
        json!({"organization_id": self.organization_id, "role": self.role})
    }

    fn as_recipient(&self) -> Recipient<'_> {
        Recipient {
            role: self.role,
            organization_id: Some(self.organization_id),
        }
    }
}

/// What a handoff is about: a stored registration at the version the packet was built from,
/// or the emergency intake of a person who never registered (事前情報のない新規ケース).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case<'a> {
    Registration { id: &'a str, version: i32 },
    Intake { id: &'a str },
}

impl<'a> Case<'a> {
    /// The registration's or the intake's id.
    pub fn id(self) -> &'a str {
        match self {
            Case::Registration { id, .. } | Case::Intake { id } => id,
        }
    }
}

/// The legal basis a packet relies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis<'a> {
    Consent,
    VitalInterest { reason: &'a str },
}

/// Everything a packet is composed from.
#[derive(Debug, Clone)]
pub struct Composition<'a> {
    pub handoff_id: &'a str,
    /// What the packet is about, and the stored document of it (the registration's current
    /// version, or the intake).
    pub case: Case<'a>,
    pub source: &'a Value,
    pub sender: Party<'a>,
    pub recipient: Party<'a>,
    pub purpose: &'a str,
    /// The emergency and what is asked (`emergency_acceptance`); a normal-time sharing packet
    /// has neither.
    pub situation: Option<&'a Value>,
    pub request: Option<&'a Value>,
    /// The earlier shared copy a normal-time sharing packet replaces.
    pub supersedes: Option<&'a str>,
    pub issued_at: &'a str,
    pub expires_at: &'a str,
    pub basis: Basis<'a>,
    /// Categories the sender chose to send (fewer than allowed); `None`: all that are allowed.
    pub only: Option<&'a BTreeSet<String>>,
}

/// Why no packet can be composed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComposeError {
    #[error("the consent of this registration has been withdrawn")]
    ConsentWithdrawn,
    #[error("only kikan, hub and city may send on the vital-interest basis")]
    BreakGlassNotAllowed,
    #[error("the category {0} is not permitted for this recipient and purpose")]
    CategoryNotPermitted(String),
    #[error("no data category is permitted for this recipient and purpose")]
    NothingPermitted,
    #[error("the intake records no consent to tell prospective providers")]
    IntakeWithoutConsent,
}

/// The purpose an intake's consent is given for: telling prospective providers in this
/// emergency. It covers nothing in normal times.
pub const INTAKE_PURPOSE: &str = "emergency_acceptance";

/// The categories a packet may carry: (permitted by consent, or every category on the
/// vital-interest basis) ∩ the need set of the recipient's role and the purpose.
///
/// A registration's consent names recipients and purposes (`Consent::permitted`). An intake's
/// consent, obtained during the emergency call, is to tell prospective providers what finding a
/// place needs: every category the intake has, for `emergency_acceptance` only.
pub fn allowed_categories(
    policy: &Policy,
    source: (Source, &Value),
    sender_role: &str,
    recipient: Party<'_>,
    purpose: &str,
    basis: Basis<'_>,
) -> Result<BTreeSet<String>, ComposeError> {
    let (kind, document) = source;
    let consent_value = document.get("consent").unwrap_or(&Value::Null);
    let every = || policy.fields_of(kind).keys().cloned().collect();
    let permitted: BTreeSet<String> = match (basis, kind) {
        (Basis::Consent, Source::Registration) => {
            let consent = Consent::new(consent_value);
            if consent.is_withdrawn() {
                return Err(ComposeError::ConsentWithdrawn);
            }
            consent
                .permitted(recipient.as_recipient(), purpose)
                .into_iter()
                .map(str::to_owned)
                .collect()
        }
        (Basis::Consent, Source::Intake) if consent_value.is_object() => {
            if purpose == INTAKE_PURPOSE {
                every()
            } else {
                BTreeSet::new()
            }
        }
        (Basis::Consent, Source::Intake) => return Err(ComposeError::IntakeWithoutConsent),
        (Basis::VitalInterest { .. }, _) => {
            if !super::access::may_send_break_glass(sender_role) {
                return Err(ComposeError::BreakGlassNotAllowed);
            }
            every()
        }
    };
    let need = policy.need_set(recipient.role, purpose);
    Ok(permitted
        .into_iter()
        .filter(|c| need.is_some_and(|n| n.contains(c)))
        .collect())
}

/// Copies the value at `ptr` of `from` into `to` at the same place, creating the objects on
/// the way. Only data-carrying values are copied.
fn copy_field(from: &Value, to: &mut Map<String, Value>, ptr: &str) {
    let Some(value) = pointer::get(from, ptr) else {
        return;
    };
    let mut tokens: Vec<&str> = ptr.split('/').skip(1).collect();
    let Some(last) = tokens.pop() else {
        return;
    };
    let mut at = to;
    for token in tokens {
        let entry = at
            .entry(token.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        let Some(next) = entry.as_object_mut() else {
            return;
        };
        at = next;
    }
    at.insert(last.to_owned(), value.clone());
}

/// The `subject` of a packet: the fields of `categories`, copied one by one from the
/// registration or intake (an allow-list: nothing else can slip through).
pub fn subject(policy: &Policy, source: (Source, &Value), categories: &BTreeSet<String>) -> Value {
    let (kind, document) = source;
    let fields = policy.fields_of(kind);
    let mut out = Map::new();
    for category in categories {
        for field in fields.get(category).into_iter().flatten() {
            copy_field(document, &mut out, field);
        }
    }
    Value::Object(out)
}

/// The legal-basis reference of a packet. An intake's consent was given at a time; the
/// packet names its day in Japan, as a registration's consent is dated. A vital-interest packet
/// cites the article that applies to its sender.
fn consent_ref(source: (Source, &Value), basis: Basis<'_>, sender_role: &str) -> Value {
    match basis {
        Basis::Consent => {
            let c = &source.1["consent"];
            let granted_on = match source.0 {
                Source::Registration => c["granted_on"].clone(),
                Source::Intake => c["granted_at"]
                    .as_str()
                    .and_then(crate::time::parse_timestamp)
                    .map(|t| {
                        t.with_timezone(&crate::time::jst())
                            .date_naive()
                            .to_string()
                    })
                    .into(),
            };
            json!({
                "legal_basis": "consent",
                "granted_on": granted_on,
                "granted_by": c["granted_by"],
                "method": c["method"],
            })
        }
        Basis::VitalInterest { reason } => json!({
            "legal_basis": "vital_interest",
            "provision": provision_for(sender_role),
            "reason": reason,
        }),
    }
}

impl Case<'_> {
    fn source(self) -> Source {
        match self {
            Case::Registration { .. } => Source::Registration,
            Case::Intake { .. } => Source::Intake,
        }
    }

    /// The packet member naming the case: `registration_ref` or `intake_ref`.
    fn reference(self) -> (&'static str, Value) {
        match self {
            Case::Registration { id, version } => (
                "registration_ref",
                json!({"registration_id": id, "version": version}),
            ),
            Case::Intake { id } => ("intake_ref", json!({ "intake_id": id })),
        }
    }
}

/// Composes the packet (not yet validated or signed).
pub fn compose(policy: &Policy, c: &Composition<'_>) -> Result<Value, ComposeError> {
    let source = (c.case.source(), c.source);
    let mut categories = allowed_categories(
        policy,
        source,
        c.sender.role,
        c.recipient,
        c.purpose,
        c.basis,
    )?;
    if let Some(only) = c.only {
        if let Some(outside) = only.iter().find(|o| !categories.contains(*o)) {
            return Err(ComposeError::CategoryNotPermitted(outside.clone()));
        }
        categories.retain(|x| only.contains(x));
    }
    let subject = subject(policy, source, &categories);
    let disclosed: Vec<&str> = policy
        .categories_present(source.0, &subject)
        .into_iter()
        .map(|(category, _)| category)
        .collect();
    if disclosed.is_empty() {
        return Err(ComposeError::NothingPermitted);
    }
    let (reference, referenced) = c.case.reference();
    let mut packet = json!({
        "document_type": "handoff",
        "schema_version": "1.0.0",
        "handoff_id": c.handoff_id,
        "issued_at": c.issued_at,
        "expires_at": c.expires_at,
        "purpose": c.purpose,
        "sender": c.sender.to_json(),
        "recipient": c.recipient.to_json(),
        "subject": subject,
        "disclosed_categories": disclosed,
        "consent_ref": consent_ref(source, c.basis, c.sender.role),
    });
    packet[reference] = referenced;
    let optional = [
        ("situation", c.situation.cloned()),
        ("request", c.request.cloned()),
        ("supersedes", c.supersedes.map(Value::from)),
    ];
    for (member, value) in optional {
        if let Some(value) = value {
            packet[member] = value;
        }
    }
    Ok(packet)
}

/// A category in a submitted packet's `subject` that the stored registration's (or intake's)
/// consent does not permit for its recipient and purpose (or that the need set leaves out),
/// with the field that carries it.
pub fn category_outside_consent<'p>(
    policy: &'p Policy,
    stored: &Value,
    packet: &Value,
) -> Result<Option<(&'p str, &'p str)>, ComposeError> {
    let recipient = Party {
        organization_id: packet["recipient"]["organization_id"]
            .as_str()
            .unwrap_or_default(),
        role: packet["recipient"]["role"].as_str().unwrap_or_default(),
    };
    let sender_role = packet["sender"]["role"].as_str().unwrap_or_default();
    let purpose = packet["purpose"].as_str().unwrap_or_default();
    let basis = match packet["consent_ref"]["legal_basis"].as_str() {
        Some("vital_interest") => Basis::VitalInterest {
            reason: packet["consent_ref"]["reason"].as_str().unwrap_or_default(),
        },
        _ => Basis::Consent,
    };
    let kind = Source::of_packet(packet);
    let allowed = allowed_categories(
        policy,
        (kind, stored),
        sender_role,
        recipient,
        purpose,
        basis,
    )?;
    Ok(policy
        .categories_present(kind, &packet["subject"])
        .into_iter()
        .find(|(category, _)| !allowed.contains(*category)))
}

/// What the exchange reads of a valid handoff packet to store it: read once, after
/// validation, into types (the rest of the packet stays as it was signed).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Header {
    pub handoff_id: String,
    /// Exactly one of `registration_ref` and `intake_ref` (the schema's `oneOf`).
    pub registration_ref: Option<RegistrationRef>,
    pub intake_ref: Option<IntakeRef>,
    pub recipient: PartyRef,
    pub purpose: String,
    #[serde(default)]
    pub consent_ref: ConsentRef,
    #[serde(default)]
    pub disclosed_categories: Vec<String>,
    pub expires_at: String,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct RegistrationRef {
    pub registration_id: String,
    pub version: i32,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct IntakeRef {
    pub intake_id: String,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct PartyRef {
    pub organization_id: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ConsentRef {
    /// `consent` (the default) or `vital_interest`.
    pub legal_basis: Option<String>,
}

impl Header {
    /// The header of a packet that passed validation (which requires every field read here).
    pub fn of(document: &Value) -> Result<Header, serde_json::Error> {
        let header: Header = serde::Deserialize::deserialize(document)?;
        if header.registration_ref.is_some() == header.intake_ref.is_some() {
            return Err(serde::de::Error::custom(
                "exactly one of registration_ref and intake_ref",
            ));
        }
        Ok(header)
    }

    /// What the packet is about.
    pub fn case(&self) -> Case<'_> {
        match (&self.registration_ref, &self.intake_ref) {
            (Some(r), _) => Case::Registration {
                id: &r.registration_id,
                version: r.version,
            },
            (None, Some(i)) => Case::Intake { id: &i.intake_id },
            // `Header::of` refuses a header without either.
            (None, None) => Case::Intake { id: "" },
        }
    }

    pub fn legal_basis(&self) -> &str {
        self.consent_ref.legal_basis.as_deref().unwrap_or("consent")
    }
}

text_enum! {
    /// What a handoff is for: a packet asking for acceptance now, or one preparing for it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Purpose {
        EmergencyAcceptance = "emergency_acceptance",
        EmergencyPreparation = "emergency_preparation",
    }
}

impl Purpose {
    /// How long a packet for this purpose lives unless the sender says otherwise: a day for
    /// an acceptance asked for now, thirty days for a preparation.
    pub fn default_lifetime(self) -> chrono::Duration {
        match self {
            Purpose::EmergencyAcceptance => chrono::Duration::hours(24),
            Purpose::EmergencyPreparation => chrono::Duration::days(30),
        }
    }
}

text_enum! {
    /// Lifecycle states of a handoff (after FHIR Task / 360X).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Status {
        Requested = "requested",
        Received = "received",
        Accepted = "accepted",
        Declined = "declined",
        Admitted = "admitted",
        Completed = "completed",
        Cancelled = "cancelled",
        Expired = "expired",
        /// A normal-time shared copy replaced by the one re-sent after the registration
        /// changed (set by the exchange).
        Superseded = "superseded",
        /// Withdrawn by the exchange because the consent it rested on was withdrawn or no
        /// longer permits it.
        Revoked = "revoked",
    }
}

impl Status {
    /// Whether the handoff is still open (a response may follow).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::Requested | Status::Received | Status::Accepted | Status::Admitted
        )
    }

    /// Whether the packet expires at `expires_at` in this state: only before acceptance.
    pub fn may_expire(self) -> bool {
        matches!(self, Status::Requested | Status::Received)
    }

    /// The state as of `now`: an unaccepted packet past its `expires_at` is expired.
    pub fn effective(self, expired: bool) -> Status {
        if expired && self.may_expire() {
            Status::Expired
        } else {
            self
        }
    }
}

/// Who answers a handoff in a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Responder {
    Recipient,
    Sender,
    /// kikan, hub or city, coordinating.
    Coordinator,
}

/// Whether a response with status `to` may follow `from` on a handoff for `purpose`, given by
/// `who`. A normal-time shared copy (`emergency_preparation`) is acknowledged (`accepted`) or
/// declined by its recipient; nobody is admitted on it.
pub fn may_transition(purpose: Purpose, from: Status, to: Status, who: Responder) -> bool {
    use Status::*;
    if purpose == Purpose::EmergencyPreparation && matches!(to, Admitted | Completed) {
        return false;
    }
    match (from, to) {
        (Requested, Received) => who == Responder::Recipient,
        (Received, Accepted | Declined) => who == Responder::Recipient,
        (Accepted, Admitted) | (Admitted, Completed) => who == Responder::Recipient,
        (from, Cancelled) => from.is_open(),
        _ => false,
    }
}

/// Why a packet is not given to its recipient (any more).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withheld {
    /// The handoff was cancelled.
    Cancelled,
    /// The consent the packet rests on was withdrawn.
    ConsentWithdrawn,
    /// It was not accepted by its `expires_at`.
    Expired,
    /// A shared copy replaced by a re-sent one (the newer packet is to be fetched instead).
    Superseded,
    /// Revoked with the consent it rested on.
    Revoked,
}

/// Whether the recipient may have the packet now, whether or not it fetched it before: not
/// once the handoff is cancelled, not once the registration's consent is withdrawn (unless
/// the packet is on the vital-interest basis, which does not rest on consent), not once a
/// re-sent copy superseded it or it was revoked, and not once it expired unaccepted. `status` is the effective one (expiry applied).
pub fn withheld(status: Status, break_glass: bool, consent_withdrawn: bool) -> Option<Withheld> {
    if status == Status::Cancelled {
        Some(Withheld::Cancelled)
    } else if consent_withdrawn && !break_glass {
        Some(Withheld::ConsentWithdrawn)
    } else if status == Status::Superseded {
        Some(Withheld::Superseded)
    } else if status == Status::Revoked {
        Some(Withheld::Revoked)
    } else if status == Status::Expired {
        Some(Withheld::Expired)
    } else {
        None
    }
}

/// A random (version 4) UUID, for a new handoff id.
pub fn new_id() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;
    const ACCEPTANCE: Purpose = Purpose::EmergencyAcceptance;

    #[test]
    fn a_packet_is_withheld_when_cancelled_expired_or_its_consent_is_withdrawn() {
        for status in [Requested, Received, Accepted, Admitted, Completed, Declined] {
            assert_eq!(withheld(status, false, false), None, "{status:?}");
            assert_eq!(
                withheld(status, false, true),
                Some(Withheld::ConsentWithdrawn),
                "{status:?}"
            );
            // The vital-interest basis does not rest on the consent.
            assert_eq!(withheld(status, true, true), None, "{status:?}");
        }
        for (break_glass, withdrawn) in [(false, false), (true, true), (false, true)] {
            assert_eq!(
                withheld(Cancelled, break_glass, withdrawn),
                Some(Withheld::Cancelled)
            );
        }
        assert_eq!(withheld(Expired, false, false), Some(Withheld::Expired));
        assert_eq!(withheld(Expired, true, true), Some(Withheld::Expired));
    }

    #[test]
    fn the_recipient_moves_a_handoff_along_its_lifecycle() {
        let path = [Requested, Received, Accepted, Admitted, Completed];
        for pair in path.windows(2) {
            assert!(may_transition(
                ACCEPTANCE,
                pair[0],
                pair[1],
                Responder::Recipient
            ));
            assert!(!may_transition(
                ACCEPTANCE,
                pair[0],
                pair[1],
                Responder::Sender
            ));
        }
        assert!(may_transition(
            ACCEPTANCE,
            Received,
            Declined,
            Responder::Recipient
        ));
    }

    #[test]
    fn steps_cannot_be_skipped_or_taken_back() {
        assert!(!may_transition(
            ACCEPTANCE,
            Requested,
            Accepted,
            Responder::Recipient
        ));
        assert!(!may_transition(
            ACCEPTANCE,
            Accepted,
            Received,
            Responder::Recipient
        ));
        assert!(!may_transition(
            ACCEPTANCE,
            Received,
            Completed,
            Responder::Recipient
        ));
        assert!(!may_transition(
            ACCEPTANCE,
            Completed,
            Cancelled,
            Responder::Sender
        ));
        assert!(!may_transition(
            ACCEPTANCE,
            Declined,
            Accepted,
            Responder::Recipient
        ));
        assert!(!may_transition(
            ACCEPTANCE,
            Expired,
            Received,
            Responder::Recipient
        ));
    }

    #[test]
    fn a_shared_copy_is_acknowledged_or_declined_but_nobody_is_admitted_on_it() {
        let sharing = Purpose::EmergencyPreparation;
        assert!(may_transition(
            sharing,
            Received,
            Accepted,
            Responder::Recipient
        ));
        assert!(may_transition(
            sharing,
            Received,
            Declined,
            Responder::Recipient
        ));
        assert!(!may_transition(
            sharing,
            Accepted,
            Admitted,
            Responder::Recipient
        ));
        assert!(may_transition(
            sharing,
            Accepted,
            Cancelled,
            Responder::Sender
        ));
    }

    #[test]
    fn a_superseded_or_revoked_copy_is_withheld_and_answers_nothing() {
        assert_eq!(
            withheld(Superseded, false, false),
            Some(Withheld::Superseded)
        );
        assert_eq!(withheld(Revoked, false, false), Some(Withheld::Revoked));
        for to in [Received, Accepted, Declined, Cancelled] {
            for from in [Superseded, Revoked] {
                assert!(!may_transition(ACCEPTANCE, from, to, Responder::Recipient));
            }
        }
    }

    #[test]
    fn any_open_state_may_be_cancelled() {
        for from in [Requested, Received, Accepted, Admitted] {
            for who in [
                Responder::Recipient,
                Responder::Sender,
                Responder::Coordinator,
            ] {
                assert!(may_transition(ACCEPTANCE, from, Cancelled, who));
            }
        }
    }

    #[test]
    fn only_an_unaccepted_packet_expires() {
        assert_eq!(Requested.effective(true), Expired);
        assert_eq!(Received.effective(true), Expired);
        assert_eq!(Accepted.effective(true), Accepted);
        assert_eq!(Received.effective(false), Received);
    }
}
