//! The published contracts are consistent with themselves.
use crate::helpers::*;
use kyoten::contracts::Contracts;
use serde_json::Value;

fn walk<'v>(v: &'v Value, path: String, f: &mut dyn FnMut(&str, &'v Value)) {
    f(&path, v);
    match v {
        Value::Object(map) => map
            .iter()
            .for_each(|(k, c)| walk(c, format!("{path}/{k}"), f)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, c)| walk(c, format!("{path}/{i}"), f)),
        _ => {}
    }
}

#[test]
fn every_schema_id_matches_its_file_path_and_compiles() {
    let contracts = Contracts::load().expect("contracts load");
    for s in &contracts.schemas {
        assert_eq!(
            s.id,
            format!("https://w3id.org/kyoten/schemas/{}/{}", s.name, s.version)
        );
        let on_disk = std::fs::read_to_string(
            repo()
                .join("schemas")
                .join(&s.name)
                .join(format!("{}.json", s.version)),
        )
        .unwrap();
        assert_eq!(on_disk, s.file.raw, "served bytes equal the file");
    }
    kyoten::validation::Engine::new(Contracts::get()).expect("every schema compiles");
}

#[test]
fn every_enum_with_a_codelist_equals_that_codelists_codes() {
    let contracts = Contracts::get();
    let mut checked = 0;
    for s in &contracts.schemas {
        walk(&s.file.value, String::new(), &mut |path, v| {
            if let Some(name) = v.get("x-codelist").and_then(Value::as_str) {
                let codes: Vec<&Value> = contracts.codes(name);
                let enumerated: Vec<&Value> = v["enum"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{}{path}: x-codelist without enum", s.name))
                    .iter()
                    .collect();
                assert_eq!(
                    enumerated, codes,
                    "{}{path}: enum differs from codelists/{name}.json",
                    s.name
                );
                checked += 1;
            }
        });
    }
    assert!(checked >= 20, "only {checked} code-listed enums found");
}

#[test]
fn every_property_has_japanese_and_english_titles() {
    for s in &Contracts::get().schemas {
        walk(&s.file.value, String::new(), &mut |path, v| {
            if path.ends_with("/properties") {
                for (name, prop) in v.as_object().unwrap() {
                    // `"name": false` forbids a property in one case: nothing to title.
                    if prop.is_boolean() {
                        continue;
                    }
                    for key in ["title", "description", "x-title-en", "x-description-en"] {
                        assert!(
                            prop.get(key)
                                .and_then(Value::as_str)
                                .is_some_and(|t| !t.is_empty()),
                            "{}{path}/{name} lacks {key}",
                            s.name
                        );
                    }
                }
            }
        });
    }
}

#[test]
fn every_codelist_code_has_both_labels() {
    for (name, list) in &Contracts::get().codelists {
        for code in list.value["codes"].as_array().unwrap() {
            for lang in ["ja", "en"] {
                assert!(
                    code[lang].as_str().is_some_and(|l| !l.is_empty()),
                    "{name}: {} lacks {lang}",
                    code["code"]
                );
            }
        }
    }
}

#[test]
fn every_data_category_field_exists_in_the_registration_schema() {
    use kyoten::contracts::shape::Shapes;
    let engine = kyoten::validation::Engine::get();
    let shape = engine
        .latest_shape(kyoten::contracts::DocumentType::Registration)
        .unwrap();
    for (category, fields) in &engine.policy.category_fields {
        for f in fields {
            assert!(
                shape.at(f.split('/').skip(1)).is_some(),
                "{category}: {f} is not a registration field"
            );
        }
    }
}

#[test]
fn every_message_has_japanese_and_english_text_and_a_known_severity() {
    for m in Contracts::get().messages.values() {
        assert!(!m.ja.is_empty() && !m.en.is_empty(), "{}", m.id);
        assert!(m.severity == "error" || m.severity == "warning", "{}", m.id);
    }
}

#[test]
fn every_message_id_used_in_the_code_is_in_the_catalogue_and_every_catalogue_id_is_used() {
    let contracts = Contracts::get();
    let mut used = std::collections::BTreeSet::new();
    let mut stack = vec![repo().join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                for (i, _) in text.match_indices("\"KY-") {
                    let id: String = text[i + 1..].chars().take_while(|c| *c != '"').collect();
                    // Prefixes such as "KY-DOC" (used to classify ids) are not ids.
                    if id.matches('-').count() >= 2 {
                        used.insert(id);
                    }
                }
            }
        }
    }
    for id in &used {
        assert!(
            contracts.message(id).is_some(),
            "{id} is used in src but not documented in the catalogue"
        );
    }
    for id in contracts.messages.keys() {
        assert!(used.contains(id), "{id} is documented but never produced");
    }
}

#[test]
fn the_message_reference_in_docs_matches_the_catalogue() {
    let generated = kyoten::contracts::messages_markdown(Contracts::get());
    let path = repo().join("docs/spec/messages.md");
    if std::env::var_os("KYOTEN_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/spec/messages.md is stale: run KYOTEN_UPDATE_SNAPSHOTS=1 cargo test"
    );
}

#[test]
fn the_facility_schema_asks_for_availability_exactly_of_the_services_the_code_list_gives_no_capacity(
) {
    let contracts = Contracts::get();
    let without: Vec<&Value> = contracts.codelists.get("service_types").unwrap().value["codes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["has_capacity"] == false)
        .map(|c| &c["code"])
        .collect();
    assert!(without.len() >= 10, "{without:?}");
    let schema = contracts
        .schemas
        .iter()
        .find(|s| s.name == "facility")
        .unwrap();
    let condition = &schema.file.value["$defs"]["service"]["allOf"][0]["if"]["properties"]
        ["service_type"]["enum"];
    let listed: Vec<&Value> = condition.as_array().unwrap().iter().collect();
    assert_eq!(listed, without);
}
