use crate::domain::access::Permission;
use crate::exchange::records;
use crate::http::auth::Caller;
use crate::http::query;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::audit::{AccessRecord, AuditFilter};
use crate::store::{categories_of, Store};
use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// The organization that read or wrote.
    organization: Option<String>,
    /// `registration`, `handoff` or `emergency_intake`.
    record_type: Option<String>,
    /// The record read or written, e.g. a registration id.
    record_id: Option<String>,
    /// `create`, `read`, `read_history`, `update`, `withdraw_consent`, `grant_consent` (a new
    /// consent), `break_glass_read`, `list`, `match`, `send_handoff`, `break_glass` (a
    /// vital-interest packet), `respond`, `replay` (a retry with the same `Idempotency-Key`
    /// answered with the stored registration).
    action: Option<String>,
    /// From this time (RFC 3339, inclusive).
    #[param(format = DateTime)]
    since: Option<String>,
    /// Up to this time (RFC 3339, exclusive).
    #[param(format = DateTime)]
    until: Option<String>,
    /// Continue after this access record (the `next_after` of the previous page).
    after: Option<String>,
    /// Records per page, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// One access to personal data.
#[derive(Serialize, ToSchema)]
pub struct AccessEntry {
    id: String,
    /// When (UTC).
    at: String,
    /// The organization whose API key was used.
    organization_id: String,
    action: String,
    record_type: String,
    record_id: String,
    /// The data categories touched.
    categories: Vec<String>,
    purpose: String,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    items: Vec<AccessEntry>,
    next_after: Option<String>,
}

impl From<AccessRecord> for AccessEntry {
    fn from(r: AccessRecord) -> Self {
        AccessEntry {
            id: r.id,
            at: r.at.and_utc().to_rfc3339(),
            organization_id: r.organization_id,
            action: r.action,
            record_type: r.record_type,
            record_id: r.record_id,
            categories: categories_of(&r.categories),
            purpose: r.purpose,
        }
    }
}

/// The access record (who read or wrote whose data, which categories, when, for what): for
/// the city and the kikan, oldest first, filtered by organization, record, action and time.
/// Append-only: nothing in the API changes or deletes it.
#[utoipa::path(
    tag = "audit",
    security(("api_key" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of access records", body = AuditPage),
        (status = 400, description = "A parameter with a value outside its range", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the city and the kikan read the access record", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/audit")]
pub async fn audit_list(
    caller: Caller,
    store: web::Data<Store>,
    query: query::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let org = caller.allowed_to(Permission::ReadAccessRecords)?;
    let q = query.into_inner();
    let page = query::page(q.after, q.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let filter = AuditFilter {
        since: query::time(q.since.as_deref(), "since")?,
        until: query::time(q.until.as_deref(), "until")?,
        organization_id: q.organization,
        record_type: q.record_type,
        record_id: q.record_id,
        action: q.action,
        scope: Some((org.scope(), org.id.to_string())),
    };
    let found = run(&store, move |s| records::access(s, &filter, &page)).await?;
    let page = found.map(AccessEntry::from);
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(AuditPage {
            items: page.items,
            next_after: page.next_after,
        }))
}
