//! Registrations: the current version, the history of versions, and who may see them.
use super::audit::{self, Access, Action, Subject, ALL_CATEGORIES};
use super::organizations::Organization;
use super::schema::{registration_versions, registrations};
use super::{parse_stored as parse, DbConnection, Page, PageRequest, StoreError};
use crate::domain::access::{Permission, Relation};
use crate::domain::consent::RegistrationStatus;
use crate::domain::ids::{time_ordered_id, OrganizationId, RegistrationId};
use crate::domain::role::Role;
use crate::domain::{address, consent};
use crate::time::now;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

mod consent_acts;
mod lists;
mod meetings;
mod offices;
mod reviews;
mod search;
pub use consent_acts::{
    grant_consent, with_consent, withdraw_consent, NewConsent, WithConsent, Withdrawal,
};
pub use lists::*;
pub use meetings::{meetings, record_meeting, Meeting, NewMeeting, Recorded};
pub use offices::{assign_office, office_history, Assigned, OfficeAssignment};
pub use reviews::today as review_day;
pub use reviews::{
    interval_months, intervals, review, set_interval, Reviewed, DEFAULT_REVIEW_MONTHS,
};
pub use search::{index_unindexed, index_unindexed_by, search, Criteria, Found, Searched};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = registrations)]
pub struct Registration {
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub id: RegistrationId,
    pub version: i32,
    pub municipality_code: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub received_by: OrganizationId,
    pub status: String,
    pub document: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The ward of the registrant's address (designated cities), for lists and reports.
    pub ward: Option<String>,
    /// The consultation office responsible now (`offices`): the one that reads and changes the
    /// registration as its own. `received_by` stays who took the form.
    pub responsible_office: Option<String>,
    /// The day (in Japan) it was last reviewed: submitted, changed, given a new consent, or a
    /// review recorded (`reviews`).
    pub reviewed_on: Option<chrono::NaiveDate>,
    /// When it is next due for review; `None` once the consent is withdrawn.
    pub review_due: Option<chrono::NaiveDate>,
}

#[derive(Insertable)]
#[diesel(table_name = registration_versions)]
struct NewVersion<'a> {
    registration_id: &'a str,
    version: i32,
    document: &'a str,
    recorded_at: NaiveDateTime,
    recorded_by: &'a str,
    /// The access record's action of the same write.
    event: &'a str,
}

/// Who may read a registration: the consultation office responsible for it, and the kikan, the
/// hub and the city. A facility sees a registration only through a handoff.
pub fn may_read(caller: &Organization, registration: &Registration) -> bool {
    caller
        .may(
            Permission::ReadRegistrations,
            relation(caller, registration),
        )
        .allowed()
}

/// How a registration relates to the caller: its own when the caller is the office responsible
/// for it (the office that took it, until another is assigned); otherwise another's, or out
/// of the caller's municipal scope.
fn relation(caller: &Organization, registration: &Registration) -> Relation {
    if registration.responsible_office.as_deref() == Some(caller.id.as_str()) {
        Relation::Own
    } else {
        caller.relation_to(
            &registration.municipality_code,
            registration.ward.as_deref(),
        )
    }
}

/// An access to a registration that touches none of the person's data (its office, its
/// meetings, a review): recorded with no data category, for the purpose `registration`.
fn no_data_access<'a>(caller: &'a Organization, action: Action, id: &'a str) -> Access<'a> {
    Access {
        by: caller.id.as_str(),
        action,
        subject: Subject::Registration(id),
        categories: "",
        purpose: "registration",
    }
}

/// A validated registration ready to be stored: the server-assigned id written into it and
/// the document serialized — done before the write, so the writer only writes.
#[derive(Debug, Clone)]
pub struct NewRegistration {
    id: String,
    text: String,
    status: &'static str,
    municipality_code: String,
    ward: Option<String>,
}

impl NewRegistration {
    pub fn new(document: Value) -> NewRegistration {
        Self::with_id(document, time_ordered_id("reg_", 6))
    }

