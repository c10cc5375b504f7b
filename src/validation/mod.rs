//! The validator: JSON Schema 2020-12 plus the domain rules (docs/spec/validation.md §1),
//! producing the report of docs/spec/validation.md §3 with the ids of docs/spec/messages.md §2.
//! Schemas are compiled once per (document type, version).
pub mod formats;
pub mod input;
pub mod locale;
pub mod report;
pub mod rules;
mod schema_errors;

pub use crate::contracts::finding::{Finding, XmlLocations};
pub use locale::Lang;
pub use report::{Message, Report};

use crate::contracts::shape::{Shape, Shapes};
use crate::contracts::{ContractError, Contracts, DocumentType};
use crate::domain::policy::Policy;
use chrono::{DateTime, FixedOffset, Utc};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::OnceLock;

/// What validating one document found.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub document_type: Option<DocumentType>,
    pub schema_version: Option<String>,
    pub findings: Vec<Finding>,
}

struct Compiled {
    document_type: DocumentType,
    version: String,
    validator: jsonschema::Validator,
    shape: Shape,
}

/// The compiled validator for every published document type and version.
pub struct Engine {
    contracts: &'static Contracts,
    compiled: Vec<Compiled>,
    pub policy: Policy,
    pub rule_data: rules::RuleData,
    warnings: HashMap<&'static str, bool>,
}

