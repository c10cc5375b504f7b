use super::key_list::KeyEntry;
use crate::domain::ids::KeyId;
use crate::exchange::keys;
use crate::http::auth::Caller;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::{get, web, HttpResponse};

/// One of the caller's public keys, retired or not: where `POST /v1/keys` says the new key is
/// (`Location`).
#[utoipa::path(
    tag = "keys",
    security(("api_key" = [])),
    params(("kid" = String, Path, description = "The key's RFC 7638 thumbprint")),
    responses(
        (status = 200, description = "The key", body = KeyEntry),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such key of the caller's organization", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/keys/{kid}")]
pub async fn key_get(
    caller: Caller,
    store: web::Data<Store>,
    kid: web::Path<KeyId>,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let kid = kid.into_inner();
    let row = run(&store, move |s| keys::get(s, &org, &kid)).await?;
    Ok(HttpResponse::Ok().json(KeyEntry::from(row)))
}
