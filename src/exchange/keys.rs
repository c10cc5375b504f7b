//! An organization's public keys, which verify the packets it submits signed.
use crate::crypto::jws::Alg;
use crate::crypto::keys::{self, KeyError};
use crate::domain::ids::KeyId;
use crate::problem::ApiError;
use crate::store::keys::{self as stored, KeyRow, Registered};
use crate::store::organizations::Organization;
use crate::store::Store;

impl From<KeyError> for ApiError {
    fn from(e: KeyError) -> Self {
        ApiError::KeyRefused(e.to_string())
    }
}

/// A public key as an organization sends it.
pub enum Submitted {
    Jwk(serde_json::Value),
    CertificatePem(String),
}

/// A registered key, and whether this call registered it (rather than finding it registered
/// by the same organization before).
pub struct Outcome {
    pub row: KeyRow,
    pub new: bool,
}

/// Registers `caller`'s public key, pinned to `alg` (or the key's own). A key another
/// organization (or the exchange) holds is refused.
pub fn register(
    store: &Store,
    caller: &Organization,
    submitted: Submitted,
    alg: Option<Alg>,
) -> Result<Outcome, ApiError> {
    let (key, certificate) = match submitted {
        Submitted::Jwk(jwk) => (keys::from_jwk(&jwk, alg)?, None),
        Submitted::CertificatePem(pem) => {
            (keys::from_certificate_pem(pem.as_bytes(), alg)?, Some(pem))
        }
    };
    let org_id = caller.id.to_string();
    let registered = store.write(move |conn| stored::register(conn, &org_id, &key, certificate))?;
    match registered {
        Registered::New(row) => {
            store.reload_keyring()?;
            Ok(Outcome { row, new: true })
        }
        Registered::Existing(row) => Ok(Outcome { row, new: false }),
        Registered::Taken => Err(ApiError::KeyTaken),
    }
}

/// The keys `caller` registered, newest first, retired ones included.
pub fn list(store: &Store, caller: &Organization) -> Result<Vec<KeyRow>, ApiError> {
    Ok(stored::list(&mut *store.conn()?, Some(caller.id.as_str()))?)
}

/// One of `caller`'s keys (the `Location` of its registration); another's is not there.
pub fn get(store: &Store, caller: &Organization, kid: &KeyId) -> Result<KeyRow, ApiError> {
    stored::get(&mut *store.conn()?, caller.id.as_str(), kid.as_str())?.ok_or(ApiError::NotFound)
}

/// Retires one of `caller`'s keys: it no longer verifies.
pub fn retire(store: &Store, caller: &Organization, kid: &KeyId) -> Result<(), ApiError> {
    let (owner, kid) = (caller.id.to_string(), kid.as_str().to_owned());
    if !store.write(move |conn| stored::retire(conn, Some(&owner), &kid))? {
        return Err(ApiError::NotFound);
    }
    store.reload_keyring()?;
    Ok(())
}
