//! Rules of the emergency-use registration.
use super::Context;
use crate::domain::consent::{Consent, Recipient};
use crate::time::age_on;
use crate::validation::Finding;
use chrono::NaiveDate;
use serde_json::Value;

pub fn check(ctx: &mut Context<'_>) {
    let today = ctx.today();
    let birth = ctx.date("/registrant/birth_date");
    let submitted = ctx.date("/submitted_on");

    if let Some(birth) = birth {
        let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date");
        if birth > today || birth < earliest || submitted.is_some_and(|s| birth > s) {
            ctx.report(Finding::new(
                "KY-REG-BIRTH-DATE-RANGE",
                "/registrant/birth_date",
            ));
        }
    }
    if submitted.is_some_and(|s| s > today) {
        ctx.report(Finding::new("KY-REG-SUBMITTED-FUTURE", "/submitted_on"));
    }
    if let (Some(birth), Some(submitted)) =
        (birth, submitted.filter(|s| birth.is_some_and(|b| b <= *s)))
    {
        let age = age_on(birth, submitted);
        if age < 18 && ctx.str("/applicant/relationship") == Some("self") {
            ctx.report(Finding::new(
                "KY-REG-MINOR-APPLICANT",
                "/applicant/relationship",
            ));
        }
        if age < 40 && ctx.str("/care_level").is_some_and(|c| c != "none") {
            ctx.report(Finding::new("KY-REG-CARE-LEVEL-AGE", "/care_level"));
        }
    }

    let caregiver_reason = ctx
        .array("/registration_reasons")
        .iter()
        .any(|r| r == "caregiver_unavailable");
    if !caregiver_reason {
        let at = ctx
            .array("/emergency_plan/desired_services")
            .iter()
            .position(|s| s == "short_stay");
        if let Some(i) = at {
            ctx.report(Finding::new(
                "KY-REG-SHORTSTAY-REASON",
                format!("/emergency_plan/desired_services/{i}"),
            ));
        }
    }

    let refused: Vec<usize> = ctx
        .array("/emergency_contacts")
        .iter()
        .enumerate()
        .filter(|(_, c)| c.get("consent_obtained") == Some(&Value::Bool(false)))
        .map(|(i, _)| i)
        .collect();
    for i in refused {
        ctx.report(Finding::new(
            "KY-REG-CONTACT-CONSENT",
            format!("/emergency_contacts/{i}/consent_obtained"),
        ));
    }

    intellectual_grade(ctx);
    consent(ctx, today);
    schedule(ctx);
}

fn intellectual_grade(ctx: &mut Context<'_>) {
    let (Some(grade), Some(prefecture)) = (
        ctx.str("/certificates/intellectual/grade"),
        ctx.str("/certificates/intellectual/issuing_prefecture"),
    ) else {
        return;
    };
    let Some(allowed) = ctx.engine.rule_data.intellectual_grades.get(prefecture) else {
        return;
    };
    if !allowed.iter().any(|g| g == grade) {
        let allowed = allowed.join(", ");
        ctx.report(
            Finding::new(
                "KY-REG-INTELLECTUAL-GRADE",
                "/certificates/intellectual/grade",
            )
            .arg("allowed", allowed),
        );
    }
}

fn consent(ctx: &mut Context<'_>, today: NaiveDate) {
    let Some(raw) = ctx.doc.get("consent") else {
        return;
    };
    let granted = ctx.date("/consent/granted_on");
    let withdrawn = ctx.date("/consent/withdrawn_on");
    if granted.is_some_and(|g| g > today) {
        ctx.report(Finding::new("KY-REG-CONSENT-DATES", "/consent/granted_on"));
    } else if withdrawn.is_some_and(|w| w > today)
        || matches!((granted, withdrawn), (Some(g), Some(w)) if w < g)
    {
        // A withdrawal is final from the moment it is recorded, so a date not yet reached (a
        // slip of the year, say) would end the consent early with no way back.
        ctx.report(Finding::new(
            "KY-REG-CONSENT-DATES",
            "/consent/withdrawn_on",
        ));
    }
    // Coverage is judged on the provisions alone: a withdrawn consent still documents what was
    // once permitted, and withdrawal is handled by the exchange, not by the form.
    let kikan = Recipient {
        role: "kikan",
        organization_id: None,
    };
    if Consent::new(raw)
        .provisions_permit(kikan, "emergency_preparation")
        .is_empty()
    {
        ctx.report(Finding::new("KY-REG-CONSENT-KIKAN", "/consent/provisions"));
    }
}

fn schedule(ctx: &mut Context<'_>) {
    let bad: Vec<usize> = ctx
        .array("/assessment/weekly_schedule")
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            match (
                e.get("start").and_then(Value::as_str),
                e.get("end").and_then(Value::as_str),
            ) {
                // HH:MM strings compare in time order.
                (Some(start), Some(end)) if start.len() == 5 && end.len() == 5 => end <= start,
                _ => false,
            }
        })
        .map(|(i, _)| i)
        .collect();
    for i in bad {
        ctx.report(Finding::new(
            "KY-REG-SCHEDULE-TIME",
            format!("/assessment/weekly_schedule/{i}/end"),
        ));
    }
}
