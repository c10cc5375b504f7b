//! The published contracts: JSON Schemas, code lists, policies and the message catalogue,
//! embedded from `schemas/` and served unchanged.
pub mod document_type;
pub mod embedded;
pub mod finding;
pub mod json;
pub mod pointer;
pub mod problems;
pub mod shape;
pub mod text_enum;

pub use document_type::DocumentType;

use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Base of every schema `$id`: `https://w3id.org/kyoten/schemas/{name}/{version}`.
pub const SCHEMA_ID_BASE: &str = "https://w3id.org/kyoten/schemas/";

/// One embedded file, as published: the exact bytes, the parsed value and a strong ETag.
#[derive(Debug)]
pub struct Published {
    pub raw: &'static str,
    pub value: Value,
    pub etag: String,
}

impl Published {
    fn new(raw: &'static str, path: &str) -> Result<Self, ContractError> {
        let value = serde_json::from_str(raw).map_err(|e| ContractError(format!("{path}: {e}")))?;
        let etag = format!("\"{}\"", &hex::encode(Sha256::digest(raw.as_bytes()))[..32]);
        Ok(Self { raw, value, etag })
    }
}

/// A JSON Schema file `schemas/{name}/{version}.json`.
#[derive(Debug)]
pub struct SchemaFile {
    pub name: String,
    pub version: String,
    pub id: String,
    pub file: Published,
}

/// One message of the catalogue (`schemas/catalogue/messages.json`).
#[derive(Debug, Clone, Deserialize)]
pub struct MessageDef {
    pub id: String,
    pub severity: String,
    pub applies_to: Vec<String>,
    pub spec: String,
    pub ja: String,
    pub en: String,
}

#[derive(Debug, Deserialize)]
struct Catalogue {
    messages: Vec<MessageDef>,
}

#[derive(Debug, thiserror::Error)]
#[error("contracts are inconsistent: {0}")]
pub struct ContractError(pub String);

/// Everything under `schemas/`, loaded once.
#[derive(Debug)]
pub struct Contracts {
    pub schemas: Vec<SchemaFile>,
    pub codelists: BTreeMap<String, Published>,
    pub policies: BTreeMap<String, Published>,
    pub catalogue: Published,
    pub messages: BTreeMap<String, MessageDef>,
    /// The problem types of the API (`schemas/catalogue/problems.json`).
    pub problem_catalogue: Published,
    pub problems: problems::Problems,
}

impl Contracts {
    /// The contracts embedded in this binary. Panics at start-up if they are inconsistent,
    /// which `Contracts::load` tests prevent from ever shipping.
    pub fn get() -> &'static Contracts {
        static CONTRACTS: OnceLock<Contracts> = OnceLock::new();
        CONTRACTS.get_or_init(|| Contracts::load().expect("embedded contracts load"))
    }

    pub fn load() -> Result<Self, ContractError> {
        let mut schemas = Vec::new();
        let mut codelists = BTreeMap::new();
        let mut policies = BTreeMap::new();
        let mut catalogue = None;
        let mut problem_catalogue = None;
        for (path, raw) in embedded::FILES {
            let (dir, file) = path
                .rsplit_once('/')
                .ok_or_else(|| ContractError(format!("{path}: not in a folder")))?;
            let stem = file.trim_end_matches(".json").to_owned();
            let published = Published::new(raw, path)?;
            match dir {
                "codelists" => {
                    codelists.insert(stem, published);
                }
                "policies" => {
                    policies.insert(stem, published);
                }
                "catalogue" if stem == "problems" => problem_catalogue = Some(published),
                "catalogue" => catalogue = Some(published),
                name => {
                    let id = format!("{SCHEMA_ID_BASE}{name}/{stem}");
                    let declared = published.value.get("$id").and_then(Value::as_str);
                    if declared != Some(id.as_str()) {
                        return Err(ContractError(format!("{path}: $id must be {id}")));
                    }
                    schemas.push(SchemaFile {
                        name: name.to_owned(),
                        version: stem,
                        id,
                        file: published,
                    });
                }
            }
        }
        let catalogue =
            catalogue.ok_or_else(|| ContractError("catalogue/messages.json missing".into()))?;
        let parsed: Catalogue = serde_json::from_value(catalogue.value.clone())
            .map_err(|e| ContractError(format!("catalogue/messages.json: {e}")))?;
        let messages = parsed
            .messages
            .into_iter()
            .map(|m| (m.id.clone(), m))
            .collect();
        let problem_catalogue = problem_catalogue
            .ok_or_else(|| ContractError("catalogue/problems.json missing".into()))?;
        let problems = problems::Problems::new(&problem_catalogue.value)?;
        schemas.sort_by(|a, b| {
            (&a.name, version_key(&a.version)).cmp(&(&b.name, version_key(&b.version)))
        });
        Ok(Self {
            schemas,
            codelists,
            policies,
            catalogue,
            messages,
            problem_catalogue,
            problems,
        })
    }

    pub fn schema(&self, name: &str, version: &str) -> Option<&SchemaFile> {
        self.schemas
            .iter()
            .find(|s| s.name == name && s.version == version)
    }

    /// Published versions of a document type's schema, oldest first.
    pub fn versions(&self, doc: DocumentType) -> impl Iterator<Item = &str> {
        self.schemas
            .iter()
            .filter(move |s| s.name == doc.as_str())
            .map(|s| s.version.as_str())
    }

    pub fn codelist(&self, name: &str) -> Option<&Published> {
        self.codelists.get(name)
    }

    /// The codes of a code list, in published order.
    pub fn codes(&self, name: &str) -> Vec<&Value> {
        self.codelist(name)
            .and_then(|c| c.value.get("codes"))
            .and_then(Value::as_array)
            .map(|codes| codes.iter().filter_map(|c| c.get("code")).collect())
            .unwrap_or_default()
    }

    /// Whether `code` is in the code list `name`.
    pub fn has_code(&self, name: &str, code: &str) -> bool {
        self.codes(name).iter().any(|c| *c == code)
    }

    pub fn message(&self, id: &str) -> Option<&MessageDef> {
        self.messages.get(id)
    }
}

