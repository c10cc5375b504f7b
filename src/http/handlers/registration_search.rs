use crate::domain::search_keys::PHONE_PATTERN;
use crate::exchange::search::{self, SearchPurpose, SearchResult};
use crate::http::auth::Caller;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::http::header;
use actix_web::{post, web, HttpResponse};
use serde_json::{json, Value};

/// The JSON Schema of a search body (`components.schemas.PersonSearch`), written by hand: a
/// name or a phone is required (`anyOf`), which a derived schema cannot say, and its patterns
/// describe exactly what the search accepts, so no schema-valid search is refused.
pub fn person_search_schema() -> Value {
    let purposes: Vec<&str> = SearchPurpose::ALL.iter().map(|p| p.as_str()).collect();
    json!({
        "type": "object",
        "description": "A search for a person: a name or a phone, optionally a birth date, and the purpose. Sent in the body, not the URL, so that names and phone numbers stay out of access logs and proxies.",
        "properties": {
            "name": {
                "type": "string",
                "description": "The person's name, family name first: its reading (katakana or hiragana, full or half width; ユウ and ユー, キャ and キヤ are alike) or as written (common variant kanji such as 髙 and 高 are alike). The beginning is enough: at least two characters.",
                "pattern": "[^\\s・][\\s\\S]*[^\\s・]",
                "example": "センダイ"
            },
            "birth_date": {
                "type": "string",
                "format": "date",
                "description": "The date of birth (narrows a search by name or phone)."
            },
            "phone": {
                "type": "string",
                "description": "A phone number of the person or of one of its emergency contacts, written any way: 6 to 15 digits (ASCII or full width), hyphens, brackets, spaces, +81.",
                "pattern": PHONE_PATTERN,
                "example": "090-0000-0000"
            },
            "purpose": {
                "type": "string",
                "enum": purposes,
                "description": "Why the person is looked up; recorded with every registration shown."
            },
            "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": search::MAX_LIMIT,
                "description": "Registrations to show, 1–50 (default 20)."
            }
        },
        "required": ["purpose"],
        "anyOf": [{"required": ["name"]}, {"required": ["phone"]}],
        "additionalProperties": false,
        "example": {"name": "せんだい たろう", "birth_date": "1990-05-01", "purpose": "emergency_acceptance"}
    })
}

/// Finds a person during a call (本人の検索): by name (reading or as written, its beginning), birth
/// date and phone, among the registrations the caller may see — all of them (within their
/// municipal scope) for the city, the kikan and the hub, its own for a consultation office. A
/// name or a phone is required. The list shows what identification needs and no more; each
/// registration shown is recorded in the access record (`search`, category `identity`, the
/// purpose given). A withdrawn registration is found by name and birth date, no longer by
/// phone.
#[utoipa::path(
    tag = "registrations",
    security(("api_key" = [])),
    request_body(description = "A search (schema PersonSearch)", content_type = "application/json"),
    responses(
        (status = 200, description = "The registrations found, by id; `more` when more matched than were shown", body = SearchResult),
        (status = 400, description = "Not well-formed JSON (malformed-json, duplicate-key, …)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role sees no registrations", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No name or phone to search by, or a member of the wrong shape (invalid-search)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/search/registrations")]
pub async fn registration_search(
    caller: Caller,
    store: web::Data<Store>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let request = search::PersonSearch::read(&crate::exchange::request_body(&body)?)?;
    let found = run(&store, move |s| search::search(s, &org, &request)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(found))
}
