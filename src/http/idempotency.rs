//! `Idempotency-Key` on every data POST: a retried request gets the first response, and the
//! write happens once — also when the retry reaches another instance on the same database.
//! A key belongs to the organization of the API key, for 24 hours; reused for a different
//! request it is refused (422), and while its first request is still running a retry gets 409
//! with `Retry-After`. Only a successful response is kept: a refused request wrote nothing, so
//! its key is released and the corrected request may be sent with the same key. Validation
//! endpoints store nothing, so the header changes nothing there. A replay that hands out a
//! registration again is recorded in the access record (action `replay`). Keys older than 24
//! hours are deleted by [`purge_periodically`], which the server runs.
use super::auth::{self, Caller};
use super::middleware::request_lang;
use super::run;
use crate::problem::ApiError;
use crate::store::audit;
use crate::store::idempotency::{self, Begin, StoredResponse};
use crate::store::{Store, StoreError};
use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use bytes::{Bytes, BytesMut};
use diesel::Connection;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

pub const HEADER: &str = "idempotency-key";
/// Set on a replayed response.
pub const REPLAYED: &str = "idempotent-replayed";

/// Response headers kept with the body and replayed.
const KEPT_HEADERS: [HeaderName; 6] = [
    header::CONTENT_TYPE,
    HeaderName::from_static("kyoten-content-sha256"),
    header::CONTENT_LANGUAGE,
    header::LOCATION,
    header::ETAG,
    header::CACHE_CONTROL,
];

fn applies(req: &ServiceRequest) -> bool {
    req.method() == Method::POST
        && req.path().starts_with("/v1/")
        && !req.path().starts_with("/v1/validate/")
        // Verifying stores nothing either.
        && req.path() != "/v1/verify"
        // A break-glass read stores nothing, and each one must be recorded as itself: a retry
        // is read (and recorded) again, never answered from a stored copy.
        && !req.path().ends_with("/break-glass-read")
}

/// 1 to 255 visible ASCII characters.
fn valid_key(v: &HeaderValue) -> Option<String> {
    let b = v.as_bytes();
    (!b.is_empty() && b.len() <= 255 && b.iter().all(|c| (0x21..=0x7e).contains(c)))
        .then(|| String::from_utf8_lossy(b).into_owned())
}

/// The responses that are a registration document (a registration create): replaying one
/// hands out personal data again, so the replay is recorded in the access record like any
/// other read. (A change notification is a PUT, not replayed here; a consent withdrawal or a
/// new consent answers with no personal data.)
fn answers_with_registration(req: &ServiceRequest) -> bool {
    req.path() == "/v1/registrations"
}

/// The registration a stored response hands out, if it is one.
fn replayed_registration(stored: &StoredResponse) -> Option<String> {
    if !(200..300).contains(&stored.status) {
        return None;
    }
    let doc: serde_json::Value = serde_json::from_slice(&stored.body).ok()?;
    doc.get("registration_id")?.as_str().map(str::to_owned)
}

/// Method, target, media type and body: a retry must repeat all four.
fn fingerprint(req: &ServiceRequest, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(req.method().as_str());
    h.update([0]);
    h.update(req.uri().path_and_query().map_or("", |p| p.as_str()));
    h.update([0]);
    h.update(
        req.headers()
            .get(header::CONTENT_TYPE)
            .map_or(&b""[..], |v| v.as_bytes()),
    );
    h.update([0]);
    h.update(body);
    hex::encode(h.finalize())
}

