//! The valid conformance vectors of each document type, taken together, use every field its
//! schema defines and every code of every code list its fields take, so an
//! integrator who runs them has seen every field and every code value at least once.
//!
//! The schemas are read as data. Each document-type schema is walked from its root, following
//! `$ref`s (into `schemas/common/1.0.0.json` and into other document schemas) and the
//! combinators `allOf`, `anyOf`, `oneOf`, `if`, `then` and `else`. The walk collects every
//! property path as a pattern with array items written `*` (`/consent/provisions/*/categories/*`)
//! and, for each path, the code set it takes: the code list named by `x-codelist`, or an inline
//! `enum`. A `const` field counts as used when it is present. `$defs` are reached only through
//! `$ref`s: a definition no document refers to is not a field of any document.
//!
//! The valid JSON vectors listed in each `manifest.json` are then read (the XML vectors mirror
//! JSON ones) and their paths and values compared with what the schemas define.
use crate::helpers::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A set of codes a field takes: a code list of `schemas/codelists/`, or the inline `enum` of
/// the field at a path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum CodeSet {
    List(String),
    Inline(String),
}

impl std::fmt::Display for CodeSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodeSet::List(name) => write!(f, "code list {name}"),
            CodeSet::Inline(path) => write!(f, "the enum at {path}"),
        }
    }
}

/// What one version of a document type defines.
#[derive(Default)]
struct Shape {
    /// Every property and array-item path.
    paths: BTreeSet<String>,
    /// The paths that take each code set.
    takers: BTreeMap<CodeSet, BTreeSet<String>>,
    /// The codes of each inline enum, as JSON text.
    inline_codes: BTreeMap<CodeSet, BTreeSet<String>>,
}

/// Every schema under `schemas/`, by `$id`.
struct Schemas(BTreeMap<String, Value>);

/// Keywords that would put fields where this walk does not look. None is used by the schemas
/// today; if one appears, the walk must learn it before its coverage can be trusted.
const UNWALKED_KEYWORDS: [&str; 7] = [
    "prefixItems",
    "contains",
    "patternProperties",
    "dependentSchemas",
    "$dynamicRef",
    "unevaluatedProperties",
    "unevaluatedItems",
];

impl Schemas {
    fn load() -> Self {
        let mut by_id = BTreeMap::new();
        for dir in std::fs::read_dir(repo().join("schemas")).expect("schemas/") {
            let dir = dir.expect("entry").path();
            if !dir.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(&dir).expect("schema folder") {
                let file = file.expect("entry").path();
                if file.extension().is_some_and(|e| e == "json") {
                    let doc = read_json(&file);
                    if let Some(id) = doc.get("$id").and_then(Value::as_str) {
                        by_id.insert(id.to_owned(), doc);
                    }
                }
            }
        }
        Schemas(by_id)
    }

    /// The schema a `$ref` points at, and the `$id` its own relative references resolve from.
    fn resolve(&self, reference: &str, base: &str, at: &str) -> (&Value, String) {
        let (uri, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let id = if uri.is_empty() { base } else { uri };
        assert!(
            id.starts_with("https://"),
            "{at}: the walk resolves only absolute or fragment-only $refs, not {reference}"
        );
        let doc = self
            .0
            .get(id)
            .unwrap_or_else(|| panic!("{at}: $ref {reference}: no schema with $id {id}"));
        let target = doc
            .pointer(fragment)
            .unwrap_or_else(|| panic!("{at}: $ref {reference}: no {fragment} in {id}"));
        (target, id.to_owned())
    }

    /// The shape of a document type's schema of one version.
    fn shape(&self, doc_type: &str, version: &str) -> Shape {
        let id = format!("https://w3id.org/kyoten/schemas/{doc_type}/{version}");
        let root = self
            .0
            .get(&id)
            .unwrap_or_else(|| panic!("no schema with $id {id}"));
        let mut shape = Shape::default();
        let mut refs = Vec::new();
        self.walk(root, &id, "", &mut refs, &mut shape);
        shape
    }

    /// Walks `schema`, which describes the instance at `path`. `refs` holds the `$ref`s being
    /// followed, to stop on a recursive schema (whose paths would never end).
    fn walk(
        &self,
        schema: &Value,
        base: &str,
        path: &str,
        refs: &mut Vec<String>,
        shape: &mut Shape,
    ) {
        let Some(obj) = schema.as_object() else {
            return; // `true` or `false`: no fields.
        };
        for keyword in UNWALKED_KEYWORDS {
            assert!(
                !obj.contains_key(keyword),
                "{base}: {keyword} at {path}: the coverage walk does not follow it yet"
            );
        }
        for keyword in ["additionalProperties", "additionalItems"] {
            assert!(
                matches!(obj.get(keyword), None | Some(Value::Bool(false))),
                "{base}: {keyword} with a schema at {path}: the coverage walk does not follow it yet"
            );
        }
        if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
            let (target, target_base) = self.resolve(reference, base, path);
            let key = format!("{target_base}#{reference}");
            assert!(
                !refs.contains(&key),
                "{base}: recursive $ref {reference} at {path}: its paths would never end"
            );
            refs.push(key);
            self.walk(target, &target_base, path, refs, shape);
            refs.pop();
        }
        if let Some(name) = obj.get("x-codelist").and_then(Value::as_str) {
            let set = CodeSet::List(name.to_owned());
            shape.takers.entry(set).or_default().insert(path.to_owned());
        } else if let Some(codes) = obj.get("enum").and_then(Value::as_array) {
            let set = CodeSet::Inline(path.to_owned());
            let codes = codes.iter().map(Value::to_string).collect();
            shape.inline_codes.insert(set.clone(), codes);
            shape.takers.entry(set).or_default().insert(path.to_owned());
        }
        if let Some(properties) = obj.get("properties").and_then(Value::as_object) {
            for (name, sub) in properties {
                let child = format!("{path}/{}", name.replace('~', "~0").replace('/', "~1"));
                shape.paths.insert(child.clone());
                self.walk(sub, base, &child, refs, shape);
            }
        }
        if let Some(items) = obj.get("items") {
            let child = format!("{path}/*");
            shape.paths.insert(child.clone());
            self.walk(items, base, &child, refs, shape);
        }
        for keyword in ["allOf", "anyOf", "oneOf"] {
            for sub in obj
                .get(keyword)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                self.walk(sub, base, path, refs, shape);
            }
        }
        for keyword in ["if", "then", "else"] {
            if let Some(sub) = obj.get(keyword) {
                self.walk(sub, base, path, refs, shape);
            }
        }
    }
}

