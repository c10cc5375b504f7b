//! Handoffs for a person who never registered (事前情報のない新規ケース): a packet built from an
//! emergency intake carries `intake_ref` and the intake's own fields (never a name, address or
//! phone), on the consent obtained during the call or, by a coordinator, on the vital-interest
//! basis; it goes through the same lifecycle, provision records and checks as any packet.
use crate::fixtures::{hours_ago, intake_from};
use crate::handoffs::{exchange, jwks, open, provisions, register_key, submit, FACILITY};
use crate::helpers::*;
use serde_json::{json, Value};

/// An intake taken by `taker`, with the consent obtained during the call when `consent`.
fn intake(s: &TestServer, taker: &str, role: &str, consent: bool) -> String {
    let mut doc = intake_from(taker, role);
    if consent {
        doc["consent"] =
            json!({"granted_at": hours_ago(1), "granted_by": "family", "method": "oral"});
    }
    let r = s.post_json(taker, "/v1/intakes", &doc);
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    r.json::<Value>().unwrap()["intake_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn request(intake_id: &str, recipient: &str) -> Value {
    json!({
        "intake_id": intake_id,
        "recipient": recipient,
        "purpose": "emergency_acceptance",
        "request": {"service_type": "short_stay", "start_on": "2026-10-14"}
    })
}

fn vital_interest(intake_id: &str, recipient: &str) -> Value {
    let mut body = request(intake_id, recipient);
    body["legal_basis"] = json!("vital_interest");
    body["reason"] = json!("同居の母が入院し、本人の同意を確かめる手段がない。");
    body
}

fn handoffs_of(s: &TestServer, intake_id: &str) -> Vec<Value> {
    let page: Value = s
        .get_json("city-1", &format!("/v1/handoffs?intake_id={intake_id}"))
        .json()
        .unwrap();
    page["items"].as_array().unwrap().clone()
}

#[test]
fn a_packet_from_an_intake_carries_the_intake_and_its_consent_and_nothing_of_a_registration() {
    let s = exchange();
    let id = intake(&s, "office", "consultation_office", true);
    let r = s.post_json("office", "/v1/handoffs", &request(&id, FACILITY));
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    let created: Value = r.json().unwrap();
    assert_eq!(created["legal_basis"], "consent");
    assert_eq!(
        created["disclosed_categories"],
        json!(["care_status", "certificates", "identity"]),
        "what the intake holds (no medical care, no services named)"
    );
    let handoff = created["handoff_id"].as_str().unwrap();

    let jose = s.get(
        FACILITY,
        &format!("/v1/handoffs/{handoff}"),
        "application/jose",
    );
    assert_eq!(jose.status(), 200);
    let packet = open(&s, &jose.bytes().unwrap()).expect("signed by the exchange");
    let doc = packet.document;
    let stored: Value = s
        .get_json("office", &format!("/v1/intakes/{id}"))
        .json()
        .unwrap();
    assert_eq!(doc["intake_ref"], json!({"intake_id": id}));
    assert_eq!(doc.get("registration_ref"), None);
    assert_eq!(doc["subject"]["person"], stored["person"]);
    assert_eq!(doc["subject"]["certificates"], stored["certificates"]);
    assert_eq!(
        doc["situation"], stored["situation"],
        "the intake's situation"
    );
    let granted_on =
        chrono::DateTime::parse_from_rfc3339(stored["consent"]["granted_at"].as_str().unwrap())
            .unwrap()
            .with_timezone(&kyoten::time::jst())
            .date_naive()
            .to_string();
    assert_eq!(
        doc["consent_ref"],
        json!({"legal_basis": "consent", "granted_on": granted_on, "granted_by": "family", "method": "oral"})
    );
    for field in ["consent", "received_by", "intake_id", "municipality_code"] {
        assert_eq!(
            doc["subject"].get(field),
            None,
            "{field} is not the person's data"
        );
    }
    assert!(!jwks(&s).is_empty());

    let view: Value = s
        .get_json("office", &format!("/v1/handoffs/{handoff}"))
        .json()
        .unwrap();
    assert_eq!(view["intake_id"], id.as_str());
    assert_eq!(view.get("registration_id"), None);
    assert_eq!(view["status"], "received");
    let listed = handoffs_of(&s, &id);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["handoff_id"], handoff);
}

