//! The one packet check (`packet::check`) run against the exchange's records for one caller:
//! for a packet the caller submits (strictly) and for a packet the caller asks about (as a
//! verifier).
use crate::domain::access::{Permission, Relation};
use crate::domain::ids::IntakeId;
use crate::packet::check::{check, Checked, Lifetime, Org, Purpose, Records};
use crate::packet::check::{StoredIntake, StoredRegistration};
use crate::packet::Refusal;
use crate::problem::ApiError;
use crate::store::intakes::{self, Linkable};
use crate::store::organizations::Organization;
use crate::store::{handoffs, keys::KeyRing, registrations, Store};
use serde_json::Value;
use std::sync::Arc;

/// The JSON of a stored registration.
pub fn stored_document(r: &registrations::Registration) -> Result<Value, ApiError> {
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
    ring: Arc<KeyRing>,
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
            .map(|o| o.role.as_str().to_owned()))
    }

    fn registration(&self, id: &str) -> Result<Option<StoredRegistration>, ApiError> {
        let mut conn = self.store.conn().map_err(ApiError::contended)?;
        let found = match registrations::for_handoff(&mut conn, self.caller, id)
            .map_err(ApiError::contended)?
        {
            Some(r) => Some(r),
            None if handoffs::addressed_on(&mut conn, self.caller.id.as_str(), id)
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

    fn intake(&self, id: &str) -> Result<Option<StoredIntake>, ApiError> {
        let mut conn = self.store.conn().map_err(ApiError::contended)?;
        let found = intakes::linkable(&mut conn, self.caller, &IntakeId::from(id))
            .map_err(ApiError::contended)?;
        let (intake, linked) = match found {
            Linkable::Yes(i) => (i, false),
            Linkable::AlreadyRegistered(i) => (i, true),
            Linkable::NotFound => return Ok(None),
        };
        Ok(Some(StoredIntake {
            document: crate::store::parse_stored(&intake.document)?,
            linked,
        }))
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

/// Why a packet is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checking {
    /// The caller submits it as the sender: every check applies.
    Submit,
    /// The caller asks whether it holds (`POST /v1/verify`, `kyoten verify`).
    Verify,
}

/// Runs the one packet check for `caller` against the exchange's records.
pub fn check_packet(
    store: &Store,
    caller: &Organization,
    checking: Checking,
    lifetime: Lifetime,
    body: &[u8],
) -> Result<Result<Checked, Refusal>, ApiError> {
    let records = CallerRecords {
        store,
        caller,
        ring: store.keyring().map_err(ApiError::contended)?,
    };
    let org = Org {
        id: caller.id.as_str(),
        role: caller.role.as_str(),
    };
    let purpose = match checking {
        Checking::Submit => Purpose::Submit { caller: org },
        Checking::Verify => Purpose::Verify { caller: org },
    };
    let keys = |kid: &str| store.keyring_with(kid).ok()?.lookup(kid);
    check(body, keys, &records, purpose, lifetime, chrono::Utc::now())
}
