//! Signing keys: the exchange's own (created on first start, private key kept in the database
//! so every instance signs with the same key) and the public keys organizations registered.
//! Every key has its RFC 7638 thumbprint as `kid` and one pinned algorithm; retiring a key
//! stops it from signing and from verifying.
//!
//! The exchange's private keys are never stored in plaintext: the `private_pem` column holds
//! the PKCS#8 PEM sealed under the key-encryption key ([`crate::crypto::kek`], AES-256-GCM,
//! the `kid` as additional data, so a sealed key copied into another row does not open).
use super::schema::signing_keys;
use super::{DbConnection, StoreError};
use crate::crypto::jws::{Alg, SigningKey, VerifyingKey};
use crate::crypto::kek::{self, Kek};
use crate::crypto::keys;
use crate::domain::ids::KeyId;
use crate::time::now;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
pub struct KeyRow {
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub kid: KeyId,
    /// `None` for the exchange's own keys.
    pub organization_id: Option<String>,
    pub alg: String,
    pub jwk: String,
    pub certificate: Option<String>,
    /// The exchange's private key, sealed under the key-encryption key
    /// (`kyoten-kek-v1:…`); `None` for organizations' keys. A database written before keys
    /// were sealed holds the PEM itself until the next start with a key-encryption key.
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

fn kek_error(e: kek::KekError) -> StoreError {
    StoreError::KeyEncryption(format!("cannot seal a signing key: {e}"))
}

/// What seals a private key to its row: the key's id.
fn aad(kid: &str) -> &[u8] {
    kid.as_bytes()
}

/// Why a stored private key is not used.
#[derive(Debug, thiserror::Error)]
pub enum PrivateKeyError {
    #[error("it is stored in plaintext")]
    Plaintext,
    #[error("{0}")]
    Sealed(#[from] kek::KekError),
    #[error("it does not hold a usable private key: {0}")]
    Unreadable(keys::KeyError),
}

/// The private key of an exchange key row, opened with the key-encryption key.
fn open_private(
    kek: &Kek,
    kid: &str,
    alg: &str,
    stored: &str,
) -> Result<SigningKey, PrivateKeyError> {
    if !kek::is_sealed(stored) {
        return Err(PrivateKeyError::Plaintext);
    }
    let pem = kek.open(aad(kid), stored)?;
    let key =
        keys::signing_key_from_pem(&pem, Alg::parse(alg)).map_err(PrivateKeyError::Unreadable)?;
    if key.kid != kid {
        return Err(PrivateKeyError::Unreadable(keys::KeyError::BadPem));
    }
    Ok(key)
}

fn insert_exchange_key(conn: &mut DbConnection, kek: &Kek, alg: Alg) -> Result<KeyRow, StoreError> {
    let signing = keys::generate(alg).map_err(key_error)?;
    let public = keys::verifying_key(&signing).map_err(key_error)?;
    let pem = zeroize::Zeroizing::new(keys::private_pem(&signing).map_err(key_error)?);
    let row = KeyRow {
        kid: signing.kid.clone().into(),
        organization_id: None,
        alg: alg.name().into(),
        jwk: keys::to_jwk(&public).map_err(key_error)?.to_string(),
        certificate: None,
        private_pem: Some(
            kek.seal(aad(&signing.kid), pem.as_bytes())
                .map_err(kek_error)?,
        ),
        created_at: now(),
        retired_at: None,
    };
    diesel::insert_into(signing_keys::table)
        .values(row.clone())
        .execute(conn)?;
    Ok(row)
}

/// Creates the exchange's ES256 signing key unless an active one exists. Two instances
/// starting at once may each create one; both then verify and the newest signs.
pub fn ensure_exchange_key(conn: &mut DbConnection, kek: &Kek) -> Result<(), StoreError> {
    let active: i64 = signing_keys::table
        .filter(signing_keys::organization_id.is_null())
        .filter(signing_keys::retired_at.is_null())
        .count()
        .get_result(conn)?;
    if active == 0 {
        insert_exchange_key(conn, kek, Alg::Es256)?;
    }
    Ok(())
}

/// A new exchange signing key, which signs from now on; older keys keep verifying until
/// they are retired.
pub fn rotate_exchange_key(
    conn: &mut DbConnection,
    kek: &Kek,
    alg: Alg,
) -> Result<KeyRow, StoreError> {
    insert_exchange_key(conn, kek, alg)
}

/// The stored private keys: (kid, alg, stored value).
fn private_keys(conn: &mut DbConnection) -> Result<Vec<(String, String, String)>, StoreError> {
    let rows: Vec<(String, String, Option<String>)> = signing_keys::table
        .filter(signing_keys::private_pem.is_not_null())
        .order(signing_keys::kid)
        .select((
            signing_keys::kid,
            signing_keys::alg,
            signing_keys::private_pem,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(kid, alg, stored)| Some((kid, alg, stored?)))
        .collect())
}

/// Whether any private key is stored sealed (so some key-encryption key exists already).
pub fn any_sealed(conn: &mut DbConnection) -> Result<bool, StoreError> {
    Ok(private_keys(conn)?
        .iter()
        .any(|(_, _, stored)| kek::is_sealed(stored)))
}

/// Checks that every sealed private key opens with this key-encryption key; the error names
/// the first that does not (by kid) and why. Plaintext keys are left to [`seal_plaintext`].
pub fn check_sealed(conn: &mut DbConnection, kek: &Kek) -> Result<(), StoreError> {
    for (kid, alg, stored) in private_keys(conn)? {
        if !kek::is_sealed(&stored) {
            continue;
        }
        if let Err(e) = open_private(kek, &kid, &alg, &stored) {
            return Err(StoreError::KeyEncryption(format!(
                "the exchange's signing key {kid}: {e}. Start kyoten with the key-encryption \
                 key the signing keys were sealed under"
            )));
        }
    }
    Ok(())
}

/// Seals every private key still stored in plaintext (a database from before keys were
/// sealed), in one transaction; returns their kids. A row changed meanwhile (another instance
/// sealing it at the same time) is left as that change made it.
pub fn seal_plaintext(conn: &mut DbConnection, kek: &Kek) -> Result<Vec<String>, StoreError> {
    conn.transaction(|conn| {
        let mut sealed = Vec::new();
        for (kid, alg, stored) in private_keys(conn)? {
            if kek::is_sealed(&stored) {
                continue;
            }
            let stored = zeroize::Zeroizing::new(stored);
            // Only a key that reads as the key of its row is sealed; anything else would be
            // sealed garbage that no start could tell from a wrong key-encryption key.
            let key = keys::signing_key_from_pem(stored.as_bytes(), Alg::parse(&alg))
                .ok()
                .filter(|k| k.kid == kid)
                .ok_or_else(|| {
                    StoreError::KeyEncryption(format!(
                        "the exchange's signing key {kid} is stored in plaintext but is not a \
                         usable private key, so it cannot be sealed"
                    ))
                })?;
            drop(key);
            let value = kek.seal(aad(&kid), stored.as_bytes()).map_err(kek_error)?;
            let n = diesel::update(
                signing_keys::table
                    .filter(signing_keys::kid.eq(&kid))
                    .filter(signing_keys::private_pem.eq(stored.as_str())),
            )
            .set(signing_keys::private_pem.eq(value))
            .execute(conn)?;
            if n == 1 {
                sealed.push(kid);
            }
        }
        Ok(sealed)
    })
}

/// Seals every stored private key again under `new`, in one transaction: all or none. Keys
/// still in plaintext are sealed under `new` too. Returns how many keys were sealed.
pub fn reseal(conn: &mut DbConnection, old: &Kek, new: &Kek) -> Result<usize, StoreError> {
    conn.transaction(|conn| {
        let rows = private_keys(conn)?;
        for (kid, alg, stored) in &rows {
            let pem = if kek::is_sealed(stored) {
                old.open(aad(kid), stored).map_err(|e| {
                    StoreError::KeyEncryption(format!(
                        "the exchange's signing key {kid} cannot be opened with the current \
                         key-encryption key: {e}; nothing was changed"
                    ))
                })?
            } else {
                zeroize::Zeroizing::new(stored.as_bytes().to_vec())
            };
            // The opened key must be the key of its row before it is sealed again.
            match keys::signing_key_from_pem(&pem, Alg::parse(alg)) {
                Ok(key) if key.kid == *kid => {}
                _ => {
                    return Err(StoreError::KeyEncryption(format!(
                        "the exchange's signing key {kid} does not hold a usable private key; \
                         nothing was changed"
                    )))
                }
            }
            let value = new.seal(aad(kid), &pem).map_err(kek_error)?;
            let n = diesel::update(
                signing_keys::table
                    .filter(signing_keys::kid.eq(kid))
                    .filter(signing_keys::private_pem.eq(stored)),
            )
            .set(signing_keys::private_pem.eq(value))
            .execute(conn)?;
            if n != 1 {
                return Err(StoreError::KeyEncryption(format!(
                    "the exchange's signing key {kid} changed meanwhile; nothing was changed \
                     (run the command again)"
                )));
            }
        }
        // Checked inside the transaction: every key opens with the new key-encryption key.
        check_sealed(conn, new)?;
        Ok(rows.len())
    })
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
            kid: key.kid.clone().into(),
            organization_id: Some(organization_id.to_owned()),
            alg: key.alg.name().into(),
            jwk,
            certificate,
            private_pem: None,
            created_at: now(),
            retired_at: None,
        };
        diesel::insert_into(signing_keys::table)
            .values(row.clone())
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

/// One key of an organization, retired or not.
pub fn get(
    conn: &mut DbConnection,
    organization_id: &str,
    kid: &str,
) -> Result<Option<KeyRow>, StoreError> {
    Ok(signing_keys::table
        .select(KeyRow::as_select())
        .filter(signing_keys::organization_id.eq(organization_id.to_owned()))
        .filter(signing_keys::kid.eq(kid.to_owned()))
        .first(conn)
        .optional()?)
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
    pub verifying: Verifying,
    /// The public JWK Set, ready to serve.
    pub jwks: serde_json::Value,
}

/// The keys that verify, by kid, each with the organization it belongs to (none: the
/// exchange's own).
pub type Verifying = HashMap<String, (VerifyingKey, Option<String>)>;

/// The keys of `rows` that verify, by kid with their owner, and the list to publish: every
/// one that can be read, but a key whose certificate is not in force (expired or not yet
/// valid).
fn verifying_keys(rows: &[KeyRow]) -> (Verifying, Vec<VerifyingKey>) {
    let mut verifying = HashMap::new();
    let mut published = Vec::new();
    for row in rows {
        let Some(key) = row.verifying_key() else {
            tracing::warn!(kid = %row.kid, "a stored key cannot be read; it is not used");
            continue;
        };
        if let Some(pem) = &row.certificate {
            if !keys::certificate_in_force(pem.as_bytes()) {
                tracing::info!(kid = %row.kid, "a key's certificate is not in force; the key does not verify");
                continue;
            }
        }
        published.push(key.clone());
        verifying.insert(row.kid.to_string(), (key, row.organization_id.clone()));
    }
    (verifying, published)
}

impl KeyRing {
    /// Loads the keys in force. The exchange key that signs is the newest active one whose
    /// private key opens with `kek`; `previous` (the ring loaded before) supplies a key already
    /// opened, so an instance still running with the key-encryption key from before a
    /// `rotate-kek` keeps signing until it is restarted with the new one. A private key that
    /// is in plaintext or does not open is not used, with a warning naming its kid.
    pub fn load(
        conn: &mut DbConnection,
        kek: &Kek,
        previous: Option<&KeyRing>,
    ) -> Result<KeyRing, StoreError> {
        let rows: Vec<KeyRow> = signing_keys::table
            .filter(signing_keys::retired_at.is_null())
            .order((signing_keys::created_at.desc(), signing_keys::kid))
            .select(KeyRow::as_select())
            .load(conn)?;
        let signing = rows
            .iter()
            .filter(|r| r.organization_id.is_none())
            .find_map(|r| {
                let stored = r.private_pem.as_deref()?;
                if !kek::is_sealed(stored) {
                    tracing::warn!(
                        kid = %r.kid,
                        "an exchange signing key is stored in plaintext; it does not sign \
                         until a start of kyoten seals it"
                    );
                    return None;
                }
                if let Some(key) = previous
                    .and_then(|p| p.signing.as_ref())
                    .filter(|k| k.kid == r.kid)
                {
                    return Some(SigningKey {
                        kid: key.kid.clone(),
                        alg: key.alg,
                        key: key.key.clone(),
                    });
                }
                match open_private(kek, r.kid.as_str(), &r.alg, stored) {
                    Ok(key) => Some(key),
                    Err(e) => {
                        tracing::warn!(
                            kid = %r.kid,
                            reason = %e,
                            "an exchange signing key cannot be opened with this instance's \
                             key-encryption key; it does not sign here"
                        );
                        None
                    }
                }
            });
        let (verifying, published) = verifying_keys(&rows);
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
