//! `Authorization: Bearer <api key>` — or, with mutual TLS, the client certificate of the
//! connection (`tls.rs`): the calling organization, or 401. When both are there they must name
//! the same organization.
//!
//! Every refusal becomes the security event `authentication_failed` (`observe.rs`), with the
//! client address and the route pattern — never the key. A key that is not found counts against its client address: after
//! `--auth-failure-limit` misses in the window, every Bearer key from that address is refused
//! with 429 until the window ends, so keys cannot be guessed at speed (a right guess would
//! be refused too, so nothing is learnt while refused).
use super::limits::Limits;
use super::tls::ClientCertificate;
use crate::domain::access::{Access, Permission, Relation};
use crate::problem::{ApiError, Limited};
use crate::store::organizations::Organization;
use crate::store::Store;
use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use std::net::IpAddr;

/// The organization whose API key signed the request.
#[derive(Debug, Clone)]
pub struct Caller(pub Organization);

impl Caller {
    /// The organization, if the access policy (`domain::access`) lets it do `permission` when
    /// no record of its own is involved; otherwise 403 (or 404 where the policy hides records).
    pub fn allowed_to(self, permission: Permission) -> Result<Organization, ApiError> {
        match self.0.may(permission, Relation::Other) {
            Access::Allowed => Ok(self.0),
            Access::Forbidden => Err(ApiError::Forbidden),
            Access::Hidden => Err(ApiError::NotFound),
        }
    }
}

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
fn refused(req: &HttpRequest) -> Option<u64> {
    let limits = req.app_data::<web::Data<Limits>>()?;
    limits.auth_failures.refused(req.peer_addr()?.ip())
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await })
    }
}

/// How authenticating a request came out, kept in its extensions: the credentials are looked
/// up (and a failure counted) once per request, whoever asks first — the idempotency
/// middleware or the handler — and `observe.rs` reads it for the security events.
#[derive(Debug, Clone)]
enum Outcome {
    Known(Organization),
    /// Refused, and why (a fixed text, never the key).
    Unauthorized(&'static str),
    TooManyFailures {
        retry_after: u64,
    },
}

/// The organization a request authenticated as, once something asked.
pub fn organization_of(req: &HttpRequest) -> Option<String> {
    match req.extensions().get::<Outcome>()? {
        Outcome::Known(org) => Some(org.id.to_string()),
        _ => None,
    }
}

/// Why a request's credentials were refused, if they were.
pub fn refusal_of(req: &HttpRequest) -> Option<&'static str> {
    match req.extensions().get::<Outcome>()? {
        Outcome::Unauthorized(reason) => Some(reason),
        Outcome::TooManyFailures { .. } => Some("too many failed authentications"),
        Outcome::Known(_) => None,
    }
}

/// The organization the request's credentials (Bearer key, client certificate) name, or the
/// refusal; answered from the request's extensions after the first time. A transient failure
/// (database busy) is not kept, so a later asker tries again.
pub async fn authenticate(req: &HttpRequest) -> Result<Caller, ApiError> {
    let kept = req.extensions().get::<Outcome>().cloned();
    let outcome = match kept {
        Some(outcome) => outcome,
        None => {
            let outcome = look_up(req).await?;
            req.extensions_mut().insert(outcome.clone());
            outcome
        }
    };
    match outcome {
        Outcome::Known(org) => Ok(Caller(org)),
        Outcome::Unauthorized(_) => Err(ApiError::Unauthorized),
        Outcome::TooManyFailures { retry_after } => Err(ApiError::TooManyRequests {
            retry_after,
            limited: Limited::Authentication,
        }),
    }
}

/// Looks the request's credentials up; an error is a failure of the server (the database),
/// not a refusal.
fn look_up(req: &HttpRequest) -> LocalBoxFuture<'static, Result<Outcome, ApiError>> {
    let token = bearer_token(req.headers());
    let store = req.app_data::<web::Data<Store>>().cloned();
    let limits = req.app_data::<web::Data<Limits>>().cloned();
    let peer: Option<IpAddr> = req.peer_addr().map(|a| a.ip());
    let refused_for = token.as_ref().and_then(|_| refused(req));
    let certificate = req.conn_data::<ClientCertificate>().cloned();
    Box::pin(async move {
        let Some(token) = token else {
            let Some(certificate) = certificate else {
                return Ok(Outcome::Unauthorized("no Bearer key"));
            };
            let store = store
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the server has no database")))?;
            let id = certificate.organization_id;
            let found =
                web::block(move || crate::store::organizations::get(&mut *store.conn()?, &id))
                    .await??;
            return Ok(found.map_or(
                Outcome::Unauthorized("the client certificate names no organization"),
                Outcome::Known,
            ));
        };
        if let Some(retry_after) = refused_for {
            return Ok(Outcome::TooManyFailures { retry_after });
        }
        let store = store
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the server has no database")))?;
        let found = {
            let store = store.clone();
            web::block(move || store.authenticate(&token)).await??
        };
        Ok(match found {
            Some(org)
                if certificate_names_another(&store, certificate, org.id.as_str()).await? =>
            {
                Outcome::Unauthorized(
                    "the API key and the client certificate name different organizations",
                )
            }
            Some(org) => Outcome::Known(org),
            None => {
                if let (Some(limits), Some(peer)) = (limits, peer) {
                    limits.auth_failures.record(peer);
                }
                Outcome::Unauthorized("unknown or revoked key")
            }
        })
    })
}

/// Whether the connection's client certificate names an organization other than `id`. A
/// certificate whose CN names no organization is only a credential for the connection (mutual
/// TLS as a gate) and leaves the decision to the API key.
async fn certificate_names_another(
    store: &web::Data<Store>,
    certificate: Option<ClientCertificate>,
    id: &str,
) -> Result<bool, ApiError> {
    let Some(certificate) = certificate.filter(|c| c.organization_id != id) else {
        return Ok(false);
    };
    let store = store.clone();
    let named = web::block(move || {
        crate::store::organizations::get(&mut *store.conn()?, &certificate.organization_id)
    })
    .await??;
    Ok(named.is_some())
}
