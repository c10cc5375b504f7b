//! A server shared by the tests (the application keeps no state), the CLI binary, and the
//! conformance vectors.
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use kyoten::crypto::kek::Kek;
use kyoten::domain::role::Role;
use kyoten::http::{Background, Settings, Shared};
use kyoten::store::{organizations, KekSource, Store};
use reqwest::blocking::Response;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A server started once for the whole test binary, on a free port, with a SQLite database
/// holding one organization per role (and a second consultation office).
pub struct TestServer {
    pub url: String,
    pub store: Store,
    keys: HashMap<&'static str, String>,
    /// The running server, stopped (before the database goes) when the test is done.
    _running: Background,
    _database: TestDatabase,
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
        // KYOTEN_TEST_BACKEND=postgres runs the whole suite against a fresh PostgreSQL database.
        // Statics are never dropped, so the server's database is named after the process and
        // left-overs of earlier runs are removed first.
        let database = if on_postgres() {
            TestDatabase::postgres_named("kyoten_api_", &std::process::id().to_string())
        } else {
            TestDatabase::sqlite()
        };
        TestServer::start(database, &ORGANIZATIONS, test_settings())
    })
}

/// The settings of the test servers: two workers, no limit on failed authentications —
/// every test reaches the shared server from 127.0.0.1, and many check that a wrong key gets
/// 401 — and reports with every count shown, since their tests count one or two records.
/// The limit and the hiding of small cells have tests of their own on servers of their own
/// (`rate_limits.rs`, `audit_reports.rs`).
pub fn test_settings() -> Settings {
    Settings {
        workers: Some(2),
        auth_failure_limit: 0,
        small_cell_threshold: 1,
        ..Settings::default()
    }
}

/// Whether this run tests the PostgreSQL backend (`KYOTEN_TEST_BACKEND=postgres`).
pub fn on_postgres() -> bool {
    std::env::var("KYOTEN_TEST_BACKEND").as_deref() == Ok("postgres")
}

/// A fresh database of the backend under test.
pub fn backend_database() -> TestDatabase {
    if on_postgres() {
        TestDatabase::postgres()
    } else {
        TestDatabase::sqlite()
    }
}

