use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::http::header;
use actix_web::{get, web, HttpResponse};

/// The public keys that verify packets (RFC 7517 JWK Set): the exchange's own signing keys
/// and the keys organizations registered, each with its RFC 7638 thumbprint as `kid` and its
/// one algorithm. A rotated key stays here, and keeps verifying, until it is retired.
#[utoipa::path(
    tag = "contracts",
    responses(
        (status = 200, description = "The JWK Set", content_type = "application/jwk-set+json"),
        (status = 500, description = "The keys cannot be read", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/.well-known/jwks.json")]
pub async fn jwks(store: web::Data<Store>) -> Result<HttpResponse, ApiError> {
    let ring = run(&store, |s| Ok(s.keyring()?)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .content_type("application/jwk-set+json")
        .body(ring.jwks.to_string()))
}
