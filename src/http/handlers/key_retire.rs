use crate::domain::ids::KeyId;
use crate::exchange::keys;
use crate::http::auth::Caller;
use crate::http::observe::note;
use crate::http::run;
use crate::observe::security::Event;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::{post, web, HttpResponse};

/// Retires one of the caller's keys: from now on it neither verifies nor appears in the JWK
/// Set (packets signed with it before stay stored with their provision records).
#[utoipa::path(
    tag = "keys",
    security(("api_key" = [])),
    params(("kid" = String, Path, description = "The key's RFC 7638 thumbprint")),
    responses(
        (status = 204, description = "Retired"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such active key of the caller's organization", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/keys/{kid}/retire")]
pub async fn key_retire(
    caller: Caller,
    store: web::Data<Store>,
    kid: web::Path<KeyId>,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let kid = kid.into_inner();
    let retired = kid.as_str().to_owned();
    run(&store, move |s| keys::retire(s, &org, &kid)).await?;
    let done = HttpResponse::NoContent().finish();
    Ok(note(done, Event::KeyRetired, Some(&retired)))
}