fn replay(stored: StoredResponse) -> HttpResponse {
    let mut res = HttpResponse::build(
        StatusCode::from_u16(stored.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    );
    for (name, value) in &stored.headers {
        res.insert_header((name.as_str(), value.as_str()));
    }
    res.insert_header((REPLAYED, "true"));
    res.body(stored.body)
}

pub async fn idempotency(
    max_body: usize,
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let header = req.headers().get(HEADER).cloned();
    let (Some(header), true) = (header, applies(&req)) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let lang = request_lang(req.headers());
    let Some(key) = valid_key(&header) else {
        return Ok(req.into_response(ApiError::IdempotencyKeyInvalid.render(lang)));
    };
    // Authenticated once for the request: the handler's `Caller` is answered from the same
    // outcome. Without a known caller the handler refuses (401, 429, 503), and nothing is
    // written.
    let (Some(store), Ok(Caller(org))) = (
        req.app_data::<web::Data<Store>>().cloned(),
        auth::authenticate(req.request()).await,
    ) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Some(body) = whole_body(&mut req, max_body).await? else {
        let refusal = ApiError::Status(StatusCode::PAYLOAD_TOO_LARGE).render(lang);
        return Ok(req.into_response(refusal));
    };
    let fp = fingerprint(&req, &body);
    req.set_payload(Payload::from(body));
    let claim = Claim {
        org_id: org.id.to_string(),
        key,
    };
    let (begin_claim, discloses) = (claim.clone(), answers_with_registration(&req));
    let begun = run(&store, move |s| Ok(begin_claim.begin(s, &fp, discloses)?)).await?;
    match begun {
        Begin::Replay(stored) => Ok(req.into_response(replay(stored))),
        Begin::InProgress => Ok(req.into_response(ApiError::IdempotencyKeyInUse.render(lang))),
        Begin::Mismatch => Ok(req.into_response(ApiError::IdempotencyKeyReused.render(lang))),
        Begin::Claimed => {
            let res = match next.call(req).await {
                Ok(res) if res.status().is_success() => res,
                other => {
                    // Refused or failed: nothing was written, so the key is given back (and
                    // the database is left exactly as it was); a corrected retry may use it.
                    claim.settle(&store, None).await;
                    return Ok(other?.map_into_boxed_body());
                }
            };
            let (res, stored) = kept(res).await?;
            claim.settle(&store, Some(stored)).await;
            Ok(res)
        }
    }
}

/// The request's body, read here (within the same limit as the handlers') to fingerprint it,
/// and handed on unchanged; `None` when it is over the limit.
async fn whole_body(
    req: &mut ServiceRequest,
    max_body: usize,
) -> Result<Option<Bytes>, actix_web::Error> {
    let mut payload = std::mem::replace(req.parts_mut().1, Payload::None);
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > max_body {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body.freeze()))
}

/// One organization's claim on one key.
#[derive(Clone)]
struct Claim {
    org_id: String,
    key: String,
}

impl Claim {
    /// Claims the key for a request with fingerprint `fp`, or finds it claimed or answered.
    /// A replay of a response that discloses a registration writes its access record in the
    /// same transaction.
    fn begin(&self, store: &Store, fp: &str, discloses: bool) -> Result<Begin, StoreError> {
        let (org_id, key, fp) = (self.org_id.clone(), self.key.clone(), fp.to_owned());
        store.write(move |conn| {
            if !discloses {
                return idempotency::begin(conn, &org_id, &key, &fp);
            }
            conn.transaction(|conn| {
                let begun = idempotency::begin(conn, &org_id, &key, &fp)?;
                if let Begin::Replay(stored) = &begun {
                    if let Some(id) = replayed_registration(stored) {
                        audit::record(
                            conn,
                            audit::Access {
                                by: &org_id,
                                action: audit::Action::Replay,
                                subject: audit::Subject::Registration(&id),
                                categories: audit::ALL_CATEGORIES,
                                purpose: "registration",
                            },
                        )?;
                    }
                }
                Ok::<_, StoreError>(begun)
            })
        })
    }

    /// Stores the response for replay, or (`None`) gives the key back. A failure is logged:
    /// the response has been made by then.
    async fn settle(&self, store: &web::Data<Store>, stored: Option<StoredResponse>) {
        let claim = self.clone();
        let done = run(store, move |s| {
            Ok(s.write(move |conn| match &stored {
                Some(r) => idempotency::complete(conn, &claim.org_id, &claim.key, r),
                None => idempotency::release(conn, &claim.org_id, &claim.key),
            })?)
        })
        .await;
        if let Err(e) = done {
            tracing::error!(error = %e, "idempotency key not settled");
        }
    }
}

/// A successful response, read whole: as it goes out, and as it is kept for replay.
async fn kept(
    res: ServiceResponse<impl MessageBody>,
) -> Result<(ServiceResponse<BoxBody>, StoredResponse), ApiError> {
    let (http_req, res) = res.into_parts();
    let (head, res_body) = res.into_parts();
    let bytes = body::to_bytes(res_body)
        .await
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("response body unreadable")))?;
    let stored = StoredResponse {
        status: head.status().as_u16(),
        headers: KEPT_HEADERS
            .iter()
            .filter_map(|name| {
                let v = head.headers().get(name)?.to_str().ok()?;
                Some((name.as_str().to_owned(), v.to_owned()))
            })
            .collect(),
        body: bytes.to_vec(),
    };
    let res = head.set_body(bytes).map_into_boxed_body();
    Ok((ServiceResponse::new(http_req, res), stored))
}

/// Deletes idempotency keys older than [`idempotency::RETENTION`] now and then every `every`,
/// for as long as the server runs (spawned on its runtime at start-up). Several instances on
/// one database may all run it: the deletes do not conflict.
pub async fn purge_periodically(store: Store, every: std::time::Duration) {
    loop {
        let s = store.clone();
        match web::block(move || s.write(idempotency::purge_expired)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(deleted = n, "expired idempotency keys deleted"),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "expired idempotency keys not deleted; retrying later")
            }
            Err(e) => {
                tracing::warn!(error = %e, "expired idempotency keys not deleted; retrying later")
            }
        }
        actix_web::rt::time::sleep(every).await;
    }
}
