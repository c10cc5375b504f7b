//! Facility capability records. A facility writes only its own record; every organization of
//! the exchange may read and search them (they hold no personal data, so reads are not
//! audited). Each record is kept as its document plus one row per offered service, with the
//! columns a search filters on.
use super::organizations::Organization;
use super::schema::{facilities, facility_services};
use super::{DbConnection, Page, PageRequest, StoreError};
use crate::domain::access::{Permission, Relation};
use crate::domain::facility::FacilityRecord;
use crate::domain::ids::{FacilityId, OrganizationId};
use crate::time::now;
use chrono::{DateTime, FixedOffset, NaiveDateTime, Timelike};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde_json::Value;

type Db = <DbConnection as Connection>::Backend;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = facilities)]
pub struct FacilityRow {
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub id: FacilityId,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub organization_id: OrganizationId,
    pub version: i32,
    pub name: String,
    pub ward: Option<String>,
    pub survey_group: String,
    pub hub_registered: bool,
    pub hub_functions: String,
    pub emergency_room: bool,
    pub document: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = facility_services)]
struct ServiceRow<'a> {
    facility_id: &'a str,
    position: i32,
    service_type: &'a str,
    variant: Option<&'a str>,
    capacity: i32,
    vacancies: i32,
    vacancy_as_of: NaiveDateTime,
    targets: String,
    medical_care: String,
    behavioral_support: bool,
    survey_group: &'a str,
    ward: Option<&'a str>,
    /// The hub functions when the facility is hub-registered.
    hub_functions: Option<String>,
    emergency_room: bool,
}

/// A list as one column: ",a,b," (or "," when empty), so `LIKE '%,a,%'` finds a member.
fn list_column(items: &[String]) -> String {
    let mut s = String::from(",");
    for i in items {
        s.push_str(i);
        s.push(',');
    }
    s
}

/// A LIKE pattern matching one member of a list column; `_` and `%` in codes match literally.
fn member_pattern(code: &str) -> String {
    let escaped = code
        .replace('\\', "\\\\")
        .replace('_', "\\_")
        .replace('%', "\\%");
    format!("%,{escaped},%")
}

fn utc(t: &DateTime<FixedOffset>) -> NaiveDateTime {
    let t = t.naive_utc();
    t.with_nanosecond(t.nanosecond() / 1000 * 1000).unwrap_or(t)
}
/// Only the facility itself writes its record.
pub fn may_write(caller: &Organization, facility_id: &str) -> bool {
    let relation = if caller.id == facility_id {
        Relation::Own
    } else {
        Relation::Other
    };
    caller.may(Permission::WriteFacility, relation).allowed()
}

/// The result of uploading a record.
#[derive(Debug)]
pub enum Put {
    Created(FacilityRow),
    Updated(FacilityRow),
    /// The caller is not this facility.
    Forbidden,
    /// The record exists and the upload carried no `If-Match`.
    PreconditionRequired,
    /// `If-Match` names another version than the current one (`None`: there is no record yet).
    Stale(Option<i32>),
}

fn insert_services(conn: &mut DbConnection, record: &FacilityRecord) -> QueryResult<()> {
    let facility_id = record.facility_id.as_str();
    let hub = &record.hub_registration;
    let hub_functions = hub.registered.then(|| list_column(&hub.functions));
    let services = &record.services;
    // One INSERT per service: diesel's multi-backend connection has no batch insert.
    for row in services.iter().enumerate().map(|(i, s)| ServiceRow {
        facility_id,
        position: i as i32,
        service_type: &s.service_type,
        variant: s.variant.as_deref(),
        // The search columns of a service without a capacity: no places, one free "place"
        // while it can respond today (so "free now" is one test for every service), and the
        // time its availability was stated.
        capacity: s.capacity.unwrap_or(0) as i32,
        vacancies: s.free_places() as i32,
        vacancy_as_of: s.stated_at().map_or_else(now, |t| utc(&t)),
        targets: list_column(&s.targets),
        medical_care: list_column(&s.medical_care),
        behavioral_support: s.behavioral_support,
        survey_group: record.survey_group().as_str(),
        ward: record.ward.as_deref(),
        hub_functions: hub_functions.clone(),
        emergency_room: record.has_hub_emergency_room(),
    }) {
        diesel::insert_into(facility_services::table)
            .values(&row)
            .execute(conn)?;
    }
    Ok(())
}

