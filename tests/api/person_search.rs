//! Finding a person during an emergency call: by reading or name however they are written,
//! birth date and phone; only what the caller may see; every registration shown recorded.
use crate::fixtures::registration_from;
use crate::handoffs::{exchange, FACILITY};
use crate::helpers::*;
use serde_json::{json, Value};

const SEARCH: &str = "/v1/search/registrations";

/// A registration of 仙台 太郎 (センダイ タロウ, born 1990-05-01, phones 022-000-0000 and
/// 090-0000-0000; an emergency contact at 090-0000-0001) taken by `office`, with `change`
/// applied to the document first.
fn register_with(s: &TestServer, office: &str, change: impl FnOnce(&mut Value)) -> String {
    let mut doc = registration_from(office);
    change(&mut doc);
    s.register_document(office, &doc)
}

fn search(s: &TestServer, org: &str, body: Value) -> reqwest::blocking::Response {
    s.post_json(org, SEARCH, &body)
}

/// The ids a search as `org` finds.
fn found(s: &TestServer, org: &str, body: Value) -> Vec<String> {
    let r = search(s, org, body);
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    let page: Value = r.json().unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["registration_id"].as_str().unwrap().to_owned())
        .collect()
}

fn by_name(name: &str) -> Value {
    json!({"name": name, "purpose": "emergency_acceptance"})
}

#[test]
fn a_person_is_found_by_a_reading_written_in_any_of_its_usual_ways() {
    let s = exchange();
    let id = register_with(&s, "office", |_| {});
    for written in [
        "センダイ タロウ",
        "せんだい たろう",
        "ｾﾝﾀﾞｲ ﾀﾛｳ",
        "センダイ　タロー",
        "せんだい",
        "センダ",
    ] {
        assert_eq!(
            found(&s, "kikan-1", by_name(written)),
            std::slice::from_ref(&id),
            "{written}"
        );
    }
    assert!(found(&s, "kikan-1", by_name("センダイ ハナコ")).is_empty());
    assert!(
        found(&s, "kikan-1", by_name("タロウ")).is_empty(),
        "family name first"
    );
}

#[test]
fn a_person_is_found_by_the_name_as_written_with_variant_kanji_alike() {
    let s = exchange();
    let id = register_with(&s, "office", |doc| {
        doc["registrant"]["name"]["family"] = json!("髙橋");
        doc["registrant"]["name"]["family_kana"] = json!("タカハシ");
    });
    for written in ["髙橋 太郎", "高橋太郎", "高橋", "ﾀｶﾊｼ"] {
        assert_eq!(
            found(&s, "city-1", by_name(written)),
            std::slice::from_ref(&id),
            "{written}"
        );
    }
}

#[test]
fn a_phone_finds_the_person_and_says_whose_number_it_is() {
    let s = exchange();
    let id = register_with(&s, "office", |_| {});
    let r = search(
        &s,
        "kikan-1",
        json!({"phone": "０９０－００００－００００", "purpose": "emergency_acceptance"}),
    );
    let page: Value = r.json().unwrap();
    assert_eq!(page["items"][0]["registration_id"], json!(id));
    assert_eq!(page["items"][0]["matched_phone"], "registrant");
    let page: Value = search(
        &s,
        "kikan-1",
        json!({"phone": "+81 90 0000 0001", "purpose": "emergency_acceptance"}),
    )
    .json()
    .unwrap();
    assert_eq!(page["items"][0]["registration_id"], json!(id));
    assert_eq!(page["items"][0]["matched_phone"], "emergency_contact");
}

#[test]
fn a_birth_date_narrows_a_search_and_more_says_when_not_all_were_shown() {
    let s = exchange();
    let first = register_with(&s, "office", |_| {});
    let second = register_with(&s, "office", |doc| {
        doc["registrant"]["birth_date"] = json!("2001-02-03");
    });
    let both = found(&s, "kikan-1", by_name("センダイ"));
    assert_eq!(both.len(), 2);
    let narrowed = found(
        &s,
        "kikan-1",
        json!({"name": "センダイ", "birth_date": "2001-02-03", "purpose": "registration"}),
    );
    assert_eq!(narrowed, [second]);
    // Every condition must hold, whichever one finds the candidates.
    let by_phone_and_name = |name: &str| {
        found(
            &s,
            "kikan-1",
            json!({"name": name, "phone": "090-0000-0000", "purpose": "registration"}),
        )
    };
    assert_eq!(by_phone_and_name("センダイ").len(), 2);
    assert!(by_phone_and_name("ミヤギ").is_empty());
    let none = found(
        &s,
        "kikan-1",
        json!({"name": "仙台", "birth_date": "1999-09-09", "purpose": "registration"}),
    );
    assert!(none.is_empty());
    let page: Value = search(
        &s,
        "kikan-1",
        json!({"name": "センダイ", "limit": 1, "purpose": "registration"}),
    )
    .json()
    .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["more"], true);
    assert!(both.contains(&first));
}

