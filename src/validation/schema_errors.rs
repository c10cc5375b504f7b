//! JSON Schema errors → findings with stable ids. Only locations, property names and schema
//! constraints are kept: the submitted value is never copied into a finding.
use super::Finding;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::ValidationError;
use serde_json::Value;

/// At most this many allowed values are listed in a message; longer lists name the code list.
const MAX_LISTED: usize = 12;

pub fn findings(err: &ValidationError<'_>, out: &mut Vec<Finding>) {
    let location = err.instance_path().as_str();
    let keyword = err.schema_path().as_str().to_owned();
    let at = |id: &'static str| Finding::new(id, location).keyword(keyword.clone());
    let finding = match err.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            // The property's name is the schema's, never the document's: safe to show.
            at("KY-SCHEMA-REQUIRED")
                .label_at(format!("{location}/{}", escape(name)))
                .arg("property", name)
        }
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            for name in unexpected {
                out.push(at("KY-SCHEMA-ADDITIONAL-PROPERTY").arg("property", truncate(name)));
            }
            return;
        }
        ValidationErrorKind::Type { kind } => at("KY-SCHEMA-TYPE").arg(
            "expected",
            match kind {
                TypeKind::Single(t) => t.to_string(),
                TypeKind::Multiple(_) => "one of the allowed types".into(),
            },
        ),
        ValidationErrorKind::Enum { options } => at("KY-SCHEMA-ENUM").arg("allowed", list(options)),
        ValidationErrorKind::Constant { expected_value } => at("KY-SCHEMA-ENUM").arg(
            "allowed",
            list(&Value::Array(vec![(**expected_value).clone()])),
        ),
        ValidationErrorKind::Pattern { pattern } => {
            at("KY-SCHEMA-PATTERN").arg("expected", pattern.clone())
        }
        ValidationErrorKind::Format { format } => match format.as_str() {
            "katakana" => at("KY-FORMAT-KATAKANA"),
            "jp-municipality-code" => at("KY-FORMAT-MUNICIPALITY-CODE"),
            "jp-corporate-number" => at("KY-FORMAT-CORPORATE-NUMBER"),
            "jp-phone" => at("KY-FORMAT-PHONE"),
            "date" => at("KY-FORMAT-DATE"),
            "date-time" => at("KY-FORMAT-DATE-TIME"),
            other => at("KY-SCHEMA-FORMAT").arg("expected", other.to_owned()),
        },
        ValidationErrorKind::MinItems { limit } => {
            at("KY-SCHEMA-MIN-ITEMS").arg("limit", limit.to_string())
        }
        ValidationErrorKind::MaxItems { limit } => {
            at("KY-SCHEMA-MAX-ITEMS").arg("limit", limit.to_string())
        }
        ValidationErrorKind::UniqueItems => at("KY-SCHEMA-UNIQUE-ITEMS"),
        ValidationErrorKind::MinLength { limit } => {
            at("KY-SCHEMA-MIN-LENGTH").arg("limit", limit.to_string())
        }
        ValidationErrorKind::MaxLength { limit } => {
            at("KY-SCHEMA-MAX-LENGTH").arg("limit", limit.to_string())
        }
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit } => {
            at("KY-SCHEMA-MINIMUM").arg("limit", limit.to_string())
        }
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => {
            at("KY-SCHEMA-MAXIMUM").arg("limit", limit.to_string())
        }
        ValidationErrorKind::MinProperties { limit } => {
            at("KY-SCHEMA-MIN-PROPERTIES").arg("limit", limit.to_string())
        }
        ValidationErrorKind::AnyOf { .. }
        | ValidationErrorKind::OneOfNotValid { .. }
        | ValidationErrorKind::OneOfMultipleValid { .. } => at("KY-SCHEMA-ALTERNATIVES"),
        // A property the schema forbids in this case (`"name": false`).
        ValidationErrorKind::FalseSchema => at("KY-SCHEMA-NOT-ALLOWED"),
        other => at("KY-SCHEMA-OTHER").arg("expected", other.keyword().to_owned()),
    };
    out.push(finding);
}

/// JSON Pointer escaping of one reference token.
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn truncate(name: &str) -> String {
    name.chars().take(64).collect()
}

fn list(options: &Value) -> String {
    let items = options.as_array().map(Vec::as_slice).unwrap_or_default();
    let shown: Vec<String> = items
        .iter()
        .take(MAX_LISTED)
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    let more = items.len().saturating_sub(MAX_LISTED);
    if more > 0 {
        format!("{} … (+{more}, see GET /codelists)", shown.join(", "))
    } else {
        shown.join(", ")
    }
}
