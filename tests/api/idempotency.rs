//! Idempotency-Key: a retried POST gets the first response and writes nothing twice.
use crate::fixtures::*;
use crate::helpers::*;
use kyoten::domain::role::Role;
use serde_json::Value;

const ORGS: [(&str, Role, &str); 2] = [
    ("office", Role::ConsultationOffice, "見本相談支援事業所"),
    (
        "other-office",
        Role::ConsultationOffice,
        "別の相談支援事業所",
    ),
];

fn count(server: &TestServer, office: &str) -> i64 {
    kyoten::store::registrations::count_received_by(&mut server.store.conn().unwrap(), office)
        .unwrap()
}

fn submit(
    server: &TestServer,
    office: &str,
    key: &str,
    doc: &Value,
) -> reqwest::blocking::Response {
    client()
        .post(server.url("/v1/registrations"))
        .bearer_auth(server.key(office))
        .header("Idempotency-Key", key)
        .json(doc)
        .send()
        .unwrap()
}

#[test]
fn a_retried_registration_returns_the_first_response_and_is_stored_once() {
    let server = TestServer::isolated(&ORGS);
    let doc = registration_from("office");
    let first = submit(
        &server,
        "office",
        "3f1c9a2e-0000-4000-8000-000000000001",
        &doc,
    );
    assert_eq!(first.status(), 201);
    let location = first.headers()["location"].clone();
    let body = first.text().unwrap();
    for _ in 0..3 {
        let retry = submit(
            &server,
            "office",
            "3f1c9a2e-0000-4000-8000-000000000001",
            &doc,
        );
        assert_eq!(retry.status(), 201);
        assert_eq!(retry.headers()["location"], location);
        assert_eq!(retry.headers()["idempotent-replayed"], "true");
        assert_eq!(retry.text().unwrap(), body);
    }
    assert_eq!(count(&server, "office"), 1);
    // Another key is another request.
    assert_eq!(submit(&server, "office", "another-key", &doc).status(), 201);
    assert_eq!(count(&server, "office"), 2);
}

#[test]
fn a_key_reused_for_a_different_request_is_refused_and_changes_nothing() {
    let server = TestServer::isolated(&ORGS);
    let doc = registration_from("office");
    assert_eq!(submit(&server, "office", "k-1", &doc).status(), 201);
    let mut other = doc.clone();
    other["reason_note"] = Value::String("別の内容".into());
    let res = submit(&server, "office", "k-1", &other);
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().unwrap();
    assert_eq!(
        problem["type"],
        "https://w3id.org/kyoten/problems/idempotency-key-reused"
    );
    assert_eq!(count(&server, "office"), 1);
}

#[test]
fn keys_belong_to_one_organization() {
    let server = TestServer::isolated(&ORGS);
    assert_eq!(
        submit(&server, "office", "shared", &registration_from("office")).status(),
        201
    );
    let theirs = submit(
        &server,
        "other-office",
        "shared",
        &registration_from("other-office"),
    );
    assert_eq!(theirs.status(), 201);
    assert!(theirs.headers().get("idempotent-replayed").is_none());
    assert_eq!(count(&server, "other-office"), 1);
}

#[test]
fn a_refused_request_keeps_nothing_so_the_corrected_one_may_use_the_same_key() {
    let server = TestServer::isolated(&ORGS);
    let mut invalid = serde_json::from_slice::<Value>(&shortstay_without_reason()).unwrap();
    invalid["received_by"]["organization_id"] = "office".into();
    invalid.as_object_mut().unwrap().remove("registration_id");
    let first = submit(&server, "office", "k-fix", &invalid);
    assert_eq!(first.status(), 422);
    assert_eq!(submit(&server, "office", "k-fix", &invalid).status(), 422);
    assert_eq!(count(&server, "office"), 0);
    let fixed = submit(&server, "office", "k-fix", &registration_from("office"));
    assert_eq!(fixed.status(), 201);
    assert_eq!(count(&server, "office"), 1);
}

