//! Every conformance vector gives its expected verdict and ids through the library, the HTTP
//! endpoint and the CLI alike.
use crate::helpers::*;
use kyoten::contracts::DocumentType;
use kyoten::validation::input::{Format, Input};
use kyoten::validation::{Engine, Lang};
use serde_json::Value;
use std::collections::HashMap;

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn library_report(doc_type: &str, file: &std::path::Path) -> Value {
    let engine = Engine::get();
    let bytes = std::fs::read(file).expect("vector readable");
    let format = if content_type_of(file) == "application/xml" {
        Format::Xml
    } else {
        Format::Json
    };
    let input = Input::read(format, &bytes, engine)
        .unwrap_or_else(|e| panic!("{}: not a document: {e:?}", file.display()));
    let outcome = input.validate(engine, DocumentType::parse(doc_type));
    serde_json::to_value(input.render(engine, &outcome, Lang::En)).expect("report serializes")
}

fn http_report(doc_type: &str, file: &std::path::Path) -> Value {
    let res = client()
        .post(url(&format!("/v1/validate/{doc_type}")))
        .header("content-type", content_type_of(file))
        .body(std::fs::read(file).expect("vector readable"))
        .send()
        .expect("request");
    assert_eq!(res.status(), 200, "{}", file.display());
    res.json().expect("report json")
}

fn cli_reports(doc_type: &str) -> HashMap<String, Value> {
    let dir = repo().join("conformance/vectors").join(doc_type);
    let out = kyoten()
        .args([
            "validate", "--type", doc_type, "--format", "json", "--lang", "en",
        ])
        .arg(&dir)
        .output()
        .expect("kyoten validate runs");
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("json line");
            (v["file"].as_str().expect("file").to_owned(), v)
        })
        .collect()
}

fn check(doc_type: &str) {
    let manifest = manifest(doc_type);
    assert_eq!(manifest.document_type, doc_type);
    let dir = repo().join("conformance/vectors").join(doc_type);
    let cli = cli_reports(doc_type);
    let mut listed = Vec::new();
    for v in &manifest.vectors {
        let file = dir.join(&v.file);
        listed.push(file.clone());
        let expected = (sorted(v.errors.clone()), sorted(v.warnings.clone()));
        let lib = library_report(doc_type, &file);
        let http = http_report(doc_type, &file);
        let cli = cli
            .get(&file.display().to_string())
            .unwrap_or_else(|| panic!("CLI did not report {}", file.display()));
        for (via, report) in [("library", &lib), ("http", &http), ("cli", cli)] {
            assert_eq!(
                ids(report),
                expected,
                "{via}: {} ({})",
                v.file,
                v.description
            );
            assert_eq!(report["valid"], Value::Bool(v.valid), "{via}: {}", v.file);
        }
        if let Some(locations) = &v.locations {
            let got: Vec<&str> = lib["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["instance_location"].as_str().unwrap())
                .collect();
            for loc in locations {
                assert!(
                    got.contains(&loc.as_str()),
                    "{}: expected an error at {loc}, got {got:?}",
                    v.file
                );
            }
        }
        if let Some(xml_locations) = &v.xml_locations {
            let got: Vec<&str> = lib["errors"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|m| m["xml_location"].as_str())
                .collect();
            for loc in xml_locations {
                assert!(
                    got.contains(&loc.as_str()),
                    "{}: expected an error at XML {loc}, got {got:?}",
                    v.file
                );
            }
        }
    }
    let mut on_disk = Vec::new();
    for sub in ["valid", "invalid"] {
        for entry in std::fs::read_dir(dir.join(sub))
            .into_iter()
            .flatten()
            .flatten()
        {
            on_disk.push(entry.path());
        }
    }
    for file in on_disk {
        assert!(
            listed.contains(&file),
            "{} is not in the manifest",
            file.display()
        );
    }
}

#[test]
fn registration_vectors_agree_across_library_http_and_cli() {
    check("registration");
}

#[test]
fn facility_vectors_agree_across_library_http_and_cli() {
    check("facility");
}

#[test]
fn handoff_vectors_agree_across_library_http_and_cli() {
    check("handoff");
}

#[test]
fn handoff_response_vectors_agree_across_library_http_and_cli() {
    check("handoff_response");
}

#[test]
fn emergency_intake_vectors_agree_across_library_http_and_cli() {
    check("emergency_intake");
}

#[test]
fn every_domain_rule_has_a_failing_vector_and_every_message_id_a_vector() {
    let engine = Engine::get();
    let mut seen: Vec<String> = Vec::new();
    for dir in DOCUMENT_DIRS {
        for v in manifest(dir).vectors {
            seen.extend(v.errors);
            seen.extend(v.warnings);
        }
    }
    let missing: Vec<&String> = engine
        .contracts()
        .messages
        .keys()
        .filter(|id| !seen.contains(id))
        .filter(|id| !NOT_PRODUCED_BY_VERSION_1_SCHEMAS.contains(&id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "message ids without a vector: {missing:?}"
    );
}

/// Schema keywords that no 1.0.0 schema uses (documented for later versions).
const NOT_PRODUCED_BY_VERSION_1_SCHEMAS: [&str; 2] = ["KY-SCHEMA-MAX-ITEMS", "KY-SCHEMA-OTHER"];

#[test]
fn no_message_echoes_a_personal_value_of_its_document() {
    for dir in DOCUMENT_DIRS {
        let base = repo().join("conformance/vectors").join(dir);
        for v in manifest(dir)
            .vectors
            .iter()
            .filter(|v| v.file.ends_with(".json"))
        {
            let doc = read_json(&base.join(&v.file));
            let mut personal = Vec::new();
            collect_free_text(&doc, &mut personal);
            for lang in [Lang::Ja, Lang::En] {
                let engine = Engine::get();
                let outcome = engine.validate(DocumentType::parse(dir), &doc);
                let report = engine.render(&outcome, lang, None);
                for m in report.errors.iter().chain(&report.warnings) {
                    for value in &personal {
                        assert!(
                            !m.message.contains(value.as_str()),
                            "{}: message {} echoes a value",
                            v.file,
                            m.id
                        );
                    }
                }
            }
        }
    }
}

/// Strings that are not codes: names, kana, addresses, phones, dates, free text.
fn collect_free_text(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            let code = s.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            if s.chars().count() >= 3 && !code {
                out.push(s.clone());
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_free_text(i, out)),
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "document_type" | "schema_version"))
            .for_each(|(_, i)| collect_free_text(i, out)),
        _ => {}
    }
}
