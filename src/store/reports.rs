//! The yearly operations report (運用状況): figures only, no personal data.
use super::audit;
use super::schema::{
    access_records, emergency_intakes, handoffs, registration_versions, registrations,
};
use super::scoping::within_scope;
use super::{facility_history, DbConnection, StoreError};
use crate::domain::scope::Scope;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RegistrationFigures {
    /// Registrations received in the period.
    pub new: i64,
    /// Change notifications (変更届) recorded in the period.
    pub changed: i64,
    /// Consents withdrawn in the period.
    pub withdrawn: i64,
    /// Registrations with consent in force at the end of the period.
    pub active_at_end: i64,
    /// New registrations by the ward of the address (`unknown` outside designated cities).
    pub new_by_ward: BTreeMap<String, i64>,
    /// New registrations by reason (a registration may give both).
    pub new_by_reason: BTreeMap<String, i64>,
}

/// The facilities serving the area, each counted as its record stood at the end of the
/// period (the last version uploaded before it; today's, for a year not yet over).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct FacilityFigures {
    /// Facility records.
    pub total: i64,
    /// Hub-registered facilities by function (拠点等の機能).
    pub by_hub_function: BTreeMap<String, i64>,
    pub hub_registered: i64,
    /// Hub-registered facilities offering each service type (拠点等の登録事業所の内訳).
    pub hub_by_service_type: BTreeMap<String, i64>,
    /// Hub-registered facilities by function and service type, keyed `function/service_type`.
    pub hub_by_function_and_service_type: BTreeMap<String, i64>,
    /// 利用契約者数 of the hub-registered facilities, summed by service type over the services
    /// that record it.
    pub hub_contracted_users_by_service_type: BTreeMap<String, i64>,
    pub with_emergency_room: i64,
    /// Stays in the hubs' emergency rooms (緊急用居室) in the period: one per recorded use that
    /// overlaps it (a person's stay).
    pub emergency_room_people: i64,
    /// Days the rooms were in use in the period (each day of a stay counts, its first and
    /// last included; a use not ended counts up to today).
    pub emergency_room_days: i64,
    /// Facilities offering each service type.
    pub by_service_type: BTreeMap<String, i64>,
    /// Facilities offering short stay (短期入所, any variant): the facilities the emergency
    /// acceptance survey (groups A/B/C) is about.
    pub short_stay_total: i64,
    /// Of those, the ones that have answered the survey.
    pub short_stay_answered: i64,
    /// The response rate in percent (one decimal).
    pub short_stay_response_rate: f64,
    /// The short-stay facilities that answered, by survey group.
    pub short_stay_by_survey_group: BTreeMap<String, i64>,
    /// Each group's share of the facilities that answered, in percent (one decimal).
    pub short_stay_survey_share: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct MatchingFigures {
    /// Candidate searches made for registered persons in the period.
    pub requests: i64,
    /// Candidate searches made for emergency intakes (people without a registration).
    pub intake_requests: i64,
}

