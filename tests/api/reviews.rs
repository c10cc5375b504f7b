//! Reviews of registrations (見直し): due a set number of months after the last review (12, or
//! what the municipality set), a change notification or a new consent is a review, a review
//! without a change can be recorded, the list shows the reviews due or overdue by a day, and a
//! withdrawn registration is not reviewed.
use crate::fixtures::registration_from;
use crate::handoffs::{exchange, FACILITY};
use crate::helpers::*;
use chrono::{Months, NaiveDate};
use diesel::prelude::*;
use serde_json::{json, Value};

fn today() -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&kyoten::time::jst())
        .date_naive()
}

fn months_after(day: NaiveDate, months: u32) -> NaiveDate {
    day.checked_add_months(Months::new(months)).unwrap()
}

/// The review dates of `reg` as the list shows them to the city, and whether a list of the
/// reviews due by `by` holds it.
fn due(s: &TestServer, reg: &str) -> Value {
    let page: Value = s.get_json("city-1", "/v1/registrations").json().unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["registration_id"] == reg)
        .expect("listed")["review_due"]
        .clone()
}

fn due_by(s: &TestServer, org: &str, by: NaiveDate) -> Vec<String> {
    let r = s.get_json(org, &format!("/v1/registrations?review_due_by={by}"));
    assert_eq!(r.status(), 200);
    r.json::<Value>().unwrap()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["registration_id"].as_str().unwrap().to_owned())
        .collect()
}

/// Makes the last review of `reg` a day long past, as if years had gone by.
fn reviewed_long_ago(s: &TestServer, reg: &str, day: &str) {
    use kyoten::store::schema::registrations;
    let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    diesel::update(registrations::table.find(reg))
        .set((
            registrations::reviewed_on.eq(Some(day)),
            registrations::review_due.eq(Some(months_after(day, 12))),
        ))
        .execute(&mut *s.store.conn().unwrap())
        .unwrap();
}

fn review(s: &TestServer, org: &str, reg: &str) -> reqwest::blocking::Response {
    client()
        .post(s.url(&format!("/v1/registrations/{reg}/review")))
        .bearer_auth(s.key(org))
        .send()
        .unwrap()
}

#[test]
fn a_new_registration_is_due_for_review_twelve_months_on_and_listed_from_then() {
    let s = exchange();
    let reg = s.register_document("office", &registration_from("office"));
    let expected = months_after(today(), 12);
    assert_eq!(due(&s, &reg), expected.to_string());
    assert!(due_by(&s, "office", expected).contains(&reg));
    assert!(!due_by(&s, "office", expected.pred_opt().unwrap()).contains(&reg));
    assert!(due_by(&s, "kikan-1", expected).contains(&reg));
    assert!(
        !due_by(&s, "other-office", expected).contains(&reg),
        "not its own"
    );
    let r = s.get_json("office", "/v1/registrations?review_due_by=2026-13-01");
    assert_eq!(problem_type(r), "invalid-query");
}

#[test]
fn a_review_without_a_change_moves_the_due_date_and_leaves_the_version() {
    let s = exchange();
    let reg = s.register_document("office", &registration_from("office"));
    reviewed_long_ago(&s, &reg, "2024-04-01");
    assert!(due_by(&s, "office", today()).contains(&reg), "overdue");

    let r = review(&s, "office", &reg);
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    let dates: Value = r.json().unwrap();
    assert_eq!(dates["version"], 1);
    assert_eq!(dates["reviewed_on"], today().to_string());
    assert_eq!(dates["review_due"], months_after(today(), 12).to_string());
    assert!(!due_by(&s, "office", today()).contains(&reg));
    let etag = s.get_json("office", &format!("/v1/registrations/{reg}"));
    assert_eq!(etag.headers()["etag"], "\"1\"");
    let recorded =
        kyoten::store::audit::for_record(&mut s.store.conn().unwrap(), "registration", &reg)
            .unwrap()
            .into_iter()
            .find(|r| r.action == "review")
            .expect("the review is recorded");
    assert_eq!(
        (
            recorded.organization_id.as_str(),
            recorded.categories.as_str()
        ),
        ("office", "")
    );

    for (caller, expected) in [
        ("kikan-1", "200"),
        ("city-1", "forbidden"),
        ("other-office", "not-found"),
        (FACILITY, "not-found"),
    ] {
        let r = review(&s, caller, &reg);
        let got = if r.status() == 200 {
            "200".to_owned()
        } else {
            problem_type(r)
        };
        assert_eq!(got, expected, "{caller}");
    }
}

#[test]
fn a_change_notification_is_a_review_and_a_withdrawal_ends_the_reviews() {
    let s = exchange();
    let reg = s.register_document("office", &registration_from("office"));
    reviewed_long_ago(&s, &reg, "2024-04-01");
    let read = s.get_json("office", &format!("/v1/registrations/{reg}"));
    let mut doc: Value = read.json().unwrap();
    doc["reason_note"] = json!("見直しの面談で、母の通院が増えたことを確認");
    let changed = s.put_json(
        "office",
        &format!("/v1/registrations/{reg}"),
        Some("\"1\""),
        &doc,
    );
    assert_eq!(changed.status(), 200, "{}", changed.text().unwrap());
    assert_eq!(due(&s, &reg), months_after(today(), 12).to_string());

    let withdrawn = s.post_json(
        "office",
        &format!("/v1/registrations/{reg}/consent-withdrawal"),
        &json!({}),
    );
    assert_eq!(withdrawn.status(), 200, "{}", withdrawn.text().unwrap());
    assert_eq!(due(&s, &reg), Value::Null);
    assert!(!due_by(&s, "city-1", months_after(today(), 120)).contains(&reg));
    assert_eq!(
        problem_type(review(&s, "office", &reg)),
        "consent-withdrawn"
    );
}

#[test]
fn a_municipality_sets_its_own_interval_and_its_registrations_are_rescheduled() {
    let s = exchange();
    let reg = s.register_document("office", &registration_from("office"));
    reviewed_long_ago(&s, &reg, "2025-01-31");
    let out = kyoten()
        .args(["municipality", "review-interval", "041009", "6"])
        .args(["--database-url", s.database_url()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(due(&s, &reg), "2025-07-31");
    let listed = kyoten()
        .args(["municipality", "list", "--database-url", s.database_url()])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&listed.stdout).contains("041009\t6"));
    let other = s.register_document("office", &registration_from("office"));
    assert_eq!(due(&s, &other), months_after(today(), 6).to_string());

    for bad in [["041009", "0"], ["041009", "61"], ["041008", "6"]] {
        let out = kyoten()
            .args(["municipality", "review-interval", bad[0], bad[1]])
            .args(["--database-url", s.database_url()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
    assert_eq!(
        due(&s, &reg),
        "2025-07-31",
        "a refused setting changes nothing"
    );
}