    /// A registration with a given id (the demo's, so that the published examples name it).
    pub fn with_id(mut document: Value, id: String) -> NewRegistration {
        document["registration_id"] = Value::String(id.clone());
        NewRegistration {
            // A registration may arrive with its consent already withdrawn (a paper form
            // recorded late): it is stored as such, and nothing is shared from it.
            status: RegistrationStatus::of(&document).as_str(),
            text: document.to_string(),
            municipality_code: document["municipality_code"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            ward: address::ward(&document["registrant"]["address"]),
            id,
        }
    }
}

/// Stores a new registration as version 1, with its history entry and access record, in one
/// transaction.
pub fn create(
    conn: &mut DbConnection,
    caller: &Organization,
    new: NewRegistration,
) -> Result<Registration, StoreError> {
    let NewRegistration {
        id,
        text,
        status,
        municipality_code,
        ward,
    } = new;
    conn.transaction(|conn| {
        let at = now();
        let row = Registration {
            id: id.clone().into(),
            version: 1,
            municipality_code,
            received_by: caller.id.clone(),
            status: status.into(),
            document: text,
            created_at: at,
            updated_at: at,
            ward,
            // An office that takes a form is responsible for it; a kikan or hub assigns one.
            responsible_office: (caller.role == Role::ConsultationOffice)
                .then(|| caller.id.to_string()),
            reviewed_on: Some(reviews::today()),
            review_due: None,
        };
        let mut row = row;
        if status == ACTIVE {
            row.review_due = Some(reviews::due_after(
                conn,
                &row.municipality_code,
                reviews::today(),
            )?);
        }
        diesel::insert_into(registrations::table)
            .values(row.clone())
            .execute(conn)?;
        if let Some(office) = &row.responsible_office {
            offices::record(conn, &id, 1, Some(office), caller.id.as_str(), at)?;
        }
        diesel::insert_into(registration_versions::table)
            .values(NewVersion {
                registration_id: &id,
                version: 1,
                document: &row.document,
                recorded_at: at,
                recorded_by: caller.id.as_str(),
                event: "create",
            })
            .execute(conn)?;
        search::index(conn, &id, status, &row.document, search::Stored::New)?;
        audit::record(
            conn,
            Access {
                by: caller.id.as_str(),
                action: Action::Create,
                subject: Subject::Registration(&id),
                categories: ALL_CATEGORIES,
                purpose: "registration",
            },
        )?;
        Ok(row)
    })
}

/// The registration, if it exists and the caller may see it.
fn visible(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &str,
) -> QueryResult<Option<Registration>> {
    let found = registrations::table
        .find(id)
        .select(Registration::as_select())
        .first(conn)
        .optional()?;
    Ok(found.filter(|r| may_read(caller, r)))
}

/// The categories a read of a registration in this state shows: everything while the consent
/// is in force; after a withdrawal only `identity` ([`consent::after_withdrawal`]).
fn read_categories(status: &str) -> &'static str {
    if status == WITHDRAWN {
        "identity"
    } else {
        ALL_CATEGORIES
    }
}

/// The document as a read shows it in this state.
fn as_read(status: &str, document: String) -> Result<String, StoreError> {
    if status != WITHDRAWN {
        return Ok(document);
    }
    Ok(consent::after_withdrawal(&parse(&document)?).to_string())
}

/// The status of a registration whose consent is withdrawn.
pub const WITHDRAWN: &str = RegistrationStatus::ConsentWithdrawn.as_str();
/// The status of a registration whose consent is in force.
const ACTIVE: &str = RegistrationStatus::Active.as_str();

/// Reads a registration the caller may see, recording the read. `None` both when it does not
/// exist and when the caller may not see it, so existence is not revealed. Once the consent is
/// withdrawn the document is only what coordinators still need ([`consent::after_withdrawal`]);
/// the whole of it takes a recorded break-glass read ([`break_glass_read`]).
pub fn read(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &str,
) -> Result<Option<Registration>, StoreError> {
    conn.transaction(|conn| {
        let Some(mut r) = visible(conn, caller, id)? else {
            return Ok(None);
        };
        r.document = as_read(&r.status, std::mem::take(&mut r.document))?;
        audit::record(
            conn,
            Access {
                by: caller.id.as_str(),
                action: Action::Read,
                subject: Subject::Registration(id),
                categories: read_categories(&r.status),
                purpose: "registration",
            },
        )?;
        Ok(Some(r))
    })
}

/// The result of a break-glass read.
#[derive(Debug)]
pub enum BreakGlassRead {
    Read(Box<Registration>),
    NotFound,
    /// The caller's role may not read on the vital-interest basis.
    NotAllowed,
}

/// Who may read a whole registration on the vital-interest basis (APPI 27条1項2号) whatever its
/// consent says: the kikan, the hub and the city, who may also send break-glass packets.
pub fn may_break_glass(caller: &Organization) -> bool {
    caller
        .may(Permission::BreakGlassRead, Relation::Other)
        .allowed()
}

