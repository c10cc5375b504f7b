//! The JSON form of a document written as XML (docs/spec/xml-mapping.md §1), so that reading the XML
//! back gives the same JSON document.
//!
//! Written by hand: the mapping needs elements and escaped text only, and a fixed layout
//! (two-space indentation, properties in the schema's order) keeps the output deterministic.
use crate::contracts::shape::Shape;
use crate::contracts::shape::Shapes;
use crate::contracts::DocumentType;
use serde_json::{Map, Value};
use std::fmt;

/// Why a JSON value has no XML form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteError {
    /// A property name that is not an XML name (JSON Pointer of the property).
    NotAnXmlName { pointer: String },
    /// A string with a character XML 1.0 cannot carry, such as U+0000 (JSON Pointer).
    UnrepresentableCharacter { pointer: String },
    /// An array directly inside an array: the mapping has no element for the inner list.
    NestedArray { pointer: String },
    /// The document is not a JSON object.
    NotAnObject,
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::NotAnXmlName { pointer } => {
                write!(f, "{pointer}: the property name is not an XML name")
            }
            WriteError::UnrepresentableCharacter { pointer } => {
                write!(
                    f,
                    "{pointer}: the text holds a character XML 1.0 cannot carry"
                )
            }
            WriteError::NestedArray { pointer } => {
                write!(f, "{pointer}: a list inside a list has no XML form")
            }
            WriteError::NotAnObject => f.write_str("the document is not a JSON object"),
        }
    }
}

impl std::error::Error for WriteError {}

/// Writes a document's JSON form as XML: the root element is the document type in its
/// namespace (declared as the default namespace), properties are child elements in the order
/// of the schema of the document's `schema_version` (or the newest schema), properties the
/// schema does not know follow in name order, lists are repeated elements and an empty list is
/// left out.
pub fn to_xml(
    doc_type: DocumentType,
    value: &Value,
    engine: &dyn Shapes,
) -> Result<Vec<u8>, WriteError> {
    let Value::Object(map) = value else {
        return Err(WriteError::NotAnObject);
    };
    let shape = map
        .get("schema_version")
        .and_then(Value::as_str)
        .and_then(|v| engine.shape(doc_type, v))
        .or_else(|| engine.latest_shape(doc_type));
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let name = doc_type.as_str();
    out.push('<');
    out.push_str(name);
    out.push_str(" xmlns=\"");
    out.push_str(doc_type.xml_namespace());
    out.push('"');
    let mut writer = Writer { out };
    writer.children(map, shape, "", 1)?;
    writer.out.push_str("</");
    writer.out.push_str(name);
    writer.out.push_str(">\n");
    Ok(writer.out.into_bytes())
}

struct Writer {
    out: String,
}

impl Writer {
    /// Writes the rest of an open start tag (`>`), an object's properties and the indentation
    /// before its end tag.
    fn children(
        &mut self,
        map: &Map<String, Value>,
        shape: Option<&Shape>,
        pointer: &str,
        depth: usize,
    ) -> Result<(), WriteError> {
        let ordered = ordered(map, shape);
        let has_elements = ordered
            .iter()
            .any(|(_, v)| !matches!(v, Value::Array(items) if items.is_empty()));
        self.out.push('>');
        if !has_elements {
            return Ok(());
        }
        self.out.push('\n');
        for (name, value) in ordered {
            let child_pointer = format!("{pointer}/{}", escape_pointer(name));
            if !is_xml_name(name) {
                return Err(WriteError::NotAnXmlName {
                    pointer: child_pointer,
                });
            }
            let child_shape = shape.and_then(|s| s.property(name));
            match value {
                Value::Array(items) => {
                    let item_shape = child_shape.and_then(|s| s.items.as_deref());
                    for (i, item) in items.iter().enumerate() {
                        let item_pointer = format!("{child_pointer}/{i}");
                        if item.is_array() {
                            return Err(WriteError::NestedArray {
                                pointer: item_pointer,
                            });
                        }
                        self.element(name, item, item_shape, &item_pointer, depth)?;
                    }
                }
                _ => self.element(name, value, child_shape, &child_pointer, depth)?,
            }
        }
        indent(&mut self.out, depth - 1);
        Ok(())
    }

