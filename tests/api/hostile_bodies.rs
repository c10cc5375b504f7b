//! Bodies that are not documents get a problem+json with the right status, never a 500.
use crate::helpers::*;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Malformed {
    file: String,
    description: String,
    status: u16,
    problem_type: String,
}

#[derive(Deserialize)]
struct MalformedManifest {
    vectors: Vec<Malformed>,
}

fn post(content_type: Option<&str>, body: Vec<u8>) -> (u16, Value, String) {
    let mut req = client().post(url("/v1/validate/registration")).body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let res = req.send().unwrap();
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, res.json().unwrap_or(Value::Null), ct)
}

#[test]
fn every_malformed_vector_is_refused_with_its_problem_type() {
    let dir = repo().join("conformance/vectors/malformed");
    let manifest: MalformedManifest =
        serde_json::from_value(read_json(&dir.join("manifest.json"))).unwrap();
    assert!(manifest.vectors.len() >= 8);
    for v in manifest.vectors {
        let path = dir.join(&v.file);
        let (status, problem, ct) =
            post(Some(content_type_of(&path)), std::fs::read(&path).unwrap());
        assert_eq!(status, v.status, "{} ({})", v.file, v.description);
        assert_eq!(ct, "application/problem+json", "{}", v.file);
        assert_eq!(problem["type"], v.problem_type, "{}", v.file);
        assert_eq!(problem["status"], v.status, "{}", v.file);
    }
}

#[test]
fn a_20_mb_body_is_refused_with_413() {
    let (status, problem, ct) = post(Some("application/json"), vec![b' '; 20 * 1024 * 1024]);
    assert_eq!(status, 413);
    assert_eq!(ct, "application/problem+json");
    assert_eq!(
        problem["type"],
        "https://w3id.org/kyoten/problems/payload-too-large"
    );
}

#[test]
fn ten_thousand_levels_of_json_nesting_are_refused_with_400() {
    let body = "[".repeat(10_000) + &"]".repeat(10_000);
    let (status, problem, _) = post(Some("application/json"), body.into_bytes());
    assert_eq!(status, 400);
    assert_eq!(
        problem["type"],
        "https://w3id.org/kyoten/problems/nesting-too-deep"
    );
}

#[test]
fn ten_thousand_levels_of_xml_nesting_are_refused_with_400() {
    let body = "<a>".repeat(10_000) + &"</a>".repeat(10_000);
    let (status, problem, _) = post(Some("application/xml"), body.into_bytes());
    assert_eq!(status, 400);
    assert_eq!(
        problem["type"],
        "https://w3id.org/kyoten/problems/nesting-too-deep"
    );
}

#[test]
fn invalid_utf8_is_refused_with_400() {
    let (status, problem, _) = post(
        Some("application/json"),
        b"{\"document_type\":\"\xc3\x28\"}".to_vec(),
    );
    assert_eq!(status, 400);
    assert_eq!(
        problem["type"],
        "https://w3id.org/kyoten/problems/invalid-utf8"
    );
    let (status, problem, _) = post(
        Some("application/xml"),
        b"<registration>\xff</registration>".to_vec(),
    );
    assert_eq!(status, 400);
    assert_eq!(
        problem["type"],
        "https://w3id.org/kyoten/problems/invalid-utf8"
    );
}

#[test]
fn a_wrong_or_missing_content_type_is_refused_with_415() {
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let (status, problem, _) = post(ct, b"{}".to_vec());
        assert_eq!(status, 415, "{ct:?}");
        assert_eq!(
            problem["type"],
            "https://w3id.org/kyoten/problems/unsupported-media-type"
        );
    }
}

#[test]
fn an_empty_body_is_malformed_json() {
    let (status, problem, _) = post(Some("application/json"), Vec::new());
    assert_eq!(status, 400);
    assert_eq!(
        problem["type"],
        "https://w3id.org/kyoten/problems/malformed-json"
    );
}

#[test]
fn a_json_value_that_is_not_an_object_gets_a_report_not_an_error() {
    let (status, report, _) = post(Some("application/json"), b"[1,2,3]".to_vec());
    assert_eq!(status, 200);
    assert_eq!(ids(&report).0, vec!["KY-DOC-NOT-OBJECT"]);
}

#[test]
fn problem_details_never_echo_the_body() {
    let secret = "仙台太郎の秘密";
    let body = format!("{{\"name\": \"{secret}\", ");
    let (_, problem, _) = post(Some("application/json"), body.into_bytes());
    assert!(!problem.to_string().contains(secret));
    let body = format!("<registration><x>{secret}</y></registration>");
    let (_, problem, _) = post(Some("application/xml"), body.into_bytes());
    assert!(!problem.to_string().contains(secret));
}

#[test]
fn every_415_detail_in_japanese_names_media_types_only() {
    // Each endpoint with its own list of accepted types, asked in Japanese (the default).
    let endpoints = [
        ("/v1/validate/registration", "office-a"),
        ("/v1/validate/registration/batch", "office-a"),
        ("/v1/handoffs", "office-a"),
        ("/v1/verify", "office-a"),
        ("/v1/keys", "office-a"),
    ];
    for (path, org) in endpoints {
        let r = client()
            .post(url(path))
            .bearer_auth(key(org))
            .header("Content-Type", "text/plain")
            .body("x")
            .send()
            .unwrap();
        assert_eq!(r.status(), 415, "{path}");
        let problem: serde_json::Value = r.json().unwrap();
        let detail = problem["detail"].as_str().unwrap();
        // Outside the media types themselves, nothing but Japanese.
        let words: Vec<&str> = detail
            .split(|c: char| {
                !c.is_ascii_alphabetic() && c != '/' && c != '-' && c != '+' && c != '*'
            })
            .filter(|w| w.chars().any(|c| c.is_ascii_alphabetic()))
            .filter(|w| !w.contains('/') && *w != "Content-Type")
            .collect();
        assert!(words.is_empty(), "{path}: {detail} has {words:?}");
    }
}
