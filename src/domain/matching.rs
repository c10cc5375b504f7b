//! Matching: which facilities to call, in which order, when an emergency happens to
//! a registered person. Prearranged facilities first, then A-group facilities with a vacancy,
//! then B and C, then the hubs' emergency rooms. Medical short stay (医療型) is left out for a
//! person it has no prior information about; short stay is left out when the situation is not
//! one the registration allows it for (caregiver unavailable). Medical care and behavioural
//! support needs must be met by the service. Every candidate carries the reasons for its place
//! and every facility left out the reasons it was.
use super::facility::{FacilityRecord, LeadTime, Service, SurveyGroup};
use crate::time::{age_on, parse_date};
use chrono::{DateTime, FixedOffset, NaiveDate, TimeDelta};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The situation for which short stay may be used.
pub const SHORT_STAY_REASON: &str = "caregiver_unavailable";
/// A vacancy figure older than this is flagged (the same threshold as the validator's).
const STALE_AFTER: TimeDelta = TimeDelta::days(7);

/// What the person needs, read from their registration.
#[derive(Debug, Clone, Default)]
pub struct Needs {
    pub reasons: Vec<String>,
    pub desired_services: Vec<String>,
    pub prearranged: Vec<String>,
    pub medical_care: Vec<String>,
    pub behavioral_support: bool,
    /// Facility target groups the person belongs to (`physical`, `intellectual`, `mental`,
    /// `child`, `intractable_disease`).
    pub targets: Vec<String>,
    pub ward: Option<String>,
    /// The person's municipality: facilities serving it come first.
    pub municipality: Option<String>,
    /// Acceptance is needed today (urgency `same_day`): short stays that cannot take a person
    /// today are left out unless prearranged.
    pub same_day: bool,
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The facility target groups a person belongs to: those of the certificates held
/// (`physical`, `intellectual`, `mental`, `intractable_disease`), and `child` under 18.
fn targets(certificates: &Value, age: Option<i64>) -> Vec<String> {
    let mut targets = Vec::new();
    for kind in ["physical", "intellectual", "mental"] {
        if certificates.get(kind).is_some_and(|c| !c.is_null()) {
            targets.push(kind.to_owned());
        }
    }
    if certificates["specified_medical_expenses"] == true {
        targets.push("intractable_disease".to_owned());
    }
    if age.is_some_and(|a| a < 18) {
        targets.push("child".to_owned());
    }
    targets
}

impl Needs {
    /// The needs stated by a (validated) registration, with the person's age on `today`.
    pub fn of(registration: &Value, today: NaiveDate) -> Needs {
        let birth = registration["registrant"]["birth_date"]
            .as_str()
            .and_then(parse_date);
        let age = birth
            .filter(|b| *b <= today)
            .map(|b| i64::from(age_on(b, today)));
        let targets = targets(&registration["certificates"], age);
        Needs {
            reasons: strings(&registration["registration_reasons"]),
            desired_services: strings(&registration["emergency_plan"]["desired_services"]),
            prearranged: strings(&registration["emergency_plan"]["prearranged_facilities"]),
            medical_care: strings(&registration["condition"]["medical_care_needs"]),
            behavioral_support: registration["condition"]["behavioral_support_needs"] == true,
            targets,
            ward: super::address::ward(&registration["registrant"]["address"]),
            municipality: registration["municipality_code"]
                .as_str()
                .map(str::to_owned),
            same_day: false,
        }
    }

