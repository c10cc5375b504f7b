//! An XML Schema 1.0 for the XML form of each document type and version, generated from the
//! same shape of the JSON Schema that guides the mapping (docs/spec/xml-mapping.md §3).
//!
//! Element order is free in the mapping, and XML Schema 1.0 cannot say "each of these once,
//! in any order" for more than a few elements. Every object's content is therefore a repeated
//! choice of its property elements: the XSD checks names, namespaces, nesting and the types
//! and enumerated values of the text, and leaves presence, cardinality and every other rule to
//! the JSON Schema validator, which sees the mapped document.
use crate::contracts::shape::{Kind, Shape, Shapes};
use crate::contracts::{Contracts, DocumentType};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::sync::OnceLock;

/// The namespace of an enveloped XML signature (`ds:Signature`), allowed as a child of the root.
pub const XMLDSIG_NAMESPACE: &str = "http://www.w3.org/2000/09/xmldsig#";

/// A generated XML Schema with a strong ETag.
#[derive(Debug)]
pub struct Xsd {
    pub document_type: DocumentType,
    pub version: String,
    pub text: String,
    pub etag: String,
}

/// The XML Schema of a published document type and version, generated once per process.
pub fn published(shapes: &dyn Shapes, name: &str, version: &str) -> Option<&'static Xsd> {
    static ALL: OnceLock<Vec<Xsd>> = OnceLock::new();
    let doc_type = DocumentType::parse(name)?;
    ALL.get_or_init(|| {
        let contracts = Contracts::get();
        DocumentType::ALL
            .into_iter()
            .flat_map(|d| contracts.versions(d).map(move |v| (d, v)))
            .filter_map(|(d, v)| {
                let text = generate(d, v, shapes.shape(d, v)?);
                let etag = format!(
                    "\"{}\"",
                    &hex::encode(Sha256::digest(text.as_bytes()))[..32]
                );
                Some(Xsd {
                    document_type: d,
                    version: v.to_owned(),
                    text,
                    etag,
                })
            })
            .collect()
    })
    .iter()
    .find(|x| x.document_type == doc_type && x.version == version)
}

/// Generates the XML Schema of one document type and version from the shape of its JSON
/// Schema. The output depends only on its arguments.
pub fn generate(doc_type: DocumentType, version: &str, shape: &Shape) -> String {
    let namespace = doc_type.xml_namespace();
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xmlns=\"{namespace}\" \
         targetNamespace=\"{namespace}\" elementFormDefault=\"qualified\" version=\"{}\">",
        escape(version)
    );
    let title_ja = shape.title_ja.as_deref().unwrap_or(doc_type.as_str());
    let title_en = shape.title_en.as_deref().unwrap_or(doc_type.as_str());
    let ja = format!(
        "{title_ja}（{} {version}）の XML 形式の XML Schema。JSON Schema から生成したもので、\
         対応付けは docs/spec/xml-mapping.md §1 による。要素の順序は自由なため、ここで確かめるのは\
         要素の名前・名前空間・入れ子と、値の型・列挙値だけである。要素の有無（必須かどうか）・出現回数・\
         文字数や書式などの制約と文書の規則は、JSON 形式に対応付けた文書を JSON Schema で検証して\
         確かめる。ルート要素の子には XML 署名（ds:Signature）を置ける。",
        doc_type.as_str()
    );
    let en = format!(
        "XML Schema of the XML form of the document type {title_en} ({} {version}), generated \
         from its JSON Schema following docs/spec/xml-mapping.md §1. Element order is free, so \
         this schema checks element names, namespaces and nesting, and the types and enumerated \
         values of the text only. \
         Presence (required or not), cardinality, lengths, patterns and formats not expressed \
         here, and the document rules are checked by validating the mapped JSON document with \
         the JSON Schema. The root element may hold an enveloped XML signature (ds:Signature).",
        doc_type.as_str()
    );
    documentation(&mut out, 1, Some(&ja), Some(&en));
    let mut root = Generator { out };
    root.element(doc_type.as_str(), shape, 1, false, true);
    root.out.push_str("</xs:schema>\n");
    root.out
}

struct Generator {
    out: String,
}

impl Generator {
    /// Declares an element for a property (`repeated`: a list's element) with its type.
    fn element(&mut self, name: &str, property: &Shape, depth: usize, repeated: bool, root: bool) {
        // A list's element has the type of its items and the titles of the list.
        let (shape, repeated) = match (property.kind, property.items.as_deref()) {
            (Kind::Array, Some(items)) => (items, true),
            _ => (property, repeated),
        };
        let title_ja = property.title_ja.as_deref().or(shape.title_ja.as_deref());
        let title_en = property.title_en.as_deref().or(shape.title_en.as_deref());
        indent(&mut self.out, depth);
        let _ = write!(self.out, "<xs:element name=\"{}\"", escape(name));
        if repeated {
            self.out
                .push_str(" minOccurs=\"0\" maxOccurs=\"unbounded\"");
        }
        let simple = simple_type(shape);
        if let Some(Simple::Builtin(base)) = simple {
            let _ = write!(self.out, " type=\"{base}\"");
        }
        let titled = title_ja.is_some() || title_en.is_some();
        let complex = shape.kind == Kind::Object;
        if !titled && !complex && !matches!(simple, Some(Simple::Enumeration(..))) {
            self.out.push_str("/>\n");
            return;
        }
        self.out.push_str(">\n");
        documentation(&mut self.out, depth + 1, title_ja, title_en);
        if complex {
            self.complex_type(shape, depth + 1, root);
        } else if let Some(Simple::Enumeration(base, values)) = simple {
            indent(&mut self.out, depth + 1);
            self.out.push_str("<xs:simpleType>\n");
            indent(&mut self.out, depth + 2);
            let _ = writeln!(self.out, "<xs:restriction base=\"{base}\">");
            for value in values {
                indent(&mut self.out, depth + 3);
                let _ = writeln!(self.out, "<xs:enumeration value=\"{}\"/>", escape(&value));
            }
            indent(&mut self.out, depth + 2);
            self.out.push_str("</xs:restriction>\n");
            indent(&mut self.out, depth + 1);
            self.out.push_str("</xs:simpleType>\n");
        }
        indent(&mut self.out, depth);
        self.out.push_str("</xs:element>\n");
    }

