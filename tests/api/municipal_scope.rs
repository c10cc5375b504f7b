//! Municipal scope: one deployment serves several municipalities; a city, its kikan and its
//! hubs see only the people of their own municipalities (or of one ward of a designated city),
//! and cannot register people of another; an organization without a scope serves the whole
//! deployment.
use crate::fixtures::{facility, hours_ago, intake_from, registration_from, service};
use crate::helpers::*;
use kyoten::domain::role::Role;
use kyoten::domain::scope::Scope;
use kyoten::store::organizations;
use serde_json::{json, Value};

const FACILITY: &str = "0411200015";

/// Sendai (041009) with a kikan for the city and one for 青葉区, Ishinomaki (042021) with its
/// kikan, a prefecture-wide coordinator, an office and a facility serving everyone.
fn exchange() -> TestServer {
    let s = TestServer::isolated(&[
        ("kikan-sendai", Role::Kikan, "仙台市基幹相談支援センター"),
        ("kikan-aoba", Role::Kikan, "青葉区基幹相談支援センター"),
        ("city-sendai", Role::City, "仙台市"),
        (
            "kikan-ishinomaki",
            Role::Kikan,
            "石巻市基幹相談支援センター",
        ),
        ("hub-prefecture", Role::Hub, "県域の拠点"),
        ("office", Role::ConsultationOffice, "見本相談支援事業所"),
        (FACILITY, Role::Facility, "見本短期入所"),
    ]);
    let mut conn = s.store.conn().unwrap();
    for (org, scope) in [
        ("kikan-sendai", "041009"),
        ("city-sendai", "041009"),
        ("kikan-aoba", "041009/青葉区"),
        ("kikan-ishinomaki", "042021"),
    ] {
        let scope = Scope::parse(Some(scope)).unwrap();
        assert!(organizations::set_scope(&mut conn, org, &scope).unwrap());
    }
    s
}

/// A person of Sendai 青葉区 (the full vector) and one of Ishinomaki, registered by the office.
fn register_both(s: &TestServer) -> (String, String) {
    let sendai = s.register_document("office", &registration_from("office"));
    let mut doc = read_json(
        &repo().join("conformance/vectors/registration/valid/aging_mother_ishinomaki.json"),
    );
    doc.as_object_mut().unwrap().remove("registration_id");
    doc["received_by"] = json!({"organization_id": "office", "role": "consultation_office"});
    let ishinomaki = s.register_document("office", &doc);
    (sendai, ishinomaki)
}

fn listed(s: &TestServer, org: &str, path: &str, key: &str) -> Vec<String> {
    let r = s.get_json(org, path);
    assert_eq!(r.status(), 200, "{org} {path}: {}", r.text().unwrap());
    r.json::<Value>().unwrap()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[key].as_str().unwrap().to_owned())
        .collect()
}

fn status(s: &TestServer, org: &str, path: &str) -> u16 {
    s.get_json(org, path).status().as_u16()
}

#[test]
fn a_kikan_reads_and_lists_only_the_people_of_its_municipality() {
    let s = exchange();
    let (sendai, ishinomaki) = register_both(&s);
    for (org, sees, hidden) in [
        ("kikan-sendai", &sendai, &ishinomaki),
        ("city-sendai", &sendai, &ishinomaki),
        ("kikan-ishinomaki", &ishinomaki, &sendai),
    ] {
        assert_eq!(status(&s, org, &format!("/v1/registrations/{sees}")), 200);
        assert_eq!(
            status(&s, org, &format!("/v1/registrations/{hidden}")),
            404,
            "{org}: another municipality's person is not known to exist"
        );
        for path in [
            "versions",
            "candidates?situation=caregiver_unavailable",
            "responsible-office",
        ] {
            assert_eq!(
                status(&s, org, &format!("/v1/registrations/{hidden}/{path}")),
                404,
                "{org} {path}"
            );
        }
        assert_eq!(
            listed(&s, org, "/v1/registrations", "registration_id"),
            std::slice::from_ref(sees)
        );
    }
    // Without a scope: the whole deployment.
    let mut all = listed(&s, "hub-prefecture", "/v1/registrations", "registration_id");
    all.sort();
    let mut both = vec![sendai, ishinomaki];
    both.sort();
    assert_eq!(all, both);
}

