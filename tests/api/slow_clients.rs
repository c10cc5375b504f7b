//! Slow and heavy clients: a request's head and body must arrive in time (slowloris), and a
//! batch validation without an API key has a size.
use crate::fixtures::registration_from;
use crate::helpers::*;
use kyoten::domain::role::Role;
use kyoten::http::slow_clients::BodyPolicy;
use kyoten::http::Settings;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const ORGS: [(&str, Role, &str); 1] = [("office", Role::ConsultationOffice, "見本相談支援事業所")];

/// A server that gives a request's head and body one second, and a keyless batch 3 documents.
fn impatient() -> TestServer {
    TestServer::isolated_with(
        &ORGS,
        Settings {
            request_head_timeout: Duration::from_secs(1),
            body: BodyPolicy {
                timeout: Duration::from_secs(1),
                min_rate: 4096,
            },
            batch_max_documents: 3,
            ..test_settings()
        },
    )
}

fn connect(server: &TestServer) -> TcpStream {
    let addr = server.url.trim_start_matches("http://");
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    stream
}

/// Everything the server sends until it closes the connection, and how long that took.
fn until_closed(mut stream: TcpStream, started: Instant) -> (String, Duration) {
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

#[test]
fn a_client_that_never_finishes_its_headers_gets_408_and_the_connection_is_closed() {
    let server = impatient();
    let mut stream = connect(&server);
    let started = Instant::now();
    stream
        .write_all(b"POST /v1/validate/registration HTTP/1.1\r\nHost: kyoten\r\nX-Slow: ")
        .unwrap();
    let (answer, took) = until_closed(stream, started);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn a_body_that_stops_arriving_gets_a_408_problem_and_the_connection_is_closed() {
    let server = impatient();
    let mut stream = connect(&server);
    let started = Instant::now();
    stream
        .write_all(
            b"POST /v1/validate/registration HTTP/1.1\r\nHost: kyoten\r\nContent-Type: application/json\r\nAccept-Language: en\r\nContent-Length: 1000\r\n\r\n{\"document_type\":",
        )
        .unwrap();
    let (answer, took) = until_closed(stream, started);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert!(answer.contains("/problems/request-timeout"), "{answer}");
    assert!(
        answer.contains("The request was not received in time."),
        "{answer}"
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn a_body_that_trickles_below_the_minimum_rate_gets_408_although_bytes_keep_coming() {
    let server = impatient();
    let mut stream = connect(&server);
    let started = Instant::now();
    stream
        .write_all(
            b"POST /v1/validate/registration HTTP/1.1\r\nHost: kyoten\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
        )
        .unwrap();
    // A byte every 100 ms: never a pause of a second, but 10 bytes/s, far below 4096.
    let writer = stream.try_clone().unwrap();
    let drip = std::thread::spawn(move || {
        let mut writer = writer;
        for _ in 0..100 {
            if writer.write_all(b" ").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let (answer, took) = until_closed(stream, started);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        took < Duration::from_secs(5),
        "refused near the deadline, not at the end: {took:?}"
    );
    drop(drip);
}

#[test]
fn a_body_sent_at_an_ordinary_pace_with_pauses_shorter_than_the_timeout_is_read_whole() {
    let server = impatient();
    let doc = serde_json::to_vec(&registration_from("office")).unwrap();
    let mut stream = connect(&server);
    let head = format!(
        "POST /v1/validate/registration HTTP/1.1\r\nHost: kyoten\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        doc.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    for part in doc.chunks(doc.len() / 3 + 1) {
        std::thread::sleep(Duration::from_millis(400));
        stream.write_all(part).unwrap();
    }
    let (answer, _) = until_closed(stream, Instant::now());
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

fn batch(server: &TestServer, documents: usize, key: Option<&str>) -> Vec<Value> {
    let line = serde_json::to_string(&registration_from("office")).unwrap();
    let mut req = client()
        .post(server.url("/v1/validate/registration/batch"))
        .header("Content-Type", "application/x-ndjson")
        .header("Accept-Language", "en")
        .body(format!("{line}\n").repeat(documents));
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    let res = req.send().unwrap();
    assert_eq!(res.status(), 200);
    res.text()
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_batch_without_an_api_key_stops_at_its_limit_with_a_line_that_says_so_and_a_key_lifts_it() {
    let server = impatient();
    let lines = batch(&server, 5, None);
    assert_eq!(lines.len(), 4, "{lines:?}");
    for (i, line) in lines[..3].iter().enumerate() {
        assert_eq!(line["line"], i + 1);
        assert_eq!(line["valid"], true, "{line}");
    }
    assert_eq!(lines[3]["line"], 4);
    assert_eq!(lines[3]["valid"], false);
    let problem = &lines[3]["problem"];
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .ends_with("/payload-too-large"),
        "{problem}"
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("at most 3 documents"),
        "{problem}"
    );

    let keyed = batch(&server, 5, Some(server.key("office")));
    assert_eq!(keyed.len(), 5);
    assert!(keyed.iter().all(|l| l["valid"] == true));
    assert_eq!(
        batch(&server, 3, None).len(),
        3,
        "exactly at the limit: no extra line"
    );
    let wrong = client()
        .post(server.url("/v1/validate/registration/batch"))
        .header("Content-Type", "application/x-ndjson")
        .bearer_auth("kyk_not_a_key")
        .body("{}\n")
        .send()
        .unwrap();
    assert_eq!(wrong.status(), 401, "a key that is sent must be valid");
}

#[test]
fn a_batch_whose_body_stops_arriving_ends_with_a_request_timeout_line() {
    let server = impatient();
    let line = serde_json::to_string(&registration_from("office")).unwrap();
    let mut stream = connect(&server);
    let started = Instant::now();
    let head = "POST /v1/validate/registration/batch HTTP/1.1\r\nHost: kyoten\r\nContent-Type: application/x-ndjson\r\nAccept-Language: en\r\nContent-Length: 10000000\r\n\r\n";
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(format!("{line}\n").as_bytes()).unwrap();
    let (answer, took) = until_closed(stream, started);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"line\":1,\"valid\":true"), "{answer}");
    assert!(answer.contains("/problems/request-timeout"), "{answer}");
    assert!(took < Duration::from_secs(10), "{took:?}");
}
