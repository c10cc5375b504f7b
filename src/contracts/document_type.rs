use serde::{Deserialize, Serialize};
use std::fmt;

/// The kinds of document kyoten publishes contracts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    Registration,
    Facility,
    Handoff,
    HandoffResponse,
}

impl DocumentType {
    pub const ALL: [DocumentType; 4] = [
        DocumentType::Registration,
        DocumentType::Facility,
        DocumentType::Handoff,
        DocumentType::HandoffResponse,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentType::Registration => "registration",
            DocumentType::Facility => "facility",
            DocumentType::Handoff => "handoff",
            DocumentType::HandoffResponse => "handoff_response",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The name of the spliced component in the OpenAPI document.
    pub fn component_name(self) -> &'static str {
        match self {
            DocumentType::Registration => "Registration",
            DocumentType::Facility => "Facility",
            DocumentType::Handoff => "Handoff",
            DocumentType::HandoffResponse => "HandoffResponse",
        }
    }

    /// The XML namespace of this document type (see README, "XML mapping").
    pub fn xml_namespace(self) -> &'static str {
        match self {
            DocumentType::Registration => "https://w3id.org/kyoten/xml/registration/1",
            DocumentType::Facility => "https://w3id.org/kyoten/xml/facility/1",
            DocumentType::Handoff => "https://w3id.org/kyoten/xml/handoff/1",
            DocumentType::HandoffResponse => "https://w3id.org/kyoten/xml/handoff_response/1",
        }
    }
}

impl fmt::Display for DocumentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
