use crate::domain::consent::RegistrationStatus;
use crate::exchange::registrations;
use crate::http::auth::Caller;
use crate::http::query;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::registrations::{ListFilter, Summary};
use crate::store::Store;
use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RegistrationQuery {
    /// The ward (区) of the registrant's address, e.g. 青葉区.
    ward: Option<String>,
    /// `active` or `consent_withdrawn`.
    status: Option<String>,
    /// Only registrations changed at or after this time (RFC 3339).
    #[param(format = DateTime, example = "2026-11-01T00:00:00+09:00")]
    updated_since: Option<String>,
    /// Only registrations due for review on or before this day (overdue ones included), e.g.
    /// the end of next month for the reviews to prepare.
    #[param(format = Date, example = "2026-12-31")]
    review_due_by: Option<String>,
    /// Continue after this registration id (the `next_after` of the previous page).
    after: Option<String>,
    /// Registrations per page, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// A registration in a list: no personal data beyond the ward.
#[derive(Serialize, ToSchema)]
pub struct RegistrationSummary {
    registration_id: String,
    version: i32,
    status: String,
    ward: Option<String>,
    municipality_code: String,
    /// The organization that took the form.
    received_by: String,
    /// The consultation office responsible now (null: none assigned yet).
    responsible_office: Option<String>,
    /// When it is next due for review (見直し); null once the consent is withdrawn.
    #[schema(format = Date)]
    review_due: Option<String>,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct RegistrationPage {
    items: Vec<RegistrationSummary>,
    /// Pass as `after` for the next page; null on the last.
    next_after: Option<String>,
}

impl From<Summary> for RegistrationSummary {
    fn from(s: Summary) -> Self {
        RegistrationSummary {
            registration_id: s.id,
            version: s.version,
            status: s.status,
            ward: s.ward,
            municipality_code: s.municipality_code,
            received_by: s.received_by,
            responsible_office: s.responsible_office,
            review_due: s.review_due.map(|d| d.to_string()),
            created_at: s.created_at.and_utc().to_rfc3339(),
            updated_at: s.updated_at.and_utc().to_rfc3339(),
        }
    }
}

/// Lists the registrations the caller may see — all of them (within their municipal scope) for the
/// city, the kikan and the hub, its own for a consultation office — by ward, status, time of the
/// last change and review due date (`review_due_by`: the reviews due or overdue by a day), in
/// registration-id order, a page at a time. A facility sees no registrations (403).
#[utoipa::path(
    tag = "registrations",
    security(("api_key" = [])),
    params(RegistrationQuery),
    responses(
        (status = 200, description = "A page of registrations", body = RegistrationPage),
        (status = 400, description = "A parameter with a value outside its range", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role sees no registrations", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/registrations")]
pub async fn registration_list(
    caller: Caller,
    store: web::Data<Store>,
    query: query::Query<RegistrationQuery>,
) -> Result<HttpResponse, ApiError> {
    let Caller(org) = caller;
    let q = query.into_inner();
    let page = query::page(q.after, q.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    if q.status
        .as_deref()
        .is_some_and(|s| RegistrationStatus::parse(s).is_none())
    {
        return Err(ApiError::InvalidParameter { name: "status" });
    }
    let filter = ListFilter {
        ward: q.ward,
        status: q.status,
        updated_since: query::time(q.updated_since.as_deref(), "updated_since")?,
        review_due_by: query::date(q.review_due_by.as_deref(), "review_due_by")?,
        // The caller's own, or its municipal scope: set by the use case.
        ..ListFilter::default()
    };
    let found = run(&store, move |s| registrations::list(s, &org, filter, page)).await?;
    let page = found.map(RegistrationSummary::from);
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(RegistrationPage {
            items: page.items,
            next_after: page.next_after,
        }))
}
