//! Real server processes (the `kyoten` binary): killed with SIGKILL in the middle of writes,
//! and two instances sharing one PostgreSQL database.
use crate::fixtures::*;
use crate::helpers::*;
use diesel::prelude::*;
use kyoten::domain::role::Role;
use kyoten::http::openapi_examples::{DEMO_REGISTRATION_ID, HANDOFF_ID_PLACEHOLDER};
use kyoten::store::organizations;
use kyoten::store::schema::{access_records, registration_versions, registrations};
use serde_json::Value;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A `kyoten serve` process on a free port.
pub(crate) struct ServerProcess {
    child: Child,
    pub(crate) url: String,
}

impl ServerProcess {
    fn start(database_url: &str) -> ServerProcess {
        Self::start_with(database_url, &[]).0
    }

    /// Started with extra arguments; also returns what it printed on stdout before listening.
    pub(crate) fn start_with(database_url: &str, extra: &[&str]) -> (ServerProcess, String) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = kyoten()
            .args([
                "serve",
                "--port",
                &port.to_string(),
                "--workers",
                "2",
                "--database-url",
                database_url,
            ])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while client().get(format!("{url}/health")).send().is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // Everything printed before listening; the pipe is then drained in the background.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            let mut text = String::new();
            let mut sent = false;
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if !sent {
                    text.push_str(&line);
                    text.push('\n');
                    if line.starts_with("# try:") {
                        let _ = tx.send(std::mem::take(&mut text));
                        sent = true;
                    }
                }
            }
            if !sent {
                let _ = tx.send(text);
            }
        });
        let printed = if extra.contains(&"--demo") {
            rx.recv_timeout(Duration::from_secs(2)).unwrap_or_default()
        } else {
            String::new()
        };
        (ServerProcess { child, url }, printed)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn office_key(database_url: &str) -> String {
    let store = open_store(database_url);
    let (_, key) = organizations::add(
        &mut store.conn().unwrap(),
        Some("office"),
        "見本相談支援事業所",
        Role::ConsultationOffice,
    )
    .unwrap();
    key.secret
}

#[test]
fn a_server_killed_in_the_middle_of_writes_restarts_with_every_acknowledged_write_whole() {
    let db = backend_database();
    let key = office_key(db.url());
    let server = ServerProcess::start(db.url());
    let acknowledged = Mutex::new(Vec::<(String, String)>::new());
    let stop = AtomicBool::new(false);
    let mut killed = false;
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let c = client();
                let doc = registration_from("office");
                while !stop.load(Ordering::Relaxed) {
                    let Ok(res) = c
                        .post(format!("{}/v1/registrations", server.url))
                        .bearer_auth(&key)
                        .json(&doc)
                        .send()
                    else {
                        break;
                    };
                    if res.status() == 201 {
                        let Ok(body) = res.text() else { break };
                        let id = serde_json::from_str::<Value>(&body).unwrap()["registration_id"]
                            .as_str()
                            .unwrap()
                            .to_owned();
                        acknowledged.lock().unwrap().push((id, body));
                    }
                }
            });
        }
        std::thread::sleep(Duration::from_millis(1500));
        // Killed while the writers are still sending; they stop whatever happened (an assertion
        // here would leave them running and the scope waiting for them).
        killed = kill_now(&server);
        stop.store(true, Ordering::Relaxed);
    });
    assert!(killed, "SIGKILL could not be sent to the server");
    let acknowledged = acknowledged.into_inner().unwrap();
    assert!(
        acknowledged.len() > 10,
        "only {} writes acknowledged",
        acknowledged.len()
    );
    drop(server);

    let restarted = ServerProcess::start(db.url());
    let c = client();
    for (id, body) in &acknowledged {
        let res = c
            .get(format!("{}/v1/registrations/{id}", restarted.url))
            .bearer_auth(&key)
            .send()
            .unwrap();
        assert_eq!(res.status(), 200, "{id} lost");
        assert_eq!(&res.text().unwrap(), body, "{id} differs");
    }
    // No partial record: every stored registration has its first version and its access record.
    let store = open_store(db.url());
    let conn = &mut store.conn().unwrap();
    let stored: i64 = registrations::table.count().get_result(conn).unwrap();
    let first_versions: i64 = registration_versions::table
        .filter(registration_versions::version.eq(1))
        .count()
        .get_result(conn)
        .unwrap();
    let creations: i64 = access_records::table
        .filter(access_records::action.eq("create"))
        .count()
        .get_result(conn)
        .unwrap();
    assert!(stored >= acknowledged.len() as i64);
    assert_eq!(first_versions, stored);
    assert_eq!(creations, stored);
}