    /// The needs stated by a (validated) emergency intake, for a person the exchange has no
    /// registration of: nothing is prearranged; the situation is the reason; the age is the
    /// birth date's on `today`, or the age the intake gives.
    pub fn of_intake(intake: &Value, today: NaiveDate) -> Needs {
        let person = &intake["person"];
        let age = match person["birth_date"].as_str().and_then(parse_date) {
            Some(birth) if birth <= today => Some(i64::from(age_on(birth, today))),
            Some(_) => None,
            None => person["age"].as_i64(),
        };
        let targets = targets(&intake["certificates"], age);
        Needs {
            reasons: intake["situation"]["kind"]
                .as_str()
                .map(|k| vec![k.to_owned()])
                .unwrap_or_default(),
            desired_services: strings(&intake["desired_services"]),
            prearranged: Vec::new(),
            medical_care: strings(&intake["medical_care_needs"]),
            behavioral_support: intake["behavioral_support_needs"] == true,
            targets,
            ward: person["ward"].as_str().map(str::to_owned),
            municipality: intake["municipality_code"].as_str().map(str::to_owned),
            same_day: intake["situation"]["urgency"] == "same_day",
        }
    }

    /// Whether short stay may be arranged in this situation: the situation and the
    /// registration's reasons must both be "caregiver unavailable".
    pub fn short_stay_allowed(&self, situation: &str) -> bool {
        situation == SHORT_STAY_REASON && self.reasons.iter().any(|r| r == SHORT_STAY_REASON)
    }

    /// The service types asked for, or those the registration desires (short stay when it
    /// names none), before the situation is considered.
    pub fn wanted(&self, asked: Option<&str>) -> Vec<String> {
        match asked {
            Some(t) => vec![t.to_owned()],
            None if self.desired_services.is_empty() => vec!["short_stay".to_owned()],
            None => self.desired_services.clone(),
        }
    }

    /// The service types to look for: the one asked for, or those the registration desires
    /// (short stay when it names none); short stay only where allowed.
    pub fn service_types(&self, situation: &str, asked: Option<&str>) -> Vec<String> {
        let mut types = self.wanted(asked);
        if !self.short_stay_allowed(situation) {
            types.retain(|t| t != "short_stay");
        }
        types
    }
}

/// The tiers, in the order they are offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Prearranged,
    GroupAWithVacancy,
    GroupBWithVacancy,
    GroupCWithVacancy,
    HubEmergencyRoom,
}

/// Why a facility is where it is, or why it was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Prearranged,
    SurveyGroupA,
    SurveyGroupB,
    SurveyGroupC,
    HasVacancy,
    NoVacancy,
    VacancyStale,
    SameWard,
    MedicalCareCovered,
    BehavioralSupportOffered,
    HubEmergencyRoom,
    // Left out:
    MedicalShortStayUnannounced,
    MedicalCareNotCovered,
    BehavioralSupportNotOffered,
    TargetNotTaken,
    NotReadyForEmergency,
    /// The facility serves other municipalities than the person's (listed after those that
    /// serve it).
    OutsideServiceArea,
    /// Asked for today, and the facility needs longer from a request to a stay (lead time).
    LeadTimeNotSameDay,
    /// Asked for today, and the facility has never taken an emergency (group C): it is asked
    /// the same day only where prearranged.
    GroupCNotSameDay,
    /// Asked for this person within the day and still open: wait for its answer before asking
    /// again.
    AlreadyAsked,
    /// Accepted a request for this person within the day.
    Accepted,
    /// Declined a request for this person within the day: the next candidate is called.
    Declined,
    /// The hub's emergency room is taken today (a use without an end, or ending later).
    EmergencyRoomInUse,
}

/// What a facility answered for this person within the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Asked and not answered yet (requested, received).
    Open,
    /// Accepted (or admitted).
    Accepted,
    Declined,
}

