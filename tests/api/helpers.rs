//! A server shared by the tests (the application keeps no state), the CLI binary, and the
//! conformance vectors.
use kyoten::domain::role::Role;
use kyoten::http::{serve, Settings, Shared};
use kyoten::store::{organizations, Store};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A server started once for the whole test binary, on a free port, with a SQLite database
/// holding one organization per role (and a second consultation office).
pub struct TestServer {
    pub url: String,
    pub store: Store,
    keys: HashMap<&'static str, String>,
}

/// The organizations of the shared server: (id, role, name).
pub const ORGANIZATIONS: [(&str, Role, &str); 7] = [
    ("city-041009", Role::City, "見本市 障害福祉課"),
    ("kikan-sendai", Role::Kikan, "見本基幹相談支援センター"),
    ("hub-aoba", Role::Hub, "見本拠点コーディネーター"),
    ("office-a", Role::ConsultationOffice, "見本相談支援事業所A"),
    ("office-b", Role::ConsultationOffice, "見本相談支援事業所B"),
    // Used only by tests whose submissions must all be refused.
    (
        "office-refused",
        Role::ConsultationOffice,
        "見本相談支援事業所C",
    ),
    ("0411200015", Role::Facility, "見本短期入所"),
];

pub fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let db = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("api-{}.sqlite", std::process::id()));
        let _ = std::fs::remove_file(&db);
        let store = Store::open(&db.display().to_string()).expect("test database opens");
        let mut keys = HashMap::new();
        {
            let mut conn = store.conn().expect("connection");
            for (id, role, name) in ORGANIZATIONS {
                let (_, key) = organizations::add(&mut conn, Some(id), name, role)
                    .expect("organization added");
                keys.insert(id, key.secret);
            }
        }
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = std::sync::mpsc::channel();
        let shared = Shared {
            store: Some(store.clone()),
        };
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let settings = Settings {
                    workers: Some(2),
                    ..Settings::default()
                };
                let server = serve(listener, settings, shared).expect("server starts");
                tx.send(()).expect("signal");
                server.await
            })
        });
        rx.recv().expect("server started");
        TestServer {
            url: format!("http://{addr}"),
            store,
            keys,
        }
    })
}

/// Base URL of the shared server.
pub fn base_url() -> &'static str {
    &server().url
}

/// The API key of one of `ORGANIZATIONS`.
pub fn key(organization_id: &str) -> &'static str {
    server()
        .keys
        .get(organization_id)
        .unwrap_or_else(|| panic!("no organization {organization_id}"))
}

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .build()
        .expect("client")
}

pub fn url(path: &str) -> String {
    format!("{}{path}", base_url())
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn kyoten() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_kyoten"))
}

/// A vector manifest (`conformance/vectors/{type}/manifest.json`).
#[derive(Debug, Deserialize)]
pub struct Manifest {
    pub document_type: String,
    pub vectors: Vec<Vector>,
}

#[derive(Debug, Deserialize, Clone)]
pub struct Vector {
    pub file: String,
    pub description: String,
    pub valid: bool,
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    #[serde(default)]
    pub locations: Option<Vec<String>>,
    #[serde(default)]
    pub xml_locations: Option<Vec<String>>,
}

pub const DOCUMENT_DIRS: [&str; 4] = ["registration", "facility", "handoff", "handoff_response"];

pub fn manifest(doc_type: &str) -> Manifest {
    let path = repo()
        .join("conformance/vectors")
        .join(doc_type)
        .join("manifest.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn content_type_of(file: &Path) -> &'static str {
    if file.extension().is_some_and(|e| e == "xml") {
        "application/xml"
    } else {
        "application/json"
    }
}

/// Sorted error ids and sorted warning ids of a report.
pub fn ids(report: &Value) -> (Vec<String>, Vec<String>) {
    let list = |key: &str| {
        let mut v: Vec<String> = report[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|m| m["id"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    (list("errors"), list("warnings"))
}

pub fn read_json(path: &Path) -> Value {
    serde_json::from_slice(
        &std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
