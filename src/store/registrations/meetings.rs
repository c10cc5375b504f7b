//! Meetings around a registration (顔合わせ・見学・体験利用・担当者会議): recorded as codes and
//! organization ids only, so a meeting record adds no personal data to what the registration
//! holds. Who may change the registration records them; who may read it reads them.
use super::super::schema::registration_meetings;
use super::*;
use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = registration_meetings)]
pub struct Meeting {
    pub id: String,
    pub registration_id: String,
    /// A code of `meeting_kinds`.
    pub kind: String,
    pub held_on: NaiveDate,
    /// The organizations that took part, comma-separated ids.
    pub participants: String,
    pub person_attended: bool,
    pub family_attended: bool,
    /// The facility seen, tried or prearranged, if any.
    pub facility_id: Option<String>,
    /// A code of `meeting_outcomes`.
    pub outcome: String,
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
}

/// A meeting to record: its registration id, id and record time are the store's.
#[derive(Debug, Clone)]
pub struct NewMeeting {
    pub kind: String,
    pub held_on: NaiveDate,
    pub participants: Vec<String>,
    pub person_attended: bool,
    pub family_attended: bool,
    pub facility_id: Option<String>,
    pub outcome: String,
}

/// What recording a meeting came to.
#[derive(Debug)]
pub enum Recorded {
    Done(Box<Meeting>),
    NotFound,
    Forbidden,
    /// A participant is no organization of the exchange (`participants`), or `facility_id` no
    /// facility (`facility_id`).
    UnknownOrganization(&'static str),
}

/// Records a meeting on registration `id` by `caller`, with its access record.
pub fn record_meeting(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &str,
    new: NewMeeting,
) -> Result<Recorded, StoreError> {
    conn.transaction(|conn| {
        let Some(registration) = visible(conn, caller, id)? else {
            return Ok(Recorded::NotFound);
        };
        if !may_write(caller, &registration) {
            return Ok(Recorded::Forbidden);
        }
        for p in &new.participants {
            if super::super::organizations::get(conn, p)?.is_none() {
                return Ok(Recorded::UnknownOrganization("participants"));
            }
        }
        if let Some(f) = &new.facility_id {
            let role = super::super::organizations::get(conn, f)?.map(|o| o.role);
            if role != Some(Role::Facility) {
                return Ok(Recorded::UnknownOrganization("facility_id"));
            }
        }
        let row = Meeting {
            id: time_ordered_id("mtg_", 6),
            registration_id: id.to_owned(),
            kind: new.kind,
            held_on: new.held_on,
            participants: new.participants.join(","),
            person_attended: new.person_attended,
            family_attended: new.family_attended,
            facility_id: new.facility_id,
            outcome: new.outcome,
            recorded_by: caller.id.to_string(),
            recorded_at: now(),
        };
        diesel::insert_into(registration_meetings::table)
            .values(row.clone())
            .execute(conn)?;
        audit::record(conn, no_data_access(caller, Action::RecordMeeting, id))?;
        Ok(Recorded::Done(Box::new(row)))
    })
}

/// The meetings of a registration the caller may see, by the day held; the read is recorded.
pub fn meetings(
    conn: &mut DbConnection,
    caller: &Organization,
    id: &str,
) -> Result<Option<Vec<Meeting>>, StoreError> {
    conn.transaction(|conn| {
        if visible(conn, caller, id)?.is_none() {
            return Ok(None);
        }
        let rows = registration_meetings::table
            .filter(registration_meetings::registration_id.eq(id))
            .order((registration_meetings::held_on, registration_meetings::id))
            .select(Meeting::as_select())
            .load(conn)?;
        audit::record(conn, no_data_access(caller, Action::Read, id))?;
        Ok(Some(rows))
    })
}
