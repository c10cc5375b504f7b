use crate::exchange::keys;
use crate::http::auth::Caller;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::keys::KeyRow;
use crate::store::Store;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A registered public key.
#[derive(Serialize, ToSchema)]
pub struct KeyEntry {
    /// RFC 7638 thumbprint.
    kid: String,
    /// The one algorithm this key signs with.
    alg: String,
    /// The public JWK.
    #[schema(value_type = Object)]
    jwk: Value,
    /// Registered from an X.509 certificate.
    certificate: bool,
    created_at: String,
    /// When it was retired (it no longer verifies).
    retired_at: Option<String>,
}

impl From<KeyRow> for KeyEntry {
    fn from(r: KeyRow) -> Self {
        KeyEntry {
            jwk: serde_json::from_str(&r.jwk).unwrap_or(Value::Null),
            certificate: r.certificate.is_some(),
            created_at: r.created_at.and_utc().to_rfc3339(),
            retired_at: r.retired_at.map(|t| t.and_utc().to_rfc3339()),
            kid: r.kid.to_string(),
            alg: r.alg,
        }
    }
}

/// The public keys the caller's organization registered, newest first, retired ones included.
#[utoipa::path(
    tag = "keys",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The organization's keys", body = Vec<KeyEntry>),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/keys")]
pub async fn key_list(caller: Caller, store: web::Data<Store>) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let rows = run(&store, move |s| keys::list(s, &org)).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(KeyEntry::from).collect::<Vec<_>>()))
}
