//! What the city's security staff watch: the security events in the log (one JSON object per
//! line with `--log-format json`) and `GET /metrics`, read from a real `kyoten serve` process.
use crate::helpers::{client, kyoten, output_within, TestDatabase};
use kyoten::crypto::jws::Alg;
use kyoten::crypto::keys;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A `kyoten serve --demo` process whose stderr (its log) goes to a file.
struct Logged {
    child: Child,
    url: String,
    log: PathBuf,
    keys: String,
}

impl Logged {
    fn start(db: &TestDatabase, extra: &[&str]) -> Logged {
        let folder = Path::new(db.url()).parent().unwrap().to_owned();
        let log = folder.join(format!("server-{}.log", extra.len()));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = kyoten()
            .args(["serve", "--demo", "--workers", "2", "--port"])
            .arg(port.to_string())
            .args(["--database-url", db.url()])
            .args(extra)
            .env("RUST_LOG", "info")
            .env_remove("KYOTEN_LOG_FORMAT")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while client().get(format!("{url}/health")).send().is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "no server");
            std::thread::sleep(Duration::from_millis(50));
        }
        let keys = std::fs::read_to_string(folder.join("demo-keys.env")).unwrap();
        Logged {
            child,
            url,
            log,
            keys,
        }
    }

    /// A value of the demo's `demo-keys.env` (`CITY_KEY`, `REG` …).
    fn var(&self, name: &str) -> String {
        self.keys
            .lines()
            .find_map(|l| l.strip_prefix(&format!("export {name}=")))
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap()
            .to_owned()
    }

    /// The organization a key of `demo-keys.env` belongs to (the comment after it).
    fn org_of(&self, name: &str) -> String {
        self.keys
            .lines()
            .find_map(|l| l.strip_prefix(&format!("export {name}=")))
            .and_then(|rest| rest.split_once("# "))
            .and_then(|(_, comment)| comment.split_whitespace().next())
            .unwrap()
            .to_owned()
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        key: &str,
        body: Option<Value>,
    ) -> reqwest::blocking::Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = client()
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(key);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().unwrap()
    }

    /// Stops the server and gives its log's JSON lines (a person's start-up lines aside).
    fn stop(mut self) -> (Vec<Value>, String) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let text = std::fs::read_to_string(&self.log).unwrap();
        let lines = text
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        (lines, text)
    }
}

fn events<'a>(lines: &'a [Value], name: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["event"] == name).collect()
}

#[test]
fn each_security_event_is_one_json_line_naming_the_organization_and_request_but_no_personal_value()
{
    let db = TestDatabase::sqlite();
    let server = Logged::start(&db, &["--log-format", "json"]);
    let (kikan, facility, reg) = (
        server.var("KIKAN_KEY"),
        server.var("FACILITY1_KEY"),
        server.var("REG"),
    );

    let wrong_key = "kyk_0000000000000000000000000000000000000000";
    assert_eq!(
        server
            .send("GET", "/v1/registrations", wrong_key, None)
            .status(),
        401
    );
    let refused = client()
        .get(format!("{}/v1/registrations/{reg}", server.url))
        .bearer_auth(&facility)
        .header("X-Request-Id", "trace-4711")
        .send()
        .unwrap();
    assert!([403, 404].contains(&refused.status().as_u16()));
    assert_eq!(refused.headers()["x-request-id"], "trace-4711");
    let read = server.send(
        "POST",
        &format!("/v1/registrations/{reg}/break-glass-read"),
        &kikan,
        Some(json!({"legal_basis": "vital_interest"})),
    );
    assert_eq!(read.status(), 200);
    let generated = read.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body = read.text().unwrap();
    let key = keys::verifying_key(&keys::generate(Alg::Es256).unwrap()).unwrap();
    let jwk = keys::to_jwk(&key).unwrap();
    assert_eq!(
        server.send("POST", "/v1/keys", &kikan, Some(jwk)).status(),
        201
    );
    let path = format!("/v1/keys/{}/retire", key.kid);
    assert_eq!(server.send("POST", &path, &kikan, None).status(), 204);
    let server_facility = server.org_of("FACILITY1_KEY");
    let (lines, text) = server.stop();

    let failed = events(&lines, "authentication_failed");
    assert_eq!(failed.len(), 1, "{text}");
    assert_eq!(failed[0]["level"], "INFO");
    assert_eq!(failed[0]["target"], "kyoten::security");
    assert_eq!(failed[0]["peer"], "127.0.0.1");
    assert_eq!(failed[0]["reason"], "unknown or revoked key");
    assert_eq!(failed[0]["route"], "/v1/registrations");
    let refused = events(&lines, "access_refused");
    assert_eq!(refused.len(), 1, "{text}");
    assert_eq!(refused[0]["organization"], server_facility.as_str());
    assert_eq!(refused[0]["request_id"], "trace-4711");
    assert_eq!(refused[0]["route"], "/v1/registrations/{id}");
    assert!(
        refused[0].get("peer").is_none(),
        "an address only where it is the point"
    );
    let glass = events(&lines, "break_glass_read");
    assert_eq!(glass.len(), 1, "{text}");
    assert_eq!(glass[0]["organization"], "demo-kikan");
    assert_eq!(glass[0]["request_id"], generated.as_str());
    assert_eq!(
        generated.len(),
        32,
        "a new random id when the client sent none"
    );
    assert_eq!(events(&lines, "key_registered")[0]["key"], key.kid.as_str());
    assert_eq!(events(&lines, "key_retired")[0]["key"], key.kid.as_str());

    // Nothing personal, no key: neither the API keys, nor the registration's id (a path
    // value), nor a value of the person's document.
    let person: Value = serde_json::from_str(&body).unwrap();
    let given = person["registrant"]["name"]["given"].as_str().unwrap();
    let born = person["registrant"]["birth_date"].as_str().unwrap();
    for secret in [wrong_key, &kikan, &facility, &reg, given, born] {
        assert!(!text.contains(secret), "{secret} in the log:\n{text}");
    }
}

