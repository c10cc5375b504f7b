//! Organization roles.
use crate::contracts::text_enum::text_enum;
use serde::{Deserialize, Serialize};

text_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Role {
        City = "city",
        Kikan = "kikan",
        Hub = "hub",
        ConsultationOffice = "consultation_office",
        Facility = "facility",
    }
}
