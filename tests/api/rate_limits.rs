//! Per-address limits: failed authentications, and (when configured) the validation endpoints.
use crate::fixtures::registration_from;
use crate::helpers::*;
use kyoten::domain::role::Role;
use kyoten::http::Settings;
use reqwest::blocking::{RequestBuilder, Response};
use serde_json::Value;
use std::io::BufRead;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ORGS: [(&str, Role, &str); 2] = [
    ("office", Role::ConsultationOffice, "見本相談支援事業所"),
    ("kikan-1", Role::Kikan, "見本基幹相談支援センター"),
];

const TOO_MANY: &str = "https://w3id.org/kyoten/problems/too-many-requests";

fn with_limits(auth_failures: u32, window: Duration, validate: u32) -> TestServer {
    TestServer::isolated_with(
        &ORGS,
        Settings {
            auth_failure_limit: auth_failures,
            auth_failure_window: window,
            validate_rate_limit: validate,
            validate_window: window,
            ..test_settings()
        },
    )
}

fn registrations(server: &TestServer) -> RequestBuilder {
    client().get(server.url("/v1/registrations"))
}

/// Asserts a 429 problem with a `Retry-After` of at most `window`; returns the problem.
fn assert_too_many(res: Response, window: Duration) -> Value {
    assert_eq!(res.status(), 429);
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=window.as_secs()).contains(&retry_after),
        "{retry_after}"
    );
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem: Value = res.json().unwrap();
    assert_eq!(problem["type"], TOO_MANY);
    assert_eq!(problem["status"], 429);
    problem
}

#[test]
fn after_too_many_wrong_keys_from_one_address_every_key_from_it_gets_429_until_the_window_ends() {
    let window = Duration::from_secs(60);
    let server = with_limits(3, window, 0);
    // Requests that cannot be a right guess do not count: no key, or another scheme.
    for _ in 0..5 {
        assert_eq!(registrations(&server).send().unwrap().status(), 401);
        let basic = registrations(&server).header("authorization", "Basic b2ZmaWNlOnB3");
        assert_eq!(basic.send().unwrap().status(), 401);
    }
    let office = || registrations(&server).bearer_auth(server.key("office"));
    assert_eq!(office().send().unwrap().status(), 200);
    // Three unknown keys are three 401s …
    for i in 0..3 {
        let guess = registrations(&server).bearer_auth(format!("kyk_guess_{i}"));
        assert_eq!(guess.send().unwrap().status(), 401);
    }
    // … and then the address is refused, whatever key it sends, in the caller's language.
    let guess = registrations(&server).bearer_auth("kyk_guess_3");
    let problem = assert_too_many(
        guess.header("accept-language", "en").send().unwrap(),
        window,
    );
    assert_eq!(problem["title"], "Too many requests");
    let problem = assert_too_many(office().send().unwrap(), window);
    assert_eq!(problem["title"], "要求が多すぎます");
    // A write with a right key and an Idempotency-Key is refused too, and stores nothing.
    let write = client()
        .post(server.url("/v1/registrations"))
        .bearer_auth(server.key("office"))
        .header("idempotency-key", "while-refused")
        .json(&registration_from("office"));
    assert_too_many(write.send().unwrap(), window);
    let stored = kyoten::store::registrations::count_received_by(
        &mut server.store.conn().unwrap(),
        "office",
    )
    .unwrap();
    assert_eq!(stored, 0);
    // What needs no key still answers: a request without one is told to authenticate, and
    // the public endpoints work.
    assert_eq!(registrations(&server).send().unwrap().status(), 401);
    let health = client().get(server.url("/health")).send().unwrap();
    assert_eq!(health.status(), 200);
}

#[test]
fn the_refusal_ends_with_its_window() {
    let window = Duration::from_secs(1);
    let server = with_limits(1, window, 0);
    let office = || registrations(&server).bearer_auth(server.key("office"));
    // One wrong key, then (within the second) the address is refused; a slow machine may
    // need another try to fit both into one window.
    let started = Instant::now();
    loop {
        let guess = registrations(&server).bearer_auth("kyk_wrong");
        assert!(matches!(guess.send().unwrap().status().as_u16(), 401 | 429));
        if office().send().unwrap().status() == 429 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "never refused");
    }
    let started = Instant::now();
    while office().send().unwrap().status() == 429 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "still refused long after the window"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(office().send().unwrap().status(), 200);
}

