//! The format of a request body, from its `Content-Type`.
use super::middleware::request_lang;
use crate::contracts::DocumentType;
use crate::problem::ApiError;
use crate::validation::input::Format;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::HttpRequest;
use serde_json::Value;

/// The media types a document may come as, written as media types only, so the problem's
/// Japanese and English details both read it as it is (any `+json` or `+xml` type is taken).
pub const ACCEPTED_DOCUMENT_TYPES: &str =
    "application/json, application/xml, text/xml, */*+json, */*+xml";

/// The media type of the request, without parameters, lower-cased.
pub fn media_type(req: &HttpRequest) -> Option<String> {
    let raw = req.headers().get(CONTENT_TYPE)?.to_str().ok()?;
    Some(
        raw.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase(),
    )
}

pub fn document_format(req: &HttpRequest) -> Result<Format, ApiError> {
    match media_type(req).as_deref() {
        Some("application/json") => Ok(Format::Json),
        Some("application/xml" | "text/xml") => Ok(Format::Xml),
        Some(t) if t.ends_with("+json") => Ok(Format::Json),
        Some(t) if t.ends_with("+xml") => Ok(Format::Xml),
        _ => Err(ApiError::UnsupportedMediaType {
            accepted: ACCEPTED_DOCUMENT_TYPES,
        }),
    }
}

/// Reads a body as a document of `doc_type` that is to be stored: an invalid one is refused
/// with its validation report (422), so only valid documents reach the store.
pub fn read_valid(
    req: &HttpRequest,
    body: &[u8],
    doc_type: DocumentType,
) -> Result<Value, ApiError> {
    valid_in(req, document_format(req)?, body, doc_type)
}

/// The document in `body` read as `format`, if it is a valid `doc_type`; otherwise the problem
/// with its report in the caller's language. One reading: the value returned is the one
/// validated.
pub fn valid_in(
    req: &HttpRequest,
    format: Format,
    body: &[u8],
    doc_type: DocumentType,
) -> Result<Value, ApiError> {
    crate::exchange::valid(format, body, doc_type, request_lang(req.headers()))
}
