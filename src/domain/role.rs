//! Organization roles.
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    City,
    Kikan,
    Hub,
    ConsultationOffice,
    Facility,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::City,
        Role::Kikan,
        Role::Hub,
        Role::ConsultationOffice,
        Role::Facility,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::City => "city",
            Role::Kikan => "kikan",
            Role::Hub => "hub",
            Role::ConsultationOffice => "consultation_office",
            Role::Facility => "facility",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
