use crate::exchange::intakes;
use crate::http::auth::Caller;
use crate::http::query;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::intakes::IntakeSummary;
use crate::store::Store;
use crate::time::utc_text;
use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 500;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct IntakeQuery {
    /// Continue after this intake (the `next_after` of the previous page).
    after: Option<String>,
    /// Intakes per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// An intake in a list: where and when, never the person's data.
#[derive(Serialize, ToSchema)]
pub struct IntakeItem {
    intake_id: String,
    municipality_code: String,
    received_by: String,
    /// When it was stored (UTC).
    created_at: String,
    ward: Option<String>,
    /// The registration it became, once it did.
    registration_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct IntakePage {
    items: Vec<IntakeItem>,
    next_after: Option<String>,
}

impl From<IntakeSummary> for IntakeItem {
    fn from(s: IntakeSummary) -> IntakeItem {
        IntakeItem {
            intake_id: s.id.into_string(),
            municipality_code: s.municipality_code,
            received_by: s.received_by.into_string(),
            created_at: utc_text(s.created_at),
            ward: s.ward,
            registration_id: s.registration_id,
        }
    }
}

/// Lists emergency intakes, oldest first: every one (within their municipal scope) for the kikan,
/// the hubs and the city, its own for a consultation office. No personal data: read an intake to
/// see it. The listing is recorded.
#[utoipa::path(
    tag = "intakes",
    security(("api_key" = [])),
    params(IntakeQuery),
    responses(
        (status = 200, description = "One page of intakes", body = IntakePage),
        (status = 400, description = "A query parameter has a value this endpoint does not accept", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A facility does not read intakes", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/intakes")]
pub async fn intake_list(
    caller: Caller,
    store: web::Data<Store>,
    q: query::Query<IntakeQuery>,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let q = q.into_inner();
    let page = query::page(q.after, q.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let found = run(&store, move |s| intakes::list(s, &org, page)).await?;
    let page = found.map(IntakeItem::from);
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(IntakePage {
            items: page.items,
            next_after: page.next_after,
        }))
}