/// Applies what the facilities asked for this person within the day answered: one that
/// declined is left out (`declined`) and the next comes up; one still open or that accepted
/// stays, marked (`already_asked`, `accepted`). Ranks are numbered again.
pub fn after_answers(mut ranking: Ranking, answers: &BTreeMap<String, Answer>) -> Ranking {
    let mut kept = Vec::new();
    for mut c in ranking.candidates.drain(..) {
        match answers.get(&c.facility_id) {
            Some(Answer::Declined) => {
                ranking.excluded.insert(
                    0,
                    Excluded {
                        facility_id: c.facility_id,
                        name: c.name,
                        reasons: vec![Reason::Declined],
                    },
                );
                ranking.excluded_count += 1;
            }
            Some(Answer::Open) => {
                c.reasons.insert(0, Reason::AlreadyAsked);
                kept.push(c);
            }
            Some(Answer::Accepted) => {
                c.reasons.insert(0, Reason::Accepted);
                kept.push(c);
            }
            None => kept.push(c),
        }
    }
    for (i, c) in kept.iter_mut().enumerate() {
        c.rank = i + 1;
    }
    ranking.candidates = kept;
    ranking.excluded.truncate(EXCLUDED_LISTED);
    ranking
}

/// The service a candidate would provide.
#[derive(Debug, Clone, Serialize)]
pub struct OfferedService {
    pub service_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Its vacancies, for a service with a capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vacancies: Option<u32>,
    /// Whether it can respond today, for a service without a capacity (訪問系, 相談支援 …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub can_respond_today: Option<bool>,
    /// When the vacancies or the availability were stated.
    pub vacancy_as_of: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub rank: usize,
    pub tier: Tier,
    pub facility_id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ward: Option<String>,
    pub survey_group: SurveyGroup,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<OfferedService>,
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Excluded {
    pub facility_id: String,
    pub name: String,
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Ranking {
    pub candidates: Vec<Candidate>,
    /// How many facilities offering a service looked for were left out.
    pub excluded_count: usize,
    /// The first of them (prearranged ones first), with the reasons.
    pub excluded: Vec<Excluded>,
}

/// At most this many left-out facilities are listed.
pub const EXCLUDED_LISTED: usize = 100;

/// Why a service cannot serve this person, if it cannot.
fn unsuitable(needs: &Needs, service: &Service, prearranged: bool) -> Vec<Reason> {
    let mut why = Vec::new();
    if service.is_medical_short_stay() && !prearranged {
        why.push(Reason::MedicalShortStayUnannounced);
    }
    if !needs
        .medical_care
        .iter()
        .all(|m| service.medical_care.contains(m))
    {
        why.push(Reason::MedicalCareNotCovered);
    }
    if needs.behavioral_support && !service.behavioral_support {
        why.push(Reason::BehavioralSupportNotOffered);
    }
    if !needs.targets.is_empty() && !needs.targets.iter().any(|t| service.targets.contains(t)) {
        why.push(Reason::TargetNotTaken);
    }
    why
}

fn offered(s: &Service) -> OfferedService {
    OfferedService {
        service_type: s.service_type.clone(),
        variant: s.variant.clone(),
        vacancies: s.vacancies,
        can_respond_today: s.availability.map(|a| a.can_respond_today),
        vacancy_as_of: s.stated_at().map(|t| t.to_rfc3339()).unwrap_or_default(),
    }
}

/// A facility's best suitable service for the person (the one with the most vacancies), and
/// why its other services of the types looked for are not.
fn best_service<'f>(
    needs: &Needs,
    f: &'f FacilityRecord,
    service_types: &[String],
    prearranged: bool,
) -> (Option<&'f Service>, Vec<Reason>) {
    let mut left_out: Vec<Reason> = Vec::new();
    // The best suitable service: the one with the most vacancies.
    let mut best: Option<&Service> = None;
    let relevant = f
        .services
        .iter()
        .filter(|s| service_types.contains(&s.service_type));
    for s in relevant {
        let why = unsuitable(needs, s, prearranged);
        if why.is_empty() {
            if best.is_none_or(|b| s.free_places() > b.free_places()) {
                best = Some(s);
            }
        } else {
            for r in why {
                if !left_out.contains(&r) {
                    left_out.push(r);
                }
            }
        }
    }
    (best, left_out)
}

/// Why a short stay cannot take the person today when asked for today, if it cannot: the
/// facility needs longer than a day (its lead time), or it has never taken an emergency (group
/// C). A prearranged facility knows the person and is asked whatever its answers.
fn not_same_day(
    needs: &Needs,
    f: &FacilityRecord,
    service: &Service,
    prearranged: bool,
) -> Option<Reason> {
    if !needs.same_day || prearranged || service.service_type != "short_stay" {
        return None;
    }
    let lead_time = f.lead_time();
    if lead_time.is_some_and(|t| t != LeadTime::SameDay) {
        Some(Reason::LeadTimeNotSameDay)
    } else if f.survey_group() == SurveyGroup::C {
        Some(Reason::GroupCNotSameDay)
    } else {
        None
    }
}

/// The tier a facility is placed in with its best service (none: left out), and the reasons.
fn tier_of(
    needs: &Needs,
    f: &FacilityRecord,
    best: Option<&Service>,
    prearranged: bool,
    now: DateTime<FixedOffset>,
) -> (Option<Tier>, Vec<Reason>) {
    let group = f.survey_group();
    let mut reasons = Vec::new();
    let tier = match best {
        Some(s) => {
            if prearranged {
                reasons.push(Reason::Prearranged);
            }
            match group {
                SurveyGroup::A => reasons.push(Reason::SurveyGroupA),
                SurveyGroup::B => reasons.push(Reason::SurveyGroupB),
                SurveyGroup::C => reasons.push(Reason::SurveyGroupC),
                SurveyGroup::Other => {}
            }
            reasons.push(if s.is_free() {
                Reason::HasVacancy
            } else {
                Reason::NoVacancy
            });
            if s.stated_at()
                .is_none_or(|at| now.signed_duration_since(at) > STALE_AFTER)
            {
                reasons.push(Reason::VacancyStale);
            }
            if !needs.medical_care.is_empty() {
                reasons.push(Reason::MedicalCareCovered);
            }
            if needs.behavioral_support {
                reasons.push(Reason::BehavioralSupportOffered);
            }
            match (prearranged, group, s.is_free()) {
                (true, _, _) => Some(Tier::Prearranged),
                (false, SurveyGroup::A, true) => Some(Tier::GroupAWithVacancy),
                (false, SurveyGroup::B, true) => Some(Tier::GroupBWithVacancy),
                (false, SurveyGroup::C, true) => Some(Tier::GroupCWithVacancy),
                _ => None,
            }
        }
        None => None,
    };
    let room_free = !f.emergency_room_in_use(now.date_naive());
    let tier = tier.or_else(|| {
        (f.has_hub_emergency_room() && room_free).then(|| {
            reasons.retain(|r| {
                !matches!(
                    r,
                    Reason::SurveyGroupA | Reason::SurveyGroupB | Reason::SurveyGroupC
                )
            });
            reasons.insert(0, Reason::HubEmergencyRoom);
            Tier::HubEmergencyRoom
        })
    });
    (tier, reasons)
}

/// A placed facility: its tier and whether it is outside the person's municipality (its
/// service area), whether it is outside the person's ward, its vacancies counted down, the time
/// of its figure, and the candidate.
type Placed = ((Tier, bool), bool, u32, DateTime<FixedOffset>, Candidate);

/// The candidates best first, numbered: tier (facilities serving the person's municipality
/// before the others of the tier), then the person's own ward, then more vacancies, then the
/// fresher figure.
fn in_order(mut placed: Vec<Placed>) -> Vec<Candidate> {
    placed.sort_by(|a, b| {
        (a.0, a.1, a.2)
            .cmp(&(b.0, b.1, b.2))
            .then(b.3.cmp(&a.3))
            .then(a.4.facility_id.cmp(&b.4.facility_id))
    });
    placed
        .into_iter()
        .enumerate()
        .map(|(i, (_, _, _, _, mut c))| {
            c.rank = i + 1;
            c
        })
        .collect()
}

/// Why a facility with a suitable service has no tier: not ready for emergencies (never
/// surveyed into a group), or no vacancy.
fn not_placed(group: SurveyGroup) -> Reason {
    if group == SurveyGroup::Other {
        Reason::NotReadyForEmergency
    } else {
        Reason::NoVacancy
    }
}

/// Ranks `facilities` for a person with `needs`, looking for `service_types` (see
/// [`Needs::service_types`], which leaves short stay out where the situation does not allow it).
pub fn rank(
    needs: &Needs,
    service_types: &[String],
    facilities: &[FacilityRecord],
    now: DateTime<FixedOffset>,
) -> Ranking {
    let mut placed: Vec<Placed> = Vec::new();
    let mut excluded = Vec::new();
    for f in facilities {
        let prearranged = needs.prearranged.contains(&f.facility_id);
        let group = f.survey_group();
        let (best, mut left_out) = best_service(needs, f, service_types, prearranged);
        let same_ward = needs.ward.is_some() && f.ward == needs.ward;
        let outside = needs
            .municipality
            .as_deref()
            .is_some_and(|m| !f.serves_municipality(m));
        let not_today = best.and_then(|s| not_same_day(needs, f, s, prearranged));
        // A facility that cannot take the person today keeps only a hub emergency room.
        let usable = if not_today.is_some() { None } else { best };
        let (tier, mut reasons) = tier_of(needs, f, usable, prearranged, now);
        match tier {
            Some(tier) => {
                if same_ward {
                    reasons.push(Reason::SameWard);
                }
                if outside {
                    reasons.push(Reason::OutsideServiceArea);
                }
                let service = best.map(offered);
                let vacancies = best.map_or(0, Service::free_places);
                let as_of = best.and_then(Service::stated_at).unwrap_or(now);
                placed.push((
                    (tier, outside),
                    !same_ward,
                    u32::MAX - vacancies,
                    as_of,
                    Candidate {
                        rank: 0,
                        tier,
                        facility_id: f.facility_id.clone(),
                        name: f.name.clone(),
                        ward: f.ward.clone(),
                        survey_group: group,
                        service,
                        reasons,
                    },
                ));
            }
            None => {
                if let Some(reason) = not_today {
                    left_out = vec![reason];
                } else if best.is_some() {
                    left_out = vec![not_placed(group)];
                }
                if f.has_hub_emergency_room() && f.emergency_room_in_use(now.date_naive()) {
                    left_out.push(Reason::EmergencyRoomInUse);
                }
                if !left_out.is_empty() {
                    excluded.push(Excluded {
                        facility_id: f.facility_id.clone(),
                        name: f.name.clone(),
                        reasons: left_out,
                    });
                }
            }
        }
    }
    let candidates = in_order(placed);
    excluded.sort_by_key(|e: &Excluded| !needs.prearranged.contains(&e.facility_id));
    let excluded_count = excluded.len();
    excluded.truncate(EXCLUDED_LISTED);
    Ranking {
        candidates,
        excluded_count,
        excluded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn registration() -> Value {
        json!({
            "registrant": {
                "birth_date": "2015-06-01",
                "address": {"city": "仙台市", "line": "青葉区架空町1番"}
            },
            "certificates": {"intellectual": {"grade": "A"}, "specified_medical_expenses": true},
            "registration_reasons": ["caregiver_unavailable"],
            "condition": {"medical_care_needs": ["suction"], "behavioral_support_needs": true},
            "emergency_plan": {"desired_services": ["short_stay", "home_care"], "prearranged_facilities": ["0410000001"]}
        })
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    #[test]
    fn an_intakes_needs_take_its_situation_as_the_reason_and_nothing_prearranged() {
        let intake = json!({
            "person": {"age": 12, "sex": "male", "ward": "青葉区"},
            "certificates": {"physical": {"grade": 2}},
            "medical_care_needs": ["oxygen"],
            "behavioral_support_needs": false,
            "situation": {"kind": "caregiver_unavailable"}
        });
        let needs = Needs::of_intake(&intake, today());
        assert_eq!(needs.targets, ["physical", "child"]);
        assert_eq!(needs.reasons, ["caregiver_unavailable"]);
        assert!(needs.prearranged.is_empty());
        assert_eq!(needs.medical_care, ["oxygen"]);
        assert_eq!(needs.ward.as_deref(), Some("青葉区"));
        assert_eq!(
            needs.service_types("caregiver_unavailable", None),
            ["short_stay"]
        );
    }

    #[test]
    fn an_intakes_birth_date_wins_over_its_age() {
        let intake = json!({
            "person": {"birth_date": "2000-01-01", "age": 10, "sex": "female"},
            "situation": {"kind": "disability_related_crisis"},
            "desired_services": ["short_stay", "home_care"]
        });
        let needs = Needs::of_intake(&intake, today());
        assert!(needs.targets.is_empty(), "26, not a child");
        assert_eq!(
            needs.service_types("disability_related_crisis", None),
            ["home_care"]
        );
    }

    #[test]
    fn the_needs_come_from_certificates_age_care_plan_and_address() {
        let needs = Needs::of(&registration(), today());
        assert_eq!(
            needs.targets,
            ["intellectual", "intractable_disease", "child"]
        );
        assert_eq!(needs.medical_care, ["suction"]);
        assert!(needs.behavioral_support);
        assert_eq!(needs.prearranged, ["0410000001"]);
        assert_eq!(needs.ward.as_deref(), Some("青葉区"));
    }

    #[test]
    fn an_adult_is_not_a_child_target() {
        let mut r = registration();
        r["registrant"]["birth_date"] = json!("1990-01-01");
        assert!(!Needs::of(&r, today()).targets.contains(&"child".to_owned()));
    }

    #[test]
    fn short_stay_is_looked_for_only_when_the_caregiver_is_unavailable() {
        let needs = Needs::of(&registration(), today());
        assert_eq!(
            needs.service_types("caregiver_unavailable", None),
            ["short_stay", "home_care"]
        );
        assert_eq!(
            needs.service_types("disability_related_crisis", None),
            ["home_care"]
        );
        assert!(needs
            .service_types("disability_related_crisis", Some("short_stay"))
            .is_empty());
        let mut r = registration();
        r["registration_reasons"] = json!(["disability_related_crisis"]);
        r["emergency_plan"]["desired_services"] = json!([]);
        let needs = Needs::of(&r, today());
        // Named in the situation but not among the registration's reasons: still no short stay.
        assert!(needs
            .service_types("caregiver_unavailable", None)
            .is_empty());
    }

    fn candidate(id: &str, rank: usize) -> Candidate {
        Candidate {
            rank,
            tier: Tier::GroupAWithVacancy,
            facility_id: id.into(),
            name: id.into(),
            ward: None,
            survey_group: SurveyGroup::A,
            service: None,
            reasons: vec![Reason::SurveyGroupA],
        }
    }

    #[test]
    fn a_declined_facility_is_left_out_and_the_rest_move_up_marked_with_their_answers() {
        let ranking = Ranking {
            candidates: vec![candidate("a", 1), candidate("b", 2), candidate("c", 3)],
            excluded_count: 0,
            excluded: Vec::new(),
        };
        let answers = BTreeMap::from([
            ("a".to_owned(), Answer::Declined),
            ("b".to_owned(), Answer::Open),
            ("c".to_owned(), Answer::Accepted),
        ]);
        let after = after_answers(ranking, &answers);
        let placed: Vec<(&str, usize, Reason)> = after
            .candidates
            .iter()
            .map(|c| (c.facility_id.as_str(), c.rank, c.reasons[0]))
            .collect();
        assert_eq!(
            placed,
            [("b", 1, Reason::AlreadyAsked), ("c", 2, Reason::Accepted)]
        );
        assert_eq!(after.excluded_count, 1);
        assert_eq!(after.excluded[0].facility_id, "a");
        assert_eq!(after.excluded[0].reasons, [Reason::Declined]);
    }
}
