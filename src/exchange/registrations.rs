//! Registrations (緊急時支援登録) and their consent: registering a person, reading and
//! changing the registration, its history, granting a new consent, withdrawing it, and the
//! break-glass read. Every read and change is recorded by the store in the same transaction,
//! and the registration's shared copies follow each change in it (`sharing`).
use super::{sharing, valid};
use crate::contracts::DocumentType;
use crate::domain::access::{Permission, Relation};
use crate::domain::consent;
use crate::domain::ids::{IntakeId, RegistrationId};
use crate::problem::ApiError;
use crate::store::intakes::{self, Linkable};
use crate::store::organizations::Organization;
use crate::store::registrations::{self, BreakGlassRead, Change, NewConsent, NewRegistration};
use crate::store::registrations::{ListFilter, Summary};
use crate::store::registrations::{Registration, Version, WithConsent, Withdrawal};
use crate::store::{Page, PageRequest, Store, StoreError};
use crate::time::jst;
use crate::validation::input::Format;
use crate::validation::Lang;
use diesel::Connection;
use serde_json::Value;

/// A page of the registrations `caller` may see that match `filter`, by id: all of them for
/// those who read every registration, its own for a consultation office; a role that reads
/// none (a facility) is refused. The listing is recorded.
pub fn list(
    store: &Store,
    caller: &Organization,
    mut filter: ListFilter,
    page: PageRequest,
) -> Result<Page<Summary>, ApiError> {
    if !caller
        .may(Permission::ReadRegistrations, Relation::Own)
        .allowed()
    {
        return Err(ApiError::Forbidden);
    }
    if !caller
        .may(Permission::ReadRegistrations, Relation::Other)
        .allowed()
    {
        filter.responsible_office = Some(caller.id.to_string());
    } else {
        filter.scope = caller.scope();
    }
    let by = caller.id.clone();
    Ok(store.write(move |conn| registrations::list(conn, &by, &filter, &page))?)
}

/// Stores a new registration (already valid) taken by `caller`, which must be the
/// `received_by` organization; the exchange assigns its id.
pub fn create(
    store: &Store,
    caller: &Organization,
    document: Value,
) -> Result<Registration, ApiError> {
    let new = new_registration(caller, document)?;
    let caller = caller.clone();
    Ok(store.write(move |conn| registrations::create(conn, &caller, new))?)
}

/// A new registration (already valid) taken by `caller`: without an id, and with `caller` as
/// its `received_by`.
fn new_registration(caller: &Organization, document: Value) -> Result<NewRegistration, ApiError> {
    if document.get("registration_id").is_some() {
        return Err(ApiError::RegistrationIdNotAllowed);
    }
    if document["received_by"]["organization_id"].as_str() != Some(caller.id.as_str()) {
        return Err(ApiError::ReceivedByMismatch);
    }
    let municipality = document["municipality_code"].as_str().unwrap_or_default();
    let ward = crate::domain::address::ward(&document["registrant"]["address"]);
    if !caller.scope().covers(municipality, ward.as_deref()) {
        return Err(ApiError::OutsideScope);
    }
    Ok(NewRegistration::new(document))
}

/// Stores a new registration (already valid) for the person of emergency intake `intake`,
/// which `caller` must be able to read and which must not have become a registration before;
/// the registration and the intake's link to it are written in one transaction, or neither.
pub fn create_from_intake(
    store: &Store,
    caller: &Organization,
    document: Value,
    intake: IntakeId,
) -> Result<Registration, ApiError> {
    let new = new_registration(caller, document)?;
    let caller = caller.clone();
    store.write(move |conn| {
        let intake = match intakes::linkable(conn, &caller, &intake)? {
            Linkable::Yes(intake) => intake,
            Linkable::NotFound => {
                return Ok(Err(ApiError::InvalidParameter {
                    name: "from_intake",
                }))
            }
            Linkable::AlreadyRegistered(_) => {
                return Ok(Err(ApiError::IntakeAlreadyRegistered { handoff: false }))
            }
        };
        // A link made by someone else meanwhile rolls the registration back.
        let lost = || StoreError::Query(diesel::result::Error::RollbackTransaction);
        let made = conn.transaction(|conn| {
            let row = registrations::create(conn, &caller, new)?;
            if intakes::link(conn, &caller, &intake, row.id.as_str())? {
                Ok(row)
            } else {
                Err(lost())
            }
        });
        match made {
            Ok(row) => Ok(Ok(row)),
            Err(StoreError::Query(diesel::result::Error::RollbackTransaction)) => {
                Ok(Err(ApiError::IntakeAlreadyRegistered { handoff: false }))
            }
            Err(e) => Err(e),
        }
    })?
}

/// Registration `id`, for a caller who may read it.
pub fn read(
    store: &Store,
    caller: &Organization,
    id: &RegistrationId,
) -> Result<Registration, ApiError> {
    let (caller, id) = (caller.clone(), id.as_str().to_owned());
    store
        .write(move |conn| registrations::read(conn, &caller, &id))?
        .ok_or(ApiError::NotFound)
}

/// Every version of registration `id`, oldest first.
pub fn history(
    store: &Store,
    caller: &Organization,
    id: &RegistrationId,
) -> Result<Vec<Version>, ApiError> {
    let (caller, id) = (caller.clone(), id.as_str().to_owned());
    store
        .write(move |conn| registrations::history(conn, &caller, &id))?
        .ok_or(ApiError::NotFound)
}