#[test]
fn the_list_shows_what_identification_needs_and_nothing_more() {
    let s = exchange();
    register_with(&s, "office", |_| {});
    let page: Value = search(&s, "kikan-1", by_name("センダイ")).json().unwrap();
    let item = page["items"][0].as_object().unwrap();
    let mut members: Vec<&str> = item.keys().map(String::as_str).collect();
    members.sort_unstable();
    assert_eq!(
        members,
        [
            "birth_date",
            "matched_phone",
            "municipality_code",
            "name",
            "received_by",
            "registration_id",
            "status",
            "version",
            "ward"
        ]
    );
    let text = page.to_string();
    for private in ["090-0000-0000", "架空町", "condition", "household"] {
        assert!(!text.contains(private), "{private} in {text}");
    }
}

#[test]
fn an_office_finds_only_its_own_and_a_facility_none() {
    let s = exchange();
    let own = register_with(&s, "office", |_| {});
    let other = register_with(&s, "other-office", |_| {});
    assert_eq!(found(&s, "office", by_name("センダイ")), [own]);
    assert_eq!(found(&s, "other-office", by_name("センダイ")), [other]);
    assert_eq!(found(&s, "kikan-1", by_name("センダイ")).len(), 2);
    let r = search(&s, FACILITY, by_name("センダイ"));
    assert_eq!(r.status(), 403);
    let r = client()
        .post(s.url(SEARCH))
        .json(&by_name("センダイ"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// The access records of `action` written by `org`, as (record_id, categories, purpose).
fn recorded(s: &TestServer, org: &str) -> Vec<(String, String, String)> {
    let page: Value = s
        .get_json(
            "city-1",
            &format!("/v1/audit?organization={org}&action=search"),
        )
        .json()
        .unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["record_id"].as_str().unwrap().to_owned(),
                r["categories"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(","),
                r["purpose"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_registration_shown_is_recorded_with_the_purpose_and_a_search_that_finds_none_once() {
    let s = exchange();
    let id = register_with(&s, "office", |_| {});
    found(&s, "kikan-1", by_name("センダイ"));
    assert_eq!(
        recorded(&s, "kikan-1"),
        [(id, "identity".into(), "emergency_acceptance".into())]
    );
    found(
        &s,
        "kikan-1",
        json!({"name": "ミヤギ", "purpose": "registration"}),
    );
    let records = recorded(&s, "kikan-1");
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].1, "", "no one's data was shown");
    assert_eq!(records[1].2, "registration");
}

#[test]
fn the_records_of_a_search_that_shows_many_are_whole_links_of_the_record_chain() {
    let s = exchange();
    let ids: Vec<String> = (0..5)
        .map(|_| register_with(&s, "office", |_| {}))
        .collect();
    let shown = found(&s, "kikan-1", by_name("センダイ"));
    assert_eq!(shown.len(), 5);
    let records = recorded(&s, "kikan-1");
    let mut recorded_ids: Vec<String> = records.into_iter().map(|r| r.0).collect();
    recorded_ids.sort();
    assert_eq!(recorded_ids, ids);
    // Written after them, the chain goes on from the search's last record.
    register_with(&s, "office", |_| {});
    let mut conn = s.store.conn().unwrap();
    kyoten::store::chain::seal_all(&mut conn).unwrap();
    let report = kyoten::store::integrity::verify(&mut conn, &[], None).unwrap();
    assert!(report.problems.is_empty(), "{report:?}");
}

#[test]
fn a_withdrawn_registration_is_found_by_name_but_no_longer_by_phone() {
    let s = exchange();
    let id = register_with(&s, "office", |_| {});
    let r = s.post_json(
        "office",
        &format!("/v1/registrations/{id}/consent-withdrawal"),
        &Value::Null,
    );
    assert_eq!(r.status(), 200);
    let page: Value = search(&s, "kikan-1", by_name("センダイ タロウ"))
        .json()
        .unwrap();
    assert_eq!(page["items"][0]["status"], "consent_withdrawn");
    assert_eq!(page["items"][0]["name"]["family"], "仙台");
    let by_phone = json!({"phone": "090-0000-0000", "purpose": "emergency_acceptance"});
    assert!(found(&s, "kikan-1", by_phone).is_empty());
}

#[test]
fn a_change_notification_changes_what_the_person_is_found_by() {
    let s = exchange();
    let id = register_with(&s, "office", |_| {});
    let location = format!("/v1/registrations/{id}");
    let current = s.get_json("office", &location);
    let etag = current.headers()["etag"].to_str().unwrap().to_owned();
    let mut doc: Value = current.json().unwrap();
    doc["registrant"]["name"]["family"] = json!("青葉");
    doc["registrant"]["name"]["family_kana"] = json!("アオバ");
    let r = client()
        .put(s.url(&location))
        .bearer_auth(s.key("office"))
        .header("If-Match", etag)
        .json(&doc)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    assert_eq!(found(&s, "kikan-1", by_name("あおば")), [id]);
    assert!(found(&s, "kikan-1", by_name("センダイ タロウ")).is_empty());
}

#[test]
fn registrations_stored_before_search_keys_are_given_them_at_start_in_one_pass_of_batches() {
    use diesel::connection::SimpleConnection;
    let s = exchange();
    let mut ids: Vec<String> = (0..3)
        .map(|_| register_with(&s, "office", |_| {}))
        .collect();
    ids.sort();
    let mut conn = s.store.conn().unwrap();
    conn.batch_execute("DELETE FROM registration_search_keys")
        .unwrap();
    assert!(found(&s, "kikan-1", by_name("センダイ")).is_empty());
    let indexed = kyoten::store::registrations::index_unindexed_by(&mut conn, 2).unwrap();
    assert_eq!(indexed, 3, "two batches, each registration once");
    let mut got = found(&s, "kikan-1", by_name("センダイ"));
    got.sort();
    assert_eq!(got, ids);
    assert_eq!(
        kyoten::store::registrations::index_unindexed(&mut conn).unwrap(),
        0
    );
}

#[test]
fn a_search_that_is_not_of_the_documented_shape_is_refused_without_repeating_it() {
    let s = exchange();
    register_with(&s, "office", |_| {});
    let before = recorded(&s, "kikan-1").len();
    let cases = [
        (
            json!({"purpose": "emergency_acceptance"}),
            "invalid-search",
            None,
        ),
        (
            json!({"birth_date": "1990-05-01", "purpose": "registration"}),
            "invalid-search",
            None,
        ),
        (
            json!({"name": "セ", "purpose": "registration"}),
            "invalid-search",
            Some("name"),
        ),
        (
            json!({"name": "ー・ ", "purpose": "registration"}),
            "invalid-search",
            Some("name"),
        ),
        (
            json!({"name": "センダイ"}),
            "invalid-search",
            Some("purpose"),
        ),
        (
            json!({"name": "センダイ", "purpose": "curiosity"}),
            "invalid-search",
            Some("purpose"),
        ),
        (
            json!({"name": "センダイ", "purpose": "registration", "birth_date": "1990-13-01"}),
            "invalid-search",
            Some("birth_date"),
        ),
        (
            json!({"phone": "12-34", "purpose": "registration"}),
            "invalid-search",
            Some("phone"),
        ),
        (
            json!({"name": 42, "purpose": "registration"}),
            "invalid-search",
            Some("name"),
        ),
        (
            json!({"name": "センダイ", "purpose": "registration", "limit": 51}),
            "invalid-search",
            Some("limit"),
        ),
        (
            json!({"name": "センダイ", "purpose": "registration", "address": "架空町"}),
            "invalid-search",
            Some("body"),
        ),
        (json!(["センダイ"]), "invalid-search", Some("body")),
        (
            json!({"name": null, "phone": "090-0000-0000", "purpose": "registration"}),
            "invalid-search",
            Some("name"),
        ),
        (
            json!({"name": "センダイ", "phone": "", "purpose": "registration"}),
            "invalid-search",
            Some("phone"),
        ),
        (
            json!({"name": "センダイ", "birth_date": " 1990-05-01", "purpose": "registration"}),
            "invalid-search",
            Some("birth_date"),
        ),
    ];
    for (body, kind, field) in cases {
        let r = search(&s, "kikan-1", body.clone());
        assert_eq!(r.status(), 422, "{body}");
        let text = r.text().unwrap();
        let problem: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            problem["type"],
            format!("https://w3id.org/kyoten/problems/{kind}"),
            "{body}"
        );
        if let Some(field) = field {
            assert!(
                problem["detail"].as_str().unwrap().contains(field),
                "{text}"
            );
        }
        for private in ["センダイ", "架空町", "1990-13-01", "12-34", "curiosity"] {
            assert!(!text.contains(private), "{private} repeated in {text}");
        }
    }
    let r = s.post_bytes(
        "kikan-1",
        SEARCH,
        "application/json",
        br#"{"name": "a", "name": "b"}"#.to_vec(),
    );
    assert_eq!(r.status(), 400);
    assert_eq!(problem_type(r), "duplicate-key");
    assert_eq!(
        recorded(&s, "kikan-1").len(),
        before,
        "a refused search records nothing"
    );
}
