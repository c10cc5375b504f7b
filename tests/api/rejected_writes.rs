//! A request refused for any reason leaves the database exactly as it was: every row of every
//! table, compared before and after.
use crate::fixtures::*;
use crate::helpers::*;
use diesel::prelude::*;
use kyoten::domain::role::Role;
use kyoten::store::schema::*;
use kyoten::store::DbConnection;
use reqwest::blocking::RequestBuilder;
use serde_json::{json, Value};

const FACILITY: &str = "0410000031";
const ORGS: [(&str, Role, &str); 5] = [
    ("city-1", Role::City, "見本市"),
    ("office", Role::ConsultationOffice, "見本相談支援事業所"),
    (
        "other-office",
        Role::ConsultationOffice,
        "別の相談支援事業所",
    ),
    (FACILITY, Role::Facility, "見本施設"),
    ("0410000032", Role::Facility, "別の施設"),
];

type ServiceHead = (
    String,
    i32,
    String,
    Option<String>,
    i32,
    i32,
    chrono::NaiveDateTime,
);
type HandoffHead = (
    String,
    Option<String>,
    Option<i32>,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
);
type HandoffTail = (String, i32, String, String, String, T, T, T);
type ProvisionHead = (String, T, String, String, String, String, String);
type ProvisionTail = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
);
type T = chrono::NaiveDateTime;
type ServiceTail = (
    String,
    String,
    bool,
    String,
    Option<String>,
    Option<String>,
    bool,
);

/// Every row of every table, in a fixed order, as text — after sealing what earlier writes left
/// pending (PostgreSQL), as every instance's sealer does moments after a commit, so that two
/// snapshots differ only by what was written between them.
pub fn snapshot(conn: &mut DbConnection) -> Vec<String> {
    kyoten::store::chain::seal_all(conn).unwrap();
    let mut rows = Vec::new();
    macro_rules! dump {
        ($table:expr, $order:expr, $ty:ty) => {
            let loaded: Vec<$ty> = $table.order($order).load(conn).unwrap();
            rows.push(format!("{} rows", loaded.len()));
            rows.extend(loaded.iter().map(|r| format!("{r:?}")));
        };
    }
    dump!(
        organizations::table,
        organizations::id,
        (String, String, String, T, Option<String>)
    );
    dump!(
        api_keys::table,
        api_keys::id,
        (String, String, String, T, Option<T>)
    );
    dump!(
        registrations::table,
        registrations::id,
        (
            String,
            i32,
            String,
            String,
            String,
            String,
            T,
            T,
            Option<String>,
            Option<String>,
            Option<chrono::NaiveDate>,
            Option<chrono::NaiveDate>
        )
    );
    dump!(
        municipality_settings::table,
        municipality_settings::municipality_code,
        (String, i32, T)
    );
    dump!(
        office_assignments::table,
        (office_assignments::registration_id, office_assignments::seq),
        (String, i32, Option<String>, String, T)
    );
    dump!(
        registration_versions::table,
        (
            registration_versions::registration_id,
            registration_versions::version
        ),
        (String, i32, String, T, String, String)
    );
    dump!(
        access_records::table,
        access_records::id,
        (
            String,
            T,
            String,
            String,
            String,
            String,
            String,
            String,
            Option<i64>,
            Option<String>
        )
    );
    // The record chain's head moves with every record; the checkpoints table is left out, as
    // the server signs checkpoints in the background whenever one is due.
    dump!(
        chain_head::table,
        chain_head::id,
        (
            i32,
            i64,
            Option<String>,
            Option<String>,
            i64,
            Option<String>,
            i64,
            Option<String>
        )
    );
    dump!(
        facilities::table,
        facilities::id,
        (
            String,
            String,
            i32,
            String,
            Option<String>,
            String,
            bool,
            String,
            bool,
            String,
            T,
            T
        )
    );
    // More columns than a tuple can print: in two halves.
    use facility_services as fs;
    let services: Vec<(ServiceHead, ServiceTail)> = fs::table
        .select((
            (
                fs::facility_id,
                fs::position,
                fs::service_type,
                fs::variant,
                fs::capacity,
                fs::vacancies,
                fs::vacancy_as_of,
            ),
            (
                fs::targets,
                fs::medical_care,
                fs::behavioral_support,
                fs::survey_group,
                fs::ward,
                fs::hub_functions,
                fs::emergency_room,
            ),
        ))
        .order((fs::facility_id, fs::position))
        .load(conn)
        .unwrap();
    rows.push(format!("{} rows", services.len()));
    rows.extend(services.iter().map(|r| format!("{r:?}")));
    dump!(
        idempotency_keys::table,
        (idempotency_keys::organization_id, idempotency_keys::key),
        (
            String,
            String,
            String,
            Option<i32>,
            Option<String>,
            Option<Vec<u8>>,
            T
        )
    );
    dump!(
        signing_keys::table,
        signing_keys::kid,
        (
            String,
            Option<String>,
            String,
            String,
            Option<String>,
            Option<String>,
            T,
            Option<T>
        )
    );
    use handoffs as h;
    let handoff_rows: Vec<(HandoffHead, HandoffTail)> = h::table
        .select((
            (
                h::id,
                h::registration_id,
                h::registration_version,
                h::intake_id,
                h::sender_id,
                h::recipient_id,
                h::purpose,
                h::legal_basis,
                h::categories,
            ),
            (
                h::status,
                h::version,
                h::document,
                h::content_sha256,
                h::origin,
                h::expires_at,
                h::created_at,
                h::updated_at,
            ),
        ))
        .order(h::id)
        .load(conn)
        .unwrap();
    rows.push(format!("{} rows", handoff_rows.len()));
    rows.extend(handoff_rows.iter().map(|r| format!("{r:?}")));
    dump!(
        handoff_packets::table,
        (handoff_packets::handoff_id, handoff_packets::form),
        (String, String, String, String)
    );
    dump!(
        handoff_responses::table,
        (handoff_responses::handoff_id, handoff_responses::seq),
        (String, i32, String, String, String, T)
    );
    use provision_records as p;
    let provisions: Vec<(ProvisionHead, ProvisionTail)> = p::table
        .select((
            (
                p::id,
                p::at,
                p::kind,
                p::handoff_id,
                p::registration_id,
                p::sender_id,
                p::recipient_id,
            ),
            (
                p::purpose,
                p::categories,
                p::legal_basis,
                p::consent_ref,
                p::form,
                p::sha256,
                p::kid,
                p::chain_seq,
                p::chain_hash,
            ),
        ))
        .order(p::id)
        .load(conn)
        .unwrap();
    rows.push(format!("{} rows", provisions.len()));
    rows.extend(provisions.iter().map(|r| format!("{r:?}")));
    rows
}

