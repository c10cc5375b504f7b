//! Facility capability records and their survey groups (Sendai R7 short-stay survey).
use crate::contracts::text_enum::text_enum;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

text_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    pub enum SurveyGroup {
        A = "A",
        B = "B",
        C = "C",
        #[serde(rename = "other")]
        Other = "other",
    }
}

/// How soon a facility can take a person after an emergency request (code list `lead_times`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadTime {
    SameDay,
    WithinDays,
    NotPossible,
}

/// The survey answers the group is derived from, and the lead time.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct EmergencyAnswers {
    pub has_vacancy_capacity: bool,
    pub has_accepted_emergency: bool,
    pub has_accepted_new_without_prior_info: bool,
    pub willing_emergency: bool,
    pub willing_new_without_prior_info: bool,
    #[serde(default)]
    pub lead_time: Option<LeadTime>,
}

impl EmergencyAnswers {
    /// A = capacity ∧ accepted emergency ∧ accepted new-without-info;
    /// B = capacity ∧ accepted emergency ∧ ¬accepted new-without-info ∧ willing new-without-info;
    /// C = capacity ∧ ¬accepted emergency ∧ willing emergency ∧ willing new-without-info;
    /// otherwise `other`.
    pub fn survey_group(&self) -> SurveyGroup {
        let a = self;
        match (
            a.has_vacancy_capacity,
            a.has_accepted_emergency,
            a.has_accepted_new_without_prior_info,
        ) {
            (true, true, true) => SurveyGroup::A,
            (true, true, false) if a.willing_new_without_prior_info => SurveyGroup::B,
            (true, false, _) if a.willing_emergency && a.willing_new_without_prior_info => {
                SurveyGroup::C
            }
            _ => SurveyGroup::Other,
        }
    }
}

/// A validated facility capability record, typed: what storage, search and matching use.
/// Built only from a document that passed validation (parse, don't validate).
#[derive(Debug, Clone, Deserialize)]
pub struct FacilityRecord {
    pub facility_id: String,
    pub name: String,
    #[serde(default)]
    pub ward: Option<String>,
    /// Where it is.
    #[serde(default)]
    pub address: Option<FacilityAddress>,
    /// The municipalities whose people it takes as part of their hub (empty: the municipality
    /// of its address).
    #[serde(default)]
    pub service_area: Vec<String>,
    pub services: Vec<Service>,
    pub hub_registration: HubRegistration,
    /// The survey answers; absent while the facility has not answered the survey.
    #[serde(default)]
    pub emergency_acceptance: Option<EmergencyAnswers>,
}

/// The part of a facility's address the exchange reads: its municipality.
#[derive(Debug, Clone, Deserialize)]
pub struct FacilityAddress {
    #[serde(default)]
    pub municipality_code: Option<String>,
}

impl FacilityRecord {
    /// The facility's municipality (全国地方公共団体コード), as its address gives it.
    pub fn municipality(&self) -> &str {
        self.address
            .as_ref()
            .and_then(|a| a.municipality_code.as_deref())
            .unwrap_or("")
    }

    /// The municipalities it serves: its service area, or else that of its address.
    pub fn serves(&self) -> Vec<&str> {
        if self.service_area.is_empty() {
            vec![self.municipality()]
        } else {
            self.service_area.iter().map(String::as_str).collect()
        }
    }

    /// Whether it serves the people of `municipality`: those its service area names, else
    /// those of the municipality of its address; a facility whose address names no
    /// municipality is not taken to serve anyone less.
    pub fn serves_municipality(&self, municipality: &str) -> bool {
        self.municipality().is_empty() && self.service_area.is_empty()
            || self.serves().contains(&municipality)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Service {
    pub service_type: String,
    #[serde(default)]
    pub variant: Option<String>,
    /// 定員 and vacancies, for a service that has a capacity (code list `service_types`,
    /// `has_capacity`); a service without one states its `availability` instead.
    #[serde(default)]
    pub capacity: Option<u32>,
    #[serde(default)]
    pub vacancies: Option<u32>,
    #[serde(default, deserialize_with = "rfc3339_opt")]
    pub vacancy_as_of: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub availability: Option<Availability>,
    pub targets: Vec<String>,
    pub medical_care: Vec<String>,
    pub behavioral_support: bool,
    /// 利用契約者数: the people holding a use contract for the service, where recorded.
    #[serde(default)]
    pub contracted_users: Option<u32>,
}

/// Whether a service without a capacity (訪問系, 相談支援 …) can answer an emergency request.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Availability {
    pub can_respond_today: bool,
    #[serde(default)]
    pub nights_and_holidays: Option<bool>,
    #[serde(deserialize_with = "rfc3339")]
    pub as_of: DateTime<FixedOffset>,
}

impl Service {
    /// How many people it can take now: its vacancies; for a service without a capacity, one
    /// when it can respond today (it takes the request, not a place), else none.
    pub fn free_places(&self) -> u32 {
        match (self.vacancies, self.availability) {
            (Some(n), _) => n,
            (None, Some(a)) => u32::from(a.can_respond_today),
            (None, None) => 0,
        }
    }

