//! `GET /metrics`: the operator's Prometheus scrapes the request, security-event and database
//! figures (`observe::metrics`) in the OpenMetrics text format. It is not part of the API (not
//! in the OpenAPI document), and it is not for everyone:
//! - with `--metrics-token`, a request bearing `Authorization: Bearer <that token>`, from
//!   anywhere;
//! - without it, a client on the loopback interface — but not behind a TLS proxy, where every
//!   client arrives from the proxy's address and loopback proves nothing: there, only with the
//!   token.
//!
//! Anything else gets the same 404 as a path that does not exist.
use super::auth::bearer_token;
use crate::observe::metrics::{self, Gauges};
use crate::problem::ApiError;
use crate::store::Store;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

/// Who may scrape.
#[derive(Debug, Clone, Default)]
pub struct MetricsAccess {
    /// The token a scraper sends as `Authorization: Bearer …`.
    pub token: Option<String>,
    /// Whether a loopback client may scrape without the token.
    pub loopback: bool,
}

impl MetricsAccess {
    fn allows(&self, req: &HttpRequest) -> bool {
        let sent = bearer_token(req.headers());
        match (&self.token, sent) {
            // Compared as digests, in constant time: the token's length leaks nothing either.
            (Some(token), Some(sent)) => openssl::memcmp::eq(
                &Sha256::digest(token.as_bytes()),
                &Sha256::digest(sent.as_bytes()),
            ),
            (Some(_), None) | (None, _) => {
                self.loopback && req.peer_addr().is_some_and(|a| a.ip().is_loopback())
            }
        }
    }
}

pub async fn metrics(
    req: HttpRequest,
    access: web::Data<MetricsAccess>,
    store: Option<web::Data<Store>>,
) -> Result<HttpResponse, ApiError> {
    if !access.allows(&req) {
        return Err(ApiError::NotFound);
    }
    let gauges = store.map_or_else(Gauges::default, |s| s.gauges());
    Ok(HttpResponse::Ok()
        .content_type(metrics::CONTENT_TYPE)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(metrics::encode(gauges)))
}
