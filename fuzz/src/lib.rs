//! What the fuzz targets share: the fixed test keys of the conformance vectors, a fixed
//! instant, signing by hand, and independent readings to compare kyoten's with.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use kyoten::crypto::jws::{SigningKey, VerifyingKey};
use kyoten::crypto::keys;
use openssl::ecdsa::EcdsaSig;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::sync::OnceLock;

pub mod targets;

const ES256_PEM: &[u8] = include_bytes!("../../conformance/vectors/signed/keys/es256.pem");
const JWKS: &str = include_str!("../../conformance/vectors/signed/keys/jwks.json");

/// The conformance vectors' ES256 test key: the one key the targets sign with.
pub fn signing_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| keys::signing_key_from_pem(ES256_PEM, None).expect("es256.pem reads"))
}

/// The four trusted public keys of the conformance vectors (`jwks.json`).
pub fn trusted_keys() -> &'static [VerifyingKey] {
    static KEYS: OnceLock<Vec<VerifyingKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let set = serde_json::from_str(JWKS).expect("jwks.json is JSON");
        keys::from_jwks(&set).expect("jwks.json holds supported keys")
    })
}

/// Finds a trusted key by `kid`, as the exchange's key store does.
pub fn lookup(kid: &str) -> Option<VerifyingKey> {
    trusted_keys().iter().find(|k| k.kid == kid).cloned()
}

/// A fixed "now", so that a crashing input crashes again when replayed.
pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T12:00:00+09:00")
        .expect("a valid instant")
        .with_timezone(&Utc)
}

/// Loads everything a target needs once, before AFL's fork server starts, so no iteration
/// pays for compiling the schemas or reading the keys.
pub fn init() {
    let _ = kyoten::validation::Engine::get();
    let _ = signing_key();
    let _ = trusted_keys();
}

/// A compact JWS over exactly these header and payload bytes, signed with the ES256 test key
/// (the signature is right whatever the bytes say).
pub fn sign_compact(header: &[u8], payload: &[u8]) -> String {
    let mut compact = URL_SAFE_NO_PAD.encode(header);
    compact.push('.');
    compact.push_str(&URL_SAFE_NO_PAD.encode(payload));
    let ec = signing_key().key.ec_key().expect("an EC key");
    let sig = EcdsaSig::sign(&openssl::sha::sha256(compact.as_bytes()), &ec).expect("signs");
    let mut raw = sig.r().to_vec_padded(32).expect("r fits");
    raw.extend(sig.s().to_vec_padded(32).expect("s fits"));
    compact.push('.');
    compact.push_str(&URL_SAFE_NO_PAD.encode(raw));
    compact
}

/// Splits `data` at its first `sep` byte (all of it and nothing when there is none).
pub fn split_at_byte(data: &[u8], sep: u8) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == sep) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// A JSON text read with every object member kept, duplicates included: an independent
/// reading to check `parse_document`'s refusal of duplicate keys against.
#[derive(Debug)]
pub enum Tree {
    Leaf,
    Array(Vec<Tree>),
    Object(Vec<(String, Tree)>),
}

impl Tree {
    /// Whether some object in the tree names a member twice.
    pub fn has_duplicate_key(&self) -> bool {
        match self {
            Tree::Leaf => false,
            Tree::Array(items) => items.iter().any(Tree::has_duplicate_key),
            Tree::Object(members) => {
                let mut names: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
                names.sort_unstable();
                names.windows(2).any(|w| w[0] == w[1])
                    || members.iter().any(|(_, v)| v.has_duplicate_key())
            }
        }
    }
}

impl<'de> serde::Deserialize<'de> for Tree {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Tree, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Tree;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Tree, E> {
                Ok(Tree::Leaf)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Tree, E> {
                Ok(Tree::Leaf)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Tree, E> {
                Ok(Tree::Leaf)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Tree, E> {
                Ok(Tree::Leaf)
            }
            fn visit_str<E>(self, _: &str) -> Result<Tree, E> {
                Ok(Tree::Leaf)
            }
            fn visit_unit<E>(self) -> Result<Tree, E> {
                Ok(Tree::Leaf)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tree, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Tree::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tree, A::Error> {
                let mut members = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Tree>()? {
                    members.push((k, v));
                }
                Ok(Tree::Object(members))
            }
        }
        d.deserialize_any(V)
    }
}

/// serde_json's own reading with numbers as kyoten reads them (an integral double is an
/// integer, `kyoten::contracts::json::number`).
pub fn normalize_numbers(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            kyoten::contracts::json::number(n.as_f64().unwrap_or(f64::NAN))
        }
        Value::Array(items) => Value::Array(items.into_iter().map(normalize_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, normalize_numbers(v)))
                .collect(),
        ),
        other => other,
    }
}

/// An element tree reduced to what both of kyoten's XML readers report: namespace, local
/// name, the element's own text, its children.
#[derive(Debug, PartialEq, Eq)]
pub struct Node {
    pub namespace: String,
    pub name: String,
    pub text: String,
    pub children: Vec<Node>,
}

/// The tree `kyoten::xml::parse` read.
pub fn node_of_reader(el: &kyoten::xml::Element) -> Node {
    Node {
        namespace: el.namespace.clone().unwrap_or_default(),
        name: el.name.clone(),
        text: el.text.clone(),
        children: el.children.iter().map(node_of_reader).collect(),
    }
}

/// The tree the canonicalizer's parser (`kyoten::xml::c14n::Document`) read.
pub fn node_of_c14n(doc: &kyoten::xml::c14n::Document<'_>, id: usize) -> Node {
    use kyoten::xml::c14n::Child;
    let el = doc.element(id);
    let mut text = String::new();
    let mut children = Vec::new();
    for child in doc.children(id) {
        match child {
            Child::Element(c) => children.push(node_of_c14n(doc, c)),
            Child::Text(t) => text.push_str(t),
        }
    }
    Node {
        namespace: el.namespace.to_string(),
        name: el.local.to_string(),
        text,
        children,
    }
}

/// Where two trees first differ, as a path and the two differing parts (`None`: equal).
pub fn first_difference(a: &Node, b: &Node) -> Option<String> {
    fn walk(a: &Node, b: &Node, path: &str) -> Option<String> {
        let path = format!("{path}/{}", a.name);
        if (&a.namespace, &a.name) != (&b.namespace, &b.name) {
            return Some(format!(
                "{path}: element {{{}}}{} / {{{}}}{}",
                a.namespace, a.name, b.namespace, b.name
            ));
        }
        if a.text != b.text {
            return Some(format!("{path}: text {:?} / {:?}", a.text, b.text));
        }
        if a.children.len() != b.children.len() {
            return Some(format!(
                "{path}: {} / {} children",
                a.children.len(),
                b.children.len()
            ));
        }
        a.children
            .iter()
            .zip(&b.children)
            .find_map(|(x, y)| walk(x, y, &path))
    }
    walk(a, b, "")
}
