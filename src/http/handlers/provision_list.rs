use crate::domain::access::Permission;
use crate::exchange::records;
use crate::http::auth::Caller;
use crate::http::query;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::provisions::{ProvisionFilter, ProvisionRecord};
use crate::store::{categories_of, Store};
use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProvisionQuery {
    /// The person whose data was provided: a registration id (`reg_…`), or an emergency
    /// intake id (`int_…`) for a person who never registered. A registration's records include
    /// those of the emergency intake it was made from.
    person: Option<String>,
    /// Only the records of this handoff.
    handoff: Option<String>,
    /// From this time (RFC 3339, inclusive).
    #[param(format = DateTime)]
    since: Option<String>,
    /// Up to this time (RFC 3339, exclusive).
    #[param(format = DateTime)]
    until: Option<String>,
    /// Continue after this record (the `next_after` of the previous page).
    after: Option<String>,
    /// Records per page, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// One provision record (提供記録).
#[derive(Serialize, ToSchema)]
pub struct ProvisionEntry {
    id: String,
    /// When (UTC).
    at: String,
    /// `provided` (the sender gave the packet) or `received` (the recipient took delivery).
    kind: String,
    handoff_id: String,
    /// The person: a registration id (`reg_…`) or an emergency intake id (`int_…`).
    person: String,
    sender: String,
    recipient: String,
    purpose: String,
    categories: Vec<String>,
    /// `consent` or `vital_interest`.
    legal_basis: String,
    /// The consent relied on (`granted_on`, `granted_by`, `method`) or the vital-interest
    /// reason.
    #[schema(value_type = Object)]
    consent_ref: Value,
    /// `jws` or `xml`: the form whose exact bytes `sha256` covers.
    form: String,
    sha256: String,
    /// The key that signed those bytes.
    kid: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProvisionPage {
    items: Vec<ProvisionEntry>,
    next_after: Option<String>,
}

impl From<ProvisionRecord> for ProvisionEntry {
    fn from(r: ProvisionRecord) -> Self {
        ProvisionEntry {
            id: r.id,
            at: r.at.and_utc().to_rfc3339(),
            kind: r.kind.to_string(),
            handoff_id: r.handoff_id.to_string(),
            person: r.case_id.to_string(),
            sender: r.sender_id.to_string(),
            recipient: r.recipient_id.to_string(),
            purpose: r.purpose,
            categories: categories_of(&r.categories),
            legal_basis: r.legal_basis,
            consent_ref: serde_json::from_str(&r.consent_ref).unwrap_or(Value::Null),
            form: r.form.to_string(),
            sha256: r.sha256,
            kid: r.kid.to_string(),
        }
    }
}

/// Provision records (提供記録, APPI 第29条/第30条): every packet provided and every packet
/// received, with time, sender, recipient, person, categories, purpose, legal basis, consent
/// reference, SHA-256 of the exact bytes and key id. For the city and the kikan, oldest first.
/// Kept at least three years; nothing in the API changes or deletes them.
#[utoipa::path(
    tag = "handoffs",
    security(("api_key" = [])),
    params(ProvisionQuery),
    responses(
        (status = 200, description = "A page of provision records", body = ProvisionPage),
        (status = 400, description = "A parameter with a value outside its range", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the city and the kikan read provision records", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/provisions")]
pub async fn provision_list(
    caller: Caller,
    store: web::Data<Store>,
    query: query::Query<ProvisionQuery>,
) -> Result<HttpResponse, ApiError> {
    let org = caller.allowed_to(Permission::ReadAccessRecords)?;
    let q = query.into_inner();
    let page = query::page(q.after, q.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let filter = ProvisionFilter {
        since: query::time(q.since.as_deref(), "since")?,
        until: query::time(q.until.as_deref(), "until")?,
        case_id: q.person,
        handoff_id: q.handoff,
        scope: org.scope(),
    };
    let found = run(&store, move |s| records::provisions(s, &filter, &page)).await?;
    let page = found.map(ProvisionEntry::from);
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(ProvisionPage {
            items: page.items,
            next_after: page.next_after,
        }))
}