#[test]
fn the_recipient_accepts_a_packet_from_an_intake_and_both_provisions_name_the_intake() {
    let s = exchange();
    let id = intake(&s, "kikan-1", "kikan", false);
    let created: Value = s
        .post_json("kikan-1", "/v1/handoffs", &vital_interest(&id, FACILITY))
        .json()
        .unwrap();
    let handoff = created["handoff_id"].as_str().unwrap();
    assert_eq!(created["break_glass"], true);
    let xml = s.get(
        FACILITY,
        &format!("/v1/handoffs/{handoff}"),
        "application/xml",
    );
    assert_eq!(xml.status(), 200);
    let bytes = xml.bytes().unwrap().to_vec();
    assert!(String::from_utf8_lossy(&bytes).contains("<intake_ref>"));
    for status in ["accepted", "admitted"] {
        let body = json!({
            "document_type": "handoff_response", "schema_version": "1.0.0",
            "handoff_id": handoff,
            "responder": {"organization_id": FACILITY, "role": "facility"},
            "status": status, "at": hours_ago(0),
        });
        let r = s.post_json(
            FACILITY,
            &format!("/v1/handoffs/{handoff}/responses"),
            &body,
        );
        assert_eq!(r.status(), 201, "{status}: {}", r.text().unwrap());
    }
    let records = provisions(&s, &id);
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["provided", "received"]);
    for r in &records {
        assert_eq!(r["person"], id.as_str());
        assert_eq!(r["legal_basis"], "vital_interest");
    }
    let verified: Value = s
        .post_bytes(FACILITY, "/v1/verify", "application/xml", bytes)
        .json()
        .unwrap();
    assert_eq!(verified["verdict"], "valid", "{verified}");
    let chain = s.get_json("city-1", "/v1/audit?record_type=emergency_intake");
    assert_eq!(chain.status(), 200);
}

#[test]
fn without_a_recorded_consent_only_a_coordinator_sends_and_only_with_a_reason() {
    let s = exchange();
    let id = intake(&s, "office", "consultation_office", false);
    assert_eq!(
        problem_type(s.post_json("office", "/v1/handoffs", &request(&id, FACILITY))),
        "intake-without-consent"
    );
    assert_eq!(
        problem_type(s.post_json("office", "/v1/handoffs", &vital_interest(&id, FACILITY))),
        "break-glass-not-allowed"
    );
    let mut no_reason = vital_interest(&id, FACILITY);
    no_reason.as_object_mut().unwrap().remove("reason");
    assert_eq!(
        problem_type(s.post_json("kikan-1", "/v1/handoffs", &no_reason)),
        "invalid-handoff-request"
    );
    assert!(handoffs_of(&s, &id).is_empty(), "nothing stored");
    let r = s.post_json("kikan-1", "/v1/handoffs", &vital_interest(&id, FACILITY));
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
}

#[test]
fn requests_the_intake_cannot_answer_are_refused_and_store_nothing() {
    let s = exchange();
    let id = intake(&s, "office", "consultation_office", true);
    let mut preparation = request(&id, FACILITY);
    preparation["purpose"] = json!("emergency_preparation");
    let mut both = request(&id, FACILITY);
    both["registration_id"] = json!("reg_x");
    let mut blank = request(&id, FACILITY);
    blank["intake_id"] = json!(" ");
    let mut neither = request(&id, FACILITY);
    neither.as_object_mut().unwrap().remove("intake_id");
    for (body, field) in [
        (&preparation, "purpose"),
        (&both, "intake_id"),
        (&blank, "intake_id"),
        (&neither, "registration_id"),
    ] {
        let r = s.post_json("office", "/v1/handoffs", body);
        assert_eq!(r.status(), 422);
        let problem: Value = r.json().unwrap();
        assert!(problem["type"]
            .as_str()
            .unwrap()
            .ends_with("invalid-handoff-request"));
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(&format!("項目 {field} ")), "{detail}");
    }
    // An intake the caller may not see is not found, whoever else holds it.
    for (caller, intake_id) in [("other-office", id.as_str()), ("office", "int_none")] {
        let r = s.post_json(caller, "/v1/handoffs", &request(intake_id, FACILITY));
        assert_eq!(problem_type(r), "not-found", "{caller}");
    }
    assert!(handoffs_of(&s, &id).is_empty());
    assert!(provisions(&s, &id).is_empty());
}

