use crate::contracts::Contracts;
use crate::domain::ids::RegistrationId;
use crate::exchange::meetings::{self, MeetingView};
use crate::http::auth::Caller;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::http::header;
use actix_web::{post, web, HttpResponse};
use serde_json::{json, Value};

/// The JSON Schema of a meeting body (`components.schemas.MeetingRecord`), written by hand so
/// that its codes are the code lists' own and unknown members are refused.
pub fn meeting_record_schema() -> Value {
    let codes =
        |list: &str| -> Vec<Value> { Contracts::get().codes(list).into_iter().cloned().collect() };
    json!({
        "type": "object",
        "description": "A meeting around a registration: codes, a day and organization ids only (no free text).",
        "properties": {
            "kind": {"type": "string", "enum": codes("meeting_kinds"),
                     "description": "顔合わせ (face_to_face), 見学 (visit), 体験利用 (trial_use), 担当者会議 (care_conference): code list meeting_kinds."},
            "held_on": {"type": "string", "format": "date",
                        "description": "The day it was held (not in the future, in Japan)."},
            "participants": {"type": "array", "minItems": 1, "maxItems": 20, "uniqueItems": true,
                             "items": {"type": "string", "minLength": 1},
                             "description": "The organizations of the exchange that took part (their ids)."},
            "person_attended": {"type": "boolean"},
            "family_attended": {"type": "boolean"},
            "facility_id": {"type": ["string", "null"],
                            "description": "The facility seen, tried or prearranged (a facility of the exchange)."},
            "outcome": {"type": "string", "enum": codes("meeting_outcomes"),
                        "description": "Code list meeting_outcomes."}
        },
        "required": ["kind", "held_on", "participants", "person_attended", "family_attended", "outcome"],
        "additionalProperties": false,
        "example": {"kind": "visit", "held_on": "2026-11-20", "participants": ["demo-office-aoba", "0410100101"],
                    "person_attended": true, "family_attended": true, "facility_id": "0410100101", "outcome": "prearranged"}
    })
}

/// Records a meeting around a registration (顔合わせ・見学・体験利用・担当者会議): the day, the
/// organizations that took part, whether the person and the family did, the facility
/// concerned and the outcome — codes and ids only, no free text. The responsible office, the
/// kikan and the hub record meetings; the record is an access record (`record_meeting`).
#[utoipa::path(
    tag = "registrations",
    security(("api_key" = [])),
    params(("id" = String, Path, example = "reg_demo_aoba_1")),
    request_body(description = "A meeting (schema MeetingRecord)", content_type = "application/json"),
    responses(
        (status = 201, description = "Recorded", body = MeetingView,
         headers(("Location" = String, description = "The registration's meetings"))),
        (status = 400, description = "Not well-formed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may read but not change the registration", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such registration, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field missing or wrong (invalid-meeting, naming it)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/registrations/{id}/meetings")]
pub async fn meeting_create(
    caller: Caller,
    store: web::Data<Store>,
    id: web::Path<RegistrationId>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let id = id.into_inner();
    let location = format!("/v1/registrations/{id}/meetings");
    let meeting = run(&store, move |s| meetings::record(s, &org, &id, &body)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(meeting))
}
