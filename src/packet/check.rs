//! The one check of a signed packet. `POST /v1/handoffs` (a packet the sender signed itself),
//! `POST /v1/verify` and `kyoten verify` all call [`check`]; they differ only in what they ask
//! for ([`Purpose`]) and in what the exchange's records can tell ([`Records`]; offline, none).
//!
//! In order, the first failure is the verdict: the signature against a registered key (never
//! one the packet brings); for a submission, that the key is the caller's; the content, validated
//! with every rule (for XML, anything the mapping to JSON cannot carry exactly is a KY-XML-*
//! error); for a handoff: the signer is the packet's `sender`, `issued_at` is not in the future,
//! the lifetime is within the bound, the packet has not expired, the caller is a party (or
//! kikan, hub or city); then, where the registration (or emergency intake) is one the caller
//! may read, its consent; and for a submission, the recipient exists with its role,
//! `registration_ref.version` is the current version (an intake has not become a registration)
//! and every `subject` value equals the stored one.
use super::{open, Opened, Refusal, Verdict};
use crate::contracts::DocumentType;
use crate::crypto::jws::VerifyingKey;
use crate::crypto::keys::KeyOwner;
use crate::domain::access::{self, Permission, Relation};
use crate::domain::handoff::{self, ComposeError};
use crate::time::parse_timestamp;
use crate::validation::{Engine, Outcome};
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

/// The bounds on a packet's timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    /// The longest a packet may live: `expires_at` − `issued_at`.
    pub max: Duration,
    /// How far `issued_at` may lie ahead of this clock (clocks of organizations differ).
    pub skew: Duration,
}

impl Default for Lifetime {
    /// 30 days (the longest default lifetime, that of `emergency_preparation`), 5 minutes.
    fn default() -> Self {
        Lifetime {
            max: Duration::days(30),
            skew: Duration::minutes(5),
        }
    }
}

impl Lifetime {
    /// The bound with `max_days` days.
    pub fn days(max_days: u32) -> Self {
        Lifetime {
            max: Duration::days(i64::from(max_days)),
            ..Lifetime::default()
        }
    }
}

/// An organization as the check sees it.
#[derive(Debug, Clone, Copy)]
pub struct Org<'a> {
    pub id: &'a str,
    pub role: &'a str,
}

/// What the check is for.
#[derive(Debug, Clone, Copy)]
pub enum Purpose<'a> {
    /// `kyoten verify`: signature, content and lifetime; no records.
    Offline,
    /// `POST /v1/verify`: also who may see the packet, and the consent of a registration the
    /// caller may read.
    Verify { caller: Org<'a> },
    /// `POST /v1/handoffs` with a packet the caller signed: everything, strictly.
    Submit { caller: Org<'a> },
}

impl Purpose<'_> {
    fn caller(&self) -> Option<Org<'_>> {
        match self {
            Purpose::Offline => None,
            Purpose::Verify { caller } | Purpose::Submit { caller } => Some(*caller),
        }
    }
}

/// A registration as the check needs it.
#[derive(Debug, Clone)]
pub struct StoredRegistration {
    pub version: i32,
    pub document: Value,
}

/// An emergency intake as the check needs it.
#[derive(Debug, Clone)]
pub struct StoredIntake {
    pub document: Value,
    /// It became a registration: packets are sent from the registration now.
    pub linked: bool,
}

/// What the exchange's records say. Offline there are none: see [`NoRecords`].
pub trait Records {
    type Error;
    /// The organization that registered key `kid`; `None` for the exchange's own key.
    fn key_owner(&self, kid: &str) -> Result<Option<String>, Self::Error>;
    /// The role of an organization, `None` if there is no such organization.
    fn role_of(&self, organization_id: &str) -> Result<Option<String>, Self::Error>;
    /// The current version of a registration, only if the caller may know about it.
    fn registration(
        &self,
        registration_id: &str,
    ) -> Result<Option<StoredRegistration>, Self::Error>;
    /// An emergency intake the caller may send from (`linked`: it became a registration since),
    /// only if the caller may read it. Offline there are none.
    fn intake(&self, _intake_id: &str) -> Result<Option<StoredIntake>, Self::Error> {
        Ok(None)
    }
    /// Whether the caller may be told that no such registration exists: only a caller who may
    /// read every registration (otherwise "not found" would tell whether someone else's does).
    /// Offline there are no registrations to ask about.
    fn known_absent(&self, _registration_id: &str) -> Result<bool, Self::Error> {
        Ok(false)
    }
}