    fn element(
        &mut self,
        name: &str,
        value: &Value,
        shape: Option<&Shape>,
        pointer: &str,
        depth: usize,
    ) -> Result<(), WriteError> {
        indent(&mut self.out, depth);
        self.out.push('<');
        self.out.push_str(name);
        match value {
            Value::Object(map) => self.children(map, shape, pointer, depth + 1)?,
            Value::String(s) => {
                self.out.push('>');
                escape_text(&mut self.out, s).map_err(|()| {
                    WriteError::UnrepresentableCharacter {
                        pointer: pointer.to_owned(),
                    }
                })?;
            }
            // An empty element: `null` has no XML form of its own.
            Value::Null => self.out.push('>'),
            Value::Bool(b) => {
                self.out.push('>');
                self.out.push_str(if *b { "true" } else { "false" });
            }
            Value::Number(n) => {
                self.out.push('>');
                self.out.push_str(&n.to_string());
            }
            Value::Array(_) => {
                return Err(WriteError::NestedArray {
                    pointer: pointer.to_owned(),
                })
            }
        }
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
        Ok(())
    }
}

/// An object's properties in the schema's order, then those the schema does not know, by name.
fn ordered<'a>(map: &'a Map<String, Value>, shape: Option<&Shape>) -> Vec<(&'a str, &'a Value)> {
    let mut out: Vec<(&str, &Value)> = Vec::with_capacity(map.len());
    if let Some(shape) = shape {
        for (name, _) in &shape.properties {
            if let Some((k, v)) = map.get_key_value(name) {
                out.push((k.as_str(), v));
            }
        }
    }
    let mut rest: Vec<(&str, &Value)> = map
        .iter()
        .filter(|(k, _)| shape.is_none_or(|s| s.property(k).is_none()))
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    rest.sort_by(|a, b| a.0.cmp(b.0));
    out.extend(rest);
    out
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// Escapes text content: `&`, `<`, `>`, and carriage returns as `&#xD;`, which XML parsers
/// would otherwise turn into line feeds. Fails on characters XML 1.0 does not allow.
fn escape_text(out: &mut String, s: &str) -> Result<(), ()> {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            '\t' | '\n' => out.push(c),
            '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => return Err(()),
            _ => out.push(c),
        }
    }
    Ok(())
}

/// Whether a property name can be an element name without a prefix (a conservative
/// subset of XML 1.0 `Name` without `:`, and not starting with `xml`).
fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let start = |c: char| c == '_' || c.is_alphabetic();
    start(first)
        && chars.all(|c| start(c) || c.is_numeric() || c == '-' || c == '.')
        && !name.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("xml"))
}