/// Uploads a validated record: creates it (no `If-Match`) or replaces the version `If-Match`
/// names. The server fills in the derived `survey_group`.
pub fn put(
    conn: &mut DbConnection,
    caller: &Organization,
    record: &FacilityRecord,
    mut document: Value,
    if_match: Option<i32>,
) -> Result<Put, StoreError> {
    let id = record.facility_id.as_str();
    if !may_write(caller, id) {
        return Ok(Put::Forbidden);
    }
    // A record that has not answered the survey is in no group: nothing is filled in.
    if record.answered_survey() {
        document["survey_group"] = Value::String(record.survey_group().as_str().to_owned());
    }
    let text = document.to_string();
    let result = conn.transaction(|conn| {
        let current: Option<i32> = facilities::table
            .find(id)
            .select(facilities::version)
            .first(conn)
            .optional()?;
        let at = now();
        let row = |version: i32, created_at: NaiveDateTime| FacilityRow {
            id: FacilityId::from(id),
            organization_id: caller.id.clone(),
            version,
            name: record.name.clone(),
            ward: record.ward.clone(),
            survey_group: record.survey_group().as_str().to_owned(),
            hub_registered: record.hub_registration.registered,
            hub_functions: list_column(&record.hub_registration.functions),
            emergency_room: record.has_hub_emergency_room(),
            document: text.clone(),
            created_at,
            updated_at: at,
        };
        match (current, if_match) {
            (None, None) => {
                let new = row(1, at);
                diesel::insert_into(facilities::table)
                    .values(new.clone())
                    .execute(conn)?;
                insert_services(conn, record)?;
                super::facility_history::record(conn, id, 1, &text, at)?;
                Ok(Put::Created(new))
            }
            (None, Some(_)) => Ok(Put::Stale(None)),
            (Some(_), None) => Ok(Put::PreconditionRequired),
            (Some(v), Some(expected)) if v != expected => Ok(Put::Stale(Some(v))),
            (Some(v), Some(_)) => replace(conn, record, &text, v, at),
        }
    });
    match result {
        // Two first uploads at once on PostgreSQL: the second finds the first's row.
        Err(StoreError::Query(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            _,
        ))) => Ok(Put::Stale(Some(1))),
        other => other,
    }
}

/// Replaces version `v` of the record by the next, with its services.
fn replace(
    conn: &mut DbConnection,
    record: &FacilityRecord,
    text: &str,
    v: i32,
    at: NaiveDateTime,
) -> Result<Put, StoreError> {
    let id = record.facility_id.as_str();
    let updated = diesel::update(facilities::table)
        .filter(facilities::id.eq(id))
        .filter(facilities::version.eq(v))
        .set((
            facilities::version.eq(v + 1),
            facilities::name.eq(&record.name),
            facilities::ward.eq(&record.ward),
            facilities::survey_group.eq(record.survey_group().as_str()),
            facilities::hub_registered.eq(record.hub_registration.registered),
            facilities::hub_functions.eq(list_column(&record.hub_registration.functions)),
            facilities::emergency_room.eq(record.has_hub_emergency_room()),
            facilities::document.eq(text),
            facilities::updated_at.eq(at),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Ok(Put::Stale(Some(v + 1)));
    }
    diesel::delete(facility_services::table)
        .filter(facility_services::facility_id.eq(id))
        .execute(conn)?;
    insert_services(conn, record)?;
    super::facility_history::record(conn, id, v + 1, text, at)?;
    let stored = facilities::table
        .find(id)
        .select(FacilityRow::as_select())
        .first(conn)?;
    Ok(Put::Updated(stored))
}

pub fn get(conn: &mut DbConnection, id: &str) -> Result<Option<FacilityRow>, StoreError> {
    Ok(facilities::table
        .find(id)
        .select(FacilityRow::as_select())
        .first(conn)
        .optional()?)
}

/// One service's new vacancy figure. `variant` tells apart a facility's welfare and medical
/// short stay; it may be left out when the facility offers the service type once.
#[derive(Debug, Clone)]
pub struct VacancyUpdate {
    pub service_type: String,
    pub variant: Option<String>,
    pub figure: Figure,
}

/// Today's figure of one service: vacancies for a service with a capacity, whether it can
/// respond today for one without.
#[derive(Debug, Clone, Copy)]
pub enum Figure {
    Vacancies(u32),
    CanRespondToday(bool),
}

#[derive(Debug)]
pub enum Patch {
    Patched(FacilityRow),
    NotFound,
    Forbidden,
    Stale(i32),
    /// The update at this index names no service of the record (or more than one).
    UnknownService(usize),
    /// The update at this index gives more vacancies than the service's capacity.
    OverCapacity(usize),
    /// The update at this index gives the figure of the other kind of service (`true`: the
    /// service has no capacity and needs its availability).
    WrongFigure(usize, bool),
}

/// A vacancy update refused after its row was taken: the transaction is rolled back.
enum Refusal {
    Patch(Box<Patch>),
    Store(StoreError),
}

impl From<DieselError> for Refusal {
    fn from(e: DieselError) -> Self {
        Refusal::Store(e.into())
    }
}

/// The daily vacancy update: new `vacancies` and `vacancy_as_of` for some services, as the
/// next version. `If-Match` is optional here: vacancy figures are absolute, so the latest
/// report is the one that counts.
pub fn patch_vacancies(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &str,
    if_match: Option<i32>,
    updates: &[VacancyUpdate],
    as_of: DateTime<FixedOffset>,
) -> Result<Patch, StoreError> {
    match conn.transaction(|conn| apply_vacancies(conn, caller, id, if_match, updates, as_of)) {
        Ok(patch) => Ok(patch),
        Err(Refusal::Patch(patch)) => Ok(*patch),
        Err(Refusal::Store(e)) => Err(e),
    }
}

/// Sets each update's vacancies and time on the one service of the record it names; the
/// places changed (position, vacancies), or the refusal.
fn set_vacancies(
    services: &mut [Value],
    updates: &[VacancyUpdate],
    as_of: DateTime<FixedOffset>,
) -> Result<Vec<(i32, i32)>, Box<Patch>> {
    let stamp = as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    let mut positions = Vec::with_capacity(updates.len());
    for (u, update) in updates.iter().enumerate() {
        let matching: Vec<usize> = services
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s["service_type"] == update.service_type.as_str()
                    && update.variant.as_deref().is_none_or(|v| s["variant"] == v)
            })
            .map(|(i, _)| i)
            .collect();
        let [position] = matching[..] else {
            return Err(Box::new(Patch::UnknownService(u)));
        };
        let service = &mut services[position];
        let has_capacity = service.get("capacity").is_some();
        let free = match (update.figure, has_capacity) {
            (Figure::Vacancies(n), true) => {
                if service["capacity"].as_u64().unwrap_or(0) < u64::from(n) {
                    return Err(Box::new(Patch::OverCapacity(u)));
                }
                service["vacancies"] = n.into();
                service["vacancy_as_of"] = Value::String(stamp.clone());
                n
            }
            (Figure::CanRespondToday(today), false) => {
                service["availability"]["can_respond_today"] = today.into();
                service["availability"]["as_of"] = Value::String(stamp.clone());
                u32::from(today)
            }
            (_, has_capacity) => return Err(Box::new(Patch::WrongFigure(u, !has_capacity))),
        };
        positions.push((position as i32, free as i32));
    }
    Ok(positions)
}