#[test]
fn an_intake_that_became_a_registration_sends_from_the_registration() {
    let s = exchange();
    let id = intake(&s, "kikan-1", "kikan", true);
    let mut form = crate::fixtures::registration_from("kikan-1");
    form["received_by"]["role"] = json!("kikan");
    let r = s.post_json(
        "kikan-1",
        &format!("/v1/registrations?from_intake={id}"),
        &form,
    );
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    let r = s.post_json("kikan-1", "/v1/handoffs", &request(&id, FACILITY));
    assert_eq!(r.status(), 409);
    let problem: Value = r.json().unwrap();
    assert!(problem["type"]
        .as_str()
        .unwrap()
        .ends_with("intake-already-registered"));
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("registration_id"),
        "{problem}"
    );
}

#[test]
fn a_signed_packet_from_an_intake_must_match_the_intake_and_its_consent() {
    let s = exchange();
    let id = intake(&s, "office", "consultation_office", true);
    let stored: Value = s
        .get_json("office", &format!("/v1/intakes/{id}"))
        .json()
        .unwrap();
    let key = register_key(&s, "office");
    let mut doc =
        read_json(&repo().join("conformance/vectors/handoff/valid/intake_consent_osaka.json"));
    doc["sender"] = json!({"organization_id": "office", "role": "consultation_office"});
    doc["recipient"] = json!({"organization_id": FACILITY, "role": "facility"});
    doc["intake_ref"] = json!({"intake_id": id});
    doc["issued_at"] = json!(hours_ago(0));
    doc["expires_at"] = json!((chrono::Utc::now() + chrono::Duration::hours(12)).to_rfc3339());
    doc["situation"] = stored["situation"].clone();
    doc["subject"] = json!({"person": stored["person"], "certificates": stored["certificates"]});
    doc["disclosed_categories"] = json!(["certificates", "identity"]);
    doc["consent_ref"]["granted_by"] = json!("family");
    let sign = |d: &Value| {
        let header = json!({"alg": "ES256", "kid": key.kid, "typ": "handoff+jws"});
        crate::handoffs::raw_es256(&header, kyoten::crypto::jcs::canonical(d).as_slice(), &key)
    };
    let mut changed = doc.clone();
    changed["subject"]["person"]["age"] = json!(35);
    let r = submit(&s, "office", &sign(&changed));
    assert_eq!(r.status(), 422, "{}", r.text().unwrap());
    assert_eq!(r.json::<Value>().unwrap()["verdict"], "subject_mismatch");
    let mut elsewhere = doc.clone();
    elsewhere["intake_ref"] = json!({"intake_id": "int_none"});
    let r = submit(&s, "office", &sign(&elsewhere));
    assert_eq!(r.json::<Value>().unwrap()["verdict"], "unknown_intake");
    assert!(handoffs_of(&s, &id).is_empty());

    let r = submit(&s, "office", &sign(&doc));
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    assert_eq!(handoffs_of(&s, &id).len(), 1);
}

/// Every row of the handoff tables, as text, in a fixed order.
fn handoff_tables(s: &TestServer) -> Vec<String> {
    use diesel::prelude::*;
    use kyoten::store::handoffs::{Handoff, Packet, Response};
    use kyoten::store::provisions::ProvisionRecord;
    use kyoten::store::schema::{handoff_packets, handoff_responses, handoffs, provision_records};
    let conn = &mut *s.store.conn().unwrap();
    let mut rows: Vec<String> = handoffs::table
        .order(handoffs::id)
        .select(Handoff::as_select())
        .load(conn)
        .unwrap()
        .iter()
        .map(|h| format!("{h:?}"))
        .collect();
    let packets: Vec<Packet> = handoff_packets::table
        .order((handoff_packets::handoff_id, handoff_packets::form))
        .select(Packet::as_select())
        .load(conn)
        .unwrap();
    let responses: Vec<Response> = handoff_responses::table
        .order((handoff_responses::handoff_id, handoff_responses::seq))
        .select(Response::as_select())
        .load(conn)
        .unwrap();
    let provisions: Vec<ProvisionRecord> = provision_records::table
        .order(provision_records::id)
        .select(ProvisionRecord::as_select())
        .load(conn)
        .unwrap();
    rows.extend(packets.iter().map(|p| format!("{p:?}")));
    rows.extend(responses.iter().map(|r| format!("{r:?}")));
    rows.extend(provisions.iter().map(|p| format!("{p:?}")));
    rows
}

