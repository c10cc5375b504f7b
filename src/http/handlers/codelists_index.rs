use crate::contracts::Contracts;
use actix_web::{get, HttpResponse};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct CodeListEntry {
    #[schema(example = "service_types")]
    pub name: String,
    pub version: Option<String>,
    /// `{"ja": …, "en": …}`
    #[schema(value_type = Object)]
    pub title: Value,
    #[schema(example = "/codelists/service_types")]
    pub url: String,
}

/// Every code list (and the message catalogue, `messages`, and the problem types, `problems`).
#[utoipa::path(tag = "contracts", responses((status = 200, description = "Published code lists", body = Vec<CodeListEntry>)))]
#[get("/codelists")]
pub async fn codelists_index() -> HttpResponse {
    let contracts = Contracts::get();
    let entry = |name: &str, v: &Value| CodeListEntry {
        name: name.to_owned(),
        version: v.get("version").and_then(Value::as_str).map(str::to_owned),
        title: v.get("title").cloned().unwrap_or(Value::Null),
        url: format!("/codelists/{name}"),
    };
    let mut list: Vec<CodeListEntry> = contracts
        .codelists
        .iter()
        .map(|(n, f)| entry(n, &f.value))
        .collect();
    list.push(entry("messages", &contracts.catalogue.value));
    list.push(entry("problems", &contracts.problem_catalogue.value));
    HttpResponse::Ok().json(list)
}