fn apply_vacancies(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &str,
    if_match: Option<i32>,
    updates: &[VacancyUpdate],
    as_of: DateTime<FixedOffset>,
) -> Result<Patch, Refusal> {
    if !may_write(caller, id) {
        return Ok(match get(conn, id).map_err(Refusal::Store)? {
            Some(_) => Patch::Forbidden,
            None => Patch::NotFound,
        });
    }
    // The version is bumped first: that takes the row (PostgreSQL locks it until commit), so
    // concurrent updates of one record queue up instead of colliding.
    let at = now();
    let next = (
        facilities::version.eq(facilities::version + 1),
        facilities::updated_at.eq(at),
    );
    let record = facilities::table.filter(facilities::id.eq(id));
    let bumped = match if_match {
        Some(v) => diesel::update(record.filter(facilities::version.eq(v)))
            .set(next)
            .execute(conn)?,
        None => diesel::update(record).set(next).execute(conn)?,
    };
    let current = get(conn, id).map_err(Refusal::Store)?;
    let Some(current) = current else {
        return Ok(Patch::NotFound);
    };
    if bumped == 0 {
        return Ok(Patch::Stale(current.version));
    }
    let refuse = |p| Err(Refusal::Patch(Box::new(p)));
    let mut document: Value = serde_json::from_str(&current.document)
        .map_err(|e| DieselError::DeserializationError(Box::new(e)))?;
    let Some(services) = document["services"].as_array_mut() else {
        return refuse(Patch::UnknownService(0));
    };
    let positions = match set_vacancies(services, updates, as_of) {
        Ok(positions) => positions,
        Err(refused) => return Err(Refusal::Patch(refused)),
    };
    let text = document.to_string();
    diesel::update(facilities::table.find(id))
        .set(facilities::document.eq(&text))
        .execute(conn)?;
    for (position, vacancies) in positions {
        diesel::update(facility_services::table.find((id, position)))
            .set((
                facility_services::vacancies.eq(vacancies),
                facility_services::vacancy_as_of.eq(utc(&as_of)),
            ))
            .execute(conn)?;
    }
    Ok(Patch::Patched(FacilityRow {
        document: text,
        ..current
    }))
}

