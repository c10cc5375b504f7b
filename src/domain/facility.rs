//! Facility survey groups (Sendai R7 short-stay survey, SPEC §3.2).
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SurveyGroup {
    A,
    B,
    C,
    #[serde(rename = "other")]
    Other,
}

impl SurveyGroup {
    pub fn as_str(self) -> &'static str {
        match self {
            SurveyGroup::A => "A",
            SurveyGroup::B => "B",
            SurveyGroup::C => "C",
            SurveyGroup::Other => "other",
        }
    }
}

/// The survey answers the group is derived from.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct EmergencyAnswers {
    pub has_vacancy_capacity: bool,
    pub has_accepted_emergency: bool,
    pub has_accepted_new_without_prior_info: bool,
    pub willing_emergency: bool,
    pub willing_new_without_prior_info: bool,
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
