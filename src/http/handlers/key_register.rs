use crate::crypto::jws::Alg;
use crate::exchange::keys::{self, Submitted};
use crate::http::auth::Caller;
use crate::http::body::media_type;
use crate::http::handlers::key_list::KeyEntry;
use crate::http::observe::note;
use crate::http::run;
use crate::observe::security::Event;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::http::header;
use actix_web::{post, web, HttpRequest, HttpResponse};

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct KeyQuery {
    /// The algorithm to pin the key to (ES256, Ed25519, PS256, RS256); default: the JWK's
    /// `alg`, else ES256 for P-256, Ed25519 for OKP, RS256 for RSA.
    alg: Option<String>,
}

/// Registers a public key of the caller's organization, to sign packets it submits: a public
/// JWK (`application/jwk+json` or `application/json`) or an X.509 certificate in PEM
/// (`application/x-pem-file` or `application/pem-certificate-chain`). The key's `kid` is its
/// RFC 7638 thumbprint and its algorithm is pinned here; registering the same key again
/// answers 200 with it.
#[utoipa::path(
    tag = "keys",
    security(("api_key" = [])),
    params(KeyQuery),
    request_body(content((Object = "application/jwk+json"), (String = "application/x-pem-file"))),
    responses(
        (status = 201, description = "Registered", body = KeyEntry),
        (status = 200, description = "Registered before", body = KeyEntry),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Registered by another organization, or retired", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither a JWK nor a PEM certificate", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a supported public key", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/keys")]
pub async fn key_register(
    req: HttpRequest,
    caller: Caller,
    store: web::Data<Store>,
    q: crate::http::query::Query<KeyQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let alg = match q.into_inner().alg {
        Some(name) => Some(Alg::parse(&name).ok_or(ApiError::InvalidParameter { name: "alg" })?),
        None => None,
    };
    let submitted = match media_type(&req).as_deref() {
        Some("application/jwk+json" | "application/json") => {
            Submitted::Jwk(crate::exchange::request_body(&body)?)
        }
        Some("application/x-pem-file" | "application/pem-certificate-chain") => {
            Submitted::CertificatePem(String::from_utf8_lossy(&body).into_owned())
        }
        _ => {
            return Err(ApiError::UnsupportedMediaType {
                accepted: "application/jwk+json, application/json, application/x-pem-file, application/pem-certificate-chain",
            })
        }
    };
    let key = run(&store, move |s| keys::register(s, &org, submitted, alg)).await?;
    if !key.new {
        return Ok(HttpResponse::Ok().json(KeyEntry::from(key.row)));
    }
    let kid = key.row.kid.to_string();
    let created = HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/keys/{kid}")))
        .json(KeyEntry::from(key.row));
    Ok(note(created, Event::KeyRegistered, Some(&kid)))
}