/// What a JWK Set says about its keys' owners (the `kyoten_owner` member), for an offline
/// check: no registrations, no organizations.
#[derive(Debug, Clone, Default)]
pub struct KeyOwners(pub std::collections::HashMap<String, KeyOwner>);

impl Records for KeyOwners {
    type Error = std::convert::Infallible;
    fn key_owner(&self, kid: &str) -> Result<Option<String>, Self::Error> {
        Ok(match self.0.get(kid) {
            Some(KeyOwner::Organization(id)) => Some(id.clone()),
            _ => None,
        })
    }
    fn role_of(&self, _: &str) -> Result<Option<String>, Self::Error> {
        Ok(None)
    }
    fn registration(&self, _: &str) -> Result<Option<StoredRegistration>, Self::Error> {
        Ok(None)
    }
}

/// The records of an offline check: none.
pub struct NoRecords;

impl Records for NoRecords {
    type Error = std::convert::Infallible;
    fn key_owner(&self, _: &str) -> Result<Option<String>, Self::Error> {
        Ok(None)
    }
    fn role_of(&self, _: &str) -> Result<Option<String>, Self::Error> {
        Ok(None)
    }
    fn registration(&self, _: &str) -> Result<Option<StoredRegistration>, Self::Error> {
        Ok(None)
    }
}

/// Why a packet whose signature verified is still refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A submission signed with a key that is not the caller's.
    KeyNotCallers,
    /// A submission that is not a handoff.
    NotAHandoff,
    /// The content does not pass validation (the report says why).
    InvalidContent,
    /// The packet's author (a handoff's `sender`, a response's `responder`) is not the
    /// organization of the signing key (or, for a submitted handoff, not the caller).
    SenderMismatch,
    IssuedInFuture,
    LifetimeTooLong,
    Expired,
    /// The caller is neither a party nor kikan, hub or city.
    WrongRecipient,
    /// The recipient is not an organization of the exchange with that role.
    UnknownRecipient,
    /// No registration of that id the caller may send from.
    UnknownRegistration,
    /// No emergency intake of that id the caller may send from (or it became a registration).
    UnknownIntake,
    /// `registration_ref.version` is not the registration's current version.
    VersionNotCurrent,
    ConsentWithdrawn,
    BreakGlassNotAllowed,
    CategoryNotPermitted(String),
    /// A `subject` value differs from the registration's current version.
    SubjectMismatch,
}

impl Failure {
    /// The stable verdict code.
    pub fn code(&self) -> Verdict {
        match self {
            Failure::KeyNotCallers | Failure::SenderMismatch => Verdict::SenderMismatch,
            Failure::NotAHandoff => Verdict::NotAHandoff,
            Failure::InvalidContent => Verdict::InvalidContent,
            Failure::IssuedInFuture => Verdict::IssuedInFuture,
            Failure::LifetimeTooLong => Verdict::LifetimeTooLong,
            Failure::Expired => Verdict::Expired,
            Failure::WrongRecipient => Verdict::WrongRecipient,
            Failure::UnknownRecipient => Verdict::UnknownRecipient,
            Failure::UnknownRegistration => Verdict::UnknownRegistration,
            Failure::UnknownIntake => Verdict::UnknownIntake,
            Failure::VersionNotCurrent => Verdict::VersionNotCurrent,
            Failure::ConsentWithdrawn => Verdict::ConsentWithdrawn,
            Failure::BreakGlassNotAllowed => Verdict::BreakGlassNotAllowed,
            Failure::CategoryNotPermitted(_) => Verdict::CategoryNotPermitted,
            Failure::SubjectMismatch => Verdict::SubjectMismatch,
        }
    }

