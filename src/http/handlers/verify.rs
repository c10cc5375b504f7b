use crate::exchange::verify::{verdict, Verification};
use crate::http::auth::Caller;
use crate::http::body::media_type;
use crate::http::handoffs::JOSE;
use crate::http::middleware::request_lang;
use crate::http::run;
use crate::packet::check::Lifetime;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::{post, web, HttpRequest, HttpResponse};

/// Verifies any signed packet — compact JWS (`application/jose`) or XML with an enveloped
/// signature (`application/xml`) — against the keys registered with the exchange (never a key
/// the packet brings), then validates its content (for XML, anything the mapping to JSON cannot
/// carry exactly is a KY-XML-* error) and, for a handoff, checks that the signer is its sender,
/// `issued_at` (not in the future), its lifetime (bounded) and expiry, that the caller is a
/// party to it (or kikan, hub, city), and the stored consent — the consent only of a
/// registration the caller may read or holds a handoff on (`consent_checked`). The same check
/// as a submitted packet and `kyoten verify`. Always 200 with a verdict when the body is a
/// packet attempt; nothing is stored.
#[utoipa::path(
    tag = "handoffs",
    security(("api_key" = [])),
    request_body(content((String = "application/jose"), (String = "application/xml"))),
    responses(
        (status = 200, description = "The verdict", body = Verification),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither application/jose nor XML", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/verify")]
pub async fn verify(
    req: HttpRequest,
    caller: Caller,
    store: web::Data<Store>,
    lifetime: web::Data<Lifetime>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    match media_type(&req).as_deref() {
        Some(JOSE | "application/xml" | "text/xml") => {}
        _ => {
            return Err(ApiError::UnsupportedMediaType {
                accepted: "application/jose, application/xml",
            })
        }
    }
    let (lang, lifetime) = (request_lang(req.headers()), **lifetime);
    let verdict = run(&store, move |s| verdict(s, &org, lifetime, &body, lang)).await?;
    Ok(HttpResponse::Ok().json(verdict))
}
