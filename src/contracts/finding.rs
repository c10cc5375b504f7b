//! A finding: one error or warning of a validation report, by its message id in the catalogue
//! (`schemas/catalogue/messages.json`) and where in the document it was found, before it is
//! rendered in a language. Both the validator and the XML mapping (`KY-XML-*`) report them.
use std::collections::HashMap;

/// One error or warning, before it is rendered in a language.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub id: &'static str,
    /// JSON Pointer into the document.
    pub location: String,
    pub keyword_location: Option<String>,
    /// The pointer whose label fills `{field}` (defaults to `location`).
    pub label_at: Option<String>,
    pub args: Vec<(&'static str, String)>,
}

impl Finding {
    pub fn new(id: &'static str, location: impl Into<String>) -> Self {
        Self {
            id,
            location: location.into(),
            keyword_location: None,
            label_at: None,
            args: Vec::new(),
        }
    }
    pub fn keyword(mut self, keyword_location: String) -> Self {
        self.keyword_location = Some(keyword_location);
        self
    }
    pub fn label_at(mut self, pointer: String) -> Self {
        self.label_at = Some(pointer);
        self
    }
    pub fn arg(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.args.push((name, value.into()));
        self
    }
}

/// Where each JSON Pointer of a document mapped from XML came from.
pub type XmlLocations = HashMap<String, (String, u32)>;
