//! `Authorization: Bearer <api key>`: the calling organization, or 401.
//!
//! Every refusal is logged (warn) with the client address and the route pattern — never the
//! key. A key that is not found counts against its client address: after
//! `--auth-failure-limit` misses in the window, every Bearer key from that address is refused
//! with 429 until the window ends, so keys cannot be guessed at speed (a right guess would
//! be refused too, so nothing is learnt while refused).
use super::limits::Limits;
use super::problem::{ApiError, Limited};
use crate::store::organizations::Organization;
use crate::store::Store;
use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use std::net::IpAddr;

/// The organization whose API key signed the request.
#[derive(Debug, Clone)]
pub struct Caller(pub Organization);

/// The key of `Authorization: Bearer <key>`, if there is a non-empty one.
pub fn bearer_token(headers: &actix_web::http::header::HeaderMap) -> Option<String> {
    headers
        .get(AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// Whether Bearer keys from this address are refused for now (too many failures).
pub fn refused(req: &HttpRequest) -> Option<u64> {
    let limits = req.app_data::<web::Data<Limits>>()?;
    limits.auth_failures.refused(req.peer_addr()?.ip())
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req.headers());
        let store = req.app_data::<web::Data<Store>>().cloned();
        let limits = req.app_data::<web::Data<Limits>>().cloned();
        let peer: Option<IpAddr> = req.peer_addr().map(|a| a.ip());
        let route = req.match_pattern().unwrap_or_else(|| "(unmatched)".into());
        let refused_for = token.as_ref().and_then(|_| refused(req));
        Box::pin(async move {
            let Some(token) = token else {
                log_failure(peer, &route, "no Bearer key");
                return Err(ApiError::Unauthorized);
            };
            if let Some(retry_after) = refused_for {
                log_failure(peer, &route, "refused: too many failures from this address");
                return Err(ApiError::TooManyRequests {
                    retry_after,
                    limited: Limited::Authentication,
                });
            }
            let store =
                store.ok_or_else(|| ApiError::Internal("the server has no database".into()))?;
            let found = web::block(move || store.authenticate(&token)).await??;
            match found {
                Some(org) => Ok(Caller(org)),
                None => {
                    if let (Some(limits), Some(peer)) = (limits, peer) {
                        limits.auth_failures.record(peer);
                    }
                    log_failure(peer, &route, "unknown or revoked key");
                    Err(ApiError::Unauthorized)
                }
            }
        })
    }
}

/// One warning per failed authentication: the client address and the route pattern, never
/// the key (nor a path value).
fn log_failure(peer: Option<IpAddr>, route: &str, reason: &'static str) {
    let peer = peer.map_or_else(|| "(unknown)".to_owned(), |p| p.to_string());
    tracing::warn!(%peer, route, reason, "authentication failed");
}
