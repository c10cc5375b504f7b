//! `kyoten validate` and `kyoten openapi` as a CI would run them.
use crate::helpers::*;
use std::io::Write;

fn tmp_file(name: &str, contents: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(contents)
        .unwrap();
    (dir, path)
}

#[test]
fn validate_exits_0_when_every_document_is_valid() {
    let out = kyoten()
        .args(["validate"])
        .arg(repo().join("conformance/vectors/registration/valid/full.json"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 documents: 1 valid, 0 invalid"));
}

#[test]
fn validate_exits_1_and_names_the_rule_when_a_document_is_invalid() {
    let (_dir, path) = tmp_file("bad.json", &shortstay_without_reason());
    let out = kyoten()
        .args(["validate", "--lang", "en"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("INVALID (registration 1.0.0)"), "{text}");
    assert!(
        text.contains("error KY-REG-SHORTSTAY-REASON at /emergency_plan/desired_services/"),
        "{text}"
    );
}

#[test]
fn validate_exits_2_on_a_missing_path() {
    let out = kyoten()
        .args(["validate", "/nonexistent/kyoten/file.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn validate_exits_2_on_a_usage_error() {
    let out = kyoten()
        .args(["validate", "--format", "yaml", "x.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn validate_reads_ndjson_and_reports_each_line_by_number() {
    let good = serde_json::to_string(&read_json(
        &repo().join("conformance/vectors/registration/valid/minimal.json"),
    ))
    .unwrap();
    let bad = String::from_utf8(shortstay_without_reason()).unwrap();
    let (_dir, path) = tmp_file(
        "many.ndjson",
        format!("{good}\n{bad}\n{good}\n{{oops\n").as_bytes(),
    );
    let out = kyoten()
        .args(["validate", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines
            .iter()
            .map(|l| l["line"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(lines[1]["valid"], false);
    assert_eq!(
        lines[3]["problem"]["type"],
        "https://w3id.org/kyoten/problems/malformed-json"
    );
}

#[test]
fn validate_writes_junit_that_counts_failures_per_file() {
    let (dir, _bad) = tmp_file("bad.json", &shortstay_without_reason());
    std::fs::copy(
        repo().join("conformance/vectors/registration/valid/full.json"),
        dir.path().join("good.json"),
    )
    .unwrap();
    let out = kyoten()
        .args(["validate", "--format", "junit"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(xml.starts_with("<?xml"));
    assert!(xml.contains("tests=\"1\" failures=\"1\""), "{xml}");
    assert!(xml.contains("tests=\"1\" failures=\"0\""), "{xml}");
    assert!(xml.contains("KY-REG-SHORTSTAY-REASON"));
    kyoten::xml::parse(xml.as_bytes()).expect("JUnit output is well-formed XML");
}

#[test]
fn validate_reads_xml_files() {
    let out = kyoten()
        .args(["validate"])
        .arg(repo().join("conformance/vectors/registration/valid/full.xml"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn openapi_prints_the_committed_document_and_check_detects_drift() {
    let out = kyoten().args(["openapi"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        kyoten::http::openapi::document_text()
    );
    let (_dir, stale) = tmp_file("openapi.json", b"{}");
    let out = kyoten()
        .args(["openapi", "--check"])
        .arg(&stale)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn validate_keeps_line_numbers_across_read_chunks_of_a_large_ndjson_file() {
    let good = serde_json::to_string(&read_json(
        &repo().join("conformance/vectors/registration/valid/full.json"),
    ))
    .unwrap();
    let bad = String::from_utf8(shortstay_without_reason()).unwrap();
    let body: String = (1..=2000)
        .map(|i| {
            if i % 500 == 0 {
                format!("{bad}\n")
            } else {
                format!("{good}\n")
            }
        })
        .collect();
    assert!(body.len() > 8 * 1024 * 1024, "spans several read chunks");
    let (_dir, path) = tmp_file("large.ndjson", body.as_bytes());
    let out = kyoten()
        .args(["validate", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2000);
    let invalid: Vec<u64> = lines
        .iter()
        .filter(|l| l["valid"] == false)
        .map(|l| l["line"].as_u64().unwrap())
        .collect();
    assert_eq!(invalid, vec![500, 1000, 1500, 2000]);
}
