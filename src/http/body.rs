//! The format of a request body, from its `Content-Type`.
use super::problem::ApiError;
use crate::validation::input::{Format, InputError};
use actix_web::http::header::CONTENT_TYPE;
use actix_web::HttpRequest;

pub const ACCEPTED_DOCUMENT_TYPES: &str =
    "application/json, application/xml, text/xml (or any +json / +xml type)";

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

impl From<InputError> for ApiError {
    fn from(e: InputError) -> Self {
        match e {
            InputError::Json(j) => ApiError::Json(j),
            InputError::Xml(x) => ApiError::Xml(x),
        }
    }
}
