//! Every success answer a scenario reads is checked against the schema the OpenAPI document
//! (`openapi/openapi.json`, the one this suite ships with) declares for its operation, status
//! and media type: a server that drops a required member, changes a type or adds a member a
//! closed document schema does not have fails at that step, whatever the step itself checks.
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The compiled answer schemas, by operation, status and media type, made when first needed.
pub(super) struct AnswerSchemas {
    doc: Value,
    compiled: Mutex<HashMap<String, Option<Arc<jsonschema::Validator>>>>,
}

impl AnswerSchemas {
    pub(super) fn new() -> AnswerSchemas {
        AnswerSchemas {
            doc: serde_json::from_str(crate::http::openapi::document_text()).unwrap_or_default(),
            compiled: Mutex::new(HashMap::new()),
        }
    }

    /// Checks a JSON answer of `method path` (the path as sent, query and all): `Err` with
    /// what was expected and what came instead when it does not match the declared schema.
    pub(super) fn check(
        &self,
        method: &str,
        path: &str,
        status: u16,
        media: &str,
        body: &Value,
    ) -> Result<(), (String, String)> {
        if !(200..300).contains(&status) {
            return Ok(());
        }
        let path = path.split('?').next().unwrap_or(path);
        let Some(template) = self.template(path) else {
            return Ok(());
        };
        let method = method.to_ascii_lowercase();
        let key = format!("{method} {template} {status} {media}");
        let Some(validator) = self.validator(&key, &method, &template, status, media) else {
            return Ok(());
        };
        let errors: Vec<String> = validator
            .iter_errors(body)
            .take(3)
            .map(|e| {
                // Where and which keyword, not the value: the answer may hold personal data.
                let at = e.instance_path().as_str().to_owned();
                let keyword = e
                    .schema_path()
                    .as_str()
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .to_owned();
                format!("{} fails {keyword}", if at.is_empty() { "/" } else { &at })
            })
            .collect();
        if errors.is_empty() {
            return Ok(());
        }
        Err((
            format!("an answer matching the schema of {} {template} {status} ({media}) in openapi/openapi.json", method.to_uppercase()),
            errors.join("; "),
        ))
    }

    /// The path template of the document a path as sent belongs to (the most literal one).
    fn template(&self, path: &str) -> Option<String> {
        let sent: Vec<&str> = path.split('/').collect();
        let paths = self.doc["paths"].as_object()?;
        paths
            .keys()
            .filter(|t| {
                let parts: Vec<&str> = t.split('/').collect();
                parts.len() == sent.len()
                    && parts.iter().zip(&sent).all(|(t, s)| segment_matches(t, s))
            })
            // The one with the most literal text: `{version}.xsd` before `{version}`.
            .max_by_key(|t| literal_len(t))
            .cloned()
    }

    fn validator(
        &self,
        key: &str,
        method: &str,
        template: &str,
        status: u16,
        media: &str,
    ) -> Option<Arc<jsonschema::Validator>> {
        let mut compiled = self.compiled.lock().ok()?;
        if let Some(found) = compiled.get(key) {
            return found.clone();
        }
        let content =
            &self.doc["paths"][template][method]["responses"][status.to_string()]["content"];
        let schema = content[media]["schema"].clone();
        let made = (!schema.is_null())
            .then(|| {
                // The schema beside the document's components, so its references resolve.
                let root = json!({"components": self.doc["components"], "allOf": [schema]});
                jsonschema::draft202012::options()
                    .with_pattern_options(jsonschema::PatternOptions::regex())
                    .build(&root)
                    .ok()
                    .map(Arc::new)
            })
            .flatten();
        compiled.insert(key.to_owned(), made.clone());
        made
    }
}

/// The characters of a template outside its `{…}` parameters.
fn literal_len(template: &str) -> usize {
    let mut inside = false;
    template
        .chars()
        .filter(|c| {
            match c {
                '{' => inside = true,
                '}' => {
                    inside = false;
                    return false;
                }
                _ => {}
            }
            !inside
        })
        .count()
}

/// Whether a segment as sent fits a template segment (`{id}`, `{version}.xsd`, or literal).
fn segment_matches(template: &str, sent: &str) -> bool {
    match template.split_once('}') {
        Some((open, suffix)) if open.starts_with('{') => {
            sent.len() > suffix.len() && sent.ends_with(suffix)
        }
        _ => template == sent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_as_sent_finds_the_most_literal_template() {
        let schemas = AnswerSchemas::new();
        assert_eq!(
            schemas
                .template("/v1/registrations/reg_1/candidates")
                .as_deref(),
            Some("/v1/registrations/{id}/candidates")
        );
        assert_eq!(
            schemas.template("/v1/search/registrations").as_deref(),
            Some("/v1/search/registrations")
        );
        assert_eq!(
            schemas
                .template("/schemas/registration/1.0.0.xsd")
                .as_deref(),
            Some("/schemas/{name}/{version}.xsd")
        );
        assert_eq!(schemas.template("/nowhere"), None);
    }

    #[test]
    fn an_answer_without_a_required_member_fails_and_says_where_but_not_the_values() {
        let schemas = AnswerSchemas::new();
        let good = json!({"registration_id": "reg_1", "version": 2, "status": "consent_withdrawn",
                          "consent": {"granted_on": "2025-10-15", "granted_by": "registrant", "method": "signature",
                                      "provisions": [{"recipients": ["kikan"], "purposes": ["emergency_preparation"],
                                                      "categories": ["identity"], "decision": "permit"}],
                                      "withdrawn_on": "2026-01-01"}});
        let path = "/v1/registrations/reg_1/consent-withdrawal";
        let checked = schemas.check("POST", path, 200, "application/json", &good);
        assert!(checked.is_ok(), "{checked:?}");
        let mut bad = good.clone();
        bad.as_object_mut().unwrap().remove("status");
        bad["version"] = json!("zwei");
        let (expected, got) = schemas
            .check("POST", path, 200, "application/json", &bad)
            .unwrap_err();
        assert!(expected.contains("POST /v1/registrations/{id}/consent-withdrawal 200"));
        assert!(got.contains("/version fails type"), "{got}");
        assert!(!got.contains("zwei"), "{got}");
    }
}
