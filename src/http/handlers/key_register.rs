use crate::contracts::json::parse_document;
use crate::crypto::jws::Alg;
use crate::crypto::keys::{self, KeyError};
use crate::http::auth::Caller;
use crate::http::body::media_type;
use crate::http::handlers::key_list::KeyEntry;
use crate::http::problem::{ApiError, Problem};
use crate::store::keys::{self as stored, Registered};
use crate::store::Store;
use actix_web::http::header;
use actix_web::{post, web, HttpRequest, HttpResponse};

impl From<KeyError> for ApiError {
    fn from(e: KeyError) -> Self {
        ApiError::KeyRefused(e.to_string())
    }
}

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
    q: web::Query<KeyQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let alg = match q.into_inner().alg {
        Some(name) => Some(Alg::parse(&name).ok_or(ApiError::InvalidParameter { name: "alg" })?),
        None => None,
    };
    let (key, certificate) = match media_type(&req).as_deref() {
        Some("application/jwk+json" | "application/json") => {
            let jwk = parse_document(&body).map_err(ApiError::Json)?;
            (keys::from_jwk(&jwk, alg)?, None)
        }
        Some("application/x-pem-file" | "application/pem-certificate-chain") => {
            let pem = String::from_utf8_lossy(&body).into_owned();
            (keys::from_certificate_pem(pem.as_bytes(), alg)?, Some(pem))
        }
        _ => {
            return Err(ApiError::UnsupportedMediaType {
                accepted: "application/jwk+json, application/json, application/x-pem-file, application/pem-certificate-chain",
            })
        }
    };
    let store = store.into_inner();
    let org_id = org.id.clone();
    let registered = {
        let store2 = store.clone();
        web::block(move || {
            let r = store2.write(move |conn| stored::register(conn, &org_id, &key, certificate));
            if matches!(r, Ok(Registered::New(_))) {
                store2.reload_keyring()?;
            }
            r
        })
        .await??
    };
    match registered {
        Registered::New(row) => Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/v1/keys/{}", row.kid)))
            .json(KeyEntry::from(row))),
        Registered::Existing(row) => Ok(HttpResponse::Ok().json(KeyEntry::from(row))),
        Registered::Taken => Err(ApiError::KeyTaken),
    }
}