    /// One sentence (never any of the packet's content), in English and in Japanese.
    pub fn message(&self) -> [&'static str; 2] {
        match self {
            Failure::KeyNotCallers => ["the key that signed is not a key of the caller", "署名した鍵が、APIキーの組織の鍵ではありません"],
            Failure::NotAHandoff => ["only handoff packets are submitted here", "ここで送れるのはハンドオフのパケットだけです"],
            Failure::InvalidContent => ["the content does not pass validation; see report", "内容が検証を通りません（レポートを参照）"],
            Failure::SenderMismatch => ["the key that signed belongs to another organization than the packet's sender (or responder)", "署名した鍵の組織とパケットの sender（応答では responder）が一致しません"],
            Failure::IssuedInFuture => ["the packet's issued_at lies in the future", "パケットの issued_at が未来の時刻です"],
            Failure::LifetimeTooLong => ["the packet's lifetime (expires_at − issued_at) is longer than the exchange allows, or not positive", "パケットの有効期間（expires_at − issued_at）が上限を超えているか、正ではありません"],
            Failure::Expired => ["the packet's expires_at has passed", "パケットの expires_at が過ぎています"],
            Failure::WrongRecipient => ["the packet is addressed to another organization", "パケットの宛先は別の組織です"],
            Failure::UnknownRecipient => ["the recipient is not an organization of the exchange with that role", "recipient はこのシステムにその役割で登録された組織ではありません"],
            Failure::UnknownRegistration => ["no registration of that id that the caller may send from", "送信元が扱える登録に、その registration_id はありません"],
            Failure::UnknownIntake => ["no emergency intake of that id that the caller may send from (or it has become a registration: send from the registration)", "送信元が扱える緊急時受付票に、その intake_id はありません（登録になった受付票は登録から送ります）"],
            Failure::VersionNotCurrent => ["registration_ref.version is not the registration's current version", "registration_ref.version が登録の現在の版ではありません"],
            Failure::ConsentWithdrawn => ["the consent this packet relies on has been withdrawn", "このパケットが根拠とする同意は撤回されています"],
            Failure::BreakGlassNotAllowed => ["only the kikan, hub or city may send on the vital-interest basis", "同意によらない提供（vital_interest）は基幹相談支援センター・拠点・市だけが行えます"],
            Failure::CategoryNotPermitted(_) => ["the subject carries a category the stored consent does not permit for this recipient and purpose", "subject に、同意又は必要最小限の方針がこの送信先・目的に認めない情報区分があります"],
            Failure::SubjectMismatch => ["a subject value differs from the registration's current version", "subject の値が登録の現在の版と異なります"],
        }
    }

    fn from_compose(e: ComposeError) -> Failure {
        match e {
            ComposeError::ConsentWithdrawn => Failure::ConsentWithdrawn,
            ComposeError::BreakGlassNotAllowed => Failure::BreakGlassNotAllowed,
            ComposeError::CategoryNotPermitted(c) => Failure::CategoryNotPermitted(c),
            // Only composing asks whether anything at all is permitted.
            ComposeError::NothingPermitted | ComposeError::IntakeWithoutConsent => {
                Failure::CategoryNotPermitted(String::new())
            }
        }
    }
}

/// A packet whose signature verified, with what the checks after it found.
#[derive(Debug)]
pub struct Checked {
    pub opened: Opened,
    /// The validation of the content, the XML mapping's findings first.
    pub outcome: Outcome,
    /// The organization of the signing key; `None` for the exchange's own key.
    pub signer: Option<String>,
    /// Whether the stored consent was consulted (the registration is one the caller may
    /// read).
    pub consent_checked: bool,
    /// The first check that failed; `None`: the packet passed every check.
    pub failure: Option<Failure>,
    /// For a submission that passed: the registration version it was checked against.
    pub registration_version: Option<i32>,
}

/// Checks a signed packet. The outer error is the records' own (a database error); the inner
/// one a packet whose signature was not accepted.
pub fn check<R: Records>(
    bytes: &[u8],
    keys: impl Fn(&str) -> Option<VerifyingKey>,
    records: &R,
    purpose: Purpose<'_>,
    lifetime: Lifetime,
    now: DateTime<Utc>,
) -> Result<Result<Checked, Refusal>, R::Error> {
    let opened = match open(bytes, keys) {
        Ok(o) => o,
        Err(r) => return Ok(Err(r)),
    };
    let engine = Engine::get();
    let mut outcome =
        engine.validate_at(opened.document_type, &opened.document, now.fixed_offset());
    outcome
        .findings
        .splice(0..0, opened.mapping.iter().cloned());
    let signer = records.key_owner(&opened.kid)?;
    let mut checked = Checked {
        failure: None,
        consent_checked: false,
        registration_version: None,
        outcome,
        signer,
        opened,
    };
    checked.failure = content(&mut checked, engine, records, purpose, lifetime, now)?;
    Ok(Ok(checked))
}

