use crate::exchange::handoffs as sending;
use crate::http::auth::Caller;
use crate::http::handoffs::{self, HandoffView};
use crate::http::query;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::handoffs::HandoffFilter;
use crate::store::Store;
use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 500;
pub const STATUSES: [&str; 10] = [
    "requested",
    "received",
    "accepted",
    "declined",
    "admitted",
    "completed",
    "cancelled",
    "expired",
    "superseded",
    "revoked",
];

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HandoffQuery {
    /// `sent` (by the caller) or `received` (by the caller); default both (kikan, hub and
    /// city: every handoff of their municipal scope).
    direction: Option<String>,
    /// Only handoffs in this state (`expired` included).
    status: Option<String>,
    /// Only handoffs built from this registration.
    registration_id: Option<String>,
    /// Only handoffs built from this emergency intake.
    intake_id: Option<String>,
    /// Continue after this handoff (the `next_after` of the previous page).
    after: Option<String>,
    /// Handoffs per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct HandoffPage {
    items: Vec<HandoffView>,
    next_after: Option<String>,
}

/// Lists handoffs the caller sent or received, oldest first (a facility polls
/// `?direction=received&status=requested` for new requests); the kikan, the hub and the city
/// see every handoff about the people of their municipal scope (every handoff when they have
/// no scope). No personal data: fetch a packet to read it.
#[utoipa::path(
    tag = "handoffs",
    security(("api_key" = [])),
    params(HandoffQuery),
    responses(
        (status = 200, description = "One page of handoffs", body = HandoffPage),
        (status = 400, description = "A query parameter has a value this endpoint does not accept", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/handoffs")]
pub async fn handoff_list(
    caller: Caller,
    store: web::Data<Store>,
    q: query::Query<HandoffQuery>,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let q = q.into_inner();
    if q.direction
        .as_deref()
        .is_some_and(|d| d != "sent" && d != "received")
    {
        return Err(ApiError::InvalidParameter { name: "direction" });
    }
    if q.status.as_deref().is_some_and(|s| !STATUSES.contains(&s)) {
        return Err(ApiError::InvalidParameter { name: "status" });
    }
    let page = query::page(q.after, q.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let filter = HandoffFilter {
        direction: q.direction,
        status: q.status,
        registration_id: q.registration_id,
        intake_id: q.intake_id,
    };
    let found = run(&store, move |s| sending::list(s, &org, &filter, &page)).await?;
    let page = found.map(|h| handoffs::view(&h, Vec::new()));
    Ok(HttpResponse::Ok().json(HandoffPage {
        items: page.items,
        next_after: page.next_after,
    }))
}