#[test]
fn a_ward_kikan_sees_the_people_of_its_ward_only() {
    let s = exchange();
    let (aoba, ishinomaki) = register_both(&s);
    let mut doc = registration_from("office");
    doc["registrant"]["address"]["line"] = json!("泉区架空町三丁目4番5号");
    let izumi = s.register_document("office", &doc);
    assert_eq!(
        status(&s, "kikan-aoba", &format!("/v1/registrations/{aoba}")),
        200
    );
    for hidden in [&izumi, &ishinomaki] {
        assert_eq!(
            status(&s, "kikan-aoba", &format!("/v1/registrations/{hidden}")),
            404
        );
    }
    assert_eq!(
        listed(&s, "kikan-aoba", "/v1/registrations", "registration_id"),
        std::slice::from_ref(&aoba)
    );
    let mut city = listed(&s, "kikan-sendai", "/v1/registrations", "registration_id");
    city.sort();
    let mut sendai = vec![aoba, izumi];
    sendai.sort();
    assert_eq!(city, sendai, "the city's kikan sees every ward");
}

#[test]
fn a_search_finds_only_the_people_of_the_callers_municipalities() {
    let s = exchange();
    let (sendai, ishinomaki) = register_both(&s);
    let search = |org: &str, body: Value| -> Vec<String> {
        let r = s.post_json(org, "/v1/search/registrations", &body);
        assert_eq!(r.status(), 200, "{}", r.text().unwrap());
        r.json::<Value>().unwrap()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["registration_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let ishinomaki_phone = json!({"phone": "0225-00-0000", "purpose": "emergency_acceptance"});
    assert!(search("kikan-sendai", ishinomaki_phone.clone()).is_empty());
    assert_eq!(search("kikan-ishinomaki", ishinomaki_phone), [ishinomaki]);
    let sendai_phone = json!({"phone": "022-000-0000", "purpose": "emergency_acceptance"});
    assert_eq!(search("kikan-sendai", sendai_phone.clone()), [sendai]);
    assert!(search("kikan-ishinomaki", sendai_phone).is_empty());
}

#[test]
fn a_kikan_cannot_register_or_take_an_intake_for_another_municipality_and_nothing_is_stored() {
    let s = exchange();
    let mut doc = registration_from("kikan-ishinomaki");
    doc["received_by"] = json!({"organization_id": "kikan-ishinomaki", "role": "kikan"});
    let r = s.post_json("kikan-ishinomaki", "/v1/registrations", &doc);
    assert_eq!(r.status(), 403);
    assert_eq!(problem_type(r), "outside-municipal-scope");
    let intake = intake_from("kikan-ishinomaki", "kikan");
    let r = s.post_json("kikan-ishinomaki", "/v1/intakes", &intake);
    assert_eq!(r.status(), 403);
    assert_eq!(problem_type(r), "outside-municipal-scope");
    assert!(listed(&s, "hub-prefecture", "/v1/registrations", "registration_id").is_empty());
    assert!(listed(&s, "hub-prefecture", "/v1/intakes", "intake_id").is_empty());
    // Its own municipality's people it registers.
    let intake = intake_from("kikan-sendai", "kikan");
    assert_eq!(
        s.post_json("kikan-sendai", "/v1/intakes", &intake).status(),
        201
    );
}

#[test]
fn handoffs_and_intakes_of_another_municipality_are_hidden_from_its_coordinators() {
    let s = exchange();
    let (_, ishinomaki) = register_both(&s);
    let body = json!({
        "registration_id": ishinomaki, "recipient": FACILITY, "purpose": "emergency_acceptance",
        "situation": {"kind": "caregiver_unavailable", "occurred_at": hours_ago(2),
                      "description": "主たる介護者が入院した。", "urgency": "same_day"},
        "request": {"service_type": "short_stay", "start_on": "2026-12-01"}
    });
    let r = s.post_json("office", "/v1/handoffs", &body);
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    let handoff = r.json::<Value>().unwrap()["handoff_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        status(&s, "kikan-sendai", &format!("/v1/handoffs/{handoff}")),
        404
    );
    assert!(listed(&s, "kikan-sendai", "/v1/handoffs", "handoff_id").is_empty());
    assert_eq!(
        listed(&s, "kikan-ishinomaki", "/v1/handoffs", "handoff_id"),
        std::slice::from_ref(&handoff)
    );
    assert_eq!(
        status(&s, "kikan-ishinomaki", &format!("/v1/handoffs/{handoff}")),
        200
    );
    // A coordinator out of scope cannot cancel it either.
    let cancel = json!({
        "document_type": "handoff_response", "schema_version": "1.0.0", "handoff_id": handoff,
        "responder": {"organization_id": "kikan-sendai", "role": "kikan"},
        "status": "cancelled", "at": hours_ago(0),
    });
    let r = s.post_json(
        "kikan-sendai",
        &format!("/v1/handoffs/{handoff}/responses"),
        &cancel,
    );
    assert_eq!(r.status(), 404);

    let intake = intake_from("office", "consultation_office");
    let r = s.post_json("office", "/v1/intakes", &intake);
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().unwrap()["intake_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        status(&s, "kikan-sendai", &format!("/v1/intakes/{id}")),
        200
    );
    assert_eq!(
        status(&s, "kikan-ishinomaki", &format!("/v1/intakes/{id}")),
        404
    );
    assert!(listed(&s, "kikan-ishinomaki", "/v1/intakes", "intake_id").is_empty());
    assert_eq!(listed(&s, "kikan-sendai", "/v1/intakes", "intake_id"), [id]);
}

fn report(s: &TestServer, org: &str, query: &str) -> reqwest::blocking::Response {
    s.get_json(
        org,
        &format!(
            "/v1/reports/operations?fiscal_year={}{query}",
            fiscal_year()
        ),
    )
}

/// The fiscal year (April–March, Japan time) of today.
fn fiscal_year() -> i32 {
    use chrono::Datelike;
    let today = chrono::Utc::now()
        .with_timezone(&kyoten::time::jst())
        .date_naive();
    if today.month() >= 4 {
        today.year()
    } else {
        today.year() - 1
    }
}

#[test]
fn the_operations_report_counts_each_municipality_apart_and_stays_within_the_callers_scope() {
    let s = exchange();
    register_both(&s);
    let intake = intake_from("office", "consultation_office");
    assert_eq!(s.post_json("office", "/v1/intakes", &intake).status(), 201);
    let figures = |org: &str, query: &str| -> Value {
        let r = report(&s, org, query);
        assert_eq!(r.status(), 200, "{org}{query}: {}", r.text().unwrap());
        r.json().unwrap()
    };
    let sendai = figures("kikan-sendai", "");
    assert_eq!(sendai["area"], "041009");
    assert_eq!(sendai["registrations"]["new"], 1);
    assert_eq!(sendai["registrations"]["active_at_end"], 1);
    assert_eq!(sendai["intakes"]["received"], 1);
    let ishinomaki = figures("kikan-ishinomaki", "");
    assert_eq!(ishinomaki["area"], "042021");
    assert_eq!(ishinomaki["registrations"]["new"], 1);
    assert_eq!(ishinomaki["intakes"]["received"], 0);
    let all = figures("hub-prefecture", "");
    assert_eq!(all["area"], "everywhere");
    assert_eq!(all["registrations"]["new"], 2);
    // The prefecture-wide hub asks for one municipality; the sums agree.
    let one = figures("hub-prefecture", "&municipality=042021");
    assert_eq!(one["area"], "042021");
    assert_eq!(one["registrations"], ishinomaki["registrations"]);
    // Another municipality's report is refused; a malformed code is a bad parameter.
    let r = report(&s, "kikan-sendai", "&municipality=042021");
    assert_eq!(r.status(), 403);
    assert_eq!(problem_type(r), "outside-municipal-scope");
    let r = report(&s, "kikan-aoba", "&municipality=041009");
    assert_eq!(
        r.status(),
        403,
        "a ward's kikan does not read the whole city's report"
    );
    for bad in ["4100", "041009/青葉区", "abcdef"] {
        assert_eq!(
            report(&s, "hub-prefecture", &format!("&municipality={bad}")).status(),
            400,
            "{bad}"
        );
    }
}

#[test]
fn access_and_provision_records_show_a_scoped_reader_only_its_municipalitys_people() {
    let s = exchange();
    let (sendai, ishinomaki) = register_both(&s);
    let ask = |reg: &str| {
        json!({
            "registration_id": reg, "recipient": FACILITY, "purpose": "emergency_acceptance",
            "situation": {"kind": "caregiver_unavailable", "occurred_at": hours_ago(2),
                          "description": "主たる介護者が入院した。", "urgency": "same_day"},
            "request": {"service_type": "short_stay", "start_on": "2026-12-01"}
        })
    };
    for reg in [&sendai, &ishinomaki] {
        assert_eq!(
            s.post_json("office", "/v1/handoffs", &ask(reg)).status(),
            201
        );
    }
    let people = |org: &str| -> Vec<String> {
        let mut p = listed(&s, org, "/v1/provisions", "person");
        p.dedup();
        p
    };
    assert_eq!(people("kikan-sendai"), std::slice::from_ref(&sendai));
    assert_eq!(
        people("kikan-ishinomaki"),
        std::slice::from_ref(&ishinomaki)
    );

    let records = |org: &str| -> Vec<Value> {
        let r = s.get_json(org, "/v1/audit?limit=1000");
        assert_eq!(r.status(), 200);
        r.json::<Value>().unwrap()["items"]
            .as_array()
            .unwrap()
            .clone()
    };
    let about = |records: &[Value], id: &str| records.iter().any(|r| r["record_id"] == id);
    let sendai_view = records("kikan-sendai");
    assert!(about(&sendai_view, &sendai));
    assert!(
        !about(&sendai_view, &ishinomaki),
        "another municipality's person"
    );
    // Its own reads stay visible to it, whatever they were about.
    assert_eq!(
        status(&s, "kikan-sendai", &format!("/v1/registrations/{sendai}")),
        200
    );
    let again = records("kikan-sendai");
    assert!(again
        .iter()
        .any(|r| r["organization_id"] == "kikan-sendai" && r["record_id"] == sendai.as_str()));
    let ishinomaki_view = records("kikan-ishinomaki");
    assert!(about(&ishinomaki_view, &ishinomaki));
    assert!(!about(&ishinomaki_view, &sendai));
}

#[test]
fn facilities_serving_the_persons_municipality_come_first_and_a_service_area_can_name_several() {
    const SENDAI_FACILITY: &str = "0410000001";
    const ISHINOMAKI_FACILITY: &str = "0410000002";
    let s = TestServer::isolated(&[
        ("kikan-sendai", Role::Kikan, "仙台市基幹相談支援センター"),
        ("office", Role::ConsultationOffice, "見本相談支援事業所"),
        (SENDAI_FACILITY, Role::Facility, "仙台の短期入所"),
        (ISHINOMAKI_FACILITY, Role::Facility, "石巻の短期入所"),
    ]);
    let scope = Scope::parse(Some("041009")).unwrap();
    organizations::set_scope(&mut s.store.conn().unwrap(), "kikan-sendai", &scope).unwrap();
    let put = |id: &str, doc: &Value, version: Option<&str>| {
        let mut req = client()
            .put(s.url(&format!("/v1/facilities/{id}")))
            .bearer_auth(s.key(id))
            .json(doc);
        if let Some(v) = version {
            req = req.header("If-Match", v);
        }
        let r = req.send().unwrap();
        assert!(r.status().is_success(), "{}", r.text().unwrap());
    };
    let mut sendai = facility(
        SENDAI_FACILITY,
        "泉区",
        "A",
        vec![service("short_stay", 1, &["suction"])],
    );
    sendai["address"] = json!({"postal_code": "981-0000", "prefecture": "04",
        "municipality_code": "041009", "city": "仙台市", "line": "泉区見本台一丁目1番1号"});
    put(SENDAI_FACILITY, &sendai, None);
    // More vacancies, but in Ishinomaki.
    let mut ishinomaki = facility(
        ISHINOMAKI_FACILITY,
        "",
        "A",
        vec![service("short_stay", 3, &["suction"])],
    );
    ishinomaki.as_object_mut().unwrap().remove("ward");
    ishinomaki["address"] = json!({"postal_code": "986-0000", "prefecture": "04",
        "municipality_code": "042021", "city": "石巻市", "line": "見本町一丁目1番1号"});
    put(ISHINOMAKI_FACILITY, &ishinomaki, None);

    let reg = s.register_document("office", &registration_from("office"));
    let ranked = |org: &str| -> Vec<Value> {
        let r = s.get_json(
            org,
            &format!("/v1/registrations/{reg}/candidates?situation=caregiver_unavailable"),
        );
        assert_eq!(r.status(), 200, "{}", r.text().unwrap());
        r.json::<Value>().unwrap()["candidates"]
            .as_array()
            .unwrap()
            .clone()
    };
    let first = ranked("kikan-sendai");
    assert_eq!(first.len(), 2, "{first:?}");
    assert_eq!(first[0]["facility_id"], SENDAI_FACILITY, "{first:?}");
    assert_eq!(first[1]["facility_id"], ISHINOMAKI_FACILITY);
    assert!(first[1]["reasons"]
        .as_array()
        .unwrap()
        .contains(&json!("outside_service_area")));

    // The Ishinomaki facility is part of Sendai's hub too: it now ranks by its vacancies.
    ishinomaki["service_area"] = json!(["042021", "041009"]);
    put(ISHINOMAKI_FACILITY, &ishinomaki, Some("\"1\""));
    let second = ranked("kikan-sendai");
    assert_eq!(second[0]["facility_id"], ISHINOMAKI_FACILITY);
    assert!(!second[0]["reasons"]
        .as_array()
        .unwrap()
        .contains(&json!("outside_service_area")));

    let year = fiscal_year();
    let r = s.get_json(
        "kikan-sendai",
        &format!("/v1/reports/operations?fiscal_year={year}"),
    );
    assert_eq!(
        r.json::<Value>().unwrap()["facilities"]["total"],
        2,
        "both serve Sendai now"
    );
}
