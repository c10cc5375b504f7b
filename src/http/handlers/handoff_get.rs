use crate::domain::ids::HandoffId;
use crate::exchange::handoffs;
use crate::http::auth::Caller;
use crate::http::handoffs::{view, HandoffView, CONTENT_SHA256, JOSE};
use crate::http::observe::note_if;
use crate::http::run;
use crate::observe::security::Event;
use crate::packet::Form;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::http::header::{self, Header};
use actix_web::{get, web, HttpRequest, HttpResponse};

/// What the caller asked for by `Accept`.
enum Wanted {
    Signed(Form),
    View,
}

const AVAILABLE: &str = "application/jose, application/xml, application/json";

fn wanted(req: &HttpRequest) -> Result<Wanted, ApiError> {
    let Ok(accept) = header::Accept::parse(req) else {
        return Ok(Wanted::Signed(Form::Jws));
    };
    if accept.is_empty() {
        return Ok(Wanted::Signed(Form::Jws));
    }
    for mime in accept.ranked() {
        match (mime.type_().as_str(), mime.subtype().as_str()) {
            ("application", "jose") | ("*", "*") | ("application", "*") => {
                return Ok(Wanted::Signed(Form::Jws))
            }
            ("application" | "text", "xml") => return Ok(Wanted::Signed(Form::Xml)),
            ("application", "json") => return Ok(Wanted::View),
            _ => {}
        }
    }
    Err(ApiError::NotAcceptable {
        available: AVAILABLE,
    })
}

/// Reads a handoff. By `Accept`: `application/jose` (the default) gives the packet as compact JWS,
/// `application/xml` as XML with an enveloped XMLDSig signature — both carry the same content,
/// whose JCS SHA-256 is in `Kyoten-Content-SHA256` — and `application/json` gives the state of the
/// handoff and its responses without the personal data. Only the sender, the recipient, and the
/// kikan, the hub and the city (within their municipal scope) see a handoff. When the recipient
/// fetches the packet, a provision record of its receipt is written and a `requested` handoff
/// becomes `received`. The recipient gets the packet only while it may have the data — fetched
/// before or not: not once the handoff is cancelled (409 `handoff-cancelled`), the registration's
/// consent is withdrawn (409 `consent-withdrawn`; a vital-interest packet is still delivered) or
/// the packet expired unaccepted (409 `handoff-expired`); then nothing is recorded. The state
/// (`application/json`) stays readable.
#[utoipa::path(
    tag = "handoffs",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The handoff_id")),
    responses(
        (status = 200, description = "The signed packet, or the handoff's state",
         content((String = "application/jose"), (String = "application/xml"), (HandoffView = "application/json")),
         headers(("Kyoten-Content-SHA256" = String, description = "SHA-256 (hex) of the JCS form of the packet's JSON content"))),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such handoff, or not visible to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 406, description = "Accept names none of the three forms", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The recipient may not have the packet now: the handoff was cancelled (handoff-cancelled), the consent withdrawn (consent-withdrawn) or the packet expired unaccepted (handoff-expired)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/handoffs/{id}")]
pub async fn handoff_get(
    req: HttpRequest,
    caller: Caller,
    store: web::Data<Store>,
    id: web::Path<HandoffId>,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let id = id.into_inner();
    let form = match wanted(&req)? {
        Wanted::View => {
            let (h, responses) = run(&store, move |s| handoffs::read_status(s, &org, &id)).await?;
            return Ok(HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(view(&h, responses)));
        }
        Wanted::Signed(form) => form,
    };
    let (h, packet) = run(&store, move |s| handoffs::deliver(s, &org, &id, form)).await?;
    let content_type = match form {
        Form::Jws => JOSE,
        Form::Xml => "application/xml; charset=utf-8",
    };
    let break_glass = h.is_break_glass();
    let delivered = HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((CONTENT_SHA256, h.content_sha256))
        .insert_header(("Kyoten-Key-Id", packet.kid.to_string()))
        .insert_header((header::VARY, "Accept"))
        .content_type(content_type)
        .body(packet.bytes);
    Ok(note_if(break_glass, delivered, Event::BreakGlassDelivered))
}
