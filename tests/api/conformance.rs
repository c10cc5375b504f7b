//! `kyoten conformance run`: the whole suite passes against a spawned server and against the
//! shared test server (SQLite, or PostgreSQL in the second pass), and a server that does not
//! conform fails the run with expected vs got.
use crate::helpers::*;
use quick_xml::events::Event;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;

/// The scenario files and the vectors the validation endpoint can check.
fn suite_size() -> usize {
    let scenarios = std::fs::read_dir(repo().join("conformance/scenarios"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "json")
        })
        .count();
    let mut vectors = 0;
    for dir in DOCUMENT_DIRS.iter().chain(["malformed"].iter()) {
        let manifest = read_json(
            &repo()
                .join("conformance/vectors")
                .join(dir)
                .join("manifest.json"),
        );
        vectors += manifest["vectors"].as_array().unwrap().len();
    }
    scenarios + vectors
}

/// `(tests attribute of <testsuites>, number of <testcase> elements, number of <failure>)`.
fn junit_counts(path: &Path) -> (usize, usize, usize) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut reader = quick_xml::Reader::from_str(&text);
    let (mut tests, mut cases, mut failures) = (0, 0, 0);
    loop {
        match reader
            .read_event()
            .expect("the JUnit file is well-formed XML")
        {
            Event::Start(e) | Event::Empty(e) => match e.name().into_inner() {
                "testsuites" => {
                    let attr = e
                        .try_get_attribute("tests")
                        .unwrap()
                        .expect("a tests attribute");
                    tests = attr.value.parse().unwrap();
                }
                "testcase" => cases += 1,
                "failure" => failures += 1,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    (tests, cases, failures)
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = kyoten()
        .args(["conformance", "run"])
        .args(args)
        .output()
        .expect("kyoten conformance runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_whole_suite_passes_against_a_spawned_server_and_the_junit_file_counts_every_case() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("conformance.xml");
    let report = dir.path().join("conformance.json");
    let (code, stdout, stderr) = run(&[
        "--spawn",
        "--junit",
        junit.to_str().unwrap(),
        "--json",
        report.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("PASS:"), "{stdout}");
    let expected = suite_size();
    assert_eq!(junit_counts(&junit), (expected, expected, 0));
    let report = read_json(&report);
    assert_eq!(report["passed"], true);
    assert_eq!(report["totals"]["total"], expected);
    assert_eq!(report["totals"]["skipped"], 0, "every scenario ran");
    // Every normative statement with a scenario or vector was checked by this run, and passed.
    let trace = &report["traceability"];
    assert_eq!(trace["failed"], 0, "{trace}");
    let checked_here = table()["statements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s.get("scenarios").is_some() || s.get("vectors").is_some())
        .count();
    assert_eq!(trace["passed"], checked_here, "{trace}");
    assert!(stdout.contains("Normative statements"), "{stdout}");
}

fn table() -> Value {
    read_json(&repo().join("conformance/traceability.json"))
}

#[test]
fn every_statement_of_the_traceability_table_names_checks_that_exist() {
    let scenario_ids: Vec<String> = std::fs::read_dir(repo().join("conformance/scenarios"))
        .unwrap()
        .map(|e| {
            read_json(&e.unwrap().path())["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let mut missing = Vec::new();
    for statement in table()["statements"].as_array().unwrap() {
        let id = statement["id"].as_str().unwrap();
        let list = |key: &str| -> Vec<String> {
            statement
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        };
        let (scenarios, vectors, tests) = (list("scenarios"), list("vectors"), list("tests"));
        if scenarios.is_empty() && vectors.is_empty() && tests.is_empty() {
            missing.push(format!("{id}: checked by nothing"));
        }
        for s in scenarios.iter().filter(|s| !scenario_ids.contains(s)) {
            missing.push(format!("{id}: no scenario {s}"));
        }
        for v in &vectors {
            let (folder, file) = v
                .strip_prefix("vectors/")
                .and_then(|rest| rest.split_once('/'))
                .unwrap();
            let manifest =
                read_json(&repo().join(format!("conformance/vectors/{folder}/manifest.json")));
            let listed = manifest["vectors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["file"] == file);
            if !listed {
                missing.push(format!("{id}: no vector {v}"));
            }
        }
        for t in &tests {
            let (module, function) = t.split_once("::").unwrap();
            let source = std::fs::read_to_string(repo().join(format!("tests/api/{module}.rs")))
                .unwrap_or_default();
            if !source.contains(&format!("fn {function}()")) {
                missing.push(format!("{id}: no test {t}"));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// The credentials file for the shared test server's organizations (it has no second
/// facility), written in `dir`.
fn shared_server_credentials(dir: &Path) -> std::path::PathBuf {
    credentials_file(dir, &key)
}

/// The same for a server of the test's own with the shared server's organizations.
fn credentials_of(server: &TestServer, dir: &Path) -> std::path::PathBuf {
    credentials_file(dir, &|id| server.key(id))
}

fn credentials_file<'k>(dir: &Path, key: &dyn Fn(&'static str) -> &'k str) -> std::path::PathBuf {
    let credentials = json!({
        "city": {"organization_id": "city-041009", "api_key": key("city-041009")},
        "kikan": {"organization_id": "kikan-sendai", "api_key": key("kikan-sendai")},
        "hub": {"organization_id": "hub-aoba", "api_key": key("hub-aoba")},
        "office": {"organization_id": "office-a", "api_key": key("office-a")},
        "other_office": {"organization_id": "office-b", "api_key": key("office-b")},
        "facility": {"organization_id": "0411200015", "api_key": key("0411200015")},
    });
    let file = dir.join("credentials.json");
    std::fs::write(&file, credentials.to_string()).unwrap();
    file
}

#[test]
fn the_whole_suite_passes_against_the_shared_test_server_on_the_backend_under_test() {
    // The shared server has no second facility: the scenario that needs one is skipped.
    let dir = tempfile::tempdir().unwrap();
    let file = shared_server_credentials(dir.path());
    let junit = dir.path().join("conformance.xml");
    let (code, stdout, stderr) = run(&[
        "--target",
        base_url(),
        "--credentials",
        file.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("skipped forbidden-reads-other-facility"),
        "{stdout}"
    );
    let (tests, cases, failures) = junit_counts(&junit);
    assert_eq!((tests, cases, failures), (suite_size(), suite_size(), 0));
    // A second run on the same database finds the facility record of the first and passes.
    let (code, stdout, stderr) = run(&[
        "--target",
        base_url(),
        "--credentials",
        file.to_str().unwrap(),
        "--no-vectors",
        "--only",
        "main-flow",
    ]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
}

/// One HTTP/1.1 request as read from a connection.
struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Reads the request line, the headers and a `Content-Length` body.
fn read_request(stream: &std::net::TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("GET").to_owned();
    let path = parts.next().unwrap_or("/").to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

/// A server that answers from `answer(method, path, body)` with JSON, one request per
/// connection.
fn fake_server(answer: fn(&str, &str, &[u8]) -> (u16, Value)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let Some(request) = read_request(&stream) else {
                continue;
            };
            let (status, json) = answer(&request.method, &request.path, &request.body);
            let body = json.to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

fn fake_credentials(dir: &Path) -> String {
    let mut all = serde_json::Map::new();
    for caller in [
        "city",
        "kikan",
        "hub",
        "office",
        "other_office",
        "facility",
        "other_facility",
    ] {
        all.insert(
            caller.into(),
            json!({"organization_id": format!("{caller}-1"), "api_key": "k"}),
        );
    }
    let file = dir.join("credentials.json");
    std::fs::write(&file, Value::Object(all).to_string()).unwrap();
    file.display().to_string()
}

/// Runs one scenario against `url` with the fake credentials; its `body_file` paths reach the
/// conformance vectors, as they do from `conformance/scenarios/`.
fn run_scenario_against(url: &str, scenario: &Value) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = dir.path().join("scenarios");
    std::fs::create_dir(&scenarios).unwrap();
    std::fs::write(scenarios.join("scenario.json"), scenario.to_string()).unwrap();
    let vectors = repo().join("conformance/vectors");
    std::os::unix::fs::symlink(&vectors, dir.path().join("vectors")).unwrap();
    let credentials = fake_credentials(dir.path());
    run(&[
        "--target",
        url,
        "--credentials",
        &credentials,
        "--scenarios",
        scenarios.to_str().unwrap(),
        "--no-vectors",
    ])
}

#[test]
fn a_validator_that_calls_every_document_valid_fails_the_run_naming_expected_and_got() {
    let url = fake_server(|_, _, _| (200, json!({"valid": true, "errors": [], "warnings": []})));
    let dir = tempfile::tempdir().unwrap();
    let credentials = fake_credentials(dir.path());
    let junit = dir.path().join("conformance.xml");
    let (code, stdout, stderr) = run(&[
        "--target",
        &url,
        "--credentials",
        &credentials,
        "--no-scenarios",
        "--only",
        "vectors/registration",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("✗ vectors/registration/invalid/shortstay_without_caregiver_reason.json"),
        "{stdout}"
    );
    assert!(
        stdout.contains("expected: invalid, errors [\"KY-REG-SHORTSTAY-REASON\"], warnings []"),
        "{stdout}"
    );
    assert!(stdout.contains("got:      valid, errors [], warnings []"));
    assert!(
        stdout.contains("See:      docs/spec/documents.md §2.2"),
        "{stdout}"
    );
    let (tests, cases, failures) = junit_counts(&junit);
    assert_eq!(tests, cases);
    assert!(failures > 0 && failures < cases, "valid vectors still pass");
}

/// What a server answers to a new registration: the document stored, with its id.
fn stored_registration() -> Value {
    let mut doc = read_json(&repo().join("conformance/vectors/registration/valid/full.json"));
    doc["registration_id"] = json!("reg-1");
    doc
}

#[test]
fn a_handoff_with_one_category_too_many_fails_the_scenario_at_that_step() {
    let url = fake_server(|method, path, _| match (method, path) {
        ("POST", "/v1/registrations") => (201, stored_registration()),
        ("POST", "/v1/handoffs") => (
            201,
            json!({"handoff_id": "h-1", "status": "requested",
                   "disclosed_categories": ["identity", "medical", "household"]}),
        ),
        _ => (200, json!({})),
    });
    // The main flow's handoff step, after a registration the fake server accepts.
    let main = read_json(&repo().join("conformance/scenarios/01_main_flow.json"));
    let handoff_step = main["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"] == "/v1/handoffs")
        .expect("the main flow sends a handoff")
        .clone();
    let scenario = json!({
        "id": "handoff-only", "title": "The main flow's handoff", "spec": main["spec"],
        "vars": main["vars"],
        "steps": [
            {"name": "register", "as": "office", "method": "POST", "path": "/v1/registrations",
             "body": {}, "expect": {"status": 201}, "capture": {"reg": "/registration_id"}},
            handoff_step
        ]
    });
    let (code, stdout, stderr) = run_scenario_against(&url, &scenario);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("step:     the office sends a handoff composed from the registration"),
        "{stdout}"
    );
    assert!(stdout.contains("expected: /disclosed_categories: not containing \"household\""));
    assert!(stdout
        .contains("got:      /disclosed_categories: [\"identity\",\"medical\",\"household\"]"));
    assert!(
        stdout.contains("See:      docs/spec/api.md §7.1, docs/spec/consent.md §3.2"),
        "{stdout}"
    );
}

#[test]
fn a_verifier_that_accepts_a_tampered_signature_fails_the_scenario_at_that_attack() {
    // Registers keys and registrations, and calls every packet valid without checking it.
    let url = fake_server(|method, path, body| match (method, path) {
        ("POST", "/v1/keys") => {
            let jwk: Value = serde_json::from_slice(body).unwrap_or_default();
            (
                201,
                json!({"kid": jwk["kid"], "alg": jwk["alg"], "jwk": jwk, "certificate": false,
                       "created_at": "2026-12-01T00:00:00Z", "retired_at": null}),
            )
        }
        ("POST", "/v1/registrations") => (201, stored_registration()),
        ("POST", "/v1/verify") => (
            200,
            json!({"valid": true, "verdict": "valid", "alg": "ES256", "consent_checked": true,
                   "message": "valid", "form": "jws", "kid": "k", "document_type": "handoff",
                   "content_sha256": null, "report": null,
                   "signer": {"organization_id": "office-1", "exchange": false}}),
        ),
        _ => (404, json!({})),
    });
    let signed = read_json(&repo().join("conformance/scenarios/09_signed_packets.json"));
    let steps = signed["steps"].as_array().unwrap();
    let named = |prefix: &str| {
        steps
            .iter()
            .find(|s| s["name"].as_str().unwrap().starts_with(prefix))
            .unwrap_or_else(|| panic!("a step {prefix}…"))
            .clone()
    };
    let scenario = json!({
        "id": "tampered", "title": "A tampered packet", "spec": signed["spec"],
        "steps": [
            named("the office registers the public key it signs ES256"),
            named("the office registers a person"),
            named("the facility verifies a packet signed ES256 as JWS"),
            named("the facility verifies the attack payload_byte_changed"),
        ]
    });
    let (code, stdout, stderr) = run_scenario_against(&url, &scenario);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(
            "step:     the facility verifies the attack payload_byte_changed: bad_signature"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("expected: /valid: false"), "{stdout}");
    assert!(stdout.contains("got:      /valid: true"), "{stdout}");
}

#[test]
fn an_unreachable_target_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let credentials = fake_credentials(dir.path());
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let (code, _, stderr) = run(&["--target", &url, "--credentials", &credentials]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("cannot reach"), "{stderr}");
}

/// A proxy in front of `target` that hands every answer on unchanged, except a registration
/// read (`GET /v1/registrations/{id}`), which `alter` changes first.
fn altering_proxy(target: &str, alter: fn(&mut Value)) -> String {
    let target = target.to_owned();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let target = target.clone();
            std::thread::spawn(move || forward(stream, &target, alter));
        }
    });
    format!("http://{addr}")
}

fn forward(mut stream: std::net::TcpStream, target: &str, alter: fn(&mut Value)) {
    let Some(Request {
        method,
        path,
        headers,
        body,
    }) = read_request(&stream)
    else {
        return;
    };
    let mut request = client().request(method.parse().unwrap(), format!("{target}{path}"));
    for (name, value) in headers {
        let hop = ["host", "connection", "content-length"];
        if !hop.iter().any(|h| name.eq_ignore_ascii_case(h)) {
            request = request.header(name, value);
        }
    }
    let answer = request.body(body).send().unwrap();
    let status = answer.status().as_u16();
    let headers = answer.headers().clone();
    let mut bytes = answer.bytes().unwrap().to_vec();
    let is_read = method == "GET"
        && path.starts_with("/v1/registrations/")
        && path.matches('/').count() == 3
        && !path.contains('?');
    if is_read && status == 200 {
        let mut json: Value = serde_json::from_slice(&bytes).unwrap();
        alter(&mut json);
        bytes = json.to_string().into_bytes();
    }
    let mut head = format!("HTTP/1.1 {status} X\r\n");
    for (name, value) in &headers {
        let skip = ["content-length", "transfer-encoding", "connection"];
        if !skip.contains(&name.as_str()) {
            head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap_or("")));
        }
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        bytes.len()
    ));
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&bytes);
}

#[test]
fn a_server_that_answers_a_read_with_another_persons_data_fails_the_main_flow_at_that_read() {
    // A server of its own: the runs change its facility record, which other tests' runs on the
    // shared server would race.
    let server = TestServer::isolated(&ORGANIZATIONS);
    let dir = tempfile::tempdir().unwrap();
    let file = credentials_of(&server, dir.path());
    // Each alteration of the registration read, and what the failure then says.
    type Alteration = fn(&mut Value);
    let cases: [(Alteration, &str, &str); 5] = [
        (
            |r| r["registration_id"] = json!("reg_someone_else"),
            "expected: /registration_id: \"reg_",
            "got:      /registration_id: \"reg_someone_else\"",
        ),
        (
            |r| r["registrant"]["birth_date"] = json!("1991-05-01"),
            "expected: /registrant/birth_date: \"1990-05-01\"",
            "got:      /registrant/birth_date: \"1991-05-01\"",
        ),
        (
            |r| r["received_by"]["organization_id"] = json!("office-b"),
            "expected: /received_by/organization_id: \"office-a\"",
            "got:      /received_by/organization_id: \"office-b\"",
        ),
        (
            |r| r["consent"]["granted_on"] = json!("2024-01-01"),
            "expected: /consent/granted_on: \"2025-10-15\"",
            "got:      /consent/granted_on: \"2024-01-01\"",
        ),
        // Nothing the step names, but the answer is no registration any more.
        (
            |r| {
                r.as_object_mut().unwrap().remove("registration_reasons");
            },
            "expected: an answer matching the schema of GET /v1/registrations/{id} 200",
            "got:      / fails",
        ),
    ];
    for (alter, expected, got) in cases {
        let proxy = altering_proxy(&server.url(""), alter);
        let (code, stdout, stderr) = run(&[
            "--target",
            &proxy,
            "--credentials",
            file.to_str().unwrap(),
            "--no-vectors",
            "--only",
            "main-flow",
        ]);
        assert_eq!(code, Some(1), "{stdout}\n{stderr}");
        assert!(
            stdout.contains("step:     the kikan reads the current version"),
            "{stdout}"
        );
        assert!(stdout.contains(expected), "{expected} in {stdout}");
        assert!(stdout.contains(got), "{got} in {stdout}");
    }
}
