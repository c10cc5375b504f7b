//! The use cases of the exchange, one module each: plain functions over typed inputs that
//! return a typed result or an `ApiError` (`problem`). They hold the rules of the exchange that
//! need the store; the domain's rules without I/O stay in `domain`, the queries and
//! transactions in `store`. HTTP handlers (`http::handlers`) extract, call one of these
//! through `http::run`, and respond; the CLI calls them directly.
pub mod facilities;
mod handoff_request;
pub mod handoffs;
pub mod intakes;
pub mod keys;
pub mod matching;
pub mod meetings;
pub mod offices;
pub mod packets;
pub mod records;
pub mod registrations;
pub mod report_csv;
pub mod reports;
pub mod reviews;
pub mod search;
pub mod sharing;
pub mod verify;

use crate::contracts::DocumentType;
use crate::problem::ApiError;
use crate::validation::input::{Format, Input};
use crate::validation::{Engine, Lang};
use serde_json::Value;

/// A JSON request body that is not a document (a search, an assignment, a handoff request …):
/// well-formed, without a BOM or duplicate keys, and without a NUL character in any key or
/// string, which no field may hold (PostgreSQL cannot store or compare it as text; refused
/// alike on both backends). Documents are read by [`valid`] instead, where a control character
/// is a finding of the report.
pub fn request_body(body: &[u8]) -> Result<Value, ApiError> {
    fn holds_nul(v: &Value) -> bool {
        match v {
            Value::String(s) => s.contains('\0'),
            Value::Array(items) => items.iter().any(holds_nul),
            Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
            _ => false,
        }
    }
    let value = crate::contracts::json::parse_document(body).map_err(ApiError::Json)?;
    if holds_nul(&value) {
        return Err(ApiError::NulCharacter);
    }
    Ok(value)
}

/// The document in `body` read as `format`, if it is a valid `doc_type`; otherwise the problem
/// with its report in `lang`. One reading: the value returned is the one validated, so only
/// valid documents reach the store.
pub fn valid(
    format: Format,
    body: &[u8],
    doc_type: DocumentType,
    lang: Lang,
) -> Result<Value, ApiError> {
    let engine = Engine::get();
    let input = Input::read(format, body, engine)?;
    let outcome = input.validate(engine, Some(doc_type));
    if !engine.is_valid(&outcome) {
        let report = input.render(engine, &outcome, lang);
        return Err(ApiError::InvalidDocument(Box::new(report)));
    }
    Ok(input.value)
}
