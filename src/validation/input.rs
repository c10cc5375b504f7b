//! A document as it arrives: JSON or XML bytes, read into the JSON form the validator checks.
use super::{Engine, Finding, Lang, Outcome, Report, XmlLocations};
use crate::contracts::json::{parse_document, JsonError};
use crate::contracts::DocumentType;
use crate::xml::XmlError;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

/// Why bytes are not a document at all (as opposed to an invalid document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputError {
    Json(JsonError),
    Xml(XmlError),
}

/// A document read from bytes; for XML, where each value came from and what the mapping found.
#[derive(Debug)]
pub struct Input {
    pub value: Value,
    pub xml: Option<(XmlLocations, Vec<Finding>)>,
}

impl Input {
    pub fn read(format: Format, bytes: &[u8], engine: &Engine) -> Result<Input, InputError> {
        match format {
            Format::Json => Ok(Input {
                value: parse_document(bytes).map_err(InputError::Json)?,
                xml: None,
            }),
            Format::Xml => {
                let mapped = crate::xml::to_json(bytes, engine).map_err(InputError::Xml)?;
                Ok(Input {
                    value: mapped.value,
                    xml: Some((mapped.locations, mapped.findings)),
                })
            }
        }
    }

    /// Validates the document, with the mapping's own findings first.
    pub fn validate(&self, engine: &Engine, expected: Option<DocumentType>) -> Outcome {
        let mut outcome = engine.validate(expected, &self.value);
        if let Some((_, mapping)) = &self.xml {
            outcome.findings.splice(0..0, mapping.iter().cloned());
        }
        outcome
    }

    pub fn render(&self, engine: &Engine, outcome: &Outcome, lang: Lang) -> Report {
        engine.render(outcome, lang, self.xml.as_ref().map(|(l, _)| l))
    }
}
