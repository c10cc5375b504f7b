use crate::contracts::text_enum::text_enum;
use serde::{Deserialize, Serialize};

text_enum! {
    /// The kinds of document kyoten publishes contracts for.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum DocumentType {
        Registration = "registration",
        Facility = "facility",
        Handoff = "handoff",
        HandoffResponse = "handoff_response",
        EmergencyIntake = "emergency_intake",
    }
}

impl DocumentType {
    /// The name of the spliced component in the OpenAPI document.
    pub fn component_name(self) -> &'static str {
        match self {
            DocumentType::Registration => "Registration",
            DocumentType::Facility => "Facility",
            DocumentType::Handoff => "Handoff",
            DocumentType::HandoffResponse => "HandoffResponse",
            DocumentType::EmergencyIntake => "EmergencyIntake",
        }
    }

    /// The XML namespace of this document type (docs/spec/xml-mapping.md §1.1).
    pub fn xml_namespace(self) -> &'static str {
        match self {
            DocumentType::Registration => "https://w3id.org/kyoten/xml/registration/1",
            DocumentType::Facility => "https://w3id.org/kyoten/xml/facility/1",
            DocumentType::Handoff => "https://w3id.org/kyoten/xml/handoff/1",
            DocumentType::HandoffResponse => "https://w3id.org/kyoten/xml/handoff_response/1",
            DocumentType::EmergencyIntake => "https://w3id.org/kyoten/xml/emergency_intake/1",
        }
    }
}