impl Engine {
    /// The engine over the embedded contracts, built once per process.
    pub fn get() -> &'static Engine {
        static ENGINE: OnceLock<Engine> = OnceLock::new();
        ENGINE.get_or_init(|| Engine::new(Contracts::get()).expect("embedded schemas compile"))
    }

    pub fn new(contracts: &'static Contracts) -> Result<Self, ContractError> {
        let resources = contracts.schemas.iter().map(|s| {
            (
                s.id.as_str(),
                jsonschema::Resource::from_contents(s.file.value.clone()),
            )
        });
        let registry = jsonschema::Registry::new()
            .extend(resources)
            .and_then(|b| b.prepare())
            .map_err(|e| ContractError(format!("schema registry: {e}")))?;
        let mut compiled = Vec::new();
        for schema in &contracts.schemas {
            let Some(document_type) = DocumentType::parse(&schema.name) else {
                continue;
            };
            let validator = jsonschema::draft202012::options()
                .with_registry(&registry)
                .offline()
                .should_validate_formats(true)
                // Linear-time `regex` engine: no backtracking blow-up on hostile input, and our
                // patterns need no look-around.
                .with_pattern_options(jsonschema::PatternOptions::regex())
                .with_format("katakana", formats::is_katakana)
                .with_format("jp-municipality-code", formats::is_municipality_code)
                .with_format("jp-corporate-number", formats::is_corporate_number)
                .with_format("jp-phone", formats::is_phone)
                .build(&schema.file.value)
                .map_err(|e| ContractError(format!("{}/{}: {e}", schema.name, schema.version)))?;
            let shape = Shape::of(contracts, &schema.id)?;
            compiled.push(Compiled {
                document_type,
                version: schema.version.clone(),
                validator,
                shape,
            });
        }
        let warnings = contracts
            .messages
            .values()
            .map(|m| (m.id.as_str(), m.severity == "warning"))
            .collect();
        Ok(Self {
            contracts,
            compiled,
            policy: Policy::load(contracts)?,
            rule_data: rules::RuleData::load(contracts)?,
            warnings,
        })
    }

    pub fn contracts(&self) -> &'static Contracts {
        self.contracts
    }

    fn compiled(&self, doc: DocumentType, version: &str) -> Option<&Compiled> {
        self.compiled
            .iter()
            .find(|c| c.document_type == doc && c.version == version)
    }

    /// Validates a document now. `expected` is the type the caller asked for (the endpoint's);
    /// without it the document's own `document_type` decides.
    pub fn validate(&self, expected: Option<DocumentType>, doc: &Value) -> Outcome {
        self.validate_at(expected, doc, Utc::now().fixed_offset())
    }

    /// Validates a document as of a given instant (rules about the future and staleness).
    pub fn validate_at(
        &self,
        expected: Option<DocumentType>,
        doc: &Value,
        now: DateTime<FixedOffset>,
    ) -> Outcome {
        let mut outcome = Outcome {
            document_type: expected,
            schema_version: None,
            findings: Vec::new(),
        };
        let Some(obj) = doc.as_object() else {
            outcome.findings.push(Finding::new("KY-DOC-NOT-OBJECT", ""));
            return outcome;
        };
        let declared = obj
            .get("document_type")
            .and_then(Value::as_str)
            .and_then(DocumentType::parse);
        let doc_type = match (expected, declared) {
            (Some(e), Some(d)) if e == d => e,
            (Some(e), Some(_)) => {
                outcome.findings.push(
                    Finding::new("KY-DOC-TYPE-MISMATCH", "/document_type")
                        .arg("expected", e.as_str()),
                );
                return outcome;
            }
            (None, Some(d)) => d,
            (_, None) => {
                let allowed = DocumentType::ALL.map(DocumentType::as_str).join(", ");
                outcome.findings.push(
                    Finding::new("KY-DOC-TYPE-UNKNOWN", "/document_type").arg("allowed", allowed),
                );
                return outcome;
            }
        };
        outcome.document_type = Some(doc_type);
        let versions = || {
            self.contracts
                .versions(doc_type)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let Some(version) = obj.get("schema_version") else {
            outcome.findings.push(
                Finding::new("KY-DOC-VERSION-MISSING", "/schema_version")
                    .arg("versions", versions()),
            );
            return outcome;
        };
        // A version that is not a string is not a published version either.
        let version = version.as_str().unwrap_or_default();
        let Some(compiled) = self.compiled(doc_type, version) else {
            outcome.findings.push(
                Finding::new("KY-DOC-VERSION-UNKNOWN", "/schema_version")
                    .arg("versions", versions()),
            );
            return outcome;
        };
        outcome.schema_version = Some(version.to_owned());
        // Most documents are valid: the boolean check is cheaper than collecting errors.
        if !compiled.validator.is_valid(doc) {
            for err in compiled.validator.iter_errors(doc) {
                schema_errors::findings(&err, &mut outcome.findings);
            }
        }
        let mut ctx = rules::Context {
            doc,
            now,
            engine: self,
            out: &mut outcome.findings,
        };
        rules::check(doc_type, &mut ctx);
        outcome
    }

    pub fn is_warning(&self, id: &str) -> bool {
        self.warnings.get(id).copied().unwrap_or(false)
    }

    /// Whether an outcome has no errors (warnings do not make a document invalid).
    pub fn is_valid(&self, outcome: &Outcome) -> bool {
        outcome.findings.iter().all(|f| self.is_warning(f.id))
    }

    /// Renders an outcome in a language. `xml` maps pointers to XML element paths for
    /// documents that arrived as XML.
    pub fn render(&self, outcome: &Outcome, lang: Lang, xml: Option<&XmlLocations>) -> Report {
        let shape = outcome.document_type.and_then(|d| {
            outcome
                .schema_version
                .as_deref()
                .and_then(|v| self.shape(d, v))
                .or_else(|| self.latest_shape(d))
        });
        let mut report = Report {
            valid: self.is_valid(outcome),
            document_type: outcome.document_type.map(|d| d.as_str().to_owned()),
            schema_version: outcome.schema_version.clone(),
            errors: Vec::new(),
            warnings: Vec::new(),
        };
        for f in &outcome.findings {
            let message = self.message_text(f, lang, shape);
            let (xml_location, xml_line) = match xml.and_then(|x| nearest(x, &f.location)) {
                Some((path, line)) => (Some(path.clone()), Some(*line)),
                None => (None, None),
            };
            let m = Message {
                id: f.id.to_owned(),
                instance_location: f.location.clone(),
                keyword_location: f.keyword_location.clone(),
                xml_location,
                xml_line,
                message,
            };
            if self.is_warning(f.id) {
                report.warnings.push(m);
            } else {
                report.errors.push(m);
            }
        }
        report
    }

    fn message_text(&self, f: &Finding, lang: Lang, shape: Option<&Shape>) -> String {
        let Some(def) = self.contracts.message(f.id) else {
            return f.id.to_owned();
        };
        let template = match lang {
            Lang::Ja => &def.ja,
            Lang::En => &def.en,
        };
        let pointer = f.label_at.as_deref().unwrap_or(&f.location);
        let field = match shape {
            Some(s) => s.label(pointer, lang == Lang::En),
            None => pointer.to_owned(),
        };
        let mut text = template.replace("{field}", &field);
        for (name, value) in &f.args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}

/// The XML element for a pointer, or for its nearest ancestor that has one.
fn nearest<'x>(xml: &'x XmlLocations, pointer: &str) -> Option<&'x (String, u32)> {
    let mut p = pointer;
    loop {
        if let Some(found) = xml.get(p) {
            return Some(found);
        }
        p = &p[..p.rfind('/')?];
    }
}

impl Shapes for Engine {
    fn shape(&self, doc: DocumentType, version: &str) -> Option<&Shape> {
        self.compiled(doc, version).map(|c| &c.shape)
    }

    fn latest_shape(&self, doc: DocumentType) -> Option<&Shape> {
        self.compiled
            .iter()
            .rev()
            .find(|c| c.document_type == doc)
            .map(|c| &c.shape)
    }
}
