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

/// A handoff packet from the conformance vectors, issued now and valid for hours.
fn handoff_file(dir: &std::path::Path) -> std::path::PathBuf {
    let mut doc = read_json(&repo().join("conformance/vectors/handoff/valid/full.json"));
    let now = chrono::Utc::now();
    doc["issued_at"] = serde_json::json!(now.to_rfc3339());
    doc["expires_at"] = serde_json::json!((now + chrono::Duration::hours(6)).to_rfc3339());
    let path = dir.join("handoff.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    path
}

#[test]
fn keygen_sign_and_verify_work_offline_on_files_in_both_forms() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    let out = kyoten()
        .args(["keygen", "--out"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let jwk: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(jwk["alg"], "ES256");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the private key is readable by its owner only"
        );
    }
    let jwks = dir.path().join("jwks.json");
    std::fs::write(&jwks, serde_json::json!({"keys": [jwk]}).to_string()).unwrap();
    let packet = handoff_file(dir.path());
    for format in ["jws", "xml"] {
        let out = kyoten()
            .args(["sign", "--format", format, "--key"])
            .arg(&key)
            .arg(&packet)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let signed = [
        dir.path().join("handoff.json.jws"),
        dir.path().join("handoff.json.signed.xml"),
    ];
    let out = kyoten()
        .args(["verify", "--jwks"])
        .arg(&jwks)
        .args(&signed)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert_eq!(text.matches(": valid (").count(), 2, "{text}");
    // The same key given as PEM verifies too; a changed byte does not.
    let mut xml = std::fs::read_to_string(&signed[1]).unwrap();
    xml = xml.replacen("short_stay", "group_home", 1);
    let tampered = dir.path().join("tampered.xml");
    std::fs::write(&tampered, xml).unwrap();
    let out = kyoten()
        .args(["verify", "--output", "json", "--key"])
        .arg(&key)
        .arg(&signed[0])
        .arg(&tampered)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["verdict"], "valid");
    assert_eq!(lines[1]["verdict"], "digest_mismatch");
    // A key nobody trusts is not a verdict of "valid".
    let other = dir.path().join("other.pem");
    assert!(kyoten()
        .args(["keygen", "--out"])
        .arg(&other)
        .output()
        .unwrap()
        .status
        .success());
    let out = kyoten()
        .args(["verify", "--key"])
        .arg(&other)
        .arg(&signed[0])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("REFUSED unknown_key"));
}

#[test]
fn sign_refuses_an_invalid_document() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    assert!(kyoten()
        .args(["keygen", "--out"])
        .arg(&key)
        .output()
        .unwrap()
        .status
        .success());
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"document_type":"handoff","schema_version":"1.0.0"}"#,
    )
    .unwrap();
    let out = kyoten()
        .args(["sign", "--key"])
        .arg(&key)
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.path().join("bad.json.jws").exists());
}

#[test]
fn a_ps256_key_signs_ps256_and_its_public_file_verifies_as_ps256() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("office.pem");
    let out = kyoten()
        .args(["keygen", "--alg", "PS256", "--out"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = dir.path().join("office.pub.pem");
    assert!(std::fs::read_to_string(&public)
        .unwrap()
        .starts_with("Algorithm: PS256\n"));
    let packet = handoff_file(dir.path());
    let out = kyoten()
        .args(["sign", "--key"])
        .arg(&key)
        .arg(&packet)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let compact = std::fs::read_to_string(dir.path().join("handoff.json.jws")).unwrap();
    // --out-dir makes a missing folder, for the owner only.
    let folder = dir.path().join("signed").join("today");
    let out = kyoten()
        .args(["sign", "--out-dir"])
        .arg(&folder)
        .arg("--key")
        .arg(&key)
        .arg(&packet)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(folder.join("handoff.json.jws").is_file());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&folder).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let header: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            compact.split('.').next().unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        header["alg"], "PS256",
        "the key signs with the algorithm it was made for"
    );
    let out = kyoten()
        .args(["verify", "--output", "json", "--key"])
        .arg(&public)
        .arg(dir.path().join("handoff.json.jws"))
        .output()
        .unwrap();
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["verdict"], "valid", "{line}");
    assert_eq!(line["alg"], "PS256");
    // Asking the key for another algorithm than it was made for is refused.
    let out = kyoten()
        .args(["sign", "--alg", "RS256", "--out-dir"])
        .arg(dir.path())
        .arg("--key")
        .arg(&key)
        .arg(&packet)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("made for PS256"));
}

