//! `kyoten serve --demo`: on an empty database, a working demo exchange — a city, a kikan, a
//! hub, two consultation offices, several facilities (different services and survey groups, one
//! medical short stay, one hub with an emergency room), two facilities kept for the
//! conformance suite, and one registration — with every organization's API key printed once
//! and saved beside the database (`demo-keys.env`, `demo-credentials.json`).
use crate::contracts::DocumentType;
use crate::domain::facility::FacilityRecord;
use crate::domain::role::Role;
use crate::http::openapi_examples::DEMO_REGISTRATION_ID;
use crate::store::organizations::{self, IssuedKey, Organization};
use crate::store::{facilities, registrations, Store, StoreError};
use crate::time::jst;
use crate::validation::Engine;
use chrono::Utc;
use serde_json::Value;

/// The demo documents, embedded so the binary alone can set up the demo.
const FACILITIES: [&str; 6] = [
    include_str!("../../demo/facilities/0410100101.json"),
    include_str!("../../demo/facilities/0410100104.json"),
    include_str!("../../demo/facilities/0410200102.json"),
    include_str!("../../demo/facilities/0410300106.json"),
    include_str!("../../demo/facilities/0410400103.json"),
    include_str!("../../demo/facilities/0410500105.json"),
];
const REGISTRATION: &str = include_str!("../../demo/registration.json");

const ORGANIZATIONS: [(&str, &str, Role, &str); 5] = [
    (
        "demo-city-sendai",
        "仙台市 障害企画課（デモ）",
        Role::City,
        "CITY_KEY",
    ),
    (
        "demo-kikan",
        "基幹相談支援センター（デモ）",
        Role::Kikan,
        "KIKAN_KEY",
    ),
    (
        "demo-hub",
        "拠点コーディネーター（デモ）",
        Role::Hub,
        "HUB_KEY",
    ),
    (
        "demo-office-aoba",
        "見本相談支援事業所 青葉（デモ）",
        Role::ConsultationOffice,
        "OFFICE_KEY",
    ),
    (
        "demo-office-izumi",
        "見本相談支援事業所 泉（デモ）",
        Role::ConsultationOffice,
        "OTHER_OFFICE_KEY",
    ),
];

/// Two facilities without records, for the conformance suite: a run uploads and changes their
/// records, not those of the demo's six facilities.
const CONFORMANCE_FACILITIES: [(&str, &str, &str); 2] = [
    (
        "0410900107",
        "適合性確認用 短期入所 一（デモ）",
        "CONFORMANCE_FACILITY_KEY",
    ),
    (
        "0410900108",
        "適合性確認用 短期入所 二（デモ）",
        "CONFORMANCE_OTHER_FACILITY_KEY",
    ),
];

/// What the demo created: each organization with its key and the shell variable for it, and
/// the id of the demo registration.
pub struct Demo {
    pub keys: Vec<(Organization, IssuedKey, String)>,
    pub registration_id: String,
}

fn invalid(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Open(format!("demo {what} is not usable: {e}"))
}

/// A demo document, checked by the validator like any other (a broken demo fails loudly).
fn valid(text: &str, doc_type: DocumentType) -> Result<Value, StoreError> {
    let mut doc: Value = serde_json::from_str(text).map_err(|e| invalid("document", e))?;
    if doc_type == DocumentType::Facility {
        // Vacancy figures "as of now", so the demo is never stale.
        let now = Utc::now()
            .with_timezone(&jst())
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
        for s in doc["services"].as_array_mut().into_iter().flatten() {
            s["vacancy_as_of"] = Value::String(now.clone());
        }
    }
    let engine = Engine::get();
    let outcome = engine.validate(Some(doc_type), &doc);
    if !engine.is_valid(&outcome) {
        return Err(invalid(
            "document",
            format!("{doc_type:?} fails validation"),
        ));
    }
    Ok(doc)
}

/// Creates the demo set, unless the database already has organizations (`None` then).
pub fn seed(store: &Store) -> Result<Option<Demo>, StoreError> {
    store.write(move |conn| {
        if !organizations::list(conn)?.is_empty() {
            return Ok(None);
        }
        let mut keys = Vec::new();
        for (id, name, role, var) in ORGANIZATIONS {
            let (org, key) = organizations::add(conn, Some(id), name, role)?;
            keys.push((org, key, var.to_owned()));
        }
        for (i, text) in FACILITIES.iter().enumerate() {
            let doc = valid(text, DocumentType::Facility)?;
            let record: FacilityRecord =
                serde_json::from_value(doc.clone()).map_err(|e| invalid("facility", e))?;
            let (org, key) = organizations::add(
                conn,
                Some(&record.facility_id),
                &record.name,
                Role::Facility,
            )?;
            facilities::put(conn, &org, &record, doc, None)?;
            keys.push((org, key, format!("FACILITY{}_KEY", i + 1)));
        }
        for (id, name, var) in CONFORMANCE_FACILITIES {
            let (org, key) = organizations::add(conn, Some(id), name, Role::Facility)?;
            keys.push((org, key, var.to_owned()));
        }
        let office = keys
            .iter()
            .find(|(o, _, _)| o.id == "demo-office-aoba")
            .map(|(o, _, _)| o.clone())
            .ok_or_else(|| invalid("organizations", "no consultation office"))?;
        let registration = registrations::create(
            conn,
            &office,
            registrations::NewRegistration::with_id(
                valid(REGISTRATION, DocumentType::Registration)?,
                DEMO_REGISTRATION_ID.to_owned(),
            ),
        )?;
        Ok(Some(Demo {
            keys,
            registration_id: registration.id.to_string(),
        }))
    })
}

/// The demo's keys as shell lines (`export VAR=key   # id (role) name`), and the demo
/// registration.
pub fn keys_env(demo: &Demo) -> String {
    let mut out = String::from(
        "# kyoten demo: organizations and API keys (`kyoten key rotate ID` issues new ones)\n",
    );
    for (org, key, var) in &demo.keys {
        out.push_str(&format!(
            "export {var}={}   # {} ({}) {}\n",
            key.secret, org.id, org.role, org.name
        ));
    }
    out.push_str(&format!(
        "export REG={}   # the demo registration\n",
        demo.registration_id
    ));
    out
}

/// The conformance suite's credentials file for the demo (`--credentials`): one organization
/// per caller, the second office and the two facilities kept for the suite.
pub fn credentials(demo: &Demo) -> Value {
    let callers = [
        ("city", "demo-city-sendai"),
        ("kikan", "demo-kikan"),
        ("hub", "demo-hub"),
        ("office", "demo-office-aoba"),
        ("other_office", "demo-office-izumi"),
        ("facility", CONFORMANCE_FACILITIES[0].0),
        ("other_facility", CONFORMANCE_FACILITIES[1].0),
    ];
    let mut out = serde_json::Map::new();
    for (caller, id) in callers {
        if let Some((org, key, _)) = demo.keys.iter().find(|(o, _, _)| o.id == id) {
            out.insert(
                caller.to_owned(),
                serde_json::json!({"organization_id": org.id.to_string(), "api_key": key.secret}),
            );
        }
    }
    Value::Object(out)
}

/// The demo's keys as shell lines to paste, and what to try first.
pub fn print(demo: &Demo, base: &str) {
    print!("{}", keys_env(demo));
    println!("# try: curl -s -H \"Authorization: Bearer $CITY_KEY\" \"{base}/v1/registrations/$REG/candidates?situation=caregiver_unavailable\"");
}
