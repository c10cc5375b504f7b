//! The validation report (docs/spec/validation.md §3; ids in docs/spec/messages.md §2), and its
//! FHIR OperationOutcome form (docs/spec/validation.md §3.4).
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

/// One error or warning, rendered in the requested language. Never contains a submitted value.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Message {
    /// Stable message id (see `GET /codelists/messages`).
    #[schema(example = "KY-REG-SHORTSTAY-REASON")]
    pub id: String,
    /// JSON Pointer of the value in the (JSON form of the) document.
    #[schema(example = "/emergency_plan/desired_services/0")]
    pub instance_location: String,
    /// JSON Pointer of the schema keyword that failed; absent for domain rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keyword_location: Option<String>,
    /// For XML input: the path of the XML element, e.g. `/registration/emergency_contacts[2]/phone`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xml_location: Option<String>,
    /// For XML input: the line of that element.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xml_line: Option<u32>,
    pub message: String,
}

/// The result of validating one document.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Report {
    pub valid: bool,
    #[schema(example = "registration")]
    pub document_type: Option<String>,
    #[schema(example = "1.0.0")]
    pub schema_version: Option<String>,
    pub errors: Vec<Message>,
    pub warnings: Vec<Message>,
}

impl Report {
    /// The report as a FHIR R4 `OperationOutcome`.
    pub fn to_operation_outcome(&self) -> Value {
        let issue = |m: &Message, severity: &str| {
            let code = if m.id.starts_with("KY-SCHEMA-REQUIRED") {
                "required"
            } else if m.id.starts_with("KY-SCHEMA")
                || m.id.starts_with("KY-FORMAT")
                || m.id.starts_with("KY-XML")
            {
                "structure"
            } else if m.id.starts_with("KY-DOC") {
                "not-supported"
            } else {
                "business-rule"
            };
            let mut expression = vec![m.instance_location.clone()];
            expression.extend(m.xml_location.clone());
            json!({
                "severity": severity,
                "code": code,
                "details": {
                    "coding": [{"system": "https://w3id.org/kyoten/messages", "code": m.id}],
                    "text": m.message,
                },
                "location": expression,
            })
        };
        let mut issues: Vec<Value> = self.errors.iter().map(|m| issue(m, "error")).collect();
        issues.extend(self.warnings.iter().map(|m| issue(m, "warning")));
        if issues.is_empty() {
            issues.push(json!({"severity": "information", "code": "informational",
                "details": {"text": "valid"}}));
        }
        json!({"resourceType": "OperationOutcome", "issue": issues})
    }
}
