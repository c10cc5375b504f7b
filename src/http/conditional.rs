//! Versions as entity tags: `ETag: "N"` on every versioned record, `If-Match: "N"` to change it.
use crate::problem::ApiError;
use actix_web::http::header;
use actix_web::HttpRequest;

pub fn etag(version: i32) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

/// The version an `If-Match: "N"` names, if the header is there. A tag that is not a version
/// (or `*`) can match no version.
pub fn if_match(req: &HttpRequest) -> Option<i32> {
    let raw = req.headers().get(header::IF_MATCH)?;
    let tag = raw.to_str().unwrap_or_default().trim();
    let tag = tag.strip_prefix("W/").unwrap_or(tag).trim_matches('"');
    Some(tag.parse::<i32>().unwrap_or(-1))
}

/// The version `If-Match` names; 428 without it.
pub fn required_if_match(req: &HttpRequest) -> Result<i32, ApiError> {
    if_match(req).ok_or(ApiError::PreconditionRequired)
}
