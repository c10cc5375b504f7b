use crate::contracts::{Contracts, DocumentType};
use actix_web::{get, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct SchemaEntry {
    #[schema(example = "registration")]
    pub name: String,
    #[schema(example = "1.0.0")]
    pub version: String,
    #[serde(rename = "$id")]
    #[schema(example = "https://w3id.org/kyoten/schemas/registration/1.0.0")]
    pub id: String,
    #[schema(example = "/schemas/registration/1.0.0")]
    pub url: String,
    /// The XML Schema of the document's XML form (document types only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "/schemas/registration/1.0.0.xsd")]
    pub xsd: Option<String>,
}

/// Every published JSON Schema with its canonical `$id`.
#[utoipa::path(tag = "contracts", responses((status = 200, description = "Published schemas", body = Vec<SchemaEntry>)))]
#[get("/schemas")]
pub async fn schemas_index() -> HttpResponse {
    let list: Vec<SchemaEntry> = Contracts::get()
        .schemas
        .iter()
        .map(|s| SchemaEntry {
            name: s.name.clone(),
            version: s.version.clone(),
            id: s.id.clone(),
            url: format!("/schemas/{}/{}", s.name, s.version),
            xsd: DocumentType::parse(&s.name)
                .map(|_| format!("/schemas/{}/{}.xsd", s.name, s.version)),
        })
        .collect();
    HttpResponse::Ok().json(list)
}
