//! The XML form of kyoten documents (docs/spec/xml-mapping.md §1): a hardened reader on quick-xml and
//! the schema-guided mapping to the JSON form the validator checks.
//!
//! No crate maps XML to JSON by a JSON Schema's types, so the mapping is written here; the
//! reader refuses DOCTYPE (no external entities, no entity expansion) and processing
//! instructions before any content is interpreted.
pub mod c14n;
mod reader;
mod writer;
pub mod xsd;

pub use reader::{parse, Element, XmlError};
pub use writer::{to_xml, WriteError};

use crate::contracts::finding::{Finding, XmlLocations};
use crate::contracts::shape::Shapes;
use crate::contracts::shape::{Kind, Shape};
use crate::contracts::DocumentType;
use serde_json::{Map, Value};

/// A document read from XML, ready for validation.
#[derive(Debug)]
pub struct Mapped {
    pub value: Value,
    pub locations: XmlLocations,
    /// Findings of the mapping itself (KY-XML-*).
    pub findings: Vec<Finding>,
}

/// Reads an XML document and maps it to its JSON form.
pub fn to_json(bytes: &[u8], engine: &dyn Shapes) -> Result<Mapped, XmlError> {
    let root = content(bytes)?;
    Ok(map_document(&root, engine))
}

/// The element tree of a document without its enveloped signature: a signed document maps
/// like its unsigned form.
fn content(bytes: &[u8]) -> Result<Element, XmlError> {
    let mut root = parse(bytes)?;
    root.children.retain(|c| {
        !(c.name == "Signature" && c.namespace.as_deref() == Some(xsd::XMLDSIG_NAMESPACE))
    });
    Ok(root)
}

/// Why an XML document was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inexact {
    /// Not an XML document kyoten reads at all.
    Xml(XmlError),
    /// The document written back from its JSON form has another element structure, though
    /// the mapping found nothing to report.
    Structure,
}

/// Reads an XML document as its JSON form, and checks that this form represents it exactly:
/// what the mapping had to leave out is in `findings` (KY-XML-*: repeated elements,
/// attributes, mixed content, comments, foreign namespaces), and when there is none, writing
/// the JSON form back as XML must give the same elements in the same namespaces and nesting,
/// each list's items in the same order (leaf text aside, which the mapping reads by the schema's types: `1` and `true`
/// are one `xs:boolean`). This is what makes the XML a receiver reads say what was checked.
pub fn to_json_exact(bytes: &[u8], engine: &dyn Shapes) -> Result<Mapped, Inexact> {
    let root = content(bytes).map_err(Inexact::Xml)?;
    let mapped = map_document(&root, engine);
    if !mapped.findings.is_empty() {
        return Ok(mapped);
    }
    // A root that names no document type is left to validation (KY-DOC-TYPE-UNKNOWN).
    let Some(doc_type) = DocumentType::parse(&root.name) else {
        return Ok(mapped);
    };
    let written = to_xml(doc_type, &mapped.value, engine)
        .ok()
        .and_then(|xml| parse(&xml).ok());
    match written {
        Some(written) if same_structure(&root, &written) => Ok(mapped),
        _ => Err(Inexact::Structure),
    }
}

/// Same elements (namespace, local name) with the same nesting; siblings of one name in the
/// same order (a list's items), siblings of different names in any order (properties).
fn same_structure(a: &Element, b: &Element) -> bool {
    fn by_name(e: &Element) -> Vec<&Element> {
        let mut children: Vec<&Element> = e.children.iter().collect();
        // Stable: items of one list keep their order.
        children.sort_by(|x, y| (&x.namespace, &x.name).cmp(&(&y.namespace, &y.name)));
        children
    }
    a.namespace == b.namespace
        && a.name == b.name
        && a.children.len() == b.children.len()
        && by_name(a)
            .into_iter()
            .zip(by_name(b))
            .all(|(x, y)| same_structure(x, y))
}

fn map_document(root: &Element, engine: &dyn Shapes) -> Mapped {
    let doc_type = DocumentType::parse(&root.name);
    let version = root
        .children
        .iter()
        .find(|c| c.name == "schema_version")
        .map(|c| c.text.trim().to_owned());
    let shape = doc_type.and_then(|d| {
        version
            .as_deref()
            .and_then(|v| engine.shape(d, v))
            .or_else(|| engine.latest_shape(d))
    });
    let namespace = doc_type.map(DocumentType::xml_namespace);
    let mut mapper = Mapper {
        namespace,
        out: Mapped {
            value: Value::Null,
            locations: Default::default(),
            findings: Vec::new(),
        },
    };
    mapper.check_namespace(root, "");
    let path = format!("/{}", root.name);
    let value = mapper.object(root, shape, "", &path);
    mapper.out.value = value;
    mapper.out
}

