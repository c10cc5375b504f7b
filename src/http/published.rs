//! Serving a published contract file unchanged, with a strong ETag.
use crate::contracts::Published;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};

pub fn respond(req: &HttpRequest, file: &Published, content_type: &'static str) -> HttpResponse {
    respond_text(req, &file.etag, file.raw, content_type)
}

/// Serves text that lives as long as the process (a published or generated contract file)
/// with its strong ETag, answering `If-None-Match` with 304.
pub fn respond_text(
    req: &HttpRequest,
    etag: &str,
    body: &'static str,
    content_type: &'static str,
) -> HttpResponse {
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut res = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((
        header::ETAG,
        HeaderValue::from_str(etag).expect("etag is ASCII"),
    ))
    .insert_header((header::CACHE_CONTROL, "public, max-age=3600"));
    if matches {
        res.finish()
    } else {
        res.content_type(content_type).body(body)
    }
}