/// The codes of every code list in `schemas/codelists/`, as JSON text (`"04"`, `2`).
fn code_lists() -> BTreeMap<String, BTreeSet<String>> {
    let mut lists = BTreeMap::new();
    for file in std::fs::read_dir(repo().join("schemas/codelists")).expect("code lists") {
        let file = file.expect("entry").path();
        let list = read_json(&file);
        let name = list["name"].as_str().expect("a code list has a name");
        assert_eq!(
            file.file_stem().and_then(|s| s.to_str()),
            Some(name),
            "{}",
            file.display()
        );
        let codes = list["codes"]
            .as_array()
            .expect("a code list has codes")
            .iter()
            .map(|c| c["code"].to_string())
            .collect();
        lists.insert(name.to_owned(), codes);
    }
    lists
}

/// The versions of a document type that have a schema (`schemas/{type}/{version}.json`).
fn versions(doc_type: &str) -> Vec<String> {
    let mut versions: Vec<String> = std::fs::read_dir(repo().join("schemas").join(doc_type))
        .expect("schema folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    versions.sort();
    versions
}

/// The paths and values the valid JSON vectors of one document type and version use.
#[derive(Default)]
struct Usage {
    /// Every property and array-item path present in some vector.
    paths: BTreeSet<String>,
    /// The values (as JSON text) found at each path.
    values: BTreeMap<String, BTreeSet<String>>,
    /// How many vectors were read.
    vectors: usize,
}

impl Usage {
    fn of(doc_type: &str, version: &str) -> Self {
        let dir = repo().join("conformance/vectors").join(doc_type);
        let mut usage = Usage::default();
        for v in manifest(doc_type).vectors {
            if !v.valid || !v.file.ends_with(".json") {
                continue;
            }
            let doc = read_json(&dir.join(&v.file));
            if doc["schema_version"] != version {
                continue;
            }
            usage.add(&doc, String::new());
            usage.vectors += 1;
        }
        usage
    }

    fn add(&mut self, v: &Value, path: String) {
        match v {
            Value::Object(map) => {
                for (name, item) in map {
                    let child = format!("{path}/{}", name.replace('~', "~0").replace('/', "~1"));
                    self.paths.insert(child.clone());
                    self.add(item, child);
                }
            }
            Value::Array(items) => {
                let child = format!("{path}/*");
                for item in items {
                    self.paths.insert(child.clone());
                    self.add(item, child.clone());
                }
            }
            scalar => {
                self.values
                    .entry(path)
                    .or_default()
                    .insert(scalar.to_string());
            }
        }
    }
}

/// Every (document type, version) with its shape and its vectors' usage.
fn covered() -> Vec<(String, Shape, Usage)> {
    let schemas = Schemas::load();
    let mut out = Vec::new();
    for doc_type in DOCUMENT_DIRS {
        for version in versions(doc_type) {
            let shape = schemas.shape(doc_type, &version);
            let usage = Usage::of(doc_type, &version);
            assert!(
                usage.vectors > 0,
                "{doc_type} {version}: no valid JSON vector in its manifest"
            );
            out.push((format!("{doc_type} {version}"), shape, usage));
        }
    }
    out
}

#[test]
fn valid_vectors_together_use_every_field_of_every_document_type() {
    let mut unused = Vec::new();
    let mut unknown = Vec::new();
    for (doc, shape, usage) in covered() {
        for path in shape.paths.difference(&usage.paths) {
            unused.push(format!("  {doc}: {path}"));
        }
        // A valid vector passed its schema, so a path the walk did not find means the walk
        // missed part of the schema, and its list of fields is not to be trusted.
        for path in usage.paths.difference(&shape.paths) {
            unknown.push(format!("  {doc}: {path}"));
        }
    }
    assert!(
        unknown.is_empty(),
        "valid vectors use fields the schema walk did not find (teach the walk the keyword \
         that defines them):\n{}",
        unknown.join("\n")
    );
    assert!(
        unused.is_empty(),
        "no valid JSON vector uses these fields; add them to a valid vector (and its manifest):\n{}",
        unused.join("\n")
    );
}

#[test]
fn valid_vectors_together_use_every_code_value_of_every_code_list() {
    let lists = code_lists();
    let mut missing = Vec::new();
    for (doc, shape, usage) in covered() {
        for (set, paths) in &shape.takers {
            let codes = match set {
                CodeSet::List(name) => lists.get(name).unwrap_or_else(|| {
                    panic!("{doc}: x-codelist {name}: no codelists/{name}.json")
                }),
                CodeSet::Inline(_) => &shape.inline_codes[set],
            };
            let seen: BTreeSet<&String> = paths
                .iter()
                .filter_map(|p| usage.values.get(p))
                .flatten()
                .collect();
            let absent: Vec<&str> = codes
                .iter()
                .filter(|c| !seen.contains(c))
                .map(String::as_str)
                .collect();
            if !absent.is_empty() {
                // A facility has one prefecture, so each missing one needs a vector of its own.
                let hint = if doc.starts_with("facility") && paths.contains("/address/prefecture") {
                    " (`cargo run --example gen_coverage_vectors` writes them)"
                } else {
                    ""
                };
                missing.push(format!(
                    "  {doc}, {set} (taken at {}): {}{hint}",
                    paths.iter().cloned().collect::<Vec<_>>().join(", "),
                    absent.join(", ")
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "no valid JSON vector uses these codes at a field that takes them; add them to a valid \
         vector (and its manifest):\n{}",
        missing.join("\n")
    );
}

/// Code lists that no field of any document type takes, on purpose. A code list outside every
/// document cannot appear in a vector, so rather than skip it silently the test below names it:
/// either a schema forgot its `x-codelist`, or the list is unused and belongs here with the
/// reason (or out of `schemas/codelists/`).
const NOT_TAKEN_BY_ANY_DOCUMENT: [&str; 2] = [
    // Meetings around a registration are API records (`POST /v1/registrations/{id}/meetings`,
    // schema MeetingRecord in the OpenAPI document), not documents: their codes are checked by
    // tests/api/meetings.rs and the schema's enums are these lists'.
    "meeting_kinds",
    "meeting_outcomes",
];

#[test]
fn every_code_list_is_taken_by_a_field_of_some_document_type() {
    let taken: BTreeSet<String> = covered()
        .iter()
        .flat_map(|(_, shape, _)| shape.takers.keys())
        .filter_map(|set| match set {
            CodeSet::List(name) => Some(name.clone()),
            CodeSet::Inline(_) => None,
        })
        .collect();
    let untaken: Vec<String> = code_lists()
        .into_keys()
        .filter(|name| !taken.contains(name))
        .filter(|name| !NOT_TAKEN_BY_ANY_DOCUMENT.contains(&name.as_str()))
        .collect();
    assert!(
        untaken.is_empty(),
        "no field of any document type takes these code lists, so no vector can use their codes: \
         {untaken:?}"
    );
}

#[test]
fn the_schema_walk_follows_refs_across_schemas_and_through_combinators() {
    let schemas = Schemas::load();
    let registration = schemas.shape("registration", "1.0.0");
    let handoff = schemas.shape("handoff", "1.0.0");
    let takes = |shape: &Shape, list: &str, path: &str| {
        shape.takers[&CodeSet::List(list.to_owned())].contains(path)
    };
    // Into the common definitions, and through anyOf (a role code or an organization id).
    assert!(takes(
        &registration,
        "prefectures",
        "/registrant/address/prefecture"
    ));
    assert!(takes(
        &registration,
        "roles",
        "/consent/provisions/*/recipients/*"
    ));
    assert!(registration
        .paths
        .contains("/consent/provisions/*/categories/*"));
    // Into the registration schema from the handoff schema, and through oneOf.
    assert!(handoff.paths.contains("/subject/registrant/phones/mobile"));
    assert!(takes(
        &handoff,
        "relationships",
        "/subject/household/*/relationship"
    ));
    assert!(handoff.paths.contains("/consent_ref/reason"));
    assert!(handoff.paths.contains("/consent_ref/granted_by"));
    assert!(handoff.paths.contains("/document_type"));
}
