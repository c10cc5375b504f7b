//! The consultation office responsible for a registration (担当の相談支援事業所): the kikan, a
//! hub or the city assigns one to a registration taken without an office (別紙2-2) and moves it
//! when the person changes offices; `received_by` stays who took the form. The responsible
//! office reads and changes the registration as its own; the one before it no longer does.
use crate::domain::ids::RegistrationId;
use crate::problem::ApiError;
use crate::store::organizations::Organization;
use crate::store::registrations::{self, Assigned, OfficeAssignment, Registration};
use crate::store::Store;
use crate::time::utc_text;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A registration's responsible office and every assignment, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResponsibleOffice {
    pub registration_id: String,
    /// The organization that took the form (never changes).
    pub received_by: String,
    /// The consultation office responsible now; null when none is.
    pub responsible_office: Option<String>,
    pub assignments: Vec<AssignmentView>,
}

/// One assignment: from `assigned_at` on, `office` was responsible (null: none was).
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentView {
    pub seq: i32,
    pub office: Option<String>,
    pub assigned_by: String,
    /// When (UTC).
    pub assigned_at: String,
}

fn view((registration, assignments): (Registration, Vec<OfficeAssignment>)) -> ResponsibleOffice {
    ResponsibleOffice {
        registration_id: registration.id.to_string(),
        received_by: registration.received_by.to_string(),
        responsible_office: registration.responsible_office,
        assignments: assignments
            .into_iter()
            .map(|a| AssignmentView {
                seq: a.seq,
                office: a.office_id,
                assigned_by: a.assigned_by,
                assigned_at: utc_text(a.assigned_at),
            })
            .collect(),
    }
}

/// The office named by an assignment body: exactly `{"organization_id": "…"}`, or
/// `{"organization_id": null}` for none.
fn office_named(body: &[u8]) -> Result<Option<String>, ApiError> {
    let body = super::request_body(body)?;
    let wrong = ApiError::InvalidOfficeAssignment {
        not_an_office: false,
    };
    let object = body.as_object().ok_or(wrong)?;
    if object.len() != 1 {
        return Err(ApiError::InvalidOfficeAssignment {
            not_an_office: false,
        });
    }
    match object.get("organization_id") {
        Some(Value::Null) => Ok(None),
        Some(Value::String(id)) if !id.trim().is_empty() => Ok(Some(id.clone())),
        _ => Err(ApiError::InvalidOfficeAssignment {
            not_an_office: false,
        }),
    }
}

/// Makes the office the body names responsible for registration `id`.
pub fn assign(
    store: &Store,
    caller: &Organization,
    id: &RegistrationId,
    body: &[u8],
) -> Result<ResponsibleOffice, ApiError> {
    let office = office_named(body)?;
    let (caller, id) = (caller.clone(), id.as_str().to_owned());
    let assigned = store
        .write(move |conn| registrations::assign_office(conn, &caller, &id, office.as_deref()))?;
    match assigned {
        Assigned::Done(done) => Ok(view(*done)),
        Assigned::NotFound => Err(ApiError::NotFound),
        Assigned::Forbidden => Err(ApiError::Forbidden),
        Assigned::NotAnOffice => Err(ApiError::InvalidOfficeAssignment {
            not_an_office: true,
        }),
    }
}

/// The responsible office of registration `id` and its assignments, for a caller who may read
/// the registration (the read is recorded).
pub fn read(
    store: &Store,
    caller: &Organization,
    id: &RegistrationId,
) -> Result<ResponsibleOffice, ApiError> {
    let (caller, id) = (caller.clone(), id.as_str().to_owned());
    store
        .write(move |conn| registrations::office_history(conn, &caller, &id))?
        .map(view)
        .ok_or(ApiError::NotFound)
}
