//! What client generators need of the OpenAPI document beyond its validity: openapi-python-client,
//! openapi-typescript and openapi-generator read a subset of JSON Schema and name their types
//! after the document's. Each pass says which tool reads what; `scripts/openapi-clients.sh`
//! generates the clients and calls every operation with them.
use serde_json::{json, Value};

/// Runs every pass, on the document the rest of `openapi` built.
pub(super) fn declare(doc: &mut Value) {
    inline_member_refs(doc);
    packet_subject(doc);
    batch_line(doc);
    japanese_titles_as_extensions(doc);
    open_objects(doc);
    raw_bodies_as_binary(doc);
}

/// A batch line is a report or a problem, each with its `line`: said as two objects, which
/// client generators can read (the derived `allOf` over an untagged `oneOf` they cannot).
fn batch_line(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let (Some(line), Some(report)) = (
        schemas
            .remove("BatchBody")
            .and(schemas.get("BatchLine"))
            .and_then(|l| l.pointer("/allOf/1/properties/line").cloned()),
        schemas.get("Report").cloned(),
    ) else {
        return;
    };
    // The report's members and `line`, in one object.
    let mut reported = report;
    reported["description"] = json!("The line was a document: its report.");
    reported["properties"]["line"] = line.clone();
    reported["required"]
        .as_array_mut()
        .into_iter()
        .for_each(|r| r.push(json!("line")));
    schemas.insert("BatchLine".into(), json!({
        "description": "One line of a batch result: the report of input line `line`, or why it was not a document.",
        "oneOf": [
            reported,
            {"description": "The line was not a document (`valid` is always false).",
             "type": "object",
             "properties": {"line": line, "valid": {"type": "boolean", "const": false},
                            "problem": {"$ref": "#/components/schemas/Problem"}},
             "required": ["line", "valid", "problem"]},
        ],
    }));
}

/// A reference into another schema's members (`EmergencyIntake/properties/desired_services`)
/// is replaced by a copy of that member: client generators resolve only whole components.
fn inline_member_refs(doc: &mut Value) {
    fn walk(v: &mut Value, schemas: &Value) {
        match v {
            Value::Object(map) => {
                let target = map.get("$ref").and_then(Value::as_str).and_then(|r| {
                    let pointer = r.strip_prefix("#/components/schemas/")?;
                    pointer
                        .contains('/')
                        .then(|| schemas.pointer(&format!("/{pointer}")))?
                });
                if let Some(Value::Object(target)) = target.cloned() {
                    map.remove("$ref");
                    for (key, value) in target {
                        map.entry(key).or_insert(value);
                    }
                }
                map.values_mut().for_each(|c| walk(c, schemas));
            }
            Value::Array(items) => items.iter_mut().for_each(|c| walk(c, schemas)),
            _ => {}
        }
    }
    let schemas = doc["components"]["schemas"].clone();
    walk(&mut doc["components"]["schemas"], &schemas);
}

/// A packet's `subject` has the registration's shapes or the intake's, as its `if`/`then`/`else`
/// says; generators that do not read conditions are told the two shapes with `anyOf` (and do not
/// invent an inline `HandoffSubject` beside the component of that name).
fn packet_subject(doc: &mut Value) {
    if let Some(subject) = doc.pointer_mut("/components/schemas/Handoff/properties/subject") {
        subject.as_object_mut().map(|s| s.remove("type"));
        subject["anyOf"] = json!([
            {"$ref": "#/components/schemas/HandoffSubject"},
            {"$ref": "#/components/schemas/HandoffIntakeSubject"},
        ]);
    }
}

/// Bodies that are not JSON (signed packets, XML documents, NDJSON, PEM, XSD) are strings of
/// bytes the exchange reads or writes as they are: `format: binary` tells client generators to
/// pass them through untouched (openapi-python-client, openapi-generator).
fn raw_bodies_as_binary(doc: &mut Value) {
    for op in super::openapi::operations_mut(doc) {
        let mut contents: Vec<&mut Value> = Vec::new();
        for (key, part) in op.iter_mut() {
            match key.as_str() {
                "requestBody" => contents.extend(part.get_mut("content")),
                "responses" => contents.extend(
                    part.as_object_mut()
                        .into_iter()
                        .flat_map(|r| r.values_mut())
                        .filter_map(|r| r.get_mut("content")),
                ),
                _ => {}
            }
        }
        for content in contents.into_iter().filter_map(Value::as_object_mut) {
            for (media, part) in content.iter_mut() {
                let essence = media.split(';').next().unwrap_or_default().trim();
                let json = essence == "application/json" || essence.ends_with("+json");
                if !json && part["schema"]["type"] == "string" {
                    part["schema"]["format"] = json!("binary");
                }
            }
        }
    }
}

/// An object schema that lists no members takes any (JSON Schema's default); TypeScript
/// generators read it as an object with none (`Record<string, never>`) unless it says so.
fn open_objects(doc: &mut Value) {
    each_schema_object(doc, &mut |map| {
        let bare = map.get("type").and_then(Value::as_str) == Some("object")
            && !MEMBER_KEYWORDS.iter().any(|k| map.contains_key(*k));
        if bare {
            map.insert("additionalProperties".into(), Value::Bool(true));
        }
    });
}

/// The keywords by which an object schema says which members it takes.
const MEMBER_KEYWORDS: [&str; 7] = [
    "properties",
    "additionalProperties",
    "patternProperties",
    "allOf",
    "oneOf",
    "anyOf",
    "$ref",
];

type SchemaObject = serde_json::Map<String, Value>;

/// Calls `f` on every object under `components` and `paths`, the schemas among them, but not
/// inside instance values (`example`, `const` …), whose members are data.
fn each_schema_object(doc: &mut Value, f: &mut dyn FnMut(&mut SchemaObject)) {
    fn walk(v: &mut Value, f: &mut dyn FnMut(&mut SchemaObject)) {
        match v {
            Value::Object(map) => {
                f(map);
                for (key, child) in map.iter_mut() {
                    let instance = matches!(
                        key.as_str(),
                        "example" | "examples" | "const" | "enum" | "default"
                    );
                    if !instance {
                        walk(child, f);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|c| walk(c, f)),
            _ => {}
        }
    }
    for part in ["components", "paths"] {
        if let Some(part) = doc.get_mut(part) {
            walk(part, f);
        }
    }
}

/// Client generators name their classes after a schema's `title` (openapi-python-client makes
/// `class 障害者手帳等の所持`, and fails on two equal titles). In this document the Japanese
/// label moves to `x-title-ja`, beside `x-title-en`, and classes take the component and member
/// names. The schemas served under /schemas keep their `title`: it is the label in messages.
fn japanese_titles_as_extensions(doc: &mut Value) {
    // Only a `title` that is text: in a `properties` map, `title` would be a member's schema.
    each_schema_object(doc, &mut |map| {
        if map.get("title").is_some_and(Value::is_string) {
            let title = map.remove("title").unwrap_or_default();
            map.insert("x-title-ja".into(), title);
        }
    });
}
