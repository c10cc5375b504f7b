//! Registrations: the current version, the history of versions, and who may see them.
use super::audit::{self, ALL_CATEGORIES};
use super::organizations::{now, random_hex, Organization};
use super::schema::{registration_versions, registrations};
use super::{DbConnection, StoreError};
use crate::domain::role::Role;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = registrations)]
pub struct Registration {
    pub id: String,
    pub version: i32,
    pub municipality_code: String,
    pub received_by: String,
    pub status: String,
    pub document: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = registration_versions)]
struct NewVersion<'a> {
    registration_id: &'a str,
    version: i32,
    document: &'a str,
    recorded_at: NaiveDateTime,
    recorded_by: &'a str,
}

/// Who may read a registration: the organization that took it, and the kikan, the hub and the
/// city. A facility sees a registration only through a handoff.
pub fn may_read(caller: &Organization, registration: &Registration) -> bool {
    match Role::parse(&caller.role) {
        Some(Role::City | Role::Kikan | Role::Hub) => true,
        Some(Role::ConsultationOffice) => caller.id == registration.received_by,
        _ => false,
    }
}

/// Stores a validated registration document as version 1 of a new registration, with its
/// history entry and access record, in one transaction. The server assigns the id and writes
/// it into the stored document.
pub fn create(
    conn: &mut DbConnection,
    caller: &Organization,
    mut document: Value,
) -> Result<Registration, StoreError> {
    let id = format!("reg_{}", random_hex(8));
    document["registration_id"] = Value::String(id.clone());
    let text = document.to_string();
    let municipality_code = document["municipality_code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    conn.transaction(|conn| {
        let at = now();
        let row = Registration {
            id: id.clone(),
            version: 1,
            municipality_code,
            received_by: caller.id.clone(),
            status: "active".into(),
            document: text,
            created_at: at,
            updated_at: at,
        };
        diesel::insert_into(registrations::table)
            .values(&row)
            .execute(conn)?;
        diesel::insert_into(registration_versions::table)
            .values(NewVersion {
                registration_id: &id,
                version: 1,
                document: &row.document,
                recorded_at: at,
                recorded_by: &caller.id,
            })
            .execute(conn)?;
        audit::record(
            conn,
            &caller.id,
            "create",
            "registration",
            &id,
            ALL_CATEGORIES,
            "registration",
        )?;
        Ok(row)
    })
}

/// Reads a registration the caller may see, recording the read. `None` both when it does not
/// exist and when the caller may not see it, so existence is not revealed.
pub fn read(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &str,
) -> Result<Option<Registration>, StoreError> {
    conn.transaction(|conn| {
        let found = registrations::table
            .find(id)
            .select(Registration::as_select())
            .first(conn)
            .optional()?;
        match found {
            Some(r) if may_read(caller, &r) => {
                audit::record(
                    conn,
                    &caller.id,
                    "read",
                    "registration",
                    id,
                    ALL_CATEGORIES,
                    "registration",
                )?;
                Ok(Some(r))
            }
            _ => Ok(None),
        }
    })
}

pub fn count(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(registrations::table.count().get_result(conn)?)
}