/// Emergencies of people without a registration (事前情報のない新規ケース).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct IntakeFigures {
    /// Emergency intakes recorded in the period.
    pub received: i64,
    /// By the ward the person was in (`unknown` where none was given).
    pub by_ward: BTreeMap<String, i64>,
    /// By the kind of emergency.
    pub by_situation: BTreeMap<String, i64>,
    /// Of those, how many have since become registrations (事前登録).
    pub registered_since: i64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct HandoffFigures {
    /// Handoff packets sent in the period.
    pub sent: i64,
    /// Emergencies: the people (registrations or intakes) for whom at least one packet asking
    /// for acceptance was sent in the period — a case counts once, however many facilities
    /// were asked.
    pub emergency_cases: i64,
    /// The emergencies that ended in an admission (admitted or completed), by the service the
    /// packet asked for: a case counts once per service, however many packets it took. The
    /// municipal programmes' 実績 (緊急一時保護, 夜間・休日等緊急時支援 …) are among them.
    pub admitted_cases_by_service_type: BTreeMap<String, i64>,
    /// By outcome as it stands now (`expired`: not accepted in time).
    pub by_outcome: BTreeMap<String, i64>,
    pub by_purpose: BTreeMap<String, i64>,
    /// Sent on the vital-interest basis (break-glass).
    pub break_glass: i64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct OperationsFigures {
    pub registrations: RegistrationFigures,
    pub intakes: IntakeFigures,
    pub facilities: FacilityFigures,
    pub matching: MatchingFigures,
    pub handoffs: HandoffFigures,
}

/// The figures for [from, to) (UTC) of the people and facilities of `scope`'s
/// municipalities (every one for [`Scope::Everywhere`]).
pub fn operations(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
    scope: &Scope,
) -> Result<OperationsFigures, StoreError> {
    conn.transaction(|conn| {
        let mut out = OperationsFigures::default();
        let (changed, withdrawn) = registration_events(conn, from, to, scope)?;
        out.registrations.changed = changed;
        out.registrations.withdrawn = withdrawn;
        (out.matching.requests, out.matching.intake_requests) =
            match_counts(conn, from, to, scope)?;
        out.intakes = intake_figures(conn, from, to, scope)?;
        out.handoffs = handoff_figures(conn, from, to, scope)?;
        new_registrations(conn, from, to, scope, &mut out.registrations)?;
        out.registrations.active_at_end = active_at(conn, to, scope)?;
        out.facilities = facility_figures(conn, (japan_day(from), japan_day(to)), to, scope)?;
        Ok(out)
    })
}

/// The day in Japan of `at` (UTC).
fn japan_day(at: NaiveDateTime) -> chrono::NaiveDate {
    at.and_utc().with_timezone(&crate::time::jst()).date_naive()
}

/// The stays in a hub's emergency room overlapping [first, end) and the days they used in it.
fn room_use(
    record: &crate::domain::facility::FacilityRecord,
    (first, end): (chrono::NaiveDate, chrono::NaiveDate),
) -> (i64, i64) {
    let today = japan_day(crate::time::now());
    let last = end.pred_opt().unwrap_or(end).min(today);
    let mut stays = 0;
    let mut days = 0;
    for u in &record.hub_registration.emergency_room_uses {
        let start = u.from.max(first);
        let stop = u.until.unwrap_or(today).min(last);
        if stop >= start {
            stays += 1;
            days += (stop - start).num_days() + 1;
        }
    }
    (stays, days)
}

/// Whether a facility serves one of `scope`'s municipalities: those of its service area, else
/// that of its address (there by its ward).
fn serves_scope(record: &crate::domain::facility::FacilityRecord, scope: &Scope) -> bool {
    record.serves().iter().any(|m| {
        let ward = (*m == record.municipality())
            .then_some(record.ward.as_deref())
            .flatten();
        scope.covers(m, ward)
    })
}

/// Change notifications (変更届) and withdrawals recorded in [from, to) on registrations of
/// `scope`, counted from the registrations' histories.
fn registration_events(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
    scope: &Scope,
) -> Result<(i64, i64), StoreError> {
    let q = registration_versions::table
        .inner_join(
            registrations::table.on(registrations::id.eq(registration_versions::registration_id)),
        )
        .filter(registration_versions::recorded_at.ge(from))
        .filter(registration_versions::recorded_at.lt(to))
        .filter(registration_versions::event.eq_any(["update", "withdraw_consent"]))
        .select(registration_versions::event)
        .into_boxed::<<DbConnection as Connection>::Backend>();
    let events: Vec<String> = within_scope!(q, registrations, scope).load(conn)?;
    let count = |e: &str| events.iter().filter(|x| *x == e).count() as i64;
    Ok((count("update"), count("withdraw_consent")))
}

/// Candidate searches in [from, to) for registered persons and for intakes of `scope`.
fn match_counts(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
    scope: &Scope,
) -> Result<(i64, i64), StoreError> {
    if scope.for_query().is_none() {
        let actions: BTreeMap<(String, String), i64> = audit::count_actions(conn, from, to)?
            .into_iter()
            .map(|(record_type, action, n)| ((record_type, action), n))
            .collect();
        let count = |record_type: &str| {
            let key = (record_type.to_owned(), "match".to_owned());
            actions.get(&key).copied().unwrap_or(0)
        };
        return Ok((count("registration"), count("emergency_intake")));
    }
    let matched = access_records::table
        .filter(access_records::at.ge(from))
        .filter(access_records::at.lt(to))
        .filter(access_records::action.eq("match"));
    let q = matched
        .inner_join(registrations::table.on(registrations::id.eq(access_records::record_id)))
        .select(access_records::id)
        .into_boxed::<<DbConnection as Connection>::Backend>();
    let registered = within_scope!(q, registrations, scope)
        .load::<String>(conn)?
        .len();
    let q = matched
        .inner_join(
            emergency_intakes::table.on(emergency_intakes::id.eq(access_records::record_id)),
        )
        .select(access_records::id)
        .into_boxed::<<DbConnection as Connection>::Backend>();
    let intakes = within_scope!(q, emergency_intakes, scope)
        .load::<String>(conn)?
        .len();
    Ok((registered as i64, intakes as i64))
}

/// The municipal programmes whose 実績 a city reports every year, zero or not (code list
/// `service_types`).
const MUNICIPAL_PROGRAMMES: [&str; 3] = [
    "municipal_emergency_protection",
    "municipal_night_holiday_support",
    "living_alone_trial",
];

/// What the report reads of a handoff: its state, basis, purpose and case.
#[derive(Queryable, Selectable)]
#[diesel(table_name = handoffs)]
struct HandoffRow {
    status: String,
    expires_at: NaiveDateTime,
    legal_basis: String,
    purpose: String,
    registration_id: Option<String>,
    intake_id: Option<String>,
    document: String,
}

/// The service a packet asks for: all the report reads of its document.
#[derive(serde::Deserialize)]
struct Asked {
    request: Option<AskedService>,
}

#[derive(serde::Deserialize)]
struct AskedService {
    service_type: String,
}

/// Handoffs sent in [from, to): by outcome (as of now) and purpose, break-glass among them, and
/// the emergencies they were about.
fn handoff_figures(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
    scope: &Scope,
) -> Result<HandoffFigures, StoreError> {
    let mut figures = HandoffFigures::default();
    let at = crate::time::now();
    let mut cases = std::collections::BTreeSet::new();
    let mut admitted = std::collections::BTreeSet::new();
    let mut q = handoffs::table
        .filter(handoffs::created_at.ge(from))
        .filter(handoffs::created_at.lt(to))
        .select(HandoffRow::as_select())
        .into_boxed::<<DbConnection as Connection>::Backend>();
    if let Some((whole, wards)) = scope.for_query() {
        q = q.filter(super::scoping::handoff_within!(&whole, &wards));
    }
    let rows: Vec<HandoffRow> = q.load(conn)?;
    for row in rows {
        let HandoffRow {
            status,
            expires_at,
            legal_basis: basis,
            purpose,
            registration_id,
            intake_id,
            document,
        } = row;
        let case = registration_id.or(intake_id).unwrap_or_default();
        let h = &mut figures;
        h.sent += 1;
        let status = crate::domain::handoff::Status::parse(&status)
            .map(|s| s.effective(at >= expires_at).as_str())
            .unwrap_or("requested");
        if purpose == "emergency_acceptance" {
            if matches!(status, "admitted" | "completed") {
                let asked = serde_json::from_str::<Asked>(&document).ok();
                if let Some(service) = asked.and_then(|a| a.request) {
                    admitted.insert((service.service_type, case.clone()));
                }
            }
            cases.insert(case);
        }
        *h.by_outcome.entry(status.to_owned()).or_default() += 1;
        *h.by_purpose.entry(purpose).or_default() += 1;
        if basis == "vital_interest" {
            h.break_glass += 1;
        }
    }
    figures.emergency_cases = cases.len() as i64;
    for programme in MUNICIPAL_PROGRAMMES {
        figures
            .admitted_cases_by_service_type
            .insert(programme.to_owned(), 0);
    }
    for (service_type, _) in admitted {
        *figures
            .admitted_cases_by_service_type
            .entry(service_type)
            .or_default() += 1;
    }
    Ok(figures)
}

/// Emergency intakes recorded in [from, to): by ward and situation, and how many became
/// registrations.
fn intake_figures(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
    scope: &Scope,
) -> Result<IntakeFigures, StoreError> {
    let q = emergency_intakes::table
        .filter(emergency_intakes::created_at.ge(from))
        .filter(emergency_intakes::created_at.lt(to))
        .select((
            emergency_intakes::ward,
            emergency_intakes::registration_id,
            emergency_intakes::document,
        ))
        .into_boxed::<<DbConnection as Connection>::Backend>();
    let rows: Vec<(Option<String>, Option<String>, String)> =
        within_scope!(q, emergency_intakes, scope).load(conn)?;
    let mut figures = IntakeFigures {
        received: rows.len() as i64,
        ..IntakeFigures::default()
    };
    for (ward, registration, document) in rows {
        *figures
            .by_ward
            .entry(ward.unwrap_or_else(|| "unknown".into()))
            .or_default() += 1;
        let doc: serde_json::Value = serde_json::from_str(&document).unwrap_or_default();
        if let Some(kind) = doc["situation"]["kind"].as_str() {
            *figures.by_situation.entry(kind.to_owned()).or_default() += 1;
        }
        if registration.is_some() {
            figures.registered_since += 1;
        }
    }
    Ok(figures)
}

/// Registrations made in [from, to): by ward and by reason.
fn new_registrations(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
    scope: &Scope,
    r: &mut RegistrationFigures,
) -> Result<(), StoreError> {
    let q = registrations::table
        .inner_join(
            registration_versions::table
                .on(registration_versions::registration_id.eq(registrations::id)),
        )
        .filter(registrations::created_at.ge(from))
        .filter(registrations::created_at.lt(to))
        .filter(registration_versions::version.eq(1))
        .select((registrations::ward, registration_versions::document))
        .into_boxed::<<DbConnection as Connection>::Backend>();
    let new: Vec<(Option<String>, String)> = within_scope!(q, registrations, scope).load(conn)?;
    r.new = new.len() as i64;
    for (ward, document) in &new {
        *r.new_by_ward
            .entry(ward.clone().unwrap_or_else(|| "unknown".into()))
            .or_default() += 1;
        let doc: serde_json::Value = serde_json::from_str(document).unwrap_or_default();
        for reason in doc["registration_reasons"].as_array().into_iter().flatten() {
            if let Some(reason) = reason.as_str() {
                *r.new_by_reason.entry(reason.to_owned()).or_default() += 1;
            }
        }
    }

    Ok(())
}

/// Registrations of `scope` in force at `to`: recorded before it, and whose last consent act
/// before it (the registration itself, a withdrawal, a new consent) was not a withdrawal. One
/// grouped query over the histories' events; no document is read.
fn active_at(conn: &mut DbConnection, to: NaiveDateTime, scope: &Scope) -> Result<i64, StoreError> {
    const ACTS: [&str; 3] = ["create", "withdraw_consent", "grant_consent"];
    let q = registration_versions::table
        .inner_join(
            registrations::table.on(registrations::id.eq(registration_versions::registration_id)),
        )
        .filter(registration_versions::recorded_at.lt(to))
        .filter(registration_versions::event.eq_any(ACTS))
        .group_by((
            registration_versions::registration_id,
            registration_versions::event,
        ))
        .select((
            registration_versions::registration_id,
            registration_versions::event,
            diesel::dsl::max(registration_versions::version),
        ))
        .into_boxed::<<DbConnection as Connection>::Backend>();
    let acts: Vec<(String, String, Option<i32>)> =
        within_scope!(q, registrations, scope).load(conn)?;
    // Each registration's latest act: (its version, whether it was a withdrawal).
    let mut latest: std::collections::HashMap<String, (i32, bool)> = Default::default();
    for (id, event, version) in acts {
        let version = version.unwrap_or(0);
        let entry = latest.entry(id).or_insert((i32::MIN, false));
        if version > entry.0 {
            *entry = (version, event == "withdraw_consent");
        }
    }
    Ok(latest.values().filter(|(_, withdrawn)| !withdrawn).count() as i64)
}

/// `n` of `total` in percent, to one decimal (0 when there is nothing to divide by).
fn percent(n: i64, total: i64) -> f64 {
    if total == 0 {
        0.0
    } else {
        (n as f64 * 1000.0 / total as f64).round() / 10.0
    }
}

/// The facility records serving `scope`'s municipalities (their service area, else their
/// address), as they stood at the end of `days` ([first, end), Japan): by hub function and
/// service type, their survey answers, and the use of their emergency rooms in `days`.
fn facility_figures(
    conn: &mut DbConnection,
    days: (chrono::NaiveDate, chrono::NaiveDate),
    end: NaiveDateTime,
    scope: &Scope,
) -> Result<FacilityFigures, StoreError> {
    let mut figures = FacilityFigures::default();
    let f = &mut figures;
    let records: Vec<_> = facility_history::records_as_of(conn, end)?
        .into_iter()
        // Counted in every municipality it serves; in its own, by its ward.
        .filter(|r| serves_scope(r, scope))
        .collect();
    f.total = records.len() as i64;
    for record in &records {
        let types = service_types(record);
        if record.hub_registration.registered {
            hub_figures(f, record, &types);
        }
        if record.has_hub_emergency_room() {
            f.with_emergency_room += 1;
            let (people, used) = room_use(record, days);
            f.emergency_room_people += people;
            f.emergency_room_days += used;
        }
        if record.offers_short_stay() {
            f.short_stay_total += 1;
            if record.answered_survey() {
                f.short_stay_answered += 1;
                *f.short_stay_by_survey_group
                    .entry(record.survey_group().as_str().to_owned())
                    .or_default() += 1;
            }
        }
        for t in types {
            *f.by_service_type.entry(t.to_owned()).or_default() += 1;
        }
    }
    f.short_stay_response_rate = percent(f.short_stay_answered, f.short_stay_total);
    for g in ["A", "B", "C", "other"] {
        f.short_stay_by_survey_group
            .entry(g.to_owned())
            .or_default();
    }
    for (group, n) in &f.short_stay_by_survey_group {
        let share = percent(*n, f.short_stay_answered);
        f.short_stay_survey_share.insert(group.clone(), share);
    }
    Ok(figures)
}

/// The service types a facility offers, each once.
fn service_types(record: &crate::domain::facility::FacilityRecord) -> Vec<&str> {
    let mut types: Vec<&str> = record
        .services
        .iter()
        .map(|s| s.service_type.as_str())
        .collect();
    types.sort_unstable();
    types.dedup();
    types
}

/// Counts a hub-registered facility: by function, by service type, by both, and the
/// 利用契約者数 its services record.
fn hub_figures(
    f: &mut FacilityFigures,
    record: &crate::domain::facility::FacilityRecord,
    types: &[&str],
) {
    f.hub_registered += 1;
    for function in &record.hub_registration.functions {
        *f.by_hub_function.entry(function.clone()).or_default() += 1;
        for t in types {
            *f.hub_by_function_and_service_type
                .entry(format!("{function}/{t}"))
                .or_default() += 1;
        }
    }
    for t in types {
        *f.hub_by_service_type.entry((*t).to_owned()).or_default() += 1;
    }
    for s in &record.services {
        if let Some(n) = s.contracted_users {
            *f.hub_contracted_users_by_service_type
                .entry(s.service_type.clone())
                .or_default() += i64::from(n);
        }
    }
}
