//! The operations report rebuilds the tables the cities publish, number by number, from data
//! seeded as the cities' own would be: Sendai's R7 short-stay survey (回答事業所の内訳, 002) and
//! the designated city's R5 hub registrations (拠点等の登録事業所と利用契約者数, 003).
use crate::fixtures::*;
use crate::helpers::*;
use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use kyoten::domain::role::Role;
use kyoten::store::schema::facility_versions;
use serde_json::{json, Value};

/// Organizations with ids made at run time (the server wants them for its whole life).
fn leaked(orgs: Vec<(String, Role, &'static str)>) -> Vec<(&'static str, Role, &'static str)> {
    orgs.into_iter()
        .map(|(id, role, name)| (&*Box::leak(id.into_boxed_str()), role, name))
        .collect()
}

/// The fiscal year (April–March, Japan) of today.
fn this_fiscal_year() -> i32 {
    let today = chrono::Utc::now().with_timezone(&kyoten::time::jst());
    if today.month() >= 4 {
        today.year()
    } else {
        today.year() - 1
    }
}

/// A facility of `municipality` (with its prefecture) offering `services`.
fn facility_in(id: &str, municipality: &str, services: Vec<Value>) -> Value {
    let mut doc = facility(id, "青葉区", "other", services);
    doc["address"] = json!({
        "postal_code": "000-0000", "prefecture": &municipality[..2],
        "municipality_code": municipality, "city": "見本市", "line": "架空町1番"
    });
    doc
}

fn upload(s: &TestServer, doc: &Value, if_match: Option<&str>) {
    let id = doc["facility_id"].as_str().unwrap();
    let r = s.put_json(id, &format!("/v1/facilities/{id}"), if_match, doc);
    assert!(r.status().is_success(), "{id}: {}", r.text().unwrap());
}

fn report(s: &TestServer, org: &str, query: &str) -> Value {
    let r = s.get_json(org, &format!("/v1/reports/operations?{query}"));
    assert_eq!(r.status(), 200, "{query}");
    r.json().unwrap()
}

/// Answers that are none of A, B and C, in the ways a facility can miss them: no spare bed,
/// emergencies taken but not willing to take an unknown person, nothing at all.
fn other_answers(i: usize) -> Value {
    let mut a = answers("A");
    match i % 3 {
        0 => a["has_vacancy_capacity"] = json!(false),
        1 => {
            a["has_accepted_new_without_prior_info"] = json!(false);
            a["willing_new_without_prior_info"] = json!(false);
        }
        _ => a = answers("other"),
    }
    a
}

#[test]
fn the_year_end_report_rebuilds_sendais_short_stay_survey_table_from_the_records_of_that_year() {
    // 002: 80 short-stay providers were asked; 44 answered (55.0%): A 3 (6.8%), B 0 (0%),
    // C 5 (11.4%), none of them 36 (81.8%).
    const SENDAI: &str = "041009";
    let short_stays: Vec<String> = (1..=81).map(|i| format!("04100{i:05}")).collect();
    let home_help = "0410099001".to_owned();
    let mut orgs = vec![("city-sendai".to_owned(), Role::City, "仙台市")];
    for id in short_stays.iter().chain([&home_help]) {
        orgs.push((id.clone(), Role::Facility, "見本の短期入所"));
    }
    let s = TestServer::isolated(&leaked(orgs));
    let groups = [vec!["A"; 3], vec!["C"; 5], vec!["other"; 36]].concat();
    for (i, id) in short_stays[..80].iter().enumerate() {
        let mut doc = facility_in(id, SENDAI, vec![service("short_stay", 1, &[])]);
        match groups.get(i) {
            Some(&"other") => doc["emergency_acceptance"] = other_answers(i),
            Some(group) => doc["emergency_acceptance"] = answers(group),
            // The 36 that did not answer have no survey answers in their records.
            None => {
                doc.as_object_mut().unwrap().remove("emergency_acceptance");
            }
        }
        upload(&s, &doc, None);
    }
    // A home-help provider is no short stay: its answers count in no survey table.
    let mut helper = facility_in(&home_help, SENDAI, vec![service("home_care", 1, &[])]);
    helper["emergency_acceptance"] = answers("A");
    upload(&s, &helper, None);

    // All of that was recorded during the survey (Nov 2025, fiscal year 2025) …
    let during_survey = NaiveDate::from_ymd_opt(2025, 11, 15)
        .unwrap()
        .and_hms_opt(1, 0, 0)
        .unwrap();
    let store = open_store(s.database_url());
    diesel::update(facility_versions::table)
        .set(facility_versions::recorded_at.eq(during_survey))
        .execute(&mut *store.conn().unwrap())
        .unwrap();
    // … and the year after, one C facility took an unknown person (now A) and an 81st
    // short stay opened: the year-end figures of 2025 do not change.
    let mut became_a = facility_in(&short_stays[3], SENDAI, vec![service("short_stay", 1, &[])]);
    became_a["emergency_acceptance"] = answers("A");
    upload(&s, &became_a, Some("\"1\""));
    let mut opened = facility_in(
        &short_stays[80],
        SENDAI,
        vec![service("short_stay", 0, &[])],
    );
    opened["emergency_acceptance"] = answers("A");
    upload(&s, &opened, None);

    let r7 = report(&s, "city-sendai", "fiscal_year=2025&municipality=041009");
    let f = &r7["facilities"];
    assert_eq!(f["short_stay_total"], 80, "対象数");
    assert_eq!(f["short_stay_answered"], 44, "回答事業所数");
    assert_eq!(f["short_stay_response_rate"], 55.0, "回答率");
    let table: Vec<(&str, i64, f64)> = ["A", "B", "C", "other"]
        .into_iter()
        .map(|g| {
            (
                g,
                f["short_stay_by_survey_group"][g].as_i64().unwrap(),
                f["short_stay_survey_share"][g].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        table,
        [
            ("A", 3, 6.8),
            ("B", 0, 0.0),
            ("C", 5, 11.4),
            ("other", 36, 81.8)
        ]
    );
    assert_eq!(f["total"], 81, "80 short stays and the home-help provider");
    assert_eq!(f["by_service_type"]["short_stay"], 80);
    assert_eq!(f["by_service_type"]["home_care"], 1);

    // Today's figures have the later change and the new facility.
    let year = this_fiscal_year();
    let now = report(
        &s,
        "city-sendai",
        &format!("fiscal_year={year}&municipality=041009"),
    );
    let f = &now["facilities"];
    assert_eq!(f["short_stay_total"], 81);
    assert_eq!(f["short_stay_answered"], 45);
    assert_eq!(f["short_stay_by_survey_group"]["A"], 5);
    assert_eq!(f["short_stay_by_survey_group"]["C"], 4);
    assert_eq!(f["short_stay_response_rate"], 55.6);

    // The same table in the CSV a city officer opens in Excel.
    let csv = s.get(
        "city-sendai",
        "/v1/reports/operations?fiscal_year=2025&municipality=041009",
        "text/csv",
    );
    let text = String::from_utf8(csv.bytes().unwrap()[3..].to_vec()).unwrap();
    for row in [
        "短期入所事業所数,,80,facilities.short_stay_total,Short-stay facilities",
        "アンケート回答事業所数（短期入所）,,44,facilities.short_stay_answered,Short-stay facilities that answered the survey",
        "アンケート回答率（短期入所、%）,,55.0,facilities.short_stay_response_rate,\"Survey response rate (short stay, %)\"",
        "回答事業所に占める割合（A〜C群別、%）,A,6.8,facilities.short_stay_survey_share,Share of answering short-stay facilities by survey group (%)",
    ] {
        assert!(text.lines().any(|l| l == row), "{row} in\n{text}");
    }
}

/// The hub-registered providers of 003 (R5): by service, with their 利用契約者数 split among
/// them, and the function each registered for.
fn hub_providers() -> Vec<(&'static str, &'static str, Vec<u32>)> {
    vec![
        // 特定相談支援: 9 事業所, 契約利用者 1,341 名.
        ("plan_consultation", "consultation", vec![149; 9]),
        // 訪問系: 3 事業所, 利用契約者 139 名.
        ("home_care", "emergency_response", vec![47, 46]),
        ("severe_home_visit_care", "emergency_response", vec![46]),
        // 短期入所: 5 事業所, 利用契約者 63 名.
        ("short_stay", "emergency_response", vec![13, 13, 13, 12, 12]),
        // 自立生活援助 1 と 地域定着支援 5: 利用契約者 261 名.
        (
            "independent_living_assistance",
            "emergency_response",
            vec![44],
        ),
        (
            "community_settlement",
            "emergency_response",
            vec![44, 44, 43, 43, 43],
        ),
        // 地域移行支援: 4 事業所, 利用契約者 1 名.
        ("community_transition", "experience", vec![1, 0, 0, 0]),
    ]
}

#[test]
fn the_report_rebuilds_the_designated_citys_hub_registrations_contracted_users_and_programme_cases()
{
    const CITY: &str = "271004";
    let mut facilities: Vec<(String, &str, &str, u32)> = Vec::new();
    for (service_type, function, contracted) in hub_providers() {
        for n in contracted {
            let id = format!("27000{:05}", facilities.len() + 1);
            facilities.push((id, service_type, function, n));
        }
    }
    let protection = "2700099001";
    let mut orgs = vec![
        ("city-osaka".to_owned(), Role::City, "見本の政令市"),
        (
            "kikan-1".to_owned(),
            Role::Kikan,
            "見本の基幹相談支援センター",
        ),
        (
            "office".to_owned(),
            Role::ConsultationOffice,
            "見本の相談支援事業所",
        ),
        (protection.to_owned(), Role::Facility, "見本の緊急一時保護"),
    ];
    for (id, ..) in &facilities {
        orgs.push((id.clone(), Role::Facility, "見本の拠点登録事業所"));
    }
    let s = TestServer::isolated(&leaked(orgs));
    for (id, service_type, function, contracted) in &facilities {
        let mut svc = service(service_type, 1, &[]);
        svc["contracted_users"] = json!(contracted);
        let mut doc = facility_in(id, CITY, vec![svc]);
        doc["hub_registration"] =
            json!({"registered": true, "functions": [function], "emergency_room": false});
        upload(&s, &doc, None);
    }
    // 緊急一時保護事業 (the city's programme, not a registered hub provider): R5 実績 2件.
    upload(
        &s,
        &facility_in(
            protection,
            CITY,
            vec![service("municipal_emergency_protection", 2, &[])],
        ),
        None,
    );
    let mut admitted = Vec::new();
    for _ in 0..2 {
        let reg = crate::handoffs::register(&s, "office", None);
        let mut body = crate::handoffs::request(&reg, protection);
        body["request"]["service_type"] = json!("municipal_emergency_protection");
        let sent = crate::handoffs::send(&s, "kikan-1", &body);
        admitted.push(sent["handoff_id"].as_str().unwrap().to_owned());
        // The same person was asked of a short stay too, which did not take them: one case.
        let short_stay = &facilities.iter().find(|f| f.1 == "short_stay").unwrap().0;
        let mut first = crate::handoffs::request(&reg, short_stay);
        first["request"]["service_type"] = json!("short_stay");
        crate::handoffs::send(&s, "kikan-1", &first);
    }
    for id in &admitted {
        assert_eq!(
            s.get(
                protection,
                &format!("/v1/handoffs/{id}"),
                "application/jose"
            )
            .status(),
            200
        );
        for status in ["accepted", "admitted"] {
            let r = s.post_json(
                protection,
                &format!("/v1/handoffs/{id}/responses"),
                &json!({
                    "document_type": "handoff_response", "schema_version": "1.0.0",
                    "handoff_id": id, "responder": {"organization_id": protection, "role": "facility"},
                    "status": status, "at": hours_ago(0)
                }),
            );
            assert_eq!(r.status(), 201, "{}", r.text().unwrap());
        }
    }

    let r5 = report(
        &s,
        "city-osaka",
        &format!("fiscal_year={}", this_fiscal_year()),
    );
    let f = &r5["facilities"];
    let n = |key: &str, code: &str| f[key][code].as_i64().unwrap_or(0);
    // ■ 拠点等の登録事業所: 特定相談支援 9, and for emergencies 14 (訪問系 3, 短期入所 5,
    // 自立生活援助 1, 地域定着支援 5), and 地域移行支援 4.
    assert_eq!(f["hub_registered"], 27);
    assert_eq!(n("by_hub_function", "consultation"), 9);
    assert_eq!(n("by_hub_function", "emergency_response"), 14);
    assert_eq!(n("by_hub_function", "experience"), 4);
    let by_type = |t: &str| n("hub_by_service_type", t);
    assert_eq!(by_type("plan_consultation"), 9);
    assert_eq!(by_type("home_care") + by_type("severe_home_visit_care"), 3);
    assert_eq!(by_type("short_stay"), 5);
    assert_eq!(by_type("independent_living_assistance"), 1);
    assert_eq!(by_type("community_settlement"), 5);
    assert_eq!(by_type("community_transition"), 4);
    assert_eq!(
        n(
            "hub_by_function_and_service_type",
            "emergency_response/short_stay"
        ),
        5
    );
    // [契約利用者] 1,341; 訪問系 139; 短期入所 63; 自立生活援助・地域定着支援 261; 地域移行支援 1.
    let users = |t: &str| n("hub_contracted_users_by_service_type", t);
    assert_eq!(users("plan_consultation"), 1341);
    assert_eq!(users("home_care") + users("severe_home_visit_care"), 139);
    assert_eq!(users("short_stay"), 63);
    assert_eq!(
        users("independent_living_assistance") + users("community_settlement"),
        261
    );
    assert_eq!(users("community_transition"), 1);
    // □ 障がい者緊急一時保護事業 [実績：2件]; 夜間・休日等緊急時支援事業 [実績：0件].
    let cases = &r5["handoffs"]["admitted_cases_by_service_type"];
    assert_eq!(cases["municipal_emergency_protection"], 2);
    assert_eq!(cases["municipal_night_holiday_support"], 0);
    assert_eq!(cases["living_alone_trial"], 0);
    assert_eq!(cases.as_object().unwrap().len(), 3, "{cases}");
    assert_eq!(r5["handoffs"]["emergency_cases"], 2);
}