impl TestServer {
    /// A server of its own, on a fresh database of the backend under test, with these
    /// organizations: for tests that need to know every record in the database.
    pub fn isolated(organizations: &[(&'static str, Role, &str)]) -> TestServer {
        Self::start(backend_database(), organizations, test_settings())
    }

    /// A server of its own with these settings (limits, intervals), on a fresh database.
    pub fn isolated_with(
        organizations: &[(&'static str, Role, &str)],
        settings: Settings,
    ) -> TestServer {
        Self::start(backend_database(), organizations, settings)
    }

    fn start(
        database: TestDatabase,
        organizations: &[(&'static str, Role, &str)],
        settings: Settings,
    ) -> TestServer {
        let store = open_store(database.url());
        let mut keys = HashMap::new();
        {
            let mut conn = store.conn().expect("connection");
            for &(id, role, name) in organizations {
                let (_, key) = organizations::add(&mut conn, Some(id), name, role)
                    .expect("organization added");
                keys.insert(id, key.secret);
            }
        }
        let shared = Shared {
            store: Some(store.clone()),
        };
        let running = Background::start(settings, shared).expect("server starts");
        TestServer {
            url: running.url(),
            store,
            keys,
            _running: running,
            _database: database,
        }
    }

    /// The API key of one of this server's organizations.
    pub fn key(&self, organization_id: &str) -> &str {
        self.keys
            .get(organization_id)
            .unwrap_or_else(|| panic!("no organization {organization_id}"))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The database this server uses (for the command line and for tests that reach into it).
    pub fn database_url(&self) -> &str {
        self._database.url()
    }

    /// `GET path` as `org`, asking for `accept`.
    pub fn get(&self, org: &str, path: &str, accept: &str) -> Response {
        client()
            .get(self.url(path))
            .bearer_auth(self.key(org))
            .header("Accept", accept)
            .send()
            .unwrap()
    }

    /// `GET path` as `org`, asking for JSON.
    pub fn get_json(&self, org: &str, path: &str) -> Response {
        self.get(org, path, "application/json")
    }

    /// `POST path` as `org` with a JSON body.
    pub fn post_json(&self, org: &str, path: &str, body: &Value) -> Response {
        client()
            .post(self.url(path))
            .bearer_auth(self.key(org))
            .json(body)
            .send()
            .unwrap()
    }

    /// `PUT path` as `org` with a JSON body (and `If-Match` when given).
    pub fn put_json(
        &self,
        org: &str,
        path: &str,
        if_match: Option<&str>,
        body: &Value,
    ) -> Response {
        let mut req = client()
            .put(self.url(path))
            .bearer_auth(self.key(org))
            .json(body);
        if let Some(tag) = if_match {
            req = req.header("If-Match", tag);
        }
        req.send().unwrap()
    }

    /// `POST path` as `org` with `body` of `content_type`.
    pub fn post_bytes(&self, org: &str, path: &str, content_type: &str, body: Vec<u8>) -> Response {
        client()
            .post(self.url(path))
            .bearer_auth(self.key(org))
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .unwrap()
    }

    /// Registers `doc` through `office`, which must be accepted; returns the registration id.
    pub fn register_document(&self, office: &str, doc: &Value) -> String {
        let r = self.post_json(office, "/v1/registrations", doc);
        assert_eq!(r.status(), 201, "{}", r.text().unwrap());
        r.json::<Value>().unwrap()["registration_id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// The problem type of a problem+json answer, without its base URI (`registration-busy`).
pub fn problem_type(r: Response) -> String {
    let body: Value = r.json().unwrap();
    body["type"]
        .as_str()
        .unwrap_or_default()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The output of a command that must end by itself; one still running after `limit` (a
/// server that started when it should have refused) is killed and fails the test.
pub fn output_within(command: &mut std::process::Command, limit: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the command did not end by itself within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Base URL of the shared server.
pub fn base_url() -> &'static str {
    &server().url
}

/// The API key of one of `ORGANIZATIONS`.
pub fn key(organization_id: &str) -> &'static str {
    server().key(organization_id)
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

/// The `kyoten` binary, with the tests' key-encryption key ([`TEST_KEK`]) in its environment,
/// so it opens every test database.
pub fn kyoten() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_kyoten"));
    command
        .env("KYOTEN_KEY_ENCRYPTION_KEY", TEST_KEK)
        .env_remove("KYOTEN_KEY_ENCRYPTION_KEY_FILE");
    command
}

/// The key-encryption key of every test database (base64 of 32 bytes).
pub const TEST_KEK: &str = "dGVzdHMgb25seTogbm90IGEgc2VjcmV0IGtleSEhISE=";

pub fn test_kek() -> Kek {
    Kek::from_base64(TEST_KEK).expect("the test key-encryption key")
}

/// Opens a test database with the tests' key-encryption key.
pub fn open_store(url: &str) -> Store {
    Store::open(url, KekSource::Key(test_kek())).expect("test database opens")
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

pub const DOCUMENT_DIRS: [&str; 5] = [
    "registration",
    "facility",
    "handoff",
    "handoff_response",
    "emergency_intake",
];

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

/// The full valid registration, changed to break only KY-REG-SHORTSTAY-REASON.
pub fn shortstay_without_reason() -> Vec<u8> {
    let mut doc = read_json(&repo().join("conformance/vectors/registration/valid/full.json"));
    doc["registration_reasons"] = serde_json::json!(["disability_related_crisis"]);
    serde_json::to_vec(&doc).expect("serializes")
}

pub fn read_json(path: &Path) -> Value {
    serde_json::from_slice(
        &std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A throw-away database: a SQLite file in a temporary folder, or a fresh PostgreSQL database
/// on the local server (`KYOTEN_TEST_POSTGRES_URL`, default the `postgres` superuser over TCP),
/// dropped afterwards.
pub enum TestDatabase {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin: String,
        name: String,
        url: String,
    },
}

impl TestDatabase {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("kyoten.sqlite").display().to_string();
        TestDatabase::Sqlite { _dir: dir, url }
    }

    pub fn postgres() -> Self {
        Self::postgres_named("kyoten_test_", &hex_id())
    }

    /// A fresh database `{prefix}{suffix}`; for the shared server's databases, left-overs of
    /// finished processes are dropped first.
    pub fn postgres_named(prefix: &str, suffix: &str) -> Self {
        let admin = std::env::var("KYOTEN_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("{prefix}{suffix}");
        let mut conn = PgConnection::establish(&admin).unwrap_or_else(|e| {
            panic!("PostgreSQL at {admin} is needed for this test (scripts/test.sh starts it): {e}")
        });
        if prefix == "kyoten_api_" {
            drop_stale_api_databases(&mut conn);
        }
        conn.batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        TestDatabase::Postgres { admin, name, url }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDatabase::Sqlite { url, .. } | TestDatabase::Postgres { url, .. } => url,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { admin, name, .. } = self {
            if let Ok(mut conn) = PgConnection::establish(admin) {
                let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

fn hex_id() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{:x}_{}_{n}", nanos, std::process::id())
}

/// Drops `kyoten_api_<pid>` databases whose process is gone.
fn drop_stale_api_databases(conn: &mut PgConnection) {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let names: Vec<Name> =
        diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'kyoten_api_%'")
            .load(conn)
            .unwrap_or_default();
    for Name { datname } in names {
        let pid = datname.trim_start_matches("kyoten_api_");
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {datname} WITH (FORCE)"));
        }
    }
}