fn escape_pointer(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::Engine;
    use crate::xml::to_json;
    use serde_json::json;

    fn round_trip(doc_type: DocumentType, value: &Value) -> (String, Value) {
        let engine = Engine::get();
        let xml = to_xml(doc_type, value, engine).expect("writes");
        let mapped = to_json(&xml, engine).expect("reads back");
        assert!(
            mapped.findings.is_empty(),
            "{:?}",
            mapped.findings.iter().map(|f| f.id).collect::<Vec<_>>()
        );
        (String::from_utf8(xml).expect("UTF-8"), mapped.value)
    }

    fn json_files() -> Vec<(DocumentType, std::path::PathBuf)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for doc_type in DocumentType::ALL {
            let dir = root
                .join("conformance/vectors")
                .join(doc_type.as_str())
                .join("valid");
            for entry in std::fs::read_dir(dir).expect("vector folder") {
                files.push((doc_type, entry.expect("entry").path()));
            }
        }
        files.push((
            DocumentType::Registration,
            root.join("demo/registration.json"),
        ));
        for entry in std::fs::read_dir(root.join("demo/facilities")).expect("demo facilities") {
            files.push((DocumentType::Facility, entry.expect("entry").path()));
        }
        files.retain(|(_, p)| p.extension().is_some_and(|e| e == "json"));
        files.sort();
        files
    }

    /// The document as the mapping reads it back: an empty list the schema does not require
    /// has no XML form (rule 3) and reads back as absent.
    fn without_optional_empty_lists(value: &Value, shape: Option<&Shape>) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .filter(|(k, v)| {
                        !matches!(v, Value::Array(a) if a.is_empty())
                            || shape.is_some_and(|s| s.required.contains(k))
                    })
                    .map(|(k, v)| {
                        let sub = shape.and_then(|s| s.property(k));
                        (k.clone(), without_optional_empty_lists(v, sub))
                    })
                    .collect(),
            ),
            Value::Array(items) => {
                let sub = shape.and_then(|s| s.items.as_deref());
                Value::Array(
                    items
                        .iter()
                        .map(|v| without_optional_empty_lists(v, sub))
                        .collect(),
                )
            }
            _ => value.clone(),
        }
    }

    #[test]
    fn every_valid_json_vector_and_demo_document_reads_back_unchanged_from_its_xml() {
        let files = json_files();
        assert!(files.len() >= 20, "{} files", files.len());
        let mut unchanged = 0;
        for (doc_type, path) in files {
            let raw = std::fs::read(&path).expect("readable");
            let value: Value = serde_json::from_slice(&raw).expect("JSON");
            let (xml, back) = round_trip(doc_type, &value);
            let shape = Engine::get().latest_shape(doc_type);
            let expected = without_optional_empty_lists(&value, shape);
            assert_eq!(back, expected, "{}:\n{xml}", path.display());
            unchanged += usize::from(back == value);
            let ids = |v: &Value| -> Vec<&str> {
                let outcome = Engine::get().validate(Some(doc_type), v);
                outcome.findings.iter().map(|f| f.id).collect()
            };
            assert_eq!(ids(&back), ids(&value), "{}", path.display());
        }
        // Only a few vectors hold an optional empty list; the rest come back byte for byte.
        assert!(unchanged >= 18, "{unchanged}");
    }

    #[test]
    fn markup_characters_line_breaks_japanese_and_outer_whitespace_survive() {
        let reason = "  <a> & <b>\r\n二行目\rです\t ";
        let value = json!({
            "document_type": "handoff_response",
            "schema_version": "1.0.0",
            "handoff_id": "6f1c2b7e-3a52-4c1e-9b7d-2f0e8c1a9d31",
            "responder": {"organization_id": "0411200015", "role": "facility"},
            "status": "declined",
            "reason": reason,
            "at": "2026-02-10T10:15:00+09:00"
        });
        let (xml, back) = round_trip(DocumentType::HandoffResponse, &value);
        assert!(
            xml.contains("<reason>  &lt;a&gt; &amp; &lt;b&gt;&#xD;\n二行目&#xD;です\t </reason>"),
            "{xml}"
        );
        assert_eq!(back, value);
    }

    #[test]
    fn properties_follow_the_schema_order_and_unknown_ones_come_last_by_name() {
        let value = json!({
            "zeta": 1,
            "status": "accepted",
            "alpha": true,
            "at": "2026-02-10T10:15:00+09:00",
            "document_type": "handoff_response",
            "schema_version": "1.0.0"
        });
        let engine = Engine::get();
        let xml = to_xml(DocumentType::HandoffResponse, &value, engine).expect("writes");
        let xml = String::from_utf8(xml).expect("UTF-8");
        let names: Vec<String> = crate::xml::parse(xml.as_bytes())
            .expect("well-formed")
            .children
            .into_iter()
            .map(|c| c.name)
            .collect();
        let shape = engine
            .shape(DocumentType::HandoffResponse, "1.0.0")
            .expect("shape");
        let mut known: Vec<&str> = ["status", "at", "document_type", "schema_version"].to_vec();
        known.sort_by_key(|n| shape.properties.iter().position(|(p, _)| p == n));
        let expected: Vec<&str> = known.into_iter().chain(["alpha", "zeta"]).collect();
        assert_eq!(names, expected);
        assert!(xml.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<handoff_response \
             xmlns=\"https://w3id.org/kyoten/xml/handoff_response/1\">\n"
        ));
    }

    #[test]
    fn empty_lists_are_left_out_and_lists_repeat_their_element() {
        let value = json!({"document_type": "registration", "a": [], "b": [1, 2]});
        let xml = to_xml(DocumentType::Registration, &value, Engine::get()).expect("writes");
        let xml = String::from_utf8(xml).expect("UTF-8");
        assert!(!xml.contains("<a"), "{xml}");
        assert!(xml.contains("  <b>1</b>\n  <b>2</b>\n"), "{xml}");
    }

    #[test]
    fn values_without_an_xml_form_are_refused_with_their_pointer() {
        let engine = Engine::get();
        let bad = |v: Value| to_xml(DocumentType::Registration, &v, engine).unwrap_err();
        assert_eq!(
            bad(json!({"notes": "a\u{0}b"})),
            WriteError::UnrepresentableCharacter {
                pointer: "/notes".into()
            }
        );
        assert_eq!(
            bad(json!({"x": {"a b": 1}})),
            WriteError::NotAnXmlName {
                pointer: "/x/a b".into()
            }
        );
        assert_eq!(
            bad(json!({"x": [[1]]})),
            WriteError::NestedArray {
                pointer: "/x/0".into()
            }
        );
        assert_eq!(bad(json!([])), WriteError::NotAnObject);
    }
}
