//! Meetings around a registration (顔合わせ・見学・体験利用・担当者会議, Matsue 別紙2-1/2-2):
//! recorded by who may change the registration, read by who may read it. A meeting is codes,
//! a day and organization ids — no free text, so no personal data beyond the registration's.
use crate::contracts::Contracts;
use crate::domain::ids::RegistrationId;
use crate::problem::ApiError;
use crate::store::organizations::Organization;
use crate::store::registrations::{self, Meeting, NewMeeting, Recorded};
use crate::store::{categories_of, Store};
use crate::time::{parse_date, utc_text};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A recorded meeting.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingView {
    pub meeting_id: String,
    pub registration_id: String,
    /// `face_to_face` (顔合わせ), `visit` (見学), `trial_use` (体験利用) or `care_conference`
    /// (担当者会議): code list `meeting_kinds`.
    pub kind: String,
    #[schema(format = Date)]
    pub held_on: String,
    /// The organizations that took part.
    pub participants: Vec<String>,
    pub person_attended: bool,
    pub family_attended: bool,
    /// The facility seen, tried or prearranged.
    pub facility_id: Option<String>,
    /// Code list `meeting_outcomes`.
    pub outcome: String,
    pub recorded_by: String,
    /// When it was recorded (UTC).
    pub recorded_at: String,
}

impl From<Meeting> for MeetingView {
    fn from(m: Meeting) -> Self {
        MeetingView {
            meeting_id: m.id,
            registration_id: m.registration_id,
            kind: m.kind,
            held_on: m.held_on.to_string(),
            participants: categories_of(&m.participants),
            person_attended: m.person_attended,
            family_attended: m.family_attended,
            facility_id: m.facility_id,
            outcome: m.outcome,
            recorded_by: m.recorded_by,
            recorded_at: utc_text(m.recorded_at),
        }
    }
}

const FIELDS: [&str; 7] = [
    "kind",
    "held_on",
    "participants",
    "person_attended",
    "family_attended",
    "facility_id",
    "outcome",
];

/// The most organizations one meeting names.
const MAX_PARTICIPANTS: usize = 20;

/// A meeting body, read field by field so that a refusal names the wrong one.
fn parse(body: &[u8], today: chrono::NaiveDate) -> Result<NewMeeting, ApiError> {
    let body = super::request_body(body)?;
    let wrong = |field: &'static str| ApiError::InvalidMeeting { field };
    let object = body.as_object().ok_or(wrong("(body)"))?;
    if object.keys().any(|k| !FIELDS.contains(&k.as_str())) {
        return Err(wrong("(unknown field)"));
    }
    let contracts = Contracts::get();
    let code = |field: &'static str, list: &str| match body.get(field) {
        Some(Value::String(c)) if contracts.has_code(list, c) => Ok(c.clone()),
        _ => Err(wrong(field)),
    };
    let flag = |field: &'static str| body.get(field).and_then(Value::as_bool).ok_or(wrong(field));
    let held_on = body
        .get("held_on")
        .and_then(Value::as_str)
        .and_then(parse_date)
        .filter(|d| *d <= today)
        .ok_or(wrong("held_on"))?;
    let participants: Vec<String> = match body.get("participants") {
        Some(Value::Array(items)) if (1..=MAX_PARTICIPANTS).contains(&items.len()) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .filter(|s| !s.trim().is_empty())
                    .map(str::to_owned)
            })
            .collect::<Option<_>>()
            .ok_or(wrong("participants"))?,
        _ => return Err(wrong("participants")),
    };
    let mut unique = participants.clone();
    unique.sort();
    unique.dedup();
    if unique.len() != participants.len() {
        return Err(wrong("participants"));
    }
    let facility_id = match body.get("facility_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(f)) if !f.trim().is_empty() => Some(f.clone()),
        _ => return Err(wrong("facility_id")),
    };
    Ok(NewMeeting {
        kind: code("kind", "meeting_kinds")?,
        held_on,
        participants,
        person_attended: flag("person_attended")?,
        family_attended: flag("family_attended")?,
        facility_id,
        outcome: code("outcome", "meeting_outcomes")?,
    })
}

/// Records a meeting on registration `id` for `caller`.
pub fn record(
    store: &Store,
    caller: &Organization,
    id: &RegistrationId,
    body: &[u8],
) -> Result<MeetingView, ApiError> {
    let new = parse(body, registrations::review_day())?;
    let (caller, id) = (caller.clone(), id.as_str().to_owned());
    match store.write(move |conn| registrations::record_meeting(conn, &caller, &id, new))? {
        Recorded::Done(m) => Ok(MeetingView::from(*m)),
        Recorded::NotFound => Err(ApiError::NotFound),
        Recorded::Forbidden => Err(ApiError::Forbidden),
        Recorded::UnknownOrganization(field) => Err(ApiError::InvalidMeeting { field }),
    }
}

/// The meetings of registration `id`, for a caller who may read it.
pub fn list(
    store: &Store,
    caller: &Organization,
    id: &RegistrationId,
) -> Result<Vec<MeetingView>, ApiError> {
    let (caller, id) = (caller.clone(), id.as_str().to_owned());
    store
        .write(move |conn| registrations::meetings(conn, &caller, &id))?
        .map(|rows| rows.into_iter().map(MeetingView::from).collect())
        .ok_or(ApiError::NotFound)
}