fn content<R: Records>(
    c: &mut Checked,
    engine: &Engine,
    records: &R,
    purpose: Purpose<'_>,
    lifetime: Lifetime,
    now: DateTime<Utc>,
) -> Result<Option<Failure>, R::Error> {
    let submit = matches!(purpose, Purpose::Submit { .. });
    if let Purpose::Submit { caller } = purpose {
        if c.signer.as_deref() != Some(caller.id) {
            return Ok(Some(Failure::KeyNotCallers));
        }
        if c.opened.document_type != Some(DocumentType::Handoff) {
            return Ok(Some(Failure::NotAHandoff));
        }
    }
    if !engine.is_valid(&c.outcome) {
        return Ok(Some(Failure::InvalidContent));
    }
    let doc = &c.opened.document;
    let party = |p: &str, field: &str| doc[p][field].as_str().unwrap_or_default();
    // The organization that owns the signing key is the packet's author; the exchange's own
    // key signs the packets it composes for any sender.
    let author = match c.opened.document_type {
        Some(DocumentType::Handoff) => "sender",
        Some(DocumentType::HandoffResponse) => "responder",
        _ => return Ok(None),
    };
    if let Some(owner) = &c.signer {
        if party(author, "organization_id") != owner {
            return Ok(Some(Failure::SenderMismatch));
        }
    }
    if c.opened.document_type != Some(DocumentType::Handoff) {
        return Ok(None);
    }
    if let Some(failure) = timing(doc, lifetime, now) {
        return Ok(Some(failure));
    }
    let Some(caller) = purpose.caller() else {
        return Ok(None);
    };
    let is_party = |p: &str| party(p, "organization_id") == caller.id;
    let coordinator =
        access::may(caller.role, Permission::CoordinateHandoffs, Relation::Other).allowed();
    if submit {
        if !is_party("sender") || party("sender", "role") != caller.role {
            return Ok(Some(Failure::SenderMismatch));
        }
        let recipient = party("recipient", "organization_id");
        if records.role_of(recipient)?.as_deref() != Some(party("recipient", "role")) {
            return Ok(Some(Failure::UnknownRecipient));
        }
    } else if !(coordinator || is_party("sender") || is_party("recipient")) {
        return Ok(Some(Failure::WrongRecipient));
    }
    if c.opened.document.get("intake_ref").is_some() {
        against_intake(c, engine, records, submit)
    } else {
        against_registration(c, engine, records, submit)
    }
}

/// A handoff against the emergency intake it was built from, when the caller may read it:
/// within the intake's consent (or on the vital-interest basis by a coordinator) and, for a
/// submission, every `subject` value as stored and the intake not yet a registration.
fn against_intake<R: Records>(
    c: &mut Checked,
    engine: &Engine,
    records: &R,
    submit: bool,
) -> Result<Option<Failure>, R::Error> {
    let doc = &c.opened.document;
    let intake_id = doc["intake_ref"]["intake_id"].as_str().unwrap_or_default();
    let stored = match records.intake(intake_id)? {
        Some(i) if !(submit && i.linked) => i,
        _ => return Ok(submit.then_some(Failure::UnknownIntake)),
    };
    c.consent_checked = true;
    if let Some(failure) = within_consent(engine, &stored.document, doc) {
        return Ok(Some(failure));
    }
    if submit && !subject_matches(&stored.document, doc) {
        return Ok(Some(Failure::SubjectMismatch));
    }
    Ok(None)
}

/// The first category of the packet's `subject` that the stored document's consent (or the
/// need set) does not allow.
fn within_consent(engine: &Engine, stored: &Value, packet: &Value) -> Option<Failure> {
    match handoff::category_outside_consent(&engine.policy, stored, packet) {
        Ok(None) => None,
        Ok(Some((category, _))) => Some(Failure::CategoryNotPermitted(category.to_owned())),
        Err(e) => Some(Failure::from_compose(e)),
    }
}

/// A handoff against the registration it is about, when the caller may read it (or holds a
/// handoff on it): within the stored consent and, for a submission, of its current version
/// with every `subject` value as stored.
fn against_registration<R: Records>(
    c: &mut Checked,
    engine: &Engine,
    records: &R,
    submit: bool,
) -> Result<Option<Failure>, R::Error> {
    let doc = &c.opened.document;
    let registration_id = doc["registration_ref"]["registration_id"]
        .as_str()
        .unwrap_or_default();
    let Some(stored) = records.registration(registration_id)? else {
        let unknown = submit || records.known_absent(registration_id)?;
        return Ok(unknown.then_some(Failure::UnknownRegistration));
    };
    c.consent_checked = true;
    if let Some(failure) = within_consent(engine, &stored.document, doc) {
        return Ok(Some(failure));
    }
    if submit {
        if doc["registration_ref"]["version"].as_i64() != Some(i64::from(stored.version)) {
            return Ok(Some(Failure::VersionNotCurrent));
        }
        if !subject_matches(&stored.document, doc) {
            return Ok(Some(Failure::SubjectMismatch));
        }
        c.registration_version = Some(stored.version);
    }
    Ok(None)
}

