//! Emergency intakes (事前情報のない新規ケース): the stored intake, who may see it, and the
//! record of every read. An intake holds no name, address or phone number.
use super::audit::{self, Access, Action, Subject};
use super::organizations::Organization;
use super::paging::page_in_time_order;
use super::schema::emergency_intakes;
use super::{DbConnection, Page, PageRequest, StoreError};
use crate::domain::access::{Permission, Relation};
use crate::domain::ids::{time_ordered_id, IntakeId, OrganizationId};
use crate::time::now;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

/// The data categories an intake holds (a read or a write touches all of them).
pub const INTAKE_CATEGORIES: &str = "identity,certificates,care_status,medical,emergency_plan";

/// The purpose every access to an intake serves.
const PURPOSE: &str = "emergency_acceptance";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = emergency_intakes)]
pub struct Intake {
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub id: IntakeId,
    pub municipality_code: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub received_by: OrganizationId,
    pub document: String,
    pub created_at: NaiveDateTime,
    /// The ward the person is in (designated cities), for lists and matching.
    pub ward: Option<String>,
    /// The registration the intake became, once it did.
    pub registration_id: Option<String>,
}

/// A validated intake ready to be stored: the server-assigned id written into it and the
/// document serialized before the write.
#[derive(Debug, Clone)]
pub struct NewIntake {
    id: IntakeId,
    text: String,
    municipality_code: String,
    ward: Option<String>,
}

impl NewIntake {
    pub fn new(mut document: Value) -> NewIntake {
        let id = time_ordered_id("int_", 6);
        document["intake_id"] = Value::String(id.clone());
        let text_of = |v: &Value| v.as_str().map(str::to_owned);
        NewIntake {
            municipality_code: text_of(&document["municipality_code"]).unwrap_or_default(),
            ward: text_of(&document["person"]["ward"]),
            text: document.to_string(),
            id: id.into(),
        }
    }
}

/// Who may read an intake: the organization that took it, and the kikan, the hub and the
/// city, who coordinate emergencies.
pub fn may_read(caller: &Organization, intake: &Intake) -> bool {
    let relation = if caller.id == intake.received_by {
        Relation::Own
    } else {
        caller.relation_to(&intake.municipality_code, intake.ward.as_deref())
    };
    caller.may(Permission::ReadIntakes, relation).allowed()
}

fn access<'a>(caller: &'a Organization, action: Action, id: &'a str) -> Access<'a> {
    Access {
        by: caller.id.as_str(),
        action,
        subject: Subject::Intake(id),
        categories: INTAKE_CATEGORIES,
        purpose: PURPOSE,
    }
}

/// The intake, if it exists and the caller may see it.
fn visible(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &IntakeId,
) -> QueryResult<Option<Intake>> {
    let found = emergency_intakes::table
        .find(id.as_str())
        .select(Intake::as_select())
        .first(conn)
        .optional()?;
    Ok(found.filter(|i| may_read(caller, i)))
}

/// Stores a new intake taken by `caller`, with its access record, in one transaction.
pub fn create(
    conn: &mut DbConnection,
    caller: &Organization,
    new: NewIntake,
) -> Result<Intake, StoreError> {
    let NewIntake {
        id,
        text,
        municipality_code,
        ward,
    } = new;
    conn.transaction(|conn| {
        let row = Intake {
            id,
            municipality_code,
            received_by: caller.id.clone(),
            document: text,
            created_at: now(),
            ward,
            registration_id: None,
        };
        diesel::insert_into(emergency_intakes::table)
            .values(row.clone())
            .execute(conn)?;
        audit::record(conn, access(caller, Action::Create, row.id.as_str()))?;
        Ok(row)
    })
}

/// Reads an intake the caller may see, recording the access as `action` (a read, or the read
/// of its needs for matching). `None` both when it does not exist and when the caller may not
/// see it, so existence is not revealed.
pub fn read(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &IntakeId,
    action: Action,
) -> Result<Option<Intake>, StoreError> {
    conn.transaction(|conn| {
        let found = visible(conn, caller, id)?;
        if found.is_some() {
            audit::record(conn, access(caller, action, id.as_str()))?;
        }
        Ok(found)
    })
}

