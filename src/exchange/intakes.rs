//! Emergency intakes (事前情報のない新規ケース): a coordinator records what finding a provider
//! needs for a person who never registered, lists and reads the intakes it may see, and gets
//! the facilities to call. Every access is recorded by the store in the same transaction.
use super::matching::{self as ranking, Ranked};
use crate::domain::access::{Permission, Relation};
use crate::domain::ids::IntakeId;
use crate::domain::matching::Needs;
use crate::problem::ApiError;
use crate::store::audit::Action;
use crate::store::intakes::{self, Intake, IntakeFilter, IntakeSummary, NewIntake};
use crate::store::organizations::Organization;
use crate::store::{parse_stored, Page, PageRequest, Store};
use crate::time::jst;
use chrono::Utc;
use serde::Serialize;
use serde_json::Value;

/// Stores a new intake (already valid) taken by `caller`, which must be the `received_by`
/// organization; the exchange assigns its id. A `registration_id` is the exchange's to set.
pub fn create(store: &Store, caller: &Organization, document: Value) -> Result<Intake, ApiError> {
    if !caller
        .may(Permission::RecordIntake, Relation::Own)
        .allowed()
    {
        return Err(ApiError::Forbidden);
    }
    if document.get("intake_id").is_some() || document.get("registration_id").is_some() {
        return Err(ApiError::IntakeIdNotAllowed);
    }
    if document["received_by"]["organization_id"].as_str() != Some(caller.id.as_str()) {
        return Err(ApiError::ReceivedByMismatch);
    }
    let municipality = document["municipality_code"].as_str().unwrap_or_default();
    if !caller
        .scope()
        .covers(municipality, document["person"]["ward"].as_str())
    {
        return Err(ApiError::OutsideScope);
    }
    let new = NewIntake::new(document);
    let caller = caller.clone();
    Ok(store.write(move |conn| intakes::create(conn, &caller, new))?)
}

/// Intake `id`, for a caller who may read it (the read is recorded).
pub fn read(store: &Store, caller: &Organization, id: &IntakeId) -> Result<Intake, ApiError> {
    let (caller, id) = (caller.clone(), id.clone());
    store
        .write(move |conn| intakes::read(conn, &caller, &id, Action::Read))?
        .ok_or(ApiError::NotFound)
}

/// A page of the intakes `caller` may see, oldest first: every one for a coordinator (the
/// kikan, the hub, the city), its own for a consultation office; a facility is refused.
pub fn list(
    store: &Store,
    caller: &Organization,
    page: PageRequest,
) -> Result<Page<IntakeSummary>, ApiError> {
    if !caller.may(Permission::ReadIntakes, Relation::Own).allowed() {
        return Err(ApiError::Forbidden);
    }
    let mut filter = IntakeFilter::default();
    if !caller
        .may(Permission::ReadIntakes, Relation::Other)
        .allowed()
    {
        filter.received_by = Some(caller.id.clone());
    } else {
        filter.scope = caller.scope();
    }
    let by = caller.id.clone();
    store
        .write(move |conn| intakes::list(conn, &by, &filter, &page))?
        .ok_or(ApiError::InvalidParameter { name: "after" })
}

/// The facilities to call for an intake.
#[derive(Serialize)]
pub struct IntakeCandidates {
    intake_id: IntakeId,
    situation: String,
    #[serde(flatten)]
    ranked: Ranked,
}

/// The ranked candidates for intake `id`, which `caller` must be able to read (the read of
/// its needs is recorded as matching): nothing is prearranged for a person the exchange has
/// no registration of, so medical short stay is never offered; short stay only when the
/// situation is that the caregiver is unavailable.
pub fn candidates(
    store: &Store,
    caller: &Organization,
    id: &IntakeId,
    service_type: Option<String>,
) -> Result<IntakeCandidates, ApiError> {
    let (caller, id) = (caller.clone(), id.clone());
    store.write(move |conn| {
        let Some(intake) = intakes::read(conn, &caller, &id, Action::Match)? else {
            return Ok(Err(ApiError::NotFound));
        };
        let document = parse_stored(&intake.document)?;
        let now = Utc::now().with_timezone(&jst()).fixed_offset();
        let needs = Needs::of_intake(&document, now.date_naive());
        let situation = document["situation"]["kind"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let ranked = ranking::rank(
            conn,
            intake.id.as_str(),
            &needs,
            &situation,
            service_type.as_deref(),
            now,
        )?;
        Ok(Ok(IntakeCandidates {
            intake_id: intake.id,
            situation,
            ranked,
        }))
    })?
}