    /// Whether it can take a person now.
    pub fn is_free(&self) -> bool {
        self.free_places() > 0
    }

    /// When its vacancies or availability were last stated.
    pub fn stated_at(&self) -> Option<DateTime<FixedOffset>> {
        self.vacancy_as_of.or(self.availability.map(|a| a.as_of))
    }

    /// 医療型短期入所: does not take a person it has no prior information about.
    pub fn is_medical_short_stay(&self) -> bool {
        self.service_type == "short_stay" && self.variant.as_deref() == Some("medical")
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct HubRegistration {
    pub registered: bool,
    pub functions: Vec<String>,
    pub emergency_room: bool,
    /// The periods the emergency room was or is in use (one per person's stay).
    #[serde(default)]
    pub emergency_room_uses: Vec<RoomUse>,
}

/// One use of a hub's emergency room: the day it began and, once over, the day it ended.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct RoomUse {
    pub from: chrono::NaiveDate,
    pub until: Option<chrono::NaiveDate>,
}

impl RoomUse {
    /// Whether the room is taken on `day` by this use.
    pub fn covers(&self, day: chrono::NaiveDate) -> bool {
        self.from <= day && self.until.is_none_or(|until| day <= until)
    }
}

impl FacilityRecord {
    /// The group of its survey answers; `other` (no emergency readiness stated) while it has
    /// not answered.
    pub fn survey_group(&self) -> SurveyGroup {
        self.emergency_acceptance
            .as_ref()
            .map_or(SurveyGroup::Other, EmergencyAnswers::survey_group)
    }

    /// Whether it has answered the survey (the report's response rate counts these).
    pub fn answered_survey(&self) -> bool {
        self.emergency_acceptance.is_some()
    }

    /// Whether it offers short stay (短期入所, any variant): the survey groups are about these.
    pub fn offers_short_stay(&self) -> bool {
        self.services.iter().any(|s| s.service_type == "short_stay")
    }

    /// How soon it can take a person, as it answered.
    pub fn lead_time(&self) -> Option<LeadTime> {
        self.emergency_acceptance.as_ref().and_then(|a| a.lead_time)
    }

    /// A hub facility keeping an emergency room (緊急用居室) for the emergency-response function.
    pub fn has_hub_emergency_room(&self) -> bool {
        self.hub_registration.registered && self.hub_registration.emergency_room
    }

    /// Whether the hub's emergency room is taken on `day` (a recorded use covers it).
    pub fn emergency_room_in_use(&self, day: chrono::NaiveDate) -> bool {
        self.hub_registration
            .emergency_room_uses
            .iter()
            .any(|u| u.covers(day))
    }
}

fn rfc3339<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<FixedOffset>, D::Error> {
    let s = String::deserialize(d)?;
    DateTime::parse_from_rfc3339(&s).map_err(serde::de::Error::custom)
}

fn rfc3339_opt<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
    rfc3339(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(bits: [bool; 5]) -> EmergencyAnswers {
        EmergencyAnswers {
            has_vacancy_capacity: bits[0],
            has_accepted_emergency: bits[1],
            has_accepted_new_without_prior_info: bits[2],
            willing_emergency: bits[3],
            willing_new_without_prior_info: bits[4],
            lead_time: None,
        }
    }

    #[test]
    fn every_combination_of_answers_gets_the_group_of_the_survey_definition() {
        for n in 0..32u8 {
            let b = [n & 1 != 0, n & 2 != 0, n & 4 != 0, n & 8 != 0, n & 16 != 0];
            let expected = if b[0] && b[1] && b[2] {
                SurveyGroup::A
            } else if b[0] && b[1] && !b[2] && b[4] {
                SurveyGroup::B
            } else if b[0] && !b[1] && b[3] && b[4] {
                SurveyGroup::C
            } else {
                SurveyGroup::Other
            };
            assert_eq!(answers(b).survey_group(), expected, "answers {b:?}");
        }
    }

    #[test]
    fn no_vacancy_capacity_is_never_a_lettered_group() {
        assert_eq!(
            answers([false, true, true, true, true]).survey_group(),
            SurveyGroup::Other
        );
    }
}