#[test]
fn commands_that_read_an_exchange_refuse_a_database_that_is_not_there_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let commands: [&[&str]; 4] = [
        &["org", "list"],
        &["key", "rotate", "office"],
        &["municipality", "list"],
        &["audit", "verify"],
    ];
    for args in commands {
        let out = kyoten()
            .current_dir(dir.path())
            .args(args)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("no database at data/kyoten.sqlite"),
            "{args:?}: {stderr}"
        );
        assert!(!dir.path().join("data").exists(), "{args:?} created data/");
    }
}

#[test]
fn an_organizations_municipal_scope_is_set_shown_and_removed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kyoten.sqlite");
    let run = |args: &[&str]| {
        kyoten()
            .args(args)
            .arg("--database-url")
            .arg(&db)
            .output()
            .unwrap()
    };
    let out = run(&[
        "org",
        "add",
        "--role",
        "kikan",
        "--name",
        "石巻",
        "--id",
        "kikan-ishinomaki",
        "--scope",
        "042021",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("scope 042021"));
    let shown = |out: std::process::Output| String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(
        shown(run(&["org", "scope", "kikan-ishinomaki"])),
        "kikan-ishinomaki\t042021"
    );
    assert_eq!(
        shown(run(&[
            "org",
            "scope",
            "kikan-ishinomaki",
            "041009/青葉区,042021"
        ])),
        "kikan-ishinomaki\t041009/青葉区,042021"
    );
    assert_eq!(
        shown(run(&["org", "scope", "kikan-ishinomaki", "everywhere"])),
        "kikan-ishinomaki\teverywhere"
    );
    let refused = run(&["org", "scope", "kikan-ishinomaki", "Ishinomaki"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("municipality code"));
    assert_eq!(
        run(&["org", "scope", "nobody", "042021"]).status.code(),
        Some(1)
    );
}

#[test]
fn validate_junit_carries_warnings_in_the_cases_output_without_failing_them() {
    // A valid facility record whose vacancy figure is old: valid, with a stale warning.
    let out = kyoten()
        .args(["validate", "--format", "junit", "--lang", "en"])
        .arg(repo().join("conformance/vectors/facility/valid/minimal.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(xml.contains("tests=\"1\" failures=\"0\""), "{xml}");
    assert!(
        xml.contains("<system-out>warning KY-FAC-VACANCY-STALE at /services/0/vacancy_as_of"),
        "{xml}"
    );
    kyoten::xml::parse(xml.as_bytes()).expect("JUnit output is well-formed XML");
}

/// Runs `command` in a pseudo-terminal (util-linux `script`) and returns what the terminal got.
fn on_a_terminal(command: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("terminal.log");
    let status = std::process::Command::new("script")
        .args(["-qec", command])
        .arg(&log)
        .stdout(std::process::Stdio::null())
        .env("KYOTEN_KEY_ENCRYPTION_KEY", TEST_KEK)
        .status()
        .unwrap();
    assert!(status.code().is_some());
    String::from_utf8_lossy(&std::fs::read(&log).unwrap()).into_owned()
}

#[test]
fn validate_draws_a_progress_bar_only_while_the_results_go_to_a_file_with_a_readable_rate() {
    let dir = tempfile::tempdir().unwrap();
    let doc =
        std::fs::read_to_string(repo().join("conformance/vectors/registration/valid/full.json"))
            .unwrap()
            .replace('\n', "");
    let many = dir.path().join("many.ndjson");
    std::fs::write(&many, format!("{doc}\n").repeat(500)).unwrap();
    let bin = env!("CARGO_BIN_EXE_kyoten");
    let out = dir.path().join("report.txt");
    let terminal = on_a_terminal(&format!(
        "{bin} validate {} > {}",
        many.display(),
        out.display()
    ));
    assert!(
        terminal.contains("█"),
        "a bar while the report goes to a file: {terminal}"
    );
    assert!(
        terminal.contains("iB/s"),
        "the rate in bytes per second, readable: {terminal}"
    );
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains("500 documents: 500 valid"));
    // Results on the terminal are the progress: no bar drawn between them.
    let terminal = on_a_terminal(&format!("{bin} validate {}", many.display()));
    assert!(terminal.contains("500 documents: 500 valid"), "{terminal}");
    assert!(!terminal.contains("█"), "{terminal}");
}