/// What an intake list may be narrowed to.
#[derive(Debug, Clone, Default)]
pub struct IntakeFilter {
    /// Only the intakes this organization took.
    pub received_by: Option<OrganizationId>,
    /// Only the people of these municipalities (the caller's municipal scope).
    pub scope: crate::domain::scope::Scope,
}

/// The summary of an intake in a list: no personal data beyond its place and time.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = emergency_intakes)]
pub struct IntakeSummary {
    #[diesel(deserialize_as = String)]
    pub id: IntakeId,
    pub municipality_code: String,
    #[diesel(deserialize_as = String)]
    pub received_by: OrganizationId,
    pub created_at: NaiveDateTime,
    pub ward: Option<String>,
    pub registration_id: Option<String>,
}

/// A page of intakes matching `filter`, oldest first; the listing is recorded. `None` when
/// `page.after` names no intake.
pub fn list(
    conn: &mut DbConnection,
    caller: &OrganizationId,
    filter: &IntakeFilter,
    page: &PageRequest,
) -> Result<Option<Page<IntakeSummary>>, StoreError> {
    conn.transaction(|conn| {
        let Some(mut q) =
            page_in_time_order!(conn, emergency_intakes, IntakeSummary, created_at, page)
        else {
            return Ok(None);
        };
        if let Some(o) = &filter.received_by {
            q = q.filter(emergency_intakes::received_by.eq(o.as_str().to_owned()));
        }
        let q = crate::store::scoping::within_scope!(q, emergency_intakes, &filter.scope);
        let rows = q.load(conn)?;
        audit::record(
            conn,
            Access {
                by: caller.as_str(),
                action: Action::List,
                subject: Subject::Intakes,
                categories: "",
                purpose: PURPOSE,
            },
        )?;
        Ok(Some(Page::cut(rows, page, |r| r.id.to_string())))
    })
}

/// The ids of the intakes that became registration `registration_id` (one, as a rule).
pub fn linked_to(conn: &mut DbConnection, registration_id: &str) -> QueryResult<Vec<String>> {
    emergency_intakes::table
        .filter(emergency_intakes::registration_id.eq(registration_id))
        .select(emergency_intakes::id)
        .load(conn)
}

/// Whether an intake may become a registration for a caller.
#[derive(Debug, Clone, PartialEq)]
pub enum Linkable {
    /// It may: the intake as it stands.
    Yes(Box<Intake>),
    /// No such intake, or the caller may not see it.
    NotFound,
    /// It became a registration already (the intake as it stands).
    AlreadyRegistered(Box<Intake>),
}

/// Whether intake `id` may become a registration for `caller` (nothing is recorded: the link,
/// if it is made, is).
pub fn linkable(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &IntakeId,
) -> Result<Linkable, StoreError> {
    Ok(match visible(conn, caller, id)? {
        None => Linkable::NotFound,
        Some(i) if i.registration_id.is_some() => Linkable::AlreadyRegistered(Box::new(i)),
        Some(i) => Linkable::Yes(Box::new(i)),
    })
}

/// Records that `intake` (as [`linkable`] read it) became registration `registration_id`: in
/// its row and its document, with an access record, if no registration was linked to it
/// before (one conditional UPDATE, so of two concurrent links exactly one is made). `false`
/// when another link came first.
pub fn link(
    conn: &mut DbConnection,
    caller: &Organization,
    intake: &Intake,
    registration_id: &str,
) -> Result<bool, StoreError> {
    let id = &intake.id;
    let mut document = super::parse_stored(&intake.document)?;
    document["registration_id"] = Value::String(registration_id.to_owned());
    let updated = diesel::update(emergency_intakes::table)
        .filter(emergency_intakes::id.eq(id.as_str()))
        .filter(emergency_intakes::registration_id.is_null())
        .set((
            emergency_intakes::registration_id.eq(registration_id),
            emergency_intakes::document.eq(document.to_string()),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Ok(false);
    }
    audit::record(
        conn,
        Access {
            by: caller.id.as_str(),
            action: Action::Update,
            subject: Subject::Intake(id.as_str()),
            categories: INTAKE_CATEGORIES,
            purpose: "registration",
        },
    )?;
    Ok(true)
}
