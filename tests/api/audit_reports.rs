//! The access record for the city and the kikan, registration lists, and the yearly report.
use crate::fixtures::*;
use crate::helpers::*;
use kyoten::domain::role::Role;
use serde_json::{json, Value};

const ORGS: [(&str, Role, &str); 5] = [
    ("city-1", Role::City, "見本市"),
    ("kikan-1", Role::Kikan, "見本基幹相談支援センター"),
    ("office", Role::ConsultationOffice, "見本相談支援事業所"),
    (
        "other-office",
        Role::ConsultationOffice,
        "別の相談支援事業所",
    ),
    ("0410000041", Role::Facility, "見本施設"),
];

#[test]
fn the_audit_shows_who_read_and_wrote_a_registration_with_categories_and_purpose() {
    let server = TestServer::isolated(&ORGS);
    let id = server.register_document("office", &registration_from("office"));
    assert_eq!(
        server
            .get_json("city-1", &format!("/v1/registrations/{id}"))
            .status(),
        200
    );
    let res = server.get_json("kikan-1", &format!("/v1/audit?record_id={id}"));
    assert_eq!(res.status(), 200);
    let page: Value = res.json().unwrap();
    let items = page["items"].as_array().unwrap();
    let seen: Vec<(&str, &str)> = items
        .iter()
        .map(|i| {
            (
                i["organization_id"].as_str().unwrap(),
                i["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(seen, [("office", "create"), ("city-1", "read")]);
    assert_eq!(items[1]["record_type"], "registration");
    assert_eq!(items[1]["purpose"], "registration");
    assert!(items[1]["categories"]
        .as_array()
        .unwrap()
        .contains(&json!("medical")));
    // Filters and pages.
    let by_city: Value = server
        .get_json("city-1", "/v1/audit?organization=city-1&action=read")
        .json()
        .unwrap();
    assert_eq!(by_city["items"].as_array().unwrap().len(), 1);
    let first: Value = server
        .get_json("city-1", &format!("/v1/audit?record_id={id}&limit=1"))
        .json()
        .unwrap();
    let after = first["next_after"].as_str().unwrap();
    let second: Value = server
        .get_json("city-1", &format!("/v1/audit?record_id={id}&after={after}"))
        .json()
        .unwrap();
    assert_eq!(second["items"][0]["action"], "read");
    assert_eq!(second["next_after"], Value::Null);
    // An empty `after` is the first page; one naming no record is refused.
    let again: Value = server
        .get_json(
            "city-1",
            &format!("/v1/audit?record_id={id}&limit=1&after="),
        )
        .json()
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(
        server
            .get_json("city-1", "/v1/audit?after=acc_nothing")
            .status(),
        400
    );
    assert_eq!(
        server
            .get_json("city-1", "/v1/audit?since=yesterday")
            .status(),
        400
    );
}

#[test]
fn registrations_are_listed_by_ward_status_and_change_time_each_office_seeing_its_own() {
    let server = TestServer::isolated(&ORGS);
    let aoba = server.register_document("office", &registration_from("office"));
    let mut doc = registration_from("office");
    doc["registrant"]["address"]["line"] = json!("泉区架空町1番");
    let izumi = server.register_document("office", &doc);
    let other = server.register_document("other-office", &registration_from("other-office"));
    let withdrawn = client()
        .post(server.url(&format!("/v1/registrations/{izumi}/consent-withdrawal")))
        .bearer_auth(server.key("office"))
        .send()
        .unwrap();
    assert_eq!(withdrawn.status(), 200);
    let list = |as_org: &str, query: &str| -> Vec<String> {
        let res = server.get_json(as_org, &format!("/v1/registrations?{query}"));
        assert_eq!(res.status(), 200, "{query}");
        let mut ids: Vec<String> = res.json::<Value>().unwrap()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["registration_id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let sorted = |mut v: Vec<&String>| {
        v.sort();
        v.into_iter().cloned().collect::<Vec<String>>()
    };
    assert_eq!(list("city-1", ""), sorted(vec![&aoba, &izumi, &other]));
    assert_eq!(list("office", ""), sorted(vec![&aoba, &izumi]));
    assert_eq!(list("city-1", "ward=%E6%B3%89%E5%8C%BA"), [izumi.as_str()]);
    assert_eq!(list("city-1", "status=consent_withdrawn"), [izumi.as_str()]);
    assert_eq!(list("city-1", "status=active"), sorted(vec![&aoba, &other]));
    assert_eq!(
        list("city-1", "updated_since=2999-01-01T00:00:00%2B09:00"),
        Vec::<String>::new()
    );
    assert_eq!(
        server.get_json("0410000041", "/v1/registrations").status(),
        403
    );
    assert_eq!(
        server
            .get_json("city-1", "/v1/registrations?status=lost")
            .status(),
        400
    );
}

/// Today in Japan, and the fiscal year it is in.
fn this_fiscal_year() -> (chrono::DateTime<chrono::FixedOffset>, i32) {
    use chrono::Datelike;
    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).unwrap());
    let year = if today.month() >= 4 {
        today.year()
    } else {
        today.year() - 1
    };
    (today, year)
}

#[test]
fn counts_of_one_or_two_people_are_shown_as_below_three_in_the_report_and_its_csv_by_default() {
    let threshold = kyoten::http::Settings::default().small_cell_threshold;
    assert_eq!(threshold, 3, "the default an installation starts with");
    let settings = kyoten::http::Settings {
        small_cell_threshold: threshold,
        ..test_settings()
    };
    let server = TestServer::isolated_with(&ORGS, settings);
    let mut ids = Vec::new();
    for i in 0..4 {
        let mut doc = registration_from("office");
        if i == 3 {
            doc["registrant"]["address"]["line"] = json!("泉区架空町一丁目2番3号");
        }
        ids.push(server.register_document("office", &doc));
    }
    let withdrawn = client()
        .post(server.url(&format!("/v1/registrations/{}/consent-withdrawal", ids[0])))
        .bearer_auth(server.key("office"))
        .send()
        .unwrap();
    assert_eq!(withdrawn.status(), 200);
    let (today, year) = this_fiscal_year();
    let mut record = facility(
        "0410000041",
        "青葉区",
        "A",
        vec![service("short_stay", 1, &[])],
    );
    record["hub_registration"] = json!({"registered": true, "functions": ["emergency_response"],
        "emergency_room": true, "emergency_room_uses": [{"from": today.date_naive().to_string()}]});
    let put = server.put_json("0410000041", "/v1/facilities/0410000041", None, &record);
    assert_eq!(put.status(), 201);

    let path = format!("/v1/reports/operations?fiscal_year={year}");
    let report: Value = server.get_json("city-1", &path).json().unwrap();
    assert_eq!(report["small_cell_threshold"], 3);
    let r = &report["registrations"];
    assert_eq!(r["new"], 4);
    assert_eq!(r["active_at_end"], 3);
    assert_eq!(r["changed"], 0, "a zero singles out no one");
    assert_eq!(r["withdrawn"], "<3");
    assert_eq!(
        r["new_by_ward"],
        json!({"青葉区": "<3", "泉区": "<3"}),
        "3 would follow from 4 − 1: the other cell is hidden too"
    );
    let f = &report["facilities"];
    assert_eq!(
        f["total"], 1,
        "facilities are organizations, counted as they are"
    );
    assert_eq!(f["with_emergency_room"], 1);
    assert_eq!(f["emergency_room_people"], "<3");
    assert_eq!(f["emergency_room_days"], "<3");

    let csv = client()
        .get(server.url(&path))
        .bearer_auth(server.key("city-1"))
        .header("Accept", "text/csv")
        .send()
        .unwrap()
        .text()
        .unwrap();
    let value_of = |key: &str, part: &str| -> Vec<String> {
        csv.lines()
            .map(|l| l.split(',').map(str::to_owned).collect::<Vec<_>>())
            .filter(|cells| cells.len() == 5 && cells[3] == key && cells[1] == part)
            .map(|cells| cells[2].clone())
            .collect()
    };
    assert_eq!(value_of("registrations.withdrawn", ""), ["<3"], "{csv}");
    assert_eq!(value_of("registrations.new", ""), ["4"], "{csv}");
    assert_eq!(
        value_of("registrations.new_by_ward", "泉区"),
        ["<3"],
        "{csv}"
    );
    assert_eq!(value_of("small_cell_threshold", ""), ["3"], "{csv}");
}

#[test]
fn a_registration_consented_again_after_its_withdrawal_is_in_force_at_the_years_end() {
    let server = TestServer::isolated(&ORGS);
    let again = server.register_document("office", &registration_from("office"));
    let gone = server.register_document("office", &registration_from("office"));
    for id in [&again, &gone] {
        let path = format!("/v1/registrations/{id}/consent-withdrawal");
        let withdrawn = client()
            .post(server.url(&path))
            .bearer_auth(server.key("office"))
            .send()
            .unwrap();
        assert_eq!(withdrawn.status(), 200);
    }
    let (today, year) = this_fiscal_year();
    let mut consent = registration_from("office")["consent"].clone();
    consent["granted_on"] = json!(today.format("%Y-%m-%d").to_string());
    let granted = client()
        .post(server.url(&format!("/v1/registrations/{again}/consent")))
        .bearer_auth(server.key("office"))
        .header("If-Match", "\"2\"")
        .json(&consent)
        .send()
        .unwrap();
    assert_eq!(granted.status(), 200, "{}", granted.text().unwrap());
    let path = format!("/v1/reports/operations?fiscal_year={year}");
    let report: Value = server.get_json("city-1", &path).json().unwrap();
    assert_eq!(report["registrations"]["new"], 2);
    assert_eq!(report["registrations"]["withdrawn"], 2);
    assert_eq!(report["registrations"]["active_at_end"], 1);
}

#[test]
fn the_operations_report_counts_the_fiscal_year_from_april_to_march() {
    let server = TestServer::isolated(&ORGS);
    let id = server.register_document("office", &registration_from("office"));
    server.register_document("other-office", &registration_from("other-office"));
    let mut changed = registration_from("office");
    changed["registration_id"] = json!(id);
    let res = client()
        .put(server.url(&format!("/v1/registrations/{id}")))
        .bearer_auth(server.key("office"))
        .header("If-Match", "\"1\"")
        .json(&changed)
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    // Matching runs while the consent is in force (after a withdrawal it is refused).
    let matched = server.get_json(
        "city-1",
        &format!("/v1/registrations/{id}/candidates?situation=caregiver_unavailable"),
    );
    assert_eq!(matched.status(), 200);
    client()
        .post(server.url(&format!("/v1/registrations/{id}/consent-withdrawal")))
        .bearer_auth(server.key("office"))
        .send()
        .unwrap();
    let mut record = facility(
        "0410000041",
        "青葉区",
        "A",
        vec![service("short_stay", 1, &[])],
    );
    let (today, year) = this_fiscal_year();
    let day = |d: i64| (today.date_naive() + chrono::TimeDelta::days(d)).to_string();
    let first_of_year = chrono::NaiveDate::from_ymd_opt(year, 4, 1).unwrap();
    // Three stays in its emergency room: one of last year (not counted), one of up to three
    // days ended this year, and one still going since today (a day so far).
    let (recent, recent_days) = if (today.date_naive() - first_of_year).num_days() >= 3 {
        (json!({"from": day(-3), "until": day(-1)}), 3)
    } else {
        (
            json!({"from": first_of_year.to_string(), "until": first_of_year.to_string()}),
            1,
        )
    };
    record["hub_registration"] = json!({"registered": true, "functions": ["emergency_response", "experience"], "emergency_room": true,
        "emergency_room_uses": [{"from": day(-400), "until": day(-398)}, recent, {"from": day(0)}]});
    let put = server.put_json("0410000041", "/v1/facilities/0410000041", None, &record);
    assert_eq!(put.status(), 201);

    let res = server.get_json(
        "kikan-1",
        &format!("/v1/reports/operations?fiscal_year={year}"),
    );
    assert_eq!(res.status(), 200);
    let report: Value = res.json().unwrap();
    assert_eq!(report["from"], format!("{year}-04-01"));
    assert_eq!(report["to"], format!("{}-03-31", year + 1));
    let r = &report["registrations"];
    assert_eq!(r["new"], 2);
    assert_eq!(r["changed"], 1);
    assert_eq!(r["withdrawn"], 1);
    assert_eq!(r["active_at_end"], 1);
    assert_eq!(r["new_by_ward"]["青葉区"], 2);
    assert_eq!(r["new_by_reason"]["caregiver_unavailable"], 2);
    assert_eq!(report["matching"]["requests"], 1);
    let f = &report["facilities"];
    assert_eq!(f["total"], 1);
    assert_eq!(f["short_stay_by_survey_group"]["A"], 1);
    assert_eq!(f["short_stay_by_survey_group"]["B"], 0);
    assert_eq!(f["short_stay_response_rate"], 100.0);
    assert_eq!(f["by_hub_function"]["emergency_response"], 1);
    assert_eq!(f["with_emergency_room"], 1);
    assert_eq!(f["emergency_room_people"], 2);
    assert_eq!(f["emergency_room_days"], recent_days + 1);

    // The year before saw nothing.
    let before: Value = server
        .get_json(
            "city-1",
            &format!("/v1/reports/operations?fiscal_year={}", year - 1),
        )
        .json()
        .unwrap();
    assert_eq!(before["registrations"]["new"], 0);
    assert_eq!(before["registrations"]["active_at_end"], 0);
    assert_eq!(
        server
            .get_json("city-1", "/v1/reports/operations?fiscal_year=1999")
            .status(),
        400
    );
    assert_eq!(
        server.get_json("city-1", "/v1/reports/operations").status(),
        400
    );
    assert_eq!(
        server
            .get_json(
                "office",
                &format!("/v1/reports/operations?fiscal_year={year}")
            )
            .status(),
        403
    );
}

#[test]
fn the_database_itself_refuses_to_change_or_delete_an_access_record() {
    use diesel::connection::SimpleConnection;
    let server = TestServer::isolated(&ORGS);
    let id = server.register_document("office", &registration_from("office"));
    let conn = &mut server.store.conn().unwrap();
    for statement in [
        "UPDATE access_records SET purpose = 'other'",
        "DELETE FROM access_records",
    ] {
        let refused = conn.batch_execute(statement);
        assert!(refused.is_err(), "{statement} went through");
    }
    let records = kyoten::store::audit::for_record(conn, "registration", &id).unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].purpose, "registration");
}
