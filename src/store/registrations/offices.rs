//! The consultation office responsible for a registration (担当の相談支援事業所): who it is now,
//! and every assignment in order. The kikan, a hub or the city assigns one to a registration
//! taken without an office (別紙2-2) and moves it when offices change; `received_by` stays the
//! organization that took the form.
use super::super::schema::office_assignments;
use super::*;

/// One assignment: from `assigned_at` on, `office_id` was responsible (`None`: none was).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = office_assignments)]
pub struct OfficeAssignment {
    pub seq: i32,
    pub office_id: Option<String>,
    pub assigned_by: String,
    pub assigned_at: NaiveDateTime,
}

/// Appends an assignment to the history, in the caller's transaction.
pub(super) fn record(
    conn: &mut DbConnection,
    registration_id: &str,
    seq: i32,
    office: Option<&str>,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(office_assignments::table)
        .values((
            office_assignments::registration_id.eq(registration_id),
            office_assignments::seq.eq(seq),
            office_assignments::office_id.eq(office),
            office_assignments::assigned_by.eq(by),
            office_assignments::assigned_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

fn history(conn: &mut DbConnection, registration_id: &str) -> QueryResult<Vec<OfficeAssignment>> {
    office_assignments::table
        .filter(office_assignments::registration_id.eq(registration_id))
        .order(office_assignments::seq)
        .select(OfficeAssignment::as_select())
        .load(conn)
}

/// What an assignment came to.
#[derive(Debug)]
pub enum Assigned {
    /// The registration as it stands now, with every assignment.
    Done(Box<(Registration, Vec<OfficeAssignment>)>),
    /// No such registration, or the caller may not see it.
    NotFound,
    /// The caller sees it but may not assign its office (the responsible office itself).
    Forbidden,
    /// The office named is not a consultation office of the exchange.
    NotAnOffice,
}

/// Makes `office` (`None`: no office) responsible for registration `id`, recording the
/// assignment and the access; naming the office already responsible changes and records
/// nothing. The registration's row is locked first, so of two concurrent assignments each
/// sees the other's.
pub fn assign_office(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &str,
    office: Option<&str>,
) -> Result<Assigned, StoreError> {
    conn.transaction(|conn| {
        let locked = diesel::update(registrations::table.find(id))
            .set(registrations::responsible_office.eq(registrations::responsible_office))
            .execute(conn)?;
        let Some(registration) = visible(conn, caller, id)?.filter(|_| locked == 1) else {
            return Ok(Assigned::NotFound);
        };
        let permission = Permission::AssignOffice;
        if !caller
            .may(permission, relation(caller, &registration))
            .allowed()
        {
            return Ok(Assigned::Forbidden);
        }
        if let Some(o) = office {
            let role = super::super::organizations::get(conn, o)?.map(|org| org.role);
            if role != Some(Role::ConsultationOffice) {
                return Ok(Assigned::NotAnOffice);
            }
        }
        let mut registration = registration;
        if registration.responsible_office.as_deref() != office {
            diesel::update(registrations::table.find(id))
                .set(registrations::responsible_office.eq(office))
                .execute(conn)?;
            let seq = history(conn, id)?.last().map_or(1, |a| a.seq + 1);
            record(conn, id, seq, office, caller.id.as_str(), now())?;
            audit::record(conn, no_data_access(caller, Action::AssignOffice, id))?;
            registration.responsible_office = office.map(str::to_owned);
        }
        let assignments = history(conn, id)?;
        Ok(Assigned::Done(Box::new((registration, assignments))))
    })
}

/// The responsible office of a registration the caller may see and its assignments, the read
/// recorded (it names no personal data, but tells who handles whose case).
pub fn office_history(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &str,
) -> Result<Option<(Registration, Vec<OfficeAssignment>)>, StoreError> {
    conn.transaction(|conn| {
        let Some(registration) = visible(conn, caller, id)? else {
            return Ok(None);
        };
        audit::record(conn, no_data_access(caller, Action::Read, id))?;
        let assignments = history(conn, id)?;
        Ok(Some((registration, assignments)))
    })
}
