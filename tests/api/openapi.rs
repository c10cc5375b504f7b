//! The committed OpenAPI document is exactly what the code generates.
use crate::helpers::*;

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let generated = kyoten::http::openapi::document_text();
    let path = repo().join("openapi/openapi.json");
    if std::env::var_os("KYOTEN_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is stale: run `cargo run -- openapi --write openapi/openapi.json`"
    );
}

#[test]
fn the_served_openapi_document_is_the_committed_one() {
    let served = client()
        .get(url("/openapi.json"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(served, kyoten::http::openapi::document_text());
}

#[test]
fn the_openapi_document_is_version_3_1_with_the_hand_written_schemas_spliced_in() {
    let doc: serde_json::Value =
        serde_json::from_str(kyoten::http::openapi::document_text()).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let schemas = &doc["components"]["schemas"];
    for name in [
        "Registration",
        "Facility",
        "Handoff",
        "HandoffResponse",
        "Common",
        "Problem",
        "Report",
    ] {
        assert!(schemas.get(name).is_some(), "{name} missing");
    }
    for name in [
        "Registration",
        "Facility",
        "Handoff",
        "HandoffResponse",
        "Common",
    ] {
        assert!(schemas[name].get("$id").is_none(), "{name} keeps no $id");
        assert!(
            schemas[name].get("$schema").is_none(),
            "{name} keeps no $schema"
        );
    }
    let text = kyoten::http::openapi::document_text();
    assert!(
        !text.contains("\"$ref\": \"#/$defs"),
        "local refs are rewritten"
    );
    assert!(
        !text.contains("\"$ref\": \"https://"),
        "cross-file refs are rewritten"
    );
}

#[test]
fn every_operation_declares_its_errors_as_problem_details() {
    let doc: serde_json::Value =
        serde_json::from_str(kyoten::http::openapi::document_text()).unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let default = &op["responses"]["default"]["content"]["application/problem+json"];
            assert!(
                default.is_object(),
                "{method} {path} does not declare problem+json errors"
            );
        }
    }
}

/// Python with openapi-spec-validator: `KYOTEN_PYTHON` (set by scripts/test.sh) or `python3`.
fn python() -> String {
    std::env::var("KYOTEN_PYTHON").unwrap_or_else(|_| "python3".into())
}

#[test]
fn the_openapi_document_passes_openapi_spec_validator() {
    let out = std::process::Command::new(python())
        .args(["-m", "openapi_spec_validator"])
        .arg(repo().join("openapi/openapi.json"))
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "openapi-spec-validator rejected the document (install it with `bash scripts/test.sh`):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn no_schema_of_the_openapi_document_allows_nothing() {
    // An `enum` with no value accepts no instance: a schema built from a code list that came
    // out empty, which no client could satisfy.
    fn empty_enums(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(o) => {
                if o.get("enum")
                    .and_then(|e| e.as_array())
                    .is_some_and(|e| e.is_empty())
                {
                    out.push(at.clone());
                }
                for (k, child) in o {
                    empty_enums(child, format!("{at}/{k}"), out);
                }
            }
            serde_json::Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    empty_enums(child, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let doc: serde_json::Value =
        serde_json::from_str(kyoten::http::openapi::document_text()).unwrap();
    let mut found = Vec::new();
    empty_enums(&doc, String::new(), &mut found);
    assert!(found.is_empty(), "empty enums at {found:?}");
}

#[test]
fn no_component_keeps_its_own_defs_and_every_reference_resolves_within_the_document() {
    let doc: serde_json::Value =
        serde_json::from_str(kyoten::http::openapi::document_text()).unwrap();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (name, schema) in schemas {
        assert!(schema.get("$defs").is_none(), "{name} carries $defs");
    }
    // A definition is its own component: the 事業所番号 of the common definitions.
    assert_eq!(schemas["CommonFacilityId"]["title"], "事業所番号");
    fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(r) = m.get("$ref").and_then(|r| r.as_str()) {
                    out.push(r.to_owned());
                }
                m.values().for_each(|c| refs(c, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|c| refs(c, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 100);
    for r in all {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{r} leaves the document"));
        assert!(doc.pointer(pointer).is_some(), "{r} resolves to nothing");
    }
}

#[test]
fn public_operations_say_they_need_no_key_and_the_others_name_the_api_key() {
    let doc: serde_json::Value =
        serde_json::from_str(kyoten::http::openapi::document_text()).unwrap();
    assert_eq!(doc["servers"][0]["url"], "/");
    let public = [
        ("/health", "get"),
        ("/v1/validate/{document_type}", "post"),
        ("/schemas", "get"),
        ("/.well-known/jwks.json", "get"),
    ];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let security = op["security"]
                .as_array()
                .unwrap_or_else(|| panic!("{method} {path}"));
            if public.contains(&(path.as_str(), method.as_str())) {
                assert!(security.is_empty(), "{method} {path} is public");
            } else if path.starts_with("/v1/") && !path.starts_with("/v1/validate/") {
                assert!(!security.is_empty(), "{method} {path} needs a key");
            }
        }
    }
}

#[test]
fn every_success_answer_in_json_declares_its_schema() {
    let doc: serde_json::Value =
        serde_json::from_str(kyoten::http::openapi::document_text()).unwrap();
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, answer) in op["responses"].as_object().unwrap() {
                if !status.starts_with('2') {
                    continue;
                }
                for (media, content) in answer["content"].as_object().into_iter().flatten() {
                    if media.contains("json") && content.get("schema").is_none() {
                        missing.push(format!("{method} {path} {status} {media}"));
                    }
                }
            }
        }
    }
    assert!(missing.is_empty(), "no schema: {missing:#?}");
    // The stored documents are answered as their contract says.
    assert_eq!(
        doc["paths"]["/v1/facilities/{facility_id}"]["get"]["responses"]["200"]["content"]
            ["application/json"]["schema"]["$ref"],
        "#/components/schemas/Facility"
    );
}

#[test]
fn every_operation_is_summarized_in_japanese_and_english() {
    let doc: serde_json::Value =
        serde_json::from_str(kyoten::http::openapi::document_text()).unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let summary = op["summary"].as_str().unwrap_or_default();
            let (ja, en) = summary
                .split_once(" — ")
                .unwrap_or_else(|| panic!("{method} {path}: {summary:?}"));
            assert!(
                !ja.is_ascii() && en.is_ascii() && !en.is_empty(),
                "{method} {path}: {summary}"
            );
            assert!(
                op["description"].as_str().is_some_and(|d| d.len() > 20),
                "{method} {path} keeps its description"
            );
        }
    }
}
