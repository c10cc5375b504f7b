//! Organizations and their API keys. A key is 32 random bytes shown once as `kyk_<hex>`;
//! only its SHA-256 is stored (the secret has full entropy, so a slow hash adds nothing).
use super::schema::{api_keys, organizations};
use super::{DbConnection, StoreError};
use crate::domain::access::{Access, Permission, Relation};
use crate::domain::ids::{random_hex, OrganizationId};
use crate::domain::organization::check_id;
use crate::domain::role::Role;
use crate::domain::scope::Scope;
use crate::time::now;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = organizations)]
pub struct Organization {
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub id: OrganizationId,
    pub name: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub role: Role,
    pub created_at: NaiveDateTime,
    /// The municipalities (and wards) it coordinates for (`domain::scope`); `None`: the whole
    /// deployment.
    pub scope: Option<String>,
}

impl Organization {
    /// What the access policy (`domain::access`) says about this organization doing
    /// `permission` to a record related to it as `relation`.
    pub fn may(&self, permission: Permission, relation: Relation) -> Access {
        self.role.may(permission, relation)
    }

    /// Where it may see people (an unreadable stored scope sees nobody: it was checked when
    /// set, so it can only be the database's).
    pub fn scope(&self) -> Scope {
        Scope::parse(self.scope.as_deref()).unwrap_or(Scope::Areas(Vec::new()))
    }

    /// How a record of a person of `municipality` (in `ward`) relates to this organization
    /// when it is not its own: another's within its scope, or out of its scope.
    pub fn relation_to(&self, municipality: &str, ward: Option<&str>) -> Relation {
        if self.scope().covers(municipality, ward) {
            Relation::Other
        } else {
            Relation::OutOfScope
        }
    }

    /// Whether this organization coordinates (kikan, hub, city): it sees and acts on the
    /// handoffs between others.
    pub fn coordinates(&self) -> bool {
        self.may(Permission::CoordinateHandoffs, Relation::Other)
            .allowed()
    }
}

#[derive(Insertable)]
#[diesel(table_name = api_keys)]
struct NewKey {
    id: String,
    organization_id: String,
    key_hash: String,
    created_at: NaiveDateTime,
}

/// A newly issued API key: the secret to hand over once, never stored.
#[derive(Debug)]
pub struct IssuedKey {
    pub key_id: String,
    pub secret: String,
}

pub fn hash_key(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn issue(
    conn: &mut DbConnection,
    organization_id: &str,
) -> Result<IssuedKey, diesel::result::Error> {
    let secret = format!("kyk_{}", random_hex(32));
    let key = NewKey {
        id: format!("key_{}", random_hex(8)),
        organization_id: organization_id.to_owned(),
        key_hash: hash_key(&secret),
        created_at: now(),
    };
    diesel::insert_into(api_keys::table)
        .values(&key)
        .execute(conn)?;
    Ok(IssuedKey {
        key_id: key.id,
        secret,
    })
}

/// Adds an organization with its first API key, in one transaction. The id must be one that
/// no consent provision can read as a role (`domain::organization::check_id`); without one,
/// an `org-…` id is generated (a facility must give its 事業所番号).
pub fn add(
    conn: &mut DbConnection,
    id: Option<&str>,
    name: &str,
    role: Role,
) -> Result<(Organization, IssuedKey), StoreError> {
    let id = id.map_or_else(|| format!("org-{}", random_hex(6)), str::to_owned);
    check_id(&id, role)?;
    conn.transaction(|conn| {
        let org = Organization {
            id: OrganizationId::from(id),
            name: name.to_owned(),
            role,
            created_at: now(),
            scope: None,
        };
        diesel::insert_into(organizations::table)
            .values(org.clone())
            .execute(conn)?;
        let key = issue(conn, org.id.as_str())?;
        Ok((org, key))
    })
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<Organization>, StoreError> {
    Ok(organizations::table
        .select(Organization::as_select())
        .order(organizations::id)
        .load(conn)?)
}

/// Revokes every active key of an organization and issues a new one, in one transaction.
/// Returns `None` when there is no such organization.
pub fn rotate_key(
    conn: &mut DbConnection,
    organization_id: &str,
) -> Result<Option<IssuedKey>, StoreError> {
    conn.transaction(|conn| {
        let exists = organizations::table
            .find(organization_id)
            .count()
            .get_result::<i64>(conn)?
            > 0;
        if !exists {
            return Ok(None);
        }
        diesel::update(api_keys::table)
            .filter(api_keys::organization_id.eq(organization_id))
            .filter(api_keys::revoked_at.is_null())
            .set(api_keys::revoked_at.eq(Some(now())))
            .execute(conn)?;
        Ok(Some(issue(conn, organization_id)?))
    })
}

/// The organization an active key belongs to.
pub fn authenticate(
    conn: &mut DbConnection,
    secret: &str,
) -> Result<Option<Organization>, StoreError> {
    authenticate_hash(conn, &hash_key(secret))
}

/// The organization an active key (given by its hash) belongs to.
pub fn authenticate_hash(
    conn: &mut DbConnection,
    key_hash: &str,
) -> Result<Option<Organization>, StoreError> {
    Ok(api_keys::table
        .inner_join(organizations::table)
        .filter(api_keys::key_hash.eq(key_hash))
        .filter(api_keys::revoked_at.is_null())
        .select(Organization::as_select())
        .first(conn)
        .optional()?)
}

/// One organization by id.
pub fn get(conn: &mut DbConnection, id: &str) -> Result<Option<Organization>, StoreError> {
    Ok(organizations::table
        .find(id)
        .select(Organization::as_select())
        .first(conn)
        .optional()?)
}

/// Sets where an organization may see people; `false` when there is no such organization.
pub fn set_scope(conn: &mut DbConnection, id: &str, scope: &Scope) -> Result<bool, StoreError> {
    let n = diesel::update(organizations::table.find(id))
        .set(organizations::scope.eq(scope.to_text()))
        .execute(conn)?;
    Ok(n == 1)
}