/// What a facility search asks for. Conditions on a service (type, variant, vacancy, medical
/// care, behavioural support, target, freshness) must all hold for the same service.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub service_type: Option<String>,
    pub variant: Option<String>,
    pub has_vacancy: Option<bool>,
    pub medical_care: Vec<String>,
    pub behavioral_support: Option<bool>,
    pub target: Option<String>,
    pub vacancy_since: Option<NaiveDateTime>,
    pub survey_group: Vec<String>,
    pub hub_function: Option<String>,
    pub emergency_room: Option<bool>,
    pub ward: Option<String>,
}

/// A page of the facility records matching a search, by facility id: (id, document). The
/// conditions are checked on the service rows alone (each carries its record's search columns;
/// every record has at least one service), so conditions on a service hold for the same
/// service.
pub fn search(
    conn: &mut DbConnection,
    search: &Search,
    page: &PageRequest,
) -> Result<Page<(String, String)>, StoreError> {
    // First the ids, then their documents (DISTINCT over whole documents would sort kilobytes
    // per row). Walking facility_services in key order (facility id first) lets the database
    // stop as soon as a page is full.
    let mut q = facility_services::table
        .select(facility_services::facility_id)
        .distinct()
        .order(facility_services::facility_id)
        .limit(page.fetch())
        .into_boxed::<Db>();
    if let Some(after) = &page.after {
        q = q.filter(facility_services::facility_id.gt(after.clone()));
    }
    if !search.survey_group.is_empty() {
        q = q.filter(facility_services::survey_group.eq_any(search.survey_group.clone()));
    }
    if let Some(f) = &search.hub_function {
        q = q.filter(
            facility_services::hub_functions
                .like(member_pattern(f))
                .escape('\\'),
        );
    }
    if let Some(room) = search.emergency_room {
        q = q.filter(facility_services::emergency_room.eq(room));
    }
    if let Some(ward) = &search.ward {
        q = q.filter(facility_services::ward.eq(ward.clone()));
    }
    if let Some(t) = &search.service_type {
        q = q.filter(facility_services::service_type.eq(t.clone()));
    }
    if let Some(v) = &search.variant {
        q = q.filter(facility_services::variant.eq(v.clone()));
    }
    match search.has_vacancy {
        Some(true) => q = q.filter(facility_services::vacancies.gt(0)),
        Some(false) => q = q.filter(facility_services::vacancies.eq(0)),
        None => {}
    }
    for code in &search.medical_care {
        q = q.filter(
            facility_services::medical_care
                .like(member_pattern(code))
                .escape('\\'),
        );
    }
    if let Some(b) = search.behavioral_support {
        q = q.filter(facility_services::behavioral_support.eq(b));
    }
    if let Some(t) = &search.target {
        q = q.filter(
            facility_services::targets
                .like(member_pattern(t))
                .escape('\\'),
        );
    }
    if let Some(since) = search.vacancy_since {
        q = q.filter(facility_services::vacancy_as_of.ge(since));
    }
    let ids: Vec<String> = q.load(conn)?;
    let found = if ids.is_empty() {
        Vec::new()
    } else {
        facilities::table
            .filter(facilities::id.eq_any(ids))
            .select((facilities::id, facilities::document))
            .order(facilities::id)
            .load(conn)?
    };
    Ok(Page::cut(found, page, |(id, _)| id.clone()))
}

/// The records matching may choose from: the given facilities, the hub facilities with an
/// emergency room, and every facility offering one of `service_types`.
pub fn matching_pool(
    conn: &mut DbConnection,
    ids: &[String],
    service_types: &[String],
) -> Result<Vec<FacilityRecord>, StoreError> {
    let offering = facility_services::table
        .select(facility_services::facility_id)
        .filter(facility_services::service_type.eq_any(service_types.to_vec()));
    let documents: Vec<String> = facilities::table
        .filter(
            facilities::id
                .eq_any(ids.to_vec())
                .or(facilities::emergency_room.eq(true))
                .or(facilities::id.eq_any(offering)),
        )
        .order(facilities::id)
        .select(facilities::document)
        .load(conn)?;
    typed(&documents)
}

/// Stored documents as typed records (they were validated when stored).
pub(super) fn typed(documents: &[String]) -> Result<Vec<FacilityRecord>, StoreError> {
    documents
        .iter()
        .map(|d| {
            serde_json::from_str(d)
                .map_err(|e| StoreError::Query(DieselError::DeserializationError(Box::new(e))))
        })
        .collect()
}