/// SIGKILL: no shutdown, no flushing, nothing (by pid, so the handle stays with the test).
/// kill(2) itself, not the `kill` program, which a minimal Debian does not have.
fn kill_now(server: &ServerProcess) -> bool {
    let Ok(pid) = libc::pid_t::try_from(server.child.id()) else {
        return false;
    };
    // SAFETY: kill(2) on the pid of a child this test spawned and still holds (not yet
    // waited for, so the pid is not reused); no memory is passed.
    unsafe { libc::kill(pid, libc::SIGKILL) == 0 }
}

fn change(url: &str, key: &str, id: &str, version: i32) -> u16 {
    let mut doc = registration_from("office");
    doc["registration_id"] = Value::String(id.to_owned());
    client()
        .put(format!("{url}/v1/registrations/{id}"))
        .bearer_auth(key)
        .header("If-Match", format!("\"{version}\""))
        .json(&doc)
        .send()
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn two_instances_on_one_postgresql_give_one_winner_per_version_and_share_idempotency_keys() {
    let db = TestDatabase::postgres();
    let key = office_key(db.url());
    let a = ServerProcess::start(db.url());
    let b = ServerProcess::start(db.url());
    let c = client();
    let created = c
        .post(format!("{}/v1/registrations", a.url))
        .bearer_auth(&key)
        .header("Idempotency-Key", "scale-out-1")
        .json(&registration_from("office"))
        .send()
        .unwrap();
    assert_eq!(created.status(), 201);
    let first_body = created.text().unwrap();
    let id = serde_json::from_str::<Value>(&first_body).unwrap()["registration_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The retry reaches the other instance and still gets the first response.
    let retried = c
        .post(format!("{}/v1/registrations", b.url))
        .bearer_auth(&key)
        .header("Idempotency-Key", "scale-out-1")
        .json(&registration_from("office"))
        .send()
        .unwrap();
    assert_eq!(retried.status(), 201);
    assert_eq!(retried.headers()["idempotent-replayed"], "true");
    assert_eq!(retried.text().unwrap(), first_body);

    // Concurrent change notifications on the same version through both: one winner each time.
    for version in 1..=10 {
        let (x, y) = std::thread::scope(|s| {
            let x = s.spawn(|| change(&a.url, &key, &id, version));
            let y = s.spawn(|| change(&b.url, &key, &id, version));
            (x.join().unwrap(), y.join().unwrap())
        });
        let mut got = [x, y];
        got.sort_unstable();
        assert_eq!(got, [200, 412], "version {version}");
    }
    let store = open_store(db.url());
    let conn = &mut store.conn().unwrap();
    let stored: i64 = registrations::table.count().get_result(conn).unwrap();
    assert_eq!(stored, 1);
    let versions: i64 = registration_versions::table
        .filter(registration_versions::registration_id.eq(&id))
        .count()
        .get_result(conn)
        .unwrap();
    assert_eq!(versions, 11);
}

#[test]
fn serve_demo_on_an_empty_database_prints_working_keys_and_a_registration_to_match() {
    let db = TestDatabase::sqlite();
    let (server, printed) = ServerProcess::start_with(db.url(), &["--demo"]);
    let var = |name: &str| -> String {
        printed
            .lines()
            .find_map(|l| l.strip_prefix(&format!("export {name}=")))
            .unwrap_or_else(|| panic!("{name} not printed in {printed}"))
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    };
    let (city, reg) = (var("CITY_KEY"), var("REG"));
    assert!(var("FACILITY1_KEY").starts_with("kyk_"));
    let res = client()
        .get(format!(
            "{}/v1/registrations/{reg}/candidates?situation=caregiver_unavailable",
            server.url
        ))
        .bearer_auth(&city)
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().unwrap();
    let tiers: Vec<&str> = body["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["tier"].as_str().unwrap())
        .collect();
    assert_eq!(
        tiers,
        [
            "prearranged",
            "group_b_with_vacancy",
            "group_c_with_vacancy",
            "hub_emergency_room"
        ]
    );
    drop(server);
    // A second start on the same database adds nothing and shows no keys.
    let (_again, printed) = ServerProcess::start_with(db.url(), &["--demo"]);
    assert!(!printed.contains("export"), "{printed}");
}

#[test]
fn the_conformance_suite_passes_against_the_demo_with_the_credentials_it_saves_and_reset_starts_over(
) {
    let db = TestDatabase::sqlite();
    let folder = std::path::Path::new(db.url()).parent().unwrap().to_owned();
    let (server, printed) = ServerProcess::start_with(db.url(), &["--demo"]);
    let credentials = folder.join("demo-credentials.json");
    let keys = std::fs::read_to_string(folder.join("demo-keys.env")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in [&credentials, &folder.join("demo-keys.env")] {
            let mode = std::fs::metadata(file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", file.display());
        }
    }
    // The saved keys are the printed ones: `source data/demo-keys.env` in a later shell.
    for line in printed.lines().filter(|l| l.starts_with("export ")) {
        assert!(keys.lines().any(|k| k == line), "{line} saved");
    }
    assert!(
        keys.contains("export OTHER_OFFICE_KEY=kyk_"),
        "a second office"
    );
    let saved: Value = read_json(&credentials);
    for caller in [
        "city",
        "kikan",
        "hub",
        "office",
        "other_office",
        "facility",
        "other_facility",
    ] {
        assert!(saved[caller]["api_key"].is_string(), "{caller}");
    }
    // The README's command alone, twice: a run leaves the demo able to run it again.
    for _ in 0..2 {
        let out = output_within(
            kyoten().args([
                "conformance",
                "run",
                "--target",
                &server.url,
                "--credentials",
                credentials.to_str().unwrap(),
            ]),
            Duration::from_secs(600),
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        assert!(text.contains(" 0 failed, 0 skipped"), "{text}");
    }
    drop(server);

    // --reset starts over: new keys, and the old ones are gone with the old database.
    let city = saved["city"]["api_key"].as_str().unwrap().to_owned();
    let (server, printed) = ServerProcess::start_with(db.url(), &["--demo", "--reset"]);
    assert!(printed.contains("export CITY_KEY=kyk_"), "{printed}");
    assert!(!printed.contains(&city));
    let old = client()
        .get(format!("{}/v1/registrations", server.url))
        .bearer_auth(&city)
        .send()
        .unwrap();
    assert_eq!(old.status(), 401);
    let renewed: Value = read_json(&credentials);
    assert_ne!(renewed["city"]["api_key"], saved["city"]["api_key"]);
}

#[test]
fn reset_is_refused_on_postgresql_and_without_demo() {
    let out = output_within(
        kyoten().args([
            "serve",
            "--port",
            "0",
            "--demo",
            "--reset",
            "--database-url",
            "postgres://postgres@127.0.0.1:5432/kyoten_never_created",
        ]),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--reset"));
    let out = output_within(
        kyoten().args(["serve", "--port", "0", "--reset"]),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(2), "--reset needs --demo");
}

#[test]
fn every_request_example_of_the_served_openapi_document_succeeds_against_the_demo_with_its_keys() {
    let db = TestDatabase::sqlite();
    let folder = std::path::Path::new(db.url()).parent().unwrap().to_owned();
    let (server, _) = ServerProcess::start_with(db.url(), &["--demo"]);
    let keys = std::fs::read_to_string(folder.join("demo-keys.env")).unwrap();
    let key = |var: &str| -> String {
        keys.lines()
            .find_map(|l| l.strip_prefix(&format!("export {var}=")))
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    };
    let doc: Value = client()
        .get(format!("{}/openapi.json", server.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    // Who sends each example, with which If-Match, expecting which status — in this order (the
    // change notification replaces version 1 of the demo registration).
    let calls = [
        ("/v1/validate/{document_type}", "post", None, None, 200),
        ("/v1/registrations", "post", Some("OFFICE_KEY"), None, 201),
        (
            "/v1/registrations/{id}",
            "put",
            Some("OFFICE_KEY"),
            Some("\"1\""),
            200,
        ),
        ("/v1/intakes", "post", Some("KIKAN_KEY"), None, 201),
        (
            "/v1/facilities/{facility_id}",
            "put",
            Some("FACILITY1_KEY"),
            Some("\"1\""),
            200,
        ),
        (
            "/v1/facilities/{facility_id}/vacancies",
            "patch",
            Some("FACILITY1_KEY"),
            None,
            200,
        ),
        ("/v1/handoffs", "post", Some("OFFICE_KEY"), None, 201),
        // With the id the handoff example was answered with, as a user pastes it.
        (
            "/v1/handoffs/{id}/responses",
            "post",
            Some("FACILITY1_KEY"),
            None,
            201,
        ),
        (
            "/v1/registrations/{id}/meetings",
            "post",
            Some("OFFICE_KEY"),
            None,
            201,
        ),
        (
            "/v1/registrations/{id}/responsible-office",
            "put",
            Some("KIKAN_KEY"),
            None,
            200,
        ),
        (
            "/v1/registrations/{id}/break-glass-read",
            "post",
            Some("KIKAN_KEY"),
            None,
            200,
        ),
        (
            "/v1/search/registrations",
            "post",
            Some("KIKAN_KEY"),
            None,
            200,
        ),
        // `current`: the tag of the version the earlier examples left.
        (
            "/v1/registrations/{id}/consent",
            "post",
            Some("OFFICE_KEY"),
            Some("current"),
            200,
        ),
        (
            "/v1/validate/{document_type}/batch",
            "post",
            None,
            None,
            200,
        ),
        ("/v1/verify", "post", Some("OFFICE_KEY"), None, 200),
        ("/v1/keys", "post", Some("OFFICE_KEY"), None, 201),
    ];
    let mut handoff = String::new();
    for (path, method, caller, if_match, expected) in calls {
        let op = &doc["paths"][path][method];
        let (media, content) = op["requestBody"]["content"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(_, c)| c.get("example").is_some())
            .unwrap_or_else(|| panic!("{method} {path} has no example"));
        // The path parameters as Swagger UI fills them: from their examples.
        let mut url = format!("{}{path}", server.url);
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["in"] == "path" {
                let value = match p["name"].as_str() {
                    Some("id") if path.starts_with("/v1/handoffs/") => handoff.as_str(),
                    Some("document_type") => "registration",
                    _ => p["example"].as_str().unwrap_or(""),
                };
                assert!(
                    !value.is_empty(),
                    "{method} {path}: {} has no example",
                    p["name"]
                );
                url = url.replace(&format!("{{{}}}", p["name"].as_str().unwrap()), value);
            }
        }
        let body = match &content["example"] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        }
        .replace(HANDOFF_ID_PLACEHOLDER, &handoff);
        let mut request = client()
            .request(method.to_uppercase().parse().unwrap(), &url)
            .header("Content-Type", media.as_str())
            .body(body);
        if let Some(var) = caller {
            request = request.bearer_auth(key(var));
        }
        if let Some(tag) = if_match {
            let tag = if tag == "current" {
                let current = client()
                    .get(format!(
                        "{}/v1/registrations/{DEMO_REGISTRATION_ID}",
                        server.url
                    ))
                    .bearer_auth(key("OFFICE_KEY"))
                    .send()
                    .unwrap();
                current.headers()["etag"].to_str().unwrap().to_owned()
            } else {
                tag.to_owned()
            };
            request = request.header("If-Match", tag);
        }
        let answer = request.send().unwrap();
        let status = answer.status().as_u16();
        let text = answer.text().unwrap();
        assert_eq!(status, expected, "{method} {path}: {text}");
        if path == "/v1/handoffs" {
            let created: Value = serde_json::from_str(&text).unwrap();
            handoff = created["handoff_id"].as_str().unwrap().to_owned();
        }
    }
}
