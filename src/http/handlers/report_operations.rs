use crate::domain::access::Permission;
use crate::exchange::reports;
use crate::http::auth::Caller;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// The fiscal year (年度): April 1 of this year to March 31 of the next, Japan time.
    #[param(example = 2025, minimum = 2000, maximum = 2100)]
    fiscal_year: i32,
}

/// The yearly operations report (運用状況) for a fiscal year (April–March, Japan time):
/// registrations received, changed and withdrawn, in force at the year's end, new ones by ward
/// and by reason; emergency intakes for people without a registration (by ward and situation,
/// and how many became registrations); facilities by survey group, hub function, emergency room and service type (as
/// the records stand now); matching requests (for registrations and for intakes); handoffs by outcome, purpose and break-glass. Figures only — no personal data. For the city,
/// the kikan and the hub.
#[utoipa::path(
    tag = "reports",
    security(("api_key" = [])),
    params(ReportQuery),
    responses(
        (status = 200, description = "The figures of the fiscal year", content_type = "application/json"),
        (status = 400, description = "fiscal_year missing or out of range (2000–2100)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the city, the kikan and the hub read the report", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/reports/operations")]
pub async fn report_operations(
    caller: Caller,
    store: web::Data<Store>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.allowed_to(Permission::ReadOperationsReport)?;
    let year = query.fiscal_year;
    let report = run(&store, move |s| reports::operations(s, year)).await?;
    Ok(HttpResponse::Ok().json(report))
}