/// Reads the whole current version of a registration on the vital-interest basis, recorded as
/// its own access (`break_glass_read`, purpose `vital_interest`, every category), whether or not
/// the consent is in force.
pub fn break_glass_read(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &str,
) -> Result<BreakGlassRead, StoreError> {
    conn.transaction(|conn| {
        let Some(r) = visible(conn, caller, id)? else {
            return Ok(BreakGlassRead::NotFound);
        };
        if !may_break_glass(caller) {
            return Ok(BreakGlassRead::NotAllowed);
        }
        audit::record(
            conn,
            Access {
                by: caller.id.as_str(),
                action: Action::BreakGlassRead,
                subject: Subject::Registration(id),
                categories: ALL_CATEGORIES,
                purpose: "vital_interest",
            },
        )?;
        Ok(BreakGlassRead::Read(Box::new(r)))
    })
}

/// Who may send a change notification (変更届): the office responsible for the registration,
/// and the kikan and the hub (拠点コーディネーター), who coordinate it. The city reads only.
pub fn may_write(caller: &Organization, registration: &Registration) -> bool {
    caller
        .may(
            Permission::ChangeRegistration,
            relation(caller, registration),
        )
        .allowed()
}

/// What the next version of a registration is, and how its access is recorded.
struct Next<'a> {
    status: &'a str,
    text: &'a str,
    ward: Option<&'a str>,
    action: Action,
    /// The data categories written.
    categories: &'a str,
}

