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
        "CommonFacilityId",
        "Problem",
        "Report",
    ] {
        assert!(schemas.get(name).is_some(), "{name} missing");
    }
    // The common definitions are components of their own; their container is not one.
    assert!(schemas.get("Common").is_none());
    for name in ["Registration", "Facility", "Handoff", "HandoffResponse"] {
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
    assert_eq!(schemas["CommonFacilityId"]["x-title-ja"], "事業所番号");
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

/// What client generators need of the document beyond validity (scripts/openapi-clients.sh
/// generates and runs the clients; these say why, in one place each).
fn schema_objects(v: &serde_json::Value, at: String, out: &mut Vec<(String, serde_json::Value)>) {
    match v {
        serde_json::Value::Object(m) => {
            out.push((at.clone(), v.clone()));
            for (k, child) in m {
                if !matches!(
                    k.as_str(),
                    "example" | "examples" | "const" | "enum" | "default"
                ) {
                    schema_objects(child, format!("{at}/{k}"), out);
                }
            }
        }
        serde_json::Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                schema_objects(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn components_and_paths() -> Vec<(String, serde_json::Value)> {
    let doc: serde_json::Value =
        serde_json::from_str(kyoten::http::openapi::document_text()).unwrap();
    let mut out = Vec::new();
    schema_objects(&doc["components"], "/components".into(), &mut out);
    schema_objects(&doc["paths"], "/paths".into(), &mut out);
    out
}

#[test]
fn schemas_carry_their_japanese_label_as_x_title_ja_so_generated_classes_take_component_names() {
    let titled: Vec<String> = components_and_paths()
        .into_iter()
        .filter(|(_, o)| o.get("title").is_some_and(|t| t.is_string()))
        .map(|(at, _)| at)
        .collect();
    assert!(titled.is_empty(), "schemas with a title: {titled:?}");
}

#[test]
fn references_name_whole_components_never_a_member_inside_one() {
    let inside: Vec<String> = components_and_paths()
        .into_iter()
        .filter_map(|(_, o)| o.get("$ref").and_then(|r| r.as_str()).map(str::to_owned))
        .filter(|r| r.trim_start_matches("#/components/schemas/").contains('/'))
        .collect();
    assert!(inside.is_empty(), "references into a component: {inside:?}");
}

#[test]
fn an_object_schema_without_members_says_it_takes_any() {
    let closed: Vec<String> = components_and_paths()
        .into_iter()
        .filter(|(_, o)| {
            o.get("type") == Some(&serde_json::json!("object"))
                && [
                    "properties",
                    "additionalProperties",
                    "patternProperties",
                    "allOf",
                    "oneOf",
                    "anyOf",
                    "$ref",
                ]
                .iter()
                .all(|k| o.get(*k).is_none())
        })
        .map(|(at, _)| at)
        .collect();
    assert!(closed.is_empty(), "bare object schemas: {closed:?}");
}

#[test]
fn the_body_of_a_new_handoff_is_the_create_request_and_names_the_packet_parts_it_carries() {
    let doc: serde_json::Value =
        serde_json::from_str(kyoten::http::openapi::document_text()).unwrap();
    let body = &doc["paths"]["/v1/handoffs"]["post"]["requestBody"]["content"]["application/json"];
    assert_eq!(
        body["schema"]["$ref"],
        "#/components/schemas/HandoffCreateRequest"
    );
    let create = &doc["components"]["schemas"]["HandoffCreateRequest"];
    assert!(create["properties"]["recipient"].is_object());
    assert_eq!(
        create["properties"]["situation"]["$ref"],
        "#/components/schemas/HandoffSituation"
    );
    assert_eq!(
        create["properties"]["request"]["$ref"],
        "#/components/schemas/HandoffRequest"
    );
    // The packet's own `request` member keeps its name beside it.
    assert!(doc["components"]["schemas"]["HandoffRequest"]["properties"]["start_on"].is_object());
}

#[test]
fn bodies_that_are_not_json_are_bytes_to_client_generators() {
    let doc: serde_json::Value =
        serde_json::from_str(kyoten::http::openapi::document_text()).unwrap();
    let verify = &doc["paths"]["/v1/verify"]["post"]["requestBody"]["content"];
    for media in ["application/jose", "application/xml"] {
        assert_eq!(verify[media]["schema"]["format"], "binary", "{media}");
    }
    let batch = &doc["paths"]["/v1/validate/{document_type}/batch"]["post"];
    assert_eq!(
        batch["requestBody"]["content"]["application/x-ndjson"]["schema"]["format"],
        "binary"
    );
    // Each answer line is a BatchLine, named as OpenAPI 3.2 names it.
    let answer = &batch["responses"]["200"]["content"]["application/x-ndjson"];
    assert_eq!(
        answer["x-itemSchema"]["$ref"],
        "#/components/schemas/BatchLine"
    );
    let registration = &doc["paths"]["/v1/registrations"]["post"]["requestBody"]["content"];
    assert!(registration["application/json"]["schema"]
        .get("format")
        .is_none());
}

/// The kana and kanji, and the ASCII letters, of a text outside its `code` spans.
fn japanese_and_latin_letters(text: &str) -> (usize, usize) {
    let prose: String = text.split('`').step_by(2).collect();
    let japanese = prose
        .chars()
        .filter(|c| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}'))
        .count();
    (
        japanese,
        prose.chars().filter(char::is_ascii_alphabetic).count(),
    )
}

#[test]
fn every_operation_is_described_in_japanese_then_english() {
    let doc: serde_json::Value =
        serde_json::from_str(kyoten::http::openapi::document_text()).unwrap();
    let mut wrong = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let description = op["description"].as_str().unwrap_or_default();
            let mut paragraphs = description.split("\n\n");
            // Japanese first: a paragraph of Japanese prose, not English that names a term.
            let (japanese, latin) = japanese_and_latin_letters(paragraphs.next().unwrap());
            let japanese_first = japanese > latin;
            // Then English: a later paragraph of ASCII words.
            let english_after = paragraphs.any(|p| {
                let (japanese, latin) = japanese_and_latin_letters(p);
                let words = p
                    .split_whitespace()
                    .filter(|w| w.chars().all(|c| c.is_ascii_alphabetic()))
                    .count();
                latin > 3 * japanese && words >= 3
            });
            if !(japanese_first && english_after) {
                wrong.push(format!("{method} {path}: {description:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
