use crate::contracts::DocumentType;
use actix_web::{get, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

/// What this server is and where everything is.
#[derive(Serialize, ToSchema)]
pub struct RootInfo {
    pub name: &'static str,
    pub version: &'static str,
    pub description: &'static str,
    pub document_types: Vec<&'static str>,
    pub links: Links,
}

#[derive(Serialize, ToSchema)]
pub struct Links {
    pub health: &'static str,
    pub openapi: &'static str,
    pub docs: &'static str,
    pub schemas: &'static str,
    pub codelists: &'static str,
    pub messages: &'static str,
    pub minimization_policy: &'static str,
    pub validate: &'static str,
    pub validate_batch: &'static str,
}

/// Self-description: version and links to every contract and endpoint.
#[utoipa::path(tag = "contracts", responses((status = 200, description = "Service description and links", body = RootInfo)))]
#[get("/")]
pub async fn root() -> HttpResponse {
    HttpResponse::Ok().json(RootInfo {
        name: "kyoten",
        version: env!("CARGO_PKG_VERSION"),
        description: "地域生活支援拠点等の緊急時支援データ交換API / Emergency-support data exchange for community life support hubs",
        document_types: DocumentType::ALL.iter().map(|d| d.as_str()).collect(),
        links: Links {
            health: "/health",
            openapi: "/openapi.json",
            docs: "/docs/",
            schemas: "/schemas",
            codelists: "/codelists",
            messages: "/codelists/messages",
            minimization_policy: "/policies/minimization",
            validate: "/v1/validate/{document_type}",
            validate_batch: "/v1/validate/{document_type}/batch",
        },
    })
}
