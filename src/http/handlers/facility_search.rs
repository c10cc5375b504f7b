use crate::contracts::Contracts;
use crate::exchange::facilities;
use crate::http::auth::Caller;
use crate::http::query;
use crate::http::run;
use crate::problem::{ApiError, Problem};
use crate::store::facilities::Search;
use crate::store::{PageRequest, Store};
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// Search conditions. Lists are comma-separated; conditions on a service (type, variant,
/// vacancy, medical care, behavioural support, target, freshness) must all hold for the same
/// service.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FacilityQuery {
    /// A service type code (code list `service_types`).
    #[param(example = "short_stay")]
    service_type: Option<String>,
    /// `welfare` or `medical` (short stay).
    variant: Option<String>,
    /// `true`: the service has at least one vacancy; `false`: it has none.
    has_vacancy: Option<bool>,
    /// Medical care codes the service must all offer, comma-separated.
    #[param(example = "suction,tube_feeding")]
    medical_care: Option<String>,
    /// Whether the service offers behavioural support.
    behavioral_support: Option<bool>,
    /// A target group the service takes (code list `facility_targets`).
    target: Option<String>,
    /// Only vacancy figures taken at or after this time (RFC 3339).
    #[param(format = DateTime, example = "2026-11-21T00:00:00+09:00")]
    vacancy_since: Option<String>,
    /// Survey groups, comma-separated (`A`, `B`, `C`, `other`).
    #[param(example = "A,B")]
    survey_group: Option<String>,
    /// A hub function the facility is registered for (code list `hub_functions`).
    hub_function: Option<String>,
    /// Whether the facility keeps an emergency room as a hub.
    emergency_room: Option<bool>,
    /// The ward (区), as written in the record.
    ward: Option<String>,
    /// Continue after this facility id (the `next_after` of the previous page).
    after: Option<String>,
    /// Records per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

fn code(value: Option<String>, list: &str, name: &'static str) -> Result<Option<String>, ApiError> {
    match value {
        Some(v) if !Contracts::get().has_code(list, &v) => Err(ApiError::InvalidParameter { name }),
        other => Ok(other),
    }
}

fn codes(value: Option<String>, list: &str, name: &'static str) -> Result<Vec<String>, ApiError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    value
        .split(',')
        .map(|c| code(Some(c.trim().to_owned()), list, name).map(Option::unwrap_or_default))
        .collect()
}

impl FacilityQuery {
    fn into_search(self) -> Result<(Search, PageRequest), ApiError> {
        let page = query::page(self.after, self.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
        let vacancy_since = query::time(self.vacancy_since.as_deref(), "vacancy_since")?;
        let search = Search {
            service_type: code(self.service_type, "service_types", "service_type")?,
            variant: code(self.variant, "short_stay_variants", "variant")?,
            has_vacancy: self.has_vacancy,
            medical_care: codes(self.medical_care, "medical_care_codes", "medical_care")?,
            behavioral_support: self.behavioral_support,
            target: code(self.target, "facility_targets", "target")?,
            vacancy_since,
            survey_group: codes(self.survey_group, "survey_groups", "survey_group")?,
            hub_function: code(self.hub_function, "hub_functions", "hub_function")?,
            emergency_room: self.emergency_room,
            ward: self.ward,
        };
        Ok((search, page))
    }
}

/// Searches facility capability records: by service type and variant, vacancy and its
/// freshness, medical care, behavioural support, target group, survey group, hub function,
/// emergency room and ward. Records come in facility-id order, a page at a time:
/// `{"items": [record…], "next_after": id | null}`.
#[utoipa::path(
    tag = "facilities",
    security(("api_key" = [])),
    params(FacilityQuery),
    responses(
        (status = 200, description = "`items`: the matching records (each as uploaded, with survey_group); `next_after`: pass as `after` for the next page, null on the last", content_type = "application/json"),
        (status = 400, description = "A parameter with a value outside its code list or range", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown API key", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/facilities")]
pub async fn facility_search(
    _caller: Caller,
    store: web::Data<Store>,
    query: query::Query<FacilityQuery>,
) -> Result<HttpResponse, ApiError> {
    let (search, page) = query.into_inner().into_search()?;
    let found = run(&store, move |s| facilities::search(s, &search, &page)).await?;
    // The stored documents are already JSON: the page is written around them, not re-encoded.
    let mut body =
        String::with_capacity(found.items.iter().map(|(_, d)| d.len() + 1).sum::<usize>() + 64);
    body.push_str("{\"items\":[");
    for (i, (_, document)) in found.items.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(document);
    }
    body.push_str("],\"next_after\":");
    body.push_str(&serde_json::to_string(&found.next_after).unwrap_or_else(|_| "null".into()));
    body.push('}');
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(body))
}