#[test]
fn a_malformed_idempotency_key_is_a_clear_400() {
    let server = TestServer::isolated(&ORGS);
    let long = "x".repeat(256);
    for key in ["", long.as_str(), "with space"] {
        let res = submit(&server, "office", key, &registration_from("office"));
        assert_eq!(res.status(), 400, "{key:?}");
        let problem: Value = res.json().unwrap();
        assert_eq!(
            problem["type"],
            "https://w3id.org/kyoten/problems/invalid-idempotency-key"
        );
    }
    assert_eq!(count(&server, "office"), 0);
}

#[test]
fn concurrent_requests_with_one_key_write_once() {
    let server = TestServer::isolated(&ORGS);
    let doc = registration_from("office");
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| submit(&server, "office", "burst", &doc).status().as_u16()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(count(&server, "office"), 1);
    // Each got either the first response or "still in progress, retry".
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    assert!(statuses.contains(&201));
}

/// The actions in the access record of a registration, in order.
fn recorded_actions(server: &TestServer, registration_id: &str) -> Vec<(String, String)> {
    kyoten::store::audit::for_record(
        &mut server.store.conn().unwrap(),
        "registration",
        registration_id,
    )
    .unwrap()
    .into_iter()
    .map(|r| (r.action, r.organization_id))
    .collect()
}

#[test]
fn a_replay_that_hands_out_a_registration_again_is_in_the_access_record() {
    let server = TestServer::isolated(&ORGS);
    let doc = registration_from("office");
    let first = submit(&server, "office", "replayed-create", &doc);
    assert_eq!(first.status(), 201);
    let created: Value = first.json().unwrap();
    let id = created["registration_id"].as_str().unwrap().to_owned();
    let replay = submit(&server, "office", "replayed-create", &doc);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let office = "office".to_owned();
    assert_eq!(
        recorded_actions(&server, &id),
        [
            ("create".into(), office.clone()),
            ("replay".into(), office.clone())
        ]
    );

    let withdraw = || {
        client()
            .post(server.url(&format!("/v1/registrations/{id}/consent-withdrawal")))
            .bearer_auth(server.key("office"))
            .header("Idempotency-Key", "replayed-withdrawal")
            .send()
            .unwrap()
    };
    assert_eq!(withdraw().status(), 200);
    let again = withdraw();
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    // A withdrawal answers with no personal data, so its replay hands none out: no read.
    let actions = recorded_actions(&server, &id);
    assert_eq!(actions[2..], [("withdraw_consent".into(), office)]);
    // Every replay records its read; nothing else was written twice.
    assert_eq!(count(&server, "office"), 1);
}

#[test]
fn keys_older_than_24_hours_are_deleted_by_the_server_on_its_own() {
    use diesel::prelude::*;
    use kyoten::store::schema::idempotency_keys;
    let settings = kyoten::http::Settings {
        idempotency_purge_every: std::time::Duration::from_millis(50),
        ..test_settings()
    };
    let server = TestServer::isolated_with(&ORGS, settings);
    let doc = registration_from("office");
    assert_eq!(submit(&server, "office", "old-key", &doc).status(), 201);
    assert_eq!(submit(&server, "office", "fresh-key", &doc).status(), 201);
    let keys = |conn: &mut kyoten::store::DbConnection| -> Vec<String> {
        idempotency_keys::table
            .select(idempotency_keys::key)
            .order(idempotency_keys::key)
            .load::<String>(conn)
            .unwrap()
    };
    let mut conn = server.store.conn().unwrap();
    assert_eq!(keys(&mut conn), ["fresh-key", "old-key"]);
    // The first request with "old-key" was 25 hours ago.
    let long_ago = kyoten::time::now() - chrono::TimeDelta::hours(25);
    diesel::update(idempotency_keys::table.filter(idempotency_keys::key.eq("old-key")))
        .set(idempotency_keys::created_at.eq(long_ago))
        .execute(&mut conn)
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while keys(&mut conn).contains(&"old-key".to_owned()) {
        assert!(
            std::time::Instant::now() < deadline,
            "the expired key is still there"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(keys(&mut conn), ["fresh-key"], "a fresh key is kept");
}