/// A vital-interest handoff from the city (the consent is withdrawn) to the facility.
fn break_glass_request(registration_id: &str) -> Value {
    json!({
        "registration_id": registration_id, "recipient": FACILITY,
        "purpose": "emergency_acceptance",
        "legal_basis": "vital_interest", "reason": "本人の保護のため直ちに提供が必要。",
        "situation": {"kind": "caregiver_unavailable", "occurred_at": hours_ago(1),
                      "description": "主たる介護者が救急搬送された。", "urgency": "same_day"},
        "request": {"service_type": "short_stay", "start_on": "2026-01-20"}
    })
}

#[test]
fn every_refused_write_leaves_every_table_exactly_as_it_was() {
    let server = TestServer::isolated(&ORGS);
    let c = client();
    // State to refuse changes against: a registration (consent withdrawn once) and a facility.
    let created = c
        .post(server.url("/v1/registrations"))
        .bearer_auth(server.key("office"))
        .header("Idempotency-Key", "used-once")
        .json(&registration_from("office"))
        .send()
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().unwrap();
    let id = created["registration_id"].as_str().unwrap().to_owned();
    let answer = c
        .post(server.url(&format!("/v1/registrations/{id}/consent-withdrawal")))
        .bearer_auth(server.key("office"))
        .send()
        .unwrap();
    assert_eq!(answer.status(), 200);
    // The whole document as the office keeps it, with the withdrawal recorded.
    let mut withdrawn = created.clone();
    withdrawn["consent"] = answer.json::<Value>().unwrap()["consent"].clone();
    let record = facility(FACILITY, "青葉区", "A", vec![service("short_stay", 1, &[])]);
    let put = c
        .put(server.url(&format!("/v1/facilities/{FACILITY}")))
        .bearer_auth(server.key(FACILITY))
        .json(&record)
        .send()
        .unwrap();
    assert_eq!(put.status(), 201);

    let glass = c
        .post(server.url("/v1/handoffs"))
        .bearer_auth(server.key("city-1"))
        .json(&break_glass_request(&id))
        .send()
        .unwrap();
    assert_eq!(glass.status(), 201, "{}", glass.text().unwrap_or_default());
    let handoff = glass.json::<Value>().unwrap()["handoff_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let accept_now = json!({
        "document_type": "handoff_response", "schema_version": "1.0.0", "handoff_id": handoff,
        "responder": {"organization_id": FACILITY, "role": "facility"},
        "status": "accepted", "at": hours_ago(0)
    });
    let stranger = kyoten::crypto::keys::generate(kyoten::crypto::jws::Alg::Es256).unwrap();
    let forged = kyoten::crypto::jws::sign(
        &json!({"document_type": "handoff"}),
        "handoff+jws",
        &stranger,
    )
    .unwrap();
    let mut consent_request = break_glass_request(&id);
    consent_request["legal_basis"] = json!("consent");
    consent_request.as_object_mut().unwrap().remove("reason");

    let reg = format!("/v1/registrations/{id}");
    let fac = format!("/v1/facilities/{FACILITY}");
    let mut changed = registration_from("office");
    changed["registration_id"] = json!(id);
    let invalid: Value = serde_json::from_slice(&shortstay_without_reason()).unwrap();
    let mut moved_withdrawal = withdrawn.clone();
    moved_withdrawal["consent"]["withdrawn_on"] = json!("2026-01-05");
    let mut taken_over = withdrawn.clone();
    taken_over["received_by"]["organization_id"] = json!("other-office");
    let mut over = record.clone();
    over["services"][0]["vacancies"] = json!(9);
    let huge = vec![b' '; 2 * 1024 * 1024];
    let mut other_body = registration_from("office");
    other_body["reason_note"] = json!("別の内容");
    let refused: Vec<(&str, u16, RequestBuilder)> = vec![
        (
            "invalid registration",
            422,
            c.post(server.url("/v1/registrations"))
                .bearer_auth(server.key("office"))
                .json(&invalid),
        ),
        (
            "malformed JSON",
            400,
            c.post(server.url("/v1/registrations"))
                .bearer_auth(server.key("office"))
                .header("content-type", "application/json")
                .body("{\"a\":"),
        ),
        (
            "not JSON or XML",
            415,
            c.post(server.url("/v1/registrations"))
                .bearer_auth(server.key("office"))
                .header("content-type", "text/plain")
                .body("x"),
        ),
        (
            "too large",
            413,
            c.post(server.url("/v1/registrations"))
                .bearer_auth(server.key("office"))
                .header("content-type", "application/json")
                .body(huge.clone()),
        ),
        (
            "too large with a key",
            413,
            c.post(server.url("/v1/registrations"))
                .bearer_auth(server.key("office"))
                .header("Idempotency-Key", "big")
                .header("content-type", "application/json")
                .body(huge),
        ),
        (
            "the city submits",
            403,
            c.post(server.url("/v1/registrations"))
                .bearer_auth(server.key("city-1"))
                .json(&registration_from("city-1")),
        ),
        (
            "another office's name",
            422,
            c.post(server.url("/v1/registrations"))
                .bearer_auth(server.key("office"))
                .json(&registration_from("other-office")),
        ),
        (
            "no key",
            401,
            c.post(server.url("/v1/registrations"))
                .json(&registration_from("office")),
        ),
        (
            "key reused for another body",
            422,
            c.post(server.url("/v1/registrations"))
                .bearer_auth(server.key("office"))
                .header("Idempotency-Key", "used-once")
                .json(&other_body),
        ),
        (
            "change without If-Match",
            428,
            c.put(server.url(&reg))
                .bearer_auth(server.key("office"))
                .json(&changed),
        ),
        (
            "stale change",
            412,
            c.put(server.url(&reg))
                .bearer_auth(server.key("office"))
                .header("If-Match", "\"1\"")
                .json(&changed),
        ),
        (
            "change by an outsider",
            404,
            c.put(server.url(&reg))
                .bearer_auth(server.key("other-office"))
                .header("If-Match", "\"2\"")
                .json(&changed),
        ),
        (
            "change by the city",
            403,
            c.put(server.url(&reg))
                .bearer_auth(server.key("city-1"))
                .header("If-Match", "\"2\"")
                .json(&changed),
        ),
        (
            "invalid change",
            422,
            c.put(server.url(&reg))
                .bearer_auth(server.key("office"))
                .header("If-Match", "\"2\"")
                .json(&invalid),
        ),
        (
            "a change that drops the withdrawal",
            409,
            c.put(server.url(&reg))
                .bearer_auth(server.key("office"))
                .header("If-Match", "\"2\"")
                .json(&changed),
        ),
        (
            "a change that moves the withdrawal",
            409,
            c.put(server.url(&reg))
                .bearer_auth(server.key("office"))
                .header("If-Match", "\"2\"")
                .json(&moved_withdrawal),
        ),
        (
            "a change that names another office as received_by",
            409,
            c.put(server.url(&reg))
                .bearer_auth(server.key("office"))
                .header("If-Match", "\"2\"")
                .json(&taken_over),
        ),
        (
            "second withdrawal",
            409,
            c.post(server.url(&format!("{reg}/consent-withdrawal")))
                .bearer_auth(server.key("office")),
        ),
        (
            "facility update without If-Match",
            428,
            c.put(server.url(&fac))
                .bearer_auth(server.key(FACILITY))
                .json(&record),
        ),
        (
            "stale facility update",
            412,
            c.put(server.url(&fac))
                .bearer_auth(server.key(FACILITY))
                .header("If-Match", "\"7\"")
                .json(&record),
        ),
        (
            "vacancies over capacity",
            422,
            c.put(server.url(&fac))
                .bearer_auth(server.key(FACILITY))
                .header("If-Match", "\"1\"")
                .json(&over),
        ),
        (
            "another facility's record",
            403,
            c.put(server.url(&fac))
                .bearer_auth(server.key("0410000032"))
                .json(&record),
        ),
        (
            "vacancy update over capacity",
            422,
            c.patch(server.url(&format!("{fac}/vacancies")))
                .bearer_auth(server.key(FACILITY))
                .json(&json!({"vacancies": [{"service_type": "short_stay", "vacancies": 9}]})),
        ),
        (
            "vacancy update of an unknown service",
            422,
            c.patch(server.url(&format!("{fac}/vacancies")))
                .bearer_auth(server.key(FACILITY))
                .json(&json!({"vacancies": [{"service_type": "group_home", "vacancies": 1}]})),
        ),
        (
            "a handoff on a withdrawn consent",
            409,
            c.post(server.url("/v1/handoffs"))
                .bearer_auth(server.key("office"))
                .json(&consent_request),
        ),
        (
            "break-glass by a consultation office",
            403,
            c.post(server.url("/v1/handoffs"))
                .bearer_auth(server.key("office"))
                .json(&break_glass_request(&id)),
        ),
        (
            "a handoff to an unknown recipient",
            422,
            c.post(server.url("/v1/handoffs"))
                .bearer_auth(server.key("city-1"))
                .json(&{
                    let mut r = break_glass_request(&id);
                    r["recipient"] = json!("nobody");
                    r
                }),
        ),
        (
            "a packet signed by an unregistered key",
            422,
            c.post(server.url("/v1/handoffs"))
                .bearer_auth(server.key("office"))
                .header("content-type", "application/jose")
                .body(forged),
        ),
        (
            "a signed XML packet with a DOCTYPE",
            400,
            c.post(server.url("/v1/handoffs"))
                .bearer_auth(server.key("office"))
                .header("content-type", "application/xml")
                .body("<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x \"y\">]><handoff>&x;</handoff>"),
        ),
        (
            "acceptance before receipt",
            409,
            c.post(server.url(&format!("/v1/handoffs/{handoff}/responses")))
                .bearer_auth(server.key(FACILITY))
                .json(&accept_now),
        ),
        (
            "a response by a facility that is not the recipient",
            404,
            c.post(server.url(&format!("/v1/handoffs/{handoff}/responses")))
                .bearer_auth(server.key("0410000032"))
                .json(&{
                    let mut r = accept_now.clone();
                    r["responder"] = json!({"organization_id": "0410000032", "role": "facility"});
                    r
                }),
        ),
        (
            "a private JWK as a public key",
            422,
            c.post(server.url("/v1/keys"))
                .bearer_auth(server.key("office"))
                .json(&json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"})),
        ),
        (
            "retiring a key of another organization",
            404,
            c.post(server.url("/v1/keys/NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs/retire"))
                .bearer_auth(server.key("office")),
        ),
        (
            "vacancy update by another facility",
            403,
            c.patch(server.url(&format!("{fac}/vacancies")))
                .bearer_auth(server.key("0410000032"))
                .json(&json!({"vacancies": [{"service_type": "short_stay", "vacancies": 0}]})),
        ),
    ];
    let before = snapshot(&mut server.store.conn().unwrap());
    for (what, status, req) in refused {
        let res = req.send().unwrap();
        assert_eq!(
            res.status().as_u16(),
            status,
            "{what}: {}",
            res.text().unwrap_or_default()
        );
        let after = snapshot(&mut server.store.conn().unwrap());
        assert_eq!(after, before, "{what} changed the database");
    }
}