/// `issued_at` not in the future, a lifetime within the bound, not expired.
pub fn timing(doc: &Value, lifetime: Lifetime, now: DateTime<Utc>) -> Option<Failure> {
    let at = |field: &str| doc[field].as_str().and_then(parse_timestamp);
    // Validation has checked both are timestamps; a packet without them is not a handoff.
    let (Some(issued), Some(expires)) = (at("issued_at"), at("expires_at")) else {
        return Some(Failure::InvalidContent);
    };
    if issued > now + lifetime.skew {
        return Some(Failure::IssuedInFuture);
    }
    let span = expires.signed_duration_since(issued);
    if span <= Duration::zero() || span > lifetime.max {
        return Some(Failure::LifetimeTooLong);
    }
    if expires <= now {
        return Some(Failure::Expired);
    }
    None
}

/// Whether every value of the packet's `subject` is the registration's: each object member the
/// packet carries must be in the registration with an equal value (objects compared member by
/// member, lists and other values whole). A packet may leave a field out, never change one.
fn subject_matches(registration: &Value, packet: &Value) -> bool {
    fn within(part: &Value, whole: &Value) -> bool {
        match (part, whole) {
            (Value::Object(p), Value::Object(w)) => p
                .iter()
                .all(|(k, v)| w.get(k).is_some_and(|wv| within(v, wv))),
            _ => part == whole,
        }
    }
    match (&packet["subject"], registration) {
        (Value::Object(_), Value::Object(_)) => within(&packet["subject"], registration),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(s: &str) -> DateTime<Utc> {
        parse_timestamp(s).unwrap().with_timezone(&Utc)
    }

    fn packet(issued: &str, expires: &str) -> Value {
        json!({"issued_at": issued, "expires_at": expires})
    }

    #[test]
    fn a_packet_issued_in_the_future_beyond_the_skew_is_refused() {
        let now = t("2026-01-20T10:00:00+09:00");
        let ok = packet("2026-01-20T10:04:00+09:00", "2026-01-21T10:00:00+09:00");
        assert_eq!(timing(&ok, Lifetime::default(), now), None);
        let ahead = packet("2026-01-20T10:06:00+09:00", "2026-01-21T10:00:00+09:00");
        assert_eq!(
            timing(&ahead, Lifetime::default(), now),
            Some(Failure::IssuedInFuture)
        );
    }

    #[test]
    fn a_lifetime_beyond_the_bound_or_not_positive_is_refused() {
        let now = t("2026-01-20T10:00:00+09:00");
        let month = packet("2026-01-20T10:00:00+09:00", "2026-02-19T10:00:00+09:00");
        assert_eq!(timing(&month, Lifetime::default(), now), None);
        let longer = packet("2026-01-20T10:00:00+09:00", "2026-02-19T10:00:01+09:00");
        assert_eq!(
            timing(&longer, Lifetime::default(), now),
            Some(Failure::LifetimeTooLong)
        );
        assert_eq!(
            timing(&month, Lifetime::days(7), now),
            Some(Failure::LifetimeTooLong)
        );
        let backwards = packet("2026-01-20T10:00:00+09:00", "2026-01-20T09:00:00+09:00");
        assert_eq!(
            timing(&backwards, Lifetime::default(), now),
            Some(Failure::LifetimeTooLong)
        );
    }

    #[test]
    fn a_packet_past_its_expiry_is_expired() {
        let p = packet("2026-01-20T10:00:00+09:00", "2026-01-20T22:00:00+09:00");
        assert_eq!(
            timing(&p, Lifetime::default(), t("2026-01-20T22:00:00+09:00")),
            Some(Failure::Expired)
        );
        assert_eq!(
            timing(&p, Lifetime::default(), t("2026-01-20T21:59:59+09:00")),
            None
        );
    }

    #[test]
    fn a_subject_may_leave_fields_out_but_never_change_or_add_one() {
        let reg = json!({"registrant": {"name": {"family": "山田", "given": "花子"}, "sex": "female"}, "household": [{"name": "x"}]});
        let same =
            json!({"subject": {"registrant": {"name": {"family": "山田", "given": "花子"}}}});
        assert!(subject_matches(&reg, &same));
        let changed =
            json!({"subject": {"registrant": {"name": {"family": "山田", "given": "太郎"}}}});
        assert!(!subject_matches(&reg, &changed));
        let added = json!({"subject": {"registrant": {"birth_date": "2000-01-01"}}});
        assert!(!subject_matches(&reg, &added));
        let list_changed = json!({"subject": {"household": [{"name": "y"}]}});
        assert!(!subject_matches(&reg, &list_changed));
        assert!(!subject_matches(&reg, &json!({"subject": "x"})));
    }
}
