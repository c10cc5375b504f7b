//! Rules of the facility capability record.
use super::Context;
use crate::domain::facility::EmergencyAnswers;
use crate::validation::Finding;
use chrono::TimeDelta;
use serde::Deserialize;
use serde_json::Value;

/// A vacancy figure older than this is stale.
const STALE_AFTER: TimeDelta = TimeDelta::days(7);

pub fn check(ctx: &mut Context<'_>) {
    let services = ctx.array("/services");
    let mut findings = Vec::new();
    let mut any_medical_short_stay = false;
    for (i, s) in services.iter().enumerate() {
        any_medical_short_stay |= service(ctx, i, s, &mut findings);
    }
    // 日中サービス支援型共同生活援助 must provide short stay alongside (its role in the
    // community's emergencies).
    let offers = |t: &str| {
        services
            .iter()
            .any(|s| s["service_type"].as_str() == Some(t))
    };
    if let Some(i) = services
        .iter()
        .position(|s| s["group_home_type"].as_str() == Some("daytime_support"))
    {
        if !offers("short_stay") {
            findings.push(Finding::new(
                "KY-FAC-DAYTIME-GH-SHORT-STAY",
                format!("/services/{i}/group_home_type"),
            ));
        }
    }
    for (i, u) in ctx
        .array("/hub_registration/emergency_room_uses")
        .iter()
        .enumerate()
    {
        let date = |k: &str| u.get(k).and_then(Value::as_str);
        if let (Some(from), Some(until)) = (date("from"), date("until")) {
            // ISO dates compare as text.
            if until < from {
                findings.push(Finding::new(
                    "KY-FAC-ROOM-USE-DATES",
                    format!("/hub_registration/emergency_room_uses/{i}/until"),
                ));
            }
        }
    }
    for f in findings {
        ctx.report(f);
    }
    if any_medical_short_stay
        && ctx.bool("/emergency_acceptance/willing_new_without_prior_info") == Some(true)
    {
        ctx.report(Finding::new(
            "KY-FAC-MEDICAL-UNANNOUNCED",
            "/emergency_acceptance/willing_new_without_prior_info",
        ));
    }
    if ctx.bool("/hub_registration/registered") == Some(true)
        && ctx.array("/hub_registration/functions").is_empty()
    {
        ctx.report(Finding::new(
            "KY-FAC-HUB-FUNCTIONS",
            "/hub_registration/functions",
        ));
    }
    if let (Some(declared), Some(answers)) = (
        ctx.str("/survey_group"),
        ctx.doc.get("emergency_acceptance"),
    ) {
        if let Ok(answers) = EmergencyAnswers::deserialize(answers) {
            let derived = answers.survey_group().as_str();
            if declared != derived {
                ctx.report(
                    Finding::new("KY-FAC-SURVEY-GROUP", "/survey_group").arg("expected", derived),
                );
            }
        }
    }
}

/// The rules of one service (`/services/{i}`); whether it is a medical short stay.
fn service(ctx: &Context<'_>, i: usize, s: &Value, findings: &mut Vec<Finding>) -> bool {
    let mut medical = false;
    let int = |k: &str| s.get(k).and_then(Value::as_u64);
    if let (Some(cap), Some(vac)) = (int("capacity"), int("vacancies")) {
        if vac > cap {
            findings.push(Finding::new(
                "KY-FAC-VACANCIES-CAPACITY",
                format!("/services/{i}/vacancies"),
            ));
        }
    }
    // When the vacancies, or a service's availability, were stated: not ahead, not stale.
    for member in ["/vacancy_as_of", "/availability/as_of"] {
        let Some(as_of) = s
            .pointer(member)
            .and_then(Value::as_str)
            .and_then(crate::time::parse_timestamp)
        else {
            continue;
        };
        let age = ctx.days_since(as_of);
        let at = format!("/services/{i}{member}");
        if age < TimeDelta::zero() {
            findings.push(Finding::new("KY-FAC-VACANCY-FUTURE", at));
        } else if age > STALE_AFTER {
            findings.push(Finding::new("KY-FAC-VACANCY-STALE", at));
        }
    }
    let service_type = s.get("service_type").and_then(Value::as_str);
    let only_on = [
        ("form", "short_stay", "KY-FAC-FORM-SHORTSTAY"),
        ("group_home_type", "group_home", "KY-FAC-GROUP-HOME-TYPE"),
    ];
    for (member, on, id) in only_on {
        if s.get(member).is_some() && service_type.is_some_and(|t| t != on) {
            findings.push(Finding::new(id, format!("/services/{i}/{member}")));
        }
    }
    if let Some(variant) = s.get("variant").and_then(Value::as_str) {
        if service_type.is_some_and(|t| t != "short_stay") {
            findings.push(Finding::new(
                "KY-FAC-VARIANT-SHORTSTAY",
                format!("/services/{i}/variant"),
            ));
        } else if variant == "medical" {
            medical = true;
        }
    }
    medical
}
