//! A registration's consent: withdrawing it, and granting a new one (each its own recorded
//! act, never an edit of the registration).
use super::*;

/// The result of a consent withdrawal.
#[derive(Debug)]
pub enum Withdrawal {
    Withdrawn(Box<Registration>),
    NotFound,
    Forbidden,
    /// The consent was withdrawn before.
    AlreadyWithdrawn,
    /// Another write changed the registration at the same moment; nothing was recorded.
    Raced,
}

/// Records that the person withdrew their consent (`withdrawn_on` = `on`), as the next version
/// with status `consent_withdrawn`. The registration is kept (the provision records refer to
/// it); no packet may be built from it any more.
pub fn withdraw_consent(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &str,
    on: chrono::NaiveDate,
) -> Result<Withdrawal, StoreError> {
    conn.transaction(|conn| {
        let Some(current) = visible(conn, caller, id)? else {
            return Ok(Withdrawal::NotFound);
        };
        if !may_write(caller, &current) {
            return Ok(Withdrawal::Forbidden);
        }
        if current.status == WITHDRAWN {
            return Ok(Withdrawal::AlreadyWithdrawn);
        }
        let mut document: Value = serde_json::from_str(&current.document).map_err(|e| {
            StoreError::Query(diesel::result::Error::DeserializationError(Box::new(e)))
        })?;
        document["consent"]["withdrawn_on"] = Value::String(on.format("%Y-%m-%d").to_string());
        let text = document.to_string();
        // Conditional on the version just read, like a change notification.
        let next = Next {
            status: WITHDRAWN,
            text: &text,
            ward: current.ward.as_deref(),
            action: Action::WithdrawConsent,
            // Only the withdrawal date is written; no personal data is read or shared.
            categories: "",
        };
        match next_version(conn, caller, id, current.version, next)? {
            Some(row) => Ok(Withdrawal::Withdrawn(Box::new(row))),
            // Another write came between the read and this one: try again.
            None => Ok(Withdrawal::Raced),
        }
    })
}

/// The result of recording a new consent.
#[derive(Debug)]
pub enum NewConsent {
    Granted(Box<Registration>),
    NotFound,
    Forbidden,
    /// `If-Match` named another version than the current one (which is given).
    Stale(i32),
    /// The new consent's `granted_on` is not after the current consent's, or is before its
    /// withdrawal.
    NotNewer,
}

/// The registration as it would be with `consent` as its consent: what a new consent must
/// make valid, or why there is none.
pub fn with_consent(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &str,
    consent: &Value,
) -> Result<WithConsent, StoreError> {
    let Some(current) = get(conn, id)?.filter(|r| may_read(caller, r)) else {
        return Ok(WithConsent::NotFound);
    };
    if !may_write(caller, &current) {
        return Ok(WithConsent::Forbidden);
    }
    let mut document = parse(&current.document)?;
    document["consent"] = consent.clone();
    Ok(WithConsent::Document(document))
}

/// A registration with a new consent in place, to validate before it is recorded.
#[derive(Debug)]
pub enum WithConsent {
    Document(Value),
    NotFound,
    Forbidden,
}

/// Records a new consent (同意の再取得) as the next version, if `expected_version` is still the
/// current one: its own act, with its own access record (`grant_consent`) and history entry,
/// never an edit of the old consent. `document` is the registration with the new consent in
/// place (validated by the caller, see [`with_consent`]); everything else in it must be the
/// current version's. The new consent must be granted after the one it replaces and not before
/// that one's withdrawal; the registration is active again.
pub fn grant_consent(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &str,
    expected_version: i32,
    document: Value,
) -> Result<NewConsent, StoreError> {
    conn.transaction(|conn| {
        let Some(current) = visible(conn, caller, id)? else {
            return Ok(NewConsent::NotFound);
        };
        if !may_write(caller, &current) {
            return Ok(NewConsent::Forbidden);
        }
        if current.version != expected_version {
            return Ok(NewConsent::Stale(current.version));
        }
        let mut stored = parse(&current.document)?;
        let new = &document["consent"];
        let old = &stored["consent"];
        let date = |v: &Value, key: &str| v[key].as_str().map(str::to_owned);
        let granted = date(new, "granted_on");
        let newer = granted > date(old, "granted_on")
            && date(old, "withdrawn_on").is_none_or(|w| granted >= Some(w));
        if !newer || records_withdrawal(&document) {
            return Ok(NewConsent::NotNewer);
        }
        // Only the consent changes: the rest is the current version's, as stored.
        stored["consent"] = new.clone();
        let text = stored.to_string();
        let next = Next {
            status: ACTIVE,
            text: &text,
            ward: current.ward.as_deref(),
            action: Action::GrantConsent,
            // The consent is written; no personal data is read or shared.
            categories: "",
        };
        match next_version(conn, caller, id, expected_version, next)? {
            Some(row) => Ok(NewConsent::Granted(Box::new(row))),
            None => Ok(NewConsent::Stale(current.version)),
        }
    })
}