/// Makes `text` the version after `expected_version`, if that is still the current one: one
/// conditional UPDATE (so of two concurrent writers exactly one wins), the history entry and
/// the access record. `None` when another write came first.
fn next_version(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &str,
    expected_version: i32,
    next: Next<'_>,
) -> QueryResult<Option<Registration>> {
    let Next {
        status,
        text,
        ward,
        action,
        categories,
    } = next;
    let at = now();
    let next = expected_version + 1;
    let updated = diesel::update(registrations::table)
        .filter(registrations::id.eq(id))
        .filter(registrations::version.eq(expected_version))
        .set((
            registrations::version.eq(next),
            registrations::status.eq(status),
            registrations::document.eq(text),
            registrations::updated_at.eq(at),
            registrations::ward.eq(ward),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Ok(None);
    }
    diesel::insert_into(registration_versions::table)
        .values(NewVersion {
            registration_id: id,
            version: next,
            document: text,
            recorded_at: at,
            recorded_by: caller.id.as_str(),
            event: action.as_str(),
        })
        .execute(conn)?;
    search::index(conn, id, status, text, search::Stored::Before)?;
    let mut row = registrations::table
        .find(id)
        .select(Registration::as_select())
        .first(conn)?;
    // A change notification and a new consent are reviews; a withdrawal ends the reviews.
    let reviewed = matches!(action, Action::Update | Action::GrantConsent);
    reviews::after_write(conn, &mut row, reviewed)?;
    audit::record(
        conn,
        Access {
            by: caller.id.as_str(),
            action,
            subject: Subject::Registration(id),
            categories,
            purpose: "registration",
        },
    )?;
    Ok(Some(row))
}

/// The result of a change notification.
#[derive(Debug)]
pub enum Change {
    Changed(Box<Registration>),
    /// No such registration, or not visible to the caller.
    NotFound,
    /// Visible, but the caller's role may not change it.
    Forbidden,
    /// `If-Match` named another version than the current one (which is given).
    Stale(i32),
    /// The current version records a consent withdrawal that the change drops or alters: a
    /// withdrawal is final.
    WithdrawalFinal,
    /// The change names another `received_by` than the registration's.
    ReceivedByChanged,
    /// The change alters a consent in force other than by recording its withdrawal: a new
    /// consent is its own act.
    ConsentChanged,
}

/// Whether `document`'s consent is `stored`'s, or `stored`'s with a withdrawal date added.
fn same_consent_or_withdrawn(stored: &Value, document: &Value) -> bool {
    let (Some(old), Some(new)) = (stored.get("consent"), document.get("consent")) else {
        return stored.get("consent") == document.get("consent");
    };
    if old == new {
        return true;
    }
    let mut without = new.clone();
    if let Some(o) = without.as_object_mut() {
        o.remove("withdrawn_on");
    }
    records_withdrawal(document) && &without == old
}

/// Whether a registration document records a withdrawal of its consent.
fn records_withdrawal(document: &Value) -> bool {
    RegistrationStatus::of(document) == RegistrationStatus::ConsentWithdrawn
}

/// Records a change notification as the next version, if `expected_version` is still the
/// current one. The check and the write are one conditional UPDATE, so of two concurrent
/// changes on the same version exactly one wins. Two things a change cannot do: undo or move a
/// recorded consent withdrawal (new consent is its own act), and rewrite `received_by` (the
/// column and the document keep naming the organization that took the registration). Both are
/// checked against the version the change replaces, so a withdrawal recorded meanwhile makes
/// the change stale rather than undone.
pub fn change(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &str,
    expected_version: i32,
    mut document: Value,
) -> Result<Change, StoreError> {
    document["registration_id"] = Value::String(id.to_owned());
    let text = document.to_string();
    // A change notification may record a withdrawal; once recorded, it stays.
    let status = RegistrationStatus::of(&document).as_str();
    conn.transaction(|conn| {
        let Some(current) = visible(conn, caller, id)? else {
            return Ok(Change::NotFound);
        };
        if !may_write(caller, &current) {
            return Ok(Change::Forbidden);
        }
        if current.version != expected_version {
            return Ok(Change::Stale(current.version));
        }
        let stored: Value = serde_json::from_str(&current.document).map_err(|e| {
            StoreError::Query(diesel::result::Error::DeserializationError(Box::new(e)))
        })?;
        // Once withdrawn, the consent stays as recorded: a change may neither drop nor move the
        // withdrawal nor alter the consent it ends (a new consent is its own act).
        if records_withdrawal(&stored) && document.get("consent") != stored.get("consent") {
            return Ok(Change::WithdrawalFinal);
        }
        // While in force, the consent changes only by its own acts: a change notification may
        // record a withdrawal (the same consent with `withdrawn_on` added), nothing else.
        if !records_withdrawal(&stored) && !same_consent_or_withdrawn(&stored, &document) {
            return Ok(Change::ConsentChanged);
        }
        if document.get("received_by") != stored.get("received_by")
            || document["received_by"]["organization_id"].as_str()
                != Some(current.received_by.as_str())
        {
            return Ok(Change::ReceivedByChanged);
        }
        // A change notification that records a withdrawal counts as one.
        let action = if status == WITHDRAWN && current.status == ACTIVE {
            Action::WithdrawConsent
        } else {
            Action::Update
        };
        let ward = address::ward(&document["registrant"]["address"]);
        let next = Next {
            status,
            text: &text,
            ward: ward.as_deref(),
            action,
            categories: ALL_CATEGORIES,
        };
        match next_version(conn, caller, id, expected_version, next)? {
            Some(row) => Ok(Change::Changed(Box::new(row))),
            None => Ok(Change::Stale(current.version)),
        }
    })
}

/// One entry of a registration's history.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = registration_versions)]
pub struct Version {
    pub version: i32,
    pub document: String,
    pub recorded_at: NaiveDateTime,
    pub recorded_by: String,
    /// What the version records: `create`, `update` (a change notification),
    /// `withdraw_consent` or `grant_consent` (a new consent).
    pub event: String,
}

/// Every version of a registration the caller may see, oldest first (read is recorded). Once
/// the consent is withdrawn every version shows only what a read shows then
/// ([`consent::after_withdrawal`]): the history is no way around the withdrawal.
pub fn history(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &str,
) -> Result<Option<Vec<Version>>, StoreError> {
    conn.transaction(|conn| {
        let Some(current) = visible(conn, caller, id)? else {
            return Ok(None);
        };
        let mut versions = registration_versions::table
            .filter(registration_versions::registration_id.eq(id))
            .order(registration_versions::version)
            .select(Version::as_select())
            .load(conn)?;
        for v in &mut versions {
            v.document = as_read(&current.status, std::mem::take(&mut v.document))?;
        }
        audit::record(
            conn,
            Access {
                by: caller.id.as_str(),
                action: Action::ReadHistory,
                subject: Subject::Registration(id),
                categories: read_categories(&current.status),
                purpose: "registration",
            },
        )?;
        Ok(Some(versions))
    })
}

/// The status of a registration (`active` or `consent_withdrawn`), whoever asks; for tests
/// and internal use.
pub fn status(conn: &mut DbConnection, id: &str) -> Result<Option<String>, StoreError> {
    Ok(registrations::table
        .find(id)
        .select(registrations::status)
        .first(conn)
        .optional()?)
}

/// A registration the caller may see, read to compose a packet from it (the sending of the
/// packet is what the access record records).
pub fn for_handoff(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &str,
) -> Result<Option<Registration>, StoreError> {
    Ok(visible(conn, caller, id)?)
}

/// The stored registration, whoever asks (to check a submitted packet against its consent).
pub fn get(conn: &mut DbConnection, id: &str) -> Result<Option<Registration>, StoreError> {
    Ok(registrations::table
        .find(id)
        .select(Registration::as_select())
        .first(conn)
        .optional()?)
}

/// The current version of a registration.
pub fn version(conn: &mut DbConnection, id: &str) -> QueryResult<Option<i32>> {
    registrations::table
        .find(id)
        .select(registrations::version)
        .first(conn)
        .optional()
}