/// Replaces registration `id` (already valid) by its next version; `expected` is the version
/// it replaces. The consent is changed only by granting a new one.
pub fn change(
    store: &Store,
    caller: &Organization,
    id: &RegistrationId,
    expected: i32,
    document: Value,
) -> Result<Registration, ApiError> {
    if document
        .get("registration_id")
        .is_some_and(|r| r.as_str() != Some(id.as_str()))
    {
        return Err(ApiError::RegistrationIdMismatch);
    }
    let ring = store.keyring().map_err(ApiError::contended)?;
    let (caller, id) = (caller.clone(), id.as_str().to_owned());
    let change = store
        .write(move |conn| {
            let change = registrations::change(conn, &caller, &id, expected, document)?;
            if let Change::Changed(row) = &change {
                sharing::follow_change(conn, &ring, &caller, row)?;
            }
            Ok(change)
        })
        .map_err(ApiError::contended)?;
    match change {
        Change::Changed(row) => Ok(*row),
        Change::NotFound => Err(ApiError::NotFound),
        Change::Forbidden => Err(ApiError::Forbidden),
        Change::Stale(current) => Err(ApiError::PreconditionFailed {
            current: Some(current),
        }),
        Change::WithdrawalFinal => Err(ApiError::ConsentWithdrawalFinal),
        Change::ReceivedByChanged => Err(ApiError::ReceivedByImmutable),
        Change::ConsentChanged => Err(ApiError::ConsentChangeNotAllowed),
    }
}

/// A registration's consent as the consent endpoints answer it.
pub struct ConsentStatus {
    pub version: i32,
    pub body: Value,
}

fn consent_status(row: &Registration) -> Result<ConsentStatus, ApiError> {
    let document: Value = serde_json::from_str(&row.document).map_err(|e| {
        ApiError::Internal(anyhow::Error::new(e).context("stored registration unreadable"))
    })?;
    Ok(ConsentStatus {
        version: row.version,
        body: consent::consent_status(&document, row.version, &row.status),
    })
}

/// Grants a new consent: the registration with `new_consent` in place of its consent must be
/// valid with every rule, in one reading (the bytes validated are the bytes whose consent is
/// stored), and the new consent newer than the one it replaces.
pub fn grant_consent(
    store: &Store,
    caller: &Organization,
    id: &RegistrationId,
    expected: i32,
    new_consent: &Value,
    lang: Lang,
) -> Result<ConsentStatus, ApiError> {
    let candidate =
        registrations::with_consent(&mut *store.conn()?, caller, id.as_str(), new_consent)?;
    let candidate = match candidate {
        WithConsent::Document(document) => document,
        WithConsent::NotFound => return Err(ApiError::NotFound),
        WithConsent::Forbidden => return Err(ApiError::Forbidden),
    };
    let bytes = candidate.to_string();
    let document = valid(
        Format::Json,
        bytes.as_bytes(),
        DocumentType::Registration,
        lang,
    )?;
    let ring = store.keyring().map_err(ApiError::contended)?;
    let (caller, id) = (caller.clone(), id.as_str().to_owned());
    let granted = store
        .write(move |conn| {
            let granted = registrations::grant_consent(conn, &caller, &id, expected, document)?;
            if let NewConsent::Granted(row) = &granted {
                sharing::follow_change(conn, &ring, &caller, row)?;
            }
            Ok(granted)
        })
        .map_err(ApiError::contended)?;
    match granted {
        NewConsent::Granted(row) => consent_status(&row),
        NewConsent::NotFound => Err(ApiError::NotFound),
        NewConsent::Forbidden => Err(ApiError::Forbidden),
        NewConsent::Stale(current) => Err(ApiError::PreconditionFailed {
            current: Some(current),
        }),
        NewConsent::NotNewer => Err(ApiError::ConsentNotNewer),
    }
}

/// Withdraws the consent of registration `id` as of today (Japan time). Final: from now on
/// nothing is sent on it but a vital-interest packet.
pub fn withdraw_consent(
    store: &Store,
    caller: &Organization,
    id: &RegistrationId,
) -> Result<ConsentStatus, ApiError> {
    let today = chrono::Utc::now().with_timezone(&jst()).date_naive();
    let (caller, id) = (caller.clone(), id.as_str().to_owned());
    let withdrawal = store.write(move |conn| {
        let withdrawal = registrations::withdraw_consent(conn, &caller, &id, today)?;
        if let Withdrawal::Withdrawn(_) = &withdrawal {
            sharing::follow_withdrawal(conn, &caller, &id)?;
        }
        Ok(withdrawal)
    })?;
    match withdrawal {
        Withdrawal::Withdrawn(row) => consent_status(&row),
        Withdrawal::NotFound => Err(ApiError::NotFound),
        Withdrawal::Forbidden => Err(ApiError::Forbidden),
        Withdrawal::AlreadyWithdrawn => Err(ApiError::ConsentAlreadyWithdrawn),
        Withdrawal::Raced => Err(ApiError::RegistrationBusy),
    }
}

/// The break-glass read: the whole registration on the vital-interest basis, by a role that
/// may, flagged in its access record. The request names that basis and nothing else.
pub fn break_glass_read(
    store: &Store,
    caller: &Organization,
    id: &RegistrationId,
    request: &Value,
) -> Result<Registration, ApiError> {
    let basis_only = request.as_object().is_some_and(|o| {
        o.len() == 1 && o.get("legal_basis").and_then(Value::as_str) == Some("vital_interest")
    });
    if !basis_only {
        return Err(ApiError::InvalidBreakGlassRead);
    }
    let (caller, id) = (caller.clone(), id.as_str().to_owned());
    match store.write(move |conn| registrations::break_glass_read(conn, &caller, &id))? {
        BreakGlassRead::Read(row) => Ok(*row),
        BreakGlassRead::NotFound => Err(ApiError::NotFound),
        BreakGlassRead::NotAllowed => Err(ApiError::BreakGlassNotAllowed),
    }
}