#[test]
fn handoffs_stored_before_intake_packets_existed_keep_every_row_through_the_migration() {
    use diesel::connection::SimpleConnection;
    use diesel_migrations::MigrationHarness;
    use kyoten::store::DbConnection;
    let s = exchange();
    let reg = crate::handoffs::register(&s, "office", None);
    let created = crate::handoffs::send(&s, "office", &crate::handoffs::request(&reg, FACILITY));
    let id = created["handoff_id"].as_str().unwrap();
    let fetched = s.get(FACILITY, &format!("/v1/handoffs/{id}"), "application/jose");
    assert_eq!(fetched.status(), 200);
    let before = handoff_tables(&s);
    assert_eq!(
        before.len(),
        1 + 2 + 1 + 2,
        "a handoff, two forms, a receipt, two provisions"
    );

    {
        let mut conn = s.store.conn().unwrap();
        // Down to before the intake-handoff migration (it and every later one), then up again
        // over the data.
        let mut reverted = Vec::new();
        while reverted.last().map(String::as_str) != Some("20261201000003") {
            let version = match &mut *conn {
                DbConnection::Sqlite(c) => c
                    .revert_last_migration(kyoten::store::SQLITE_MIGRATIONS)
                    .map(|v| v.to_string()),
                DbConnection::Postgresql(c) => c
                    .revert_last_migration(kyoten::store::POSTGRES_MIGRATIONS)
                    .map(|v| v.to_string()),
            }
            .unwrap();
            assert!(version.as_str() >= "20261201000003", "{version}");
            reverted.push(version);
        }
        conn.batch_execute("SELECT 1").unwrap();
    }
    s.store.migrate().unwrap();
    assert_eq!(handoff_tables(&s), before);
    let mut conn = s.store.conn().unwrap();
    if let DbConnection::Sqlite(c) = &mut *conn {
        #[derive(diesel::QueryableByName)]
        struct Violation {
            #[diesel(sql_type = diesel::sql_types::Text)]
            table: String,
        }
        let violations: Vec<Violation> =
            diesel::RunQueryDsl::load(diesel::sql_query("PRAGMA foreign_key_check"), c).unwrap();
        let tables: Vec<&str> = violations.iter().map(|v| v.table.as_str()).collect();
        assert!(tables.is_empty(), "{tables:?}");
    }
    drop(conn);
    let mut conn = s.store.conn().unwrap();
    kyoten::store::chain::seal_all(&mut conn).unwrap();
    let report = kyoten::store::integrity::verify(&mut conn, &[], None).unwrap();
    assert!(report.intact, "{report:?}");
}

#[test]
fn a_vital_interest_packet_cites_the_article_that_applies_to_its_sender() {
    let s = exchange();
    let id = intake(&s, "kikan-1", "kikan", false);
    for (sender, article) in [("kikan-1", "appi_27_1_2"), ("city-1", "appi_69_2_4")] {
        let created: Value = s
            .post_json(sender, "/v1/handoffs", &vital_interest(&id, FACILITY))
            .json()
            .unwrap();
        let handoff = created["handoff_id"].as_str().unwrap();
        let jose = s.get(
            FACILITY,
            &format!("/v1/handoffs/{handoff}"),
            "application/jose",
        );
        let doc = open(&s, &jose.bytes().unwrap()).unwrap().document;
        assert_eq!(doc["consent_ref"]["provision"], article, "{sender}");
        let recorded = provisions(&s, &id)
            .into_iter()
            .find(|r| r["handoff_id"] == handoff)
            .unwrap();
        assert_eq!(recorded["consent_ref"]["provision"], article, "{sender}");
    }
}

#[test]
fn once_the_intake_becomes_a_registration_its_provision_records_are_the_registrations_too() {
    let s = exchange();
    let id = intake(&s, "kikan-1", "kikan", false);
    let created: Value = s
        .post_json("kikan-1", "/v1/handoffs", &vital_interest(&id, FACILITY))
        .json()
        .unwrap();
    assert_eq!(provisions(&s, &id).len(), 1);
    let mut form = crate::fixtures::registration_from("kikan-1");
    form["received_by"]["role"] = json!("kikan");
    let r = s.post_json(
        "kikan-1",
        &format!("/v1/registrations?from_intake={id}"),
        &form,
    );
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    let reg = r.json::<Value>().unwrap()["registration_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let records = provisions(&s, &reg);
    assert_eq!(
        records.len(),
        1,
        "the intake's provision, found by the registration"
    );
    assert_eq!(records[0]["handoff_id"], created["handoff_id"]);
    assert_eq!(records[0]["person"], id.as_str(), "as it was recorded");
    // Another registration's records do not include it.
    let other = crate::handoffs::register(&s, "office", None);
    assert!(provisions(&s, &other).is_empty());
}
