//! Signing keys: the exchange's own (created on first start, private key kept in the database
//! so every instance signs with the same key) and the public keys organizations registered.
//! Every key has its RFC 7638 thumbprint as `kid` and one pinned algorithm; retiring a key
//! stops it from signing and from verifying.
use super::organizations::now;
use super::schema::signing_keys;
use super::{DbConnection, StoreError};
use crate::crypto::jws::{Alg, SigningKey, VerifyingKey};
use crate::crypto::keys;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
pub struct KeyRow {
    pub kid: String,
    /// `None` for the exchange's own keys.
    pub organization_id: Option<String>,
    pub alg: String,
    pub jwk: String,
    pub certificate: Option<String>,
    pub private_pem: Option<String>,
    pub created_at: NaiveDateTime,
    pub retired_at: Option<NaiveDateTime>,
}

impl KeyRow {
    pub fn verifying_key(&self) -> Option<VerifyingKey> {
        let jwk = serde_json::from_str(&self.jwk).ok()?;
        keys::from_jwk(&jwk, Alg::parse(&self.alg)).ok()
    }
}

fn key_error(e: keys::KeyError) -> StoreError {
    StoreError::Write(format!("key: {e}"))
}

fn insert_exchange_key(conn: &mut DbConnection, alg: Alg) -> Result<KeyRow, StoreError> {
    let signing = keys::generate(alg).map_err(key_error)?;
    let public = keys::verifying_key(&signing).map_err(key_error)?;
    let row = KeyRow {
        kid: signing.kid.clone(),
        organization_id: None,
        alg: alg.name().into(),
        jwk: keys::to_jwk(&public).map_err(key_error)?.to_string(),
        certificate: None,
        private_pem: Some(keys::private_pem(&signing).map_err(key_error)?),
        created_at: now(),
        retired_at: None,
    };
    diesel::insert_into(signing_keys::table)
        .values(&row)
        .execute(conn)?;
    Ok(row)
}

/// Creates the exchange's ES256 signing key unless an active one exists. Two instances
/// starting at once may each create one; both then verify and the newest signs.
pub fn ensure_exchange_key(conn: &mut DbConnection) -> Result<(), StoreError> {
    let active: i64 = signing_keys::table
        .filter(signing_keys::organization_id.is_null())
        .filter(signing_keys::retired_at.is_null())
        .count()
        .get_result(conn)?;
    if active == 0 {
        insert_exchange_key(conn, Alg::Es256)?;
    }
    Ok(())
}

/// A new exchange signing key, which signs from now on; older keys keep verifying until
/// they are retired.
pub fn rotate_exchange_key(conn: &mut DbConnection, alg: Alg) -> Result<KeyRow, StoreError> {
    insert_exchange_key(conn, alg)
}

/// What registering a public key came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Registered {
    New(KeyRow),
    /// The organization had registered this very key already.
    Existing(KeyRow),
    /// Another organization (or the exchange) holds this key.
    Taken,
}

/// Registers an organization's public key (from a JWK or a certificate).
pub fn register(
    conn: &mut DbConnection,
    organization_id: &str,
    key: &VerifyingKey,
    certificate: Option<String>,
) -> Result<Registered, StoreError> {
    let jwk = keys::to_jwk(key).map_err(key_error)?.to_string();
    conn.transaction(|conn| {
        let existing = signing_keys::table
            .find(&key.kid)
            .select(KeyRow::as_select())
            .first(conn)
            .optional()?;
        if let Some(row) = existing {
            return Ok(
                if row.organization_id.as_deref() == Some(organization_id)
                    && row.retired_at.is_none()
                {
                    Registered::Existing(row)
                } else {
                    Registered::Taken
                },
            );
        }
        let row = KeyRow {
            kid: key.kid.clone(),
            organization_id: Some(organization_id.to_owned()),
            alg: key.alg.name().into(),
            jwk,
            certificate,
            private_pem: None,
            created_at: now(),
            retired_at: None,
        };
        diesel::insert_into(signing_keys::table)
            .values(&row)
            .execute(conn)?;
        Ok(Registered::New(row))
    })
}

