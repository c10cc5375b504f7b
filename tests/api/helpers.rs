//! A server shared by the tests (the application keeps no state), the CLI binary, and the
//! conformance vectors.
use kyoten::http::{serve, Settings};
use serde::Deserialize;
use serde_json::Value;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Base URL of a server started once for the whole test binary, on a free port.
pub fn base_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let settings = Settings {
                    workers: Some(2),
                    ..Settings::default()
                };
                let server = serve(listener, settings).expect("server starts");
                tx.send(()).expect("signal");
                server.await
            })
        });
        rx.recv().expect("server started");
        format!("http://{addr}")
    })
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