#[test]
fn the_validation_endpoints_take_a_per_address_limit_when_one_is_set() {
    let window = Duration::from_secs(60);
    let server = with_limits(0, window, 3);
    let doc = registration_from("office");
    let validate = || {
        client()
            .post(server.url("/v1/validate/registration"))
            .json(&doc)
            .send()
            .unwrap()
    };
    for _ in 0..3 {
        assert_eq!(validate().status(), 200);
    }
    assert_too_many(validate(), window);
    let batch = client()
        .post(server.url("/v1/validate/registration/batch"))
        .header("content-type", "application/x-ndjson")
        .body(format!("{doc}\n"))
        .send()
        .unwrap();
    assert_too_many(batch, window);
    // Other endpoints are not limited.
    for _ in 0..5 {
        let res = registrations(&server)
            .bearer_auth(server.key("kikan-1"))
            .send()
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            client().get(server.url("/health")).send().unwrap().status(),
            200
        );
    }
}

#[test]
fn the_validation_endpoints_have_no_limit_by_default() {
    let doc = registration_from("office-a");
    for _ in 0..30 {
        let res = client()
            .post(url("/v1/validate/registration"))
            .json(&doc)
            .send()
            .unwrap();
        assert_eq!(res.status(), 200);
    }
}

/// A `kyoten serve` process with its stderr collected.
struct Logged {
    child: std::process::Child,
    url: String,
    log: Arc<Mutex<String>>,
}

impl Logged {
    fn start(database_url: &str, args: &[&str], env: &[(&str, &str)]) -> Logged {
        let mut child = kyoten()
            .args(["serve", "--port", "0", "--workers", "1", "--database-url"])
            .arg(database_url)
            .args(args)
            .envs(env.iter().copied())
            .env("RUST_LOG", "warn,kyoten::security=info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if let Some(rest) = line.strip_prefix("kyoten listening on ") {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
                }
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|e| {
                let status = child.try_wait();
                panic!(
                    "the server did not start ({e}, {status:?}): {}",
                    log.lock().unwrap()
                )
            });
        Logged { child, url, log }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn each_failed_authentication_and_rate_limit_is_a_security_event_with_address_and_route_but_never_the_key(
) {
    let db = backend_database();
    let server = Logged::start(
        db.url(),
        &["--auth-failure-limit", "2"],
        &[("KYOTEN_VALIDATE_RATE_LIMIT", "1")],
    );
    let guess = "kyk_0123456789abcdef_a_guessed_key";
    let path = format!("{}/v1/registrations/reg_0123456789abcdef", server.url);
    let statuses: Vec<u16> = (0..3)
        .map(|_| {
            client()
                .get(&path)
                .bearer_auth(guess)
                .send()
                .unwrap()
                .status()
                .as_u16()
        })
        .collect();
    assert_eq!(statuses, [401, 401, 429], "--auth-failure-limit 2");
    let validate = || {
        client()
            .post(format!("{}/v1/validate/registration", server.url))
            .json(&registration_from("office"))
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(
        [validate(), validate()],
        [200, 429],
        "KYOTEN_VALIDATE_RATE_LIMIT=1"
    );
    // The log is written as the requests are answered; give the reader a moment.
    let started = Instant::now();
    while server.log().matches("kyoten::security").count() < 4 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = server.log();
    let lines = |event: &str| -> Vec<String> {
        let field = format!("event=\"{event}\"");
        log.lines()
            .filter(|l| l.contains(&field))
            .map(str::to_owned)
            .collect()
    };
    let (failures, limited) = (lines("authentication_failed"), lines("rate_limited"));
    assert_eq!(failures.len(), 2, "{log}");
    assert_eq!(limited.len(), 2, "{log}");
    for line in failures.iter().chain(&limited) {
        assert!(line.contains(" INFO kyoten::security"), "{line}");
        assert!(line.contains("peer=\"127.0.0.1\""), "{line}");
    }
    for line in failures.iter().chain(&limited[..1]) {
        assert!(line.contains("route=\"/v1/registrations/{id}\""), "{line}");
    }
    assert!(
        failures[0].contains("reason=\"unknown or revoked key\""),
        "{log}"
    );
    assert!(
        limited[0].contains("reason=\"too many failed authentications\""),
        "{log}"
    );
    assert!(
        limited[1].contains("reason=\"validation requests\""),
        "{log}"
    );
    assert!(!log.contains(guess), "the key is never logged: {log}");
    assert!(!log.contains("reg_0123456789abcdef"), "nor the path: {log}");
}