#[test]
fn metrics_count_requests_by_route_pattern_and_security_events_for_a_loopback_scraper() {
    let db = TestDatabase::sqlite();
    let server = Logged::start(&db, &[]);
    let facility = server.var("FACILITY1_KEY");
    let reg = server.var("REG");
    for _ in 0..2 {
        server.send("GET", &format!("/v1/registrations/{reg}"), &facility, None);
    }
    server.send("GET", "/v1/registrations", "kyk_wrong", None);
    let res = client()
        .get(format!("{}/metrics", server.url))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let text = res.text().unwrap();
    let refused = ["403", "404"]
        .iter()
        .map(|s| format!("kyoten_http_requests_total{{method=\"GET\",route=\"/v1/registrations/{{id}}\",status=\"{s}\"}} 2"))
        .filter(|line| text.contains(line.as_str()))
        .count();
    assert_eq!(
        refused, 1,
        "two refused reads under the route pattern:\n{text}"
    );
    assert!(!text.contains(&reg), "no path value in a label");
    assert!(
        text.contains("kyoten_security_events_total{event=\"access_refused\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("kyoten_security_events_total{event=\"authentication_failed\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("kyoten_security_events_total{event=\"break_glass_read\"} 0"),
        "{text}"
    );
    assert!(text.contains("kyoten_http_request_duration_seconds_bucket{le=\"+Inf\",method=\"GET\",route=\"/v1/registrations\",status=\"401\"} 1"), "{text}");
    assert!(text.contains("kyoten_db_pool_max_connections "), "{text}");
    assert!(text.contains("kyoten_writer_queue_depth 0"), "{text}");
    server.stop();
}

#[test]
fn behind_a_tls_proxy_metrics_answer_only_with_the_token_and_a_short_token_is_refused_at_start() {
    let db = TestDatabase::sqlite();
    let token = "3c1f0a9b7e6d5c4b3a29";
    let server = Logged::start(&db, &["--behind-tls-proxy", "--metrics-token", token]);
    let url = format!("{}/metrics", server.url);
    let anonymous = client().get(&url).send().unwrap();
    assert_eq!(
        anonymous.status(),
        404,
        "loopback proves nothing behind a proxy"
    );
    let wrong = client()
        .get(&url)
        .bearer_auth("3c1f0a9b7e6d5c4b3a28")
        .send()
        .unwrap();
    assert_eq!(wrong.status(), 404);
    let city = server.var("CITY_KEY");
    let api_key = client().get(&url).bearer_auth(&city).send().unwrap();
    assert_eq!(api_key.status(), 404, "an API key is not the metrics token");
    let scraped = client().get(&url).bearer_auth(token).send().unwrap();
    assert_eq!(scraped.status(), 200);
    assert!(scraped
        .text()
        .unwrap()
        .contains("kyoten_security_events_total"));
    server.stop();

    let out = output_within(
        kyoten().args(["serve", "--port", "0", "--metrics-token", "short"]),
        Duration::from_secs(30),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--metrics-token"));
}

#[test]
fn the_commands_that_change_organizations_and_keys_log_their_security_events() {
    let db = TestDatabase::sqlite();
    let run = |args: &[&str]| {
        let out = output_within(
            kyoten()
                .args(args)
                .args(["--database-url", db.url()])
                .env("KYOTEN_LOG_FORMAT", "json")
                .env_remove("RUST_LOG"),
            Duration::from_secs(60),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<Value> = String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (String::from_utf8_lossy(&out.stdout).into_owned(), lines)
    };
    let (printed, added) = run(&[
        "org", "add", "--role", "hub", "--name", "拠点", "--id", "hub-x",
    ]);
    let secret = printed
        .lines()
        .find_map(|l| l.split(": ").nth(1))
        .unwrap()
        .to_owned();
    let names: Vec<&str> = added.iter().map(|l| l["event"].as_str().unwrap()).collect();
    assert_eq!(names, ["organization_changed", "api_key_changed"]);
    assert_eq!(added[0]["organization"], "hub-x");
    assert_eq!(added[0]["reason"], "created");
    let (_, scoped) = run(&["org", "scope", "hub-x", "041009"]);
    assert_eq!(scoped[0]["reason"], "municipal scope set");
    let (rotated_out, rotated) = run(&["key", "rotate", "hub-x"]);
    assert_eq!(rotated[0]["event"], "api_key_changed");
    let (_, signing) = run(&["signing-key", "rotate"]);
    assert_eq!(signing[0]["event"], "signing_key_changed");
    for line in added.iter().chain(&rotated) {
        let text = line.to_string();
        assert!(
            !text.contains(&secret),
            "the API key is never logged: {text}"
        );
        let new = rotated_out.split(": ").nth(1).unwrap().trim();
        assert!(!text.contains(new), "{text}");
    }
}