/// The keys of one organization (`Some`) or of the exchange (`None`), newest first.
pub fn list(
    conn: &mut DbConnection,
    organization_id: Option<&str>,
) -> Result<Vec<KeyRow>, StoreError> {
    let query = signing_keys::table
        .select(KeyRow::as_select())
        .order(signing_keys::created_at.desc())
        .into_boxed();
    let query = match organization_id {
        Some(org) => query.filter(signing_keys::organization_id.eq(org.to_owned())),
        None => query.filter(signing_keys::organization_id.is_null()),
    };
    Ok(query.load(conn)?)
}

/// Retires a key of `owner` (`None`: the exchange). `false` when there is no such active key.
pub fn retire(conn: &mut DbConnection, owner: Option<&str>, kid: &str) -> Result<bool, StoreError> {
    let target = signing_keys::table
        .filter(signing_keys::kid.eq(kid))
        .filter(signing_keys::retired_at.is_null());
    let n = match owner {
        Some(org) => diesel::update(target.filter(signing_keys::organization_id.eq(org)))
            .set(signing_keys::retired_at.eq(now()))
            .execute(conn)?,
        None => diesel::update(target.filter(signing_keys::organization_id.is_null()))
            .set(signing_keys::retired_at.eq(now()))
            .execute(conn)?,
    };
    Ok(n == 1)
}

/// The active keys as the server uses them: the exchange key that signs, and every key that
/// verifies with the organization it belongs to.
pub struct KeyRing {
    pub signing: Option<SigningKey>,
    pub verifying: HashMap<String, (VerifyingKey, Option<String>)>,
    /// The public JWK Set, ready to serve.
    pub jwks: serde_json::Value,
}

impl KeyRing {
    pub fn load(conn: &mut DbConnection) -> Result<KeyRing, StoreError> {
        let rows: Vec<KeyRow> = signing_keys::table
            .filter(signing_keys::retired_at.is_null())
            .order((signing_keys::created_at.desc(), signing_keys::kid))
            .select(KeyRow::as_select())
            .load(conn)?;
        let signing = rows
            .iter()
            .filter(|r| r.organization_id.is_none())
            .find_map(|r| {
                let pem = r.private_pem.as_deref()?;
                keys::signing_key_from_pem(pem.as_bytes(), Alg::parse(&r.alg)).ok()
            });
        let mut verifying = HashMap::new();
        let mut published = Vec::new();
        for row in &rows {
            let Some(key) = row.verifying_key() else {
                tracing::warn!(kid = %row.kid, "a stored key cannot be read; it is not used");
                continue;
            };
            published.push(key.clone());
            verifying.insert(row.kid.clone(), (key, row.organization_id.clone()));
        }
        let mut jwks = keys::jwks(&published).map_err(key_error)?;
        // Each published key says whose it is, so that a receiver verifying offline can check
        // that the signer is the packet's author.
        if let Some(list) = jwks.get_mut("keys").and_then(Value::as_array_mut) {
            for jwk in list {
                let kid = jwk.get("kid").and_then(Value::as_str).unwrap_or_default();
                let owner = match verifying.get(kid).and_then(|(_, o)| o.clone()) {
                    Some(org) => keys::KeyOwner::Organization(org),
                    None => keys::KeyOwner::Exchange,
                };
                jwk[keys::OWNER_MEMBER] = owner.to_json();
            }
        }
        Ok(KeyRing {
            signing,
            verifying,
            jwks,
        })
    }

    /// The registered key with this kid.
    pub fn lookup(&self, kid: &str) -> Option<VerifyingKey> {
        self.verifying.get(kid).map(|(k, _)| k.clone())
    }

    /// The organization a kid belongs to (`None` for the exchange or an unknown kid).
    pub fn owner(&self, kid: &str) -> Option<&str> {
        self.verifying.get(kid).and_then(|(_, o)| o.as_deref())
    }

    pub fn is_exchange_key(&self, kid: &str) -> bool {
        self.verifying.get(kid).is_some_and(|(_, o)| o.is_none())
    }
}
