//! Rules of the emergency intake (事前情報のない新規ケースの緊急時受付票).
use super::Context;
use crate::time::age_on;
use crate::validation::Finding;
use chrono::{NaiveDate, TimeDelta};

/// How far ahead of the exchange's clock an intake time may be (clocks of vendor systems
/// drift; an hour would be a wrong time zone, not drift).
const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

pub fn check(ctx: &mut Context<'_>) {
    let received = ctx.timestamp("/received_at");
    if received.is_some_and(|r| ctx.days_since(r) < -CLOCK_SKEW) {
        ctx.report(Finding::new("KY-INT-RECEIVED-FUTURE", "/received_at"));
    }
    // The intake's own day in Japan: the age is the age on that day.
    let day = received
        .map(|r| r.with_timezone(&crate::time::jst()).date_naive())
        .unwrap_or_else(|| ctx.today());
    if let Some(birth) = ctx.date("/person/birth_date") {
        let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date");
        if birth > day || birth < earliest {
            ctx.report(Finding::new(
                "KY-INT-BIRTH-DATE-RANGE",
                "/person/birth_date",
            ));
        } else if let Some(age) = ctx.int("/person/age") {
            if i64::from(age_on(birth, day)) != age {
                ctx.report(Finding::new("KY-INT-AGE-MISMATCH", "/person/age"));
            }
        }
    }
    let short_stay = ctx
        .array("/desired_services")
        .iter()
        .position(|s| s == "short_stay");
    let asks_short_stay = short_stay.is_some() || ctx.doc.get("desired_services").is_none();
    if asks_short_stay
        && ctx
            .str("/situation/kind")
            .is_some_and(|k| k != crate::domain::matching::SHORT_STAY_REASON)
    {
        let at = short_stay.map_or("/situation/kind".to_owned(), |i| {
            format!("/desired_services/{i}")
        });
        ctx.report(Finding::new("KY-INT-SHORTSTAY-SITUATION", at));
    }
    if !ctx.array("/medical_care_needs").is_empty() {
        ctx.report(Finding::new("KY-INT-MEDICAL-CARE", "/medical_care_needs"));
    }
}