/// Orders "1.10.0" after "1.9.0".
fn version_key(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// The groups of the message reference, by id prefix (`KY-HO` holds `KY-HO-…`), in the order
/// the reference gives them; a message belongs to the first group whose prefix it has.
const MESSAGE_GROUPS: [(&str, &str); 12] = [
    ("KY-DOC", "Documents (`KY-DOC-*`)"),
    ("KY-SCHEMA", "Schema (`KY-SCHEMA-*`)"),
    ("KY-FORMAT", "Formats (`KY-FORMAT-*`)"),
    ("KY-TEXT", "Text (`KY-TEXT-*`)"),
    ("KY-ADDR", "Addresses (`KY-ADDR-*`)"),
    ("KY-XML", "XML mapping (`KY-XML-*`)"),
    ("KY-REG", "Registration (`KY-REG-*`)"),
    ("KY-FAC", "Facility capability record (`KY-FAC-*`)"),
    ("KY-HO", "Handoff (`KY-HO-*`)"),
    ("KY-HR", "Handoff response (`KY-HR-*`)"),
    ("KY-INT", "Emergency intake (`KY-INT-*`)"),
    ("", "Other messages"),
];

const MESSAGES_INTRO: &str = "# Validation messages\n\n\
Generated from `schemas/catalogue/messages.json` (served at `GET /codelists/messages`); a test \
keeps this file in step.\n\n\
## 1. Reading a message\n\n\
Every error and warning of a validation report carries one of these ids \
([validation.md](validation.md) §3.2). An `error` makes the document invalid; a `warning` does \
not. `{field}` stands for the field's label in the report's language \
([validation.md](validation.md) §3.3), never its value; `{limit}`, `{expected}`, `{allowed}`, `{property}`, `{versions}` and \
`{category}` stand for what the schema or a code list says, never for a submitted value. \
\"see\" names the section of this specification that states the rule.\n\n\
## 2. The messages\n";

/// The message catalogue as a Markdown reference (`docs/spec/messages.md`): one numbered
/// section per group of ids.
pub fn messages_markdown(contracts: &Contracts) -> String {
    let mut out = String::from(MESSAGES_INTRO);
    let group_of = |id: &str| {
        MESSAGE_GROUPS.iter().position(|(p, _)| {
            p.is_empty() || id.strip_prefix(p).is_some_and(|rest| rest.starts_with('-'))
        })
    };
    let mut number = 0;
    for (index, (_, title)) in MESSAGE_GROUPS.iter().enumerate() {
        let members: Vec<&MessageDef> = contracts
            .messages
            .values()
            .filter(|m| group_of(&m.id) == Some(index))
            .collect();
        if members.is_empty() {
            continue;
        }
        number += 1;
        out.push_str(&format!(
            "\n### 2.{number} {title}\n\n\
             | id | severity | applies to | see | 日本語 | English |\n|---|---|---|---|---|---|\n"
        ));
        for m in members {
            let cell = |s: &str| s.replace('|', "\\|");
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} |\n",
                m.id,
                m.severity,
                m.applies_to.join(", "),
                cell(&m.spec),
                cell(&m.ja),
                cell(&m.en)
            ));
        }
    }
    out
}