struct Mapper {
    namespace: Option<&'static str>,
    out: Mapped,
}

impl Mapper {
    fn check_namespace(&mut self, el: &Element, pointer: &str) {
        if let Some(expected) = self.namespace {
            if el.namespace.as_deref() != Some(expected) {
                self.out.findings.push(
                    Finding::new("KY-XML-NAMESPACE", pointer)
                        .arg("property", el.name.clone())
                        .arg("expected", expected),
                );
            }
        }
    }

    /// Remembers where a value came from; attributes and comments have no place in the mapping.
    fn record(&mut self, el: &Element, pointer: &str, path: &str) {
        self.out
            .locations
            .insert(pointer.to_owned(), (path.to_owned(), el.line));
        if el.has_comment {
            self.out
                .findings
                .push(Finding::new("KY-XML-COMMENT", pointer));
        }
        for attr in &el.attributes {
            self.out
                .findings
                .push(Finding::new("KY-XML-ATTRIBUTE", pointer).arg("property", attr.clone()));
        }
    }

    fn object(&mut self, el: &Element, shape: Option<&Shape>, pointer: &str, path: &str) -> Value {
        self.record(el, pointer, path);
        if !el.text.trim().is_empty() {
            self.out
                .findings
                .push(Finding::new("KY-XML-MIXED-CONTENT", pointer));
        }
        let mut map = Map::new();
        let mut seen: Vec<&str> = Vec::new();
        for child in &el.children {
            if seen.contains(&child.name.as_str()) {
                continue;
            }
            seen.push(&child.name);
            let same: Vec<&Element> = el
                .children
                .iter()
                .filter(|c| c.name == child.name)
                .collect();
            let child_shape = shape.and_then(|s| s.property(&child.name));
            let child_pointer = format!("{pointer}/{}", child.name);
            let value = if child_shape.is_some_and(|s| s.kind == Kind::Array) {
                let items = child_shape.and_then(|s| s.items.as_deref());
                let values = same
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let p = format!("{child_pointer}/{i}");
                        self.check_namespace(c, &p);
                        self.value(c, items, &p, &format!("{path}/{}[{}]", c.name, i + 1))
                    })
                    .collect();
                self.out.locations.insert(
                    child_pointer.clone(),
                    (format!("{path}/{}[1]", child.name), child.line),
                );
                Value::Array(values)
            } else {
                for extra in same.iter().skip(1) {
                    self.out.findings.push(Finding::new(
                        "KY-XML-REPEATED-ELEMENT",
                        child_pointer.clone(),
                    ));
                    self.check_namespace(extra, &child_pointer);
                }
                self.check_namespace(child, &child_pointer);
                self.value(
                    child,
                    child_shape,
                    &child_pointer,
                    &format!("{path}/{}", child.name),
                )
            };
            map.insert(child.name.clone(), value);
        }
        if let Some(shape) = shape {
            for required in &shape.required {
                let is_list = shape
                    .property(required)
                    .is_some_and(|p| p.kind == Kind::Array);
                if is_list && !map.contains_key(required) {
                    map.insert(required.clone(), Value::Array(Vec::new()));
                }
            }
        }
        Value::Object(map)
    }

    fn value(&mut self, el: &Element, shape: Option<&Shape>, pointer: &str, path: &str) -> Value {
        let kind = shape.map_or(Kind::Any, |s| s.kind);
        if kind == Kind::Object || !el.children.is_empty() {
            return self.object(el, shape, pointer, path);
        }
        self.record(el, pointer, path);
        let text = el.text.as_str();
        match kind {
            Kind::Boolean => match text.trim() {
                "true" | "1" => Value::Bool(true),
                "false" | "0" => Value::Bool(false),
                _ => Value::String(text.to_owned()),
            },
            Kind::Integer => text
                .trim()
                .parse::<i64>()
                .map_or_else(|_| Value::String(text.to_owned()), Value::from),
            Kind::Number => text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map_or_else(
                    || Value::String(text.to_owned()),
                    crate::contracts::json::number,
                ),
            _ => Value::String(text.to_owned()),
        }
    }
}