    /// An object: any number of its property elements, in any order (and at the root, the
    /// signature).
    fn complex_type(&mut self, shape: &Shape, depth: usize, root: bool) {
        indent(&mut self.out, depth);
        if shape.properties.is_empty() && !root {
            self.out.push_str("<xs:complexType/>\n");
            return;
        }
        self.out.push_str("<xs:complexType>\n");
        indent(&mut self.out, depth + 1);
        self.out
            .push_str("<xs:choice minOccurs=\"0\" maxOccurs=\"unbounded\">\n");
        for (name, property) in &shape.properties {
            self.element(name, property, depth + 2, false, false);
        }
        if root {
            indent(&mut self.out, depth + 2);
            let _ = writeln!(
                self.out,
                "<xs:any namespace=\"{XMLDSIG_NAMESPACE}\" processContents=\"lax\"/>"
            );
        }
        indent(&mut self.out, depth + 1);
        self.out.push_str("</xs:choice>\n");
        indent(&mut self.out, depth);
        self.out.push_str("</xs:complexType>\n");
    }
}

enum Simple {
    Builtin(&'static str),
    Enumeration(&'static str, Vec<String>),
}

/// The XML Schema type of a value, or `None` for an object or a value of any type.
fn simple_type(shape: &Shape) -> Option<Simple> {
    let base = match shape.kind {
        Kind::String => match shape.format.as_deref() {
            Some("date") if shape.values.is_none() => "xs:date",
            Some("date-time") if shape.values.is_none() => "xs:dateTime",
            _ => "xs:string",
        },
        Kind::Integer => "xs:integer",
        // The mapping reads any decimal or exponent notation, as xs:double does.
        Kind::Number => "xs:double",
        Kind::Boolean => "xs:boolean",
        Kind::Object | Kind::Array | Kind::Any => return None,
    };
    let values: Option<Vec<String>> = shape.values.as_ref().map(|values| {
        values
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            })
            .collect()
    });
    Some(match values {
        // Booleans keep `1`/`0` by staying plain xs:boolean.
        Some(values) if !values.is_empty() && shape.kind != Kind::Boolean => {
            Simple::Enumeration(base, values)
        }
        _ => Simple::Builtin(base),
    })
}

fn documentation(out: &mut String, depth: usize, ja: Option<&str>, en: Option<&str>) {
    if ja.is_none() && en.is_none() {
        return;
    }
    indent(out, depth);
    out.push_str("<xs:annotation>\n");
    for (lang, text) in [("ja", ja), ("en", en)] {
        if let Some(text) = text {
            indent(out, depth + 1);
            let _ = writeln!(
                out,
                "<xs:documentation xml:lang=\"{lang}\">{}</xs:documentation>",
                escape(text)
            );
        }
    }
    indent(out, depth);
    out.push_str("</xs:annotation>\n");
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// Escapes text and attribute values (the contracts hold no characters XML cannot carry).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#xD;"),
            '\n' => out.push_str("&#xA;"),
            '\t' => out.push_str("&#x9;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::Engine;

    fn published(name: &str, version: &str) -> Option<&'static Xsd> {
        super::published(Engine::get(), name, version)
    }

    #[test]
    fn every_document_type_has_a_schema_for_each_published_version() {
        for doc_type in DocumentType::ALL {
            for version in Contracts::get().versions(doc_type) {
                let xsd = published(doc_type.as_str(), version).expect("generated");
                assert!(xsd
                    .text
                    .contains(&format!("targetNamespace=\"{}\"", doc_type.xml_namespace())));
                assert!(crate::xml::parse(xsd.text.as_bytes()).is_ok());
            }
        }
        assert!(published("common", "1.0.0").is_none());
        assert!(published("registration", "9.9.9").is_none());
    }

    #[test]
    fn generation_is_deterministic() {
        let engine = Engine::get();
        let shape = engine
            .shape(DocumentType::Registration, "1.0.0")
            .expect("shape");
        assert_eq!(
            generate(DocumentType::Registration, "1.0.0", shape),
            generate(DocumentType::Registration, "1.0.0", shape)
        );
    }

    #[test]
    fn codes_dates_and_alternatives_become_enumerations_and_builtin_types() {
        let xsd = &published("handoff", "1.0.0").expect("handoff").text;
        // `consent_ref` is one of two objects: its `legal_basis` allows both constants.
        assert!(xsd.contains("<xs:enumeration value=\"consent\"/>"), "{xsd}");
        assert!(xsd.contains("<xs:enumeration value=\"vital_interest\"/>"));
        assert!(xsd.contains("name=\"issued_at\" type=\"xs:dateTime\""));
        assert!(xsd.contains("name=\"version\" type=\"xs:integer\""));
        assert!(xsd.contains(&format!("<xs:any namespace=\"{XMLDSIG_NAMESPACE}\"")));
    }
}
