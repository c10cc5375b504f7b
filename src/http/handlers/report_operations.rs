use crate::domain::access::Permission;
use crate::exchange::reports;
use crate::http::auth::Caller;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::Store;
use actix_web::http::header::{self, Header};
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// The fiscal year (年度): April 1 of this year to March 31 of the next, Japan time.
    #[param(example = 2025, minimum = 2000, maximum = 2100)]
    fiscal_year: i32,
    /// Only the people and facilities of this municipality (全国地方公共団体コード, six digits),
    /// which must be within the caller's municipal scope; without it, the caller's whole scope.
    #[param(example = "041009", pattern = "^[0-9]{6}$")]
    municipality: Option<String>,
}

/// The yearly operations report (運用状況) for a fiscal year (April–March, Japan time):
/// registrations received, changed and withdrawn, in force at the year's end, new ones by ward
/// and by reason; emergency intakes for people without a registration (by ward and situation,
/// and how many became registrations); facilities by survey group, hub function, emergency room
/// and service type (as their records stood at the end of the fiscal year); matching requests
/// (for registrations and for intakes); handoffs by outcome, purpose and break-glass. Figures
/// only — no personal data; a count of people or cases from 1 to below the installation's
/// threshold (3 unless its operator set another) is shown as `"<3"`, and in a breakdown where
/// only one cell is hidden the next smallest is hidden too, so no table singles out a person
/// (`small_cell_threshold` says the threshold). For the city, the kikan and the hub. With `Accept: text/csv` the
/// same figures come as CSV for a spreadsheet: UTF-8 with a byte order mark, one figure per row
/// (項目, 内訳, 値, key, item).
#[utoipa::path(
    tag = "reports",
    security(("api_key" = [])),
    params(ReportQuery),
    responses(
        (status = 200, description = "The figures of the fiscal year",
         content((Object = "application/json"), (String = "text/csv"))),
        (status = 406, description = "Neither JSON nor CSV is acceptable to the caller", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "fiscal_year missing or out of range (2000–2100)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the city, the kikan and the hub read the report, and only of their municipalities (outside-municipal-scope)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/reports/operations")]
pub async fn report_operations(
    req: HttpRequest,
    caller: Caller,
    store: web::Data<Store>,
    query: crate::http::query::Query<ReportQuery>,
    policy: web::Data<ReportPolicy>,
) -> Result<HttpResponse, ApiError> {
    let org = caller.allowed_to(Permission::ReadOperationsReport)?;
    let ReportQuery {
        fiscal_year: year,
        municipality,
    } = query.into_inner();
    let csv = wants_csv(&req)?;
    let threshold = policy.small_cell_threshold;
    let report = run(&store, move |s| {
        reports::operations(s, &org, year, municipality.as_deref(), threshold)
    })
    .await?;
    if !csv {
        return Ok(HttpResponse::Ok().json(report));
    }
    let bytes = crate::exchange::report_csv::operations_csv(&report)
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"operations-{year}.csv\""),
        ))
        .body(bytes))
}

/// How reports are published: the operator's threshold of small cells.
#[derive(Debug, Clone, Copy)]
pub struct ReportPolicy {
    pub small_cell_threshold: u32,
}

/// Whether `Accept` asks for CSV before JSON; JSON when it names neither but allows anything.
fn wants_csv(req: &HttpRequest) -> Result<bool, ApiError> {
    let Ok(accept) = header::Accept::parse(req) else {
        return Ok(false);
    };
    if accept.is_empty() {
        return Ok(false);
    }
    for mime in accept.ranked() {
        match (mime.type_().as_str(), mime.subtype().as_str()) {
            ("text", "csv") => return Ok(true),
            ("application", "json") | ("application" | "*", "*") => return Ok(false),
            _ => {}
        }
    }
    Err(ApiError::NotAcceptable {
        available: "application/json, text/csv",
    })
}
