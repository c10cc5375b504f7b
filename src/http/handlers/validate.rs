use crate::contracts::DocumentType;
use crate::http::body::document_format;
use crate::http::middleware::request_lang;
use crate::problem::{ApiError, Problem};
use crate::validation::input::Input;
use crate::validation::{Engine, Report};
use actix_web::http::header;
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Default, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ReportFormat {
    /// kyoten's report.
    #[default]
    Report,
    /// A FHIR R4 OperationOutcome.
    OperationOutcome,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ValidateQuery {
    /// `report` (default) or `operation-outcome` (FHIR).
    #[serde(default)]
    pub format: ReportFormat,
}

/// Validates one document (JSON or XML) against its declared schema version and every rule.
/// Always 200 with a report when the body is a document; nothing is stored.
#[utoipa::path(
    tag = "validation",
    params(("document_type" = String, Path, description = "registration | facility | handoff | handoff_response | emergency_intake"), ValidateQuery),
    request_body(description = "The document, as JSON or in the XML mapping", content_type = "application/json"),
    responses(
        (status = 200, description = "Validation report (or OperationOutcome)", body = Report),
        (status = 400, description = "The body is not a JSON or XML document", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown document type", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Content-Type is neither JSON nor XML", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/validate/{document_type}")]
pub async fn validate(
    req: HttpRequest,
    document_type: web::Path<String>,
    query: crate::http::query::Query<ValidateQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let doc_type = DocumentType::parse(&document_type).ok_or(ApiError::UnknownDocumentType)?;
    let format = document_format(&req)?;
    let engine = Engine::get();
    let input = Input::read(format, &body, engine)?;
    let outcome = input.validate(engine, Some(doc_type));
    let lang = request_lang(req.headers());
    let report = input.render(engine, &outcome, lang);
    let language = if lang == crate::validation::Lang::En {
        "en"
    } else {
        "ja"
    };
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CONTENT_LANGUAGE, language))
        .insert_header((header::VARY, "Accept-Language"));
    Ok(match query.format {
        ReportFormat::Report => res.json(report),
        ReportFormat::OperationOutcome => res
            .content_type("application/fhir+json")
            .json(report.to_operation_outcome()),
    })
}
