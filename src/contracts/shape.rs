//! The shape of a document type, read from its JSON Schema: which property is an object, an
//! array, a string, a number or a boolean, and its Japanese and English titles.
//!
//! The XML mapping uses it to give XML text its JSON type, and the validator uses it to name a
//! field in a message by its label instead of echoing the value.
use super::{ContractError, Contracts};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    Object,
    Array,
    String,
    Integer,
    Number,
    Boolean,
    #[default]
    Any,
}

#[derive(Debug, Clone, Default)]
pub struct Shape {
    pub kind: Kind,
    pub title_ja: Option<String>,
    pub title_en: Option<String>,
    pub properties: Vec<(String, Shape)>,
    pub required: Vec<String>,
    pub items: Option<Box<Shape>>,
    /// The values `enum` or `const` allow, when the schema lists them (the XML Schema's
    /// enumerations); `None` when any value of the kind is allowed.
    pub values: Option<Vec<Value>>,
    /// The schema's `format` (`date`, `date-time` …), if any.
    pub format: Option<String>,
}

impl Shape {
    /// Builds the shape of the schema with this `$id`, resolving `$ref`s across the contracts.
    pub fn of(contracts: &Contracts, id: &str) -> Result<Shape, ContractError> {
        let root = lookup(contracts, id)?;
        let mut shape = Shape::default();
        merge(contracts, id, root, &mut shape, 0)?;
        Ok(shape)
    }

    pub fn property(&self, name: &str) -> Option<&Shape> {
        self.properties
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s)
    }

    /// The shape at a JSON Pointer into an instance (array indices step into `items`).
    pub fn at<'a, I: IntoIterator<Item = &'a str>>(&self, segments: I) -> Option<&Shape> {
        let mut node = self;
        for seg in segments {
            node = match node.kind {
                Kind::Array => node.items.as_deref()?,
                _ => node.property(seg)?,
            };
        }
        Some(node)
    }

    /// The label of the field at a JSON Pointer: the titles of its parent and itself, or the
    /// property names where a title is missing. Never contains an instance value.
    pub fn label(&self, pointer: &str, english: bool) -> String {
        let mut titles: Vec<String> = Vec::new();
        let mut node = Some(self);
        for seg in pointer.split('/').skip(1) {
            let Some(current) = node else {
                titles.push(seg.to_owned());
                continue;
            };
            if current.kind == Kind::Array {
                node = current.items.as_deref();
                continue;
            }
            node = current.property(seg);
            let title = node.and_then(|n| {
                if english {
                    n.title_en.clone()
                } else {
                    n.title_ja.clone()
                }
            });
            titles.push(title.unwrap_or_else(|| seg.to_owned()));
        }
        match titles.len() {
            0 => {
                if english {
                    "document".into()
                } else {
                    "文書".into()
                }
            }
            1 => titles.pop().unwrap_or_default(),
            n => format!("{} › {}", titles[n - 2], titles[n - 1]),
        }
    }
}

fn lookup<'c>(contracts: &'c Contracts, id: &str) -> Result<&'c Value, ContractError> {
    let (base, fragment) = id.split_once('#').unwrap_or((id, ""));
    let schema = contracts
        .schemas
        .iter()
        .find(|s| s.id == base)
        .ok_or_else(|| ContractError(format!("unresolvable $ref {id}")))?;
    if fragment.is_empty() {
        return Ok(&schema.file.value);
    }
    schema
        .file
        .value
        .pointer(fragment)
        .ok_or_else(|| ContractError(format!("unresolvable $ref {id}")))
}

/// The facets a schema node states itself (titles, listed values, format), where the shape
/// does not have them yet: the first statement, the narrowest, wins.
fn own_facets(obj: &serde_json::Map<String, Value>, into: &mut Shape) {
    if into.title_ja.is_none() {
        into.title_ja = obj.get("title").and_then(Value::as_str).map(str::to_owned);
    }
    if into.title_en.is_none() {
        into.title_en = obj
            .get("x-title-en")
            .and_then(Value::as_str)
            .map(str::to_owned);
    }
    // A node's own `enum`/`const` is at least as narrow as the one of what it refers to.
    if into.values.is_none() {
        into.values = match (obj.get("const"), obj.get("enum")) {
            (Some(c), _) => Some(vec![c.clone()]),
            (None, Some(Value::Array(e))) => Some(e.clone()),
            _ => None,
        };
    }
    if into.format.is_none() {
        into.format = obj.get("format").and_then(Value::as_str).map(str::to_owned);
    }
}

fn merge(
    contracts: &Contracts,
    base: &str,
    schema: &Value,
    into: &mut Shape,
    depth: u32,
) -> Result<(), ContractError> {
    if depth > 64 {
        return Err(ContractError(format!("$ref cycle below {base}")));
    }
    let Some(obj) = schema.as_object() else {
        return Ok(());
    };
    own_facets(obj, into);
    if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
        let target = if r.starts_with('#') {
            format!("{base}{r}")
        } else {
            r.to_owned()
        };
        let target_base = target.split('#').next().unwrap_or_default().to_owned();
        merge(
            contracts,
            &target_base,
            lookup(contracts, &target)?,
            into,
            depth + 1,
        )?;
    }
    if into.kind == Kind::Any {
        into.kind = kind_of(obj);
    }
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        into.kind = Kind::Object;
        for (name, sub) in props {
            let idx = match into.properties.iter().position(|(n, _)| n == name) {
                Some(i) => i,
                None => {
                    into.properties.push((name.clone(), Shape::default()));
                    into.properties.len() - 1
                }
            };
            merge(contracts, base, sub, &mut into.properties[idx].1, depth + 1)?;
        }
    }
    if let Some(req) = obj.get("required").and_then(Value::as_array) {
        for r in req.iter().filter_map(Value::as_str) {
            if !into.required.iter().any(|x| x == r) {
                into.required.push(r.to_owned());
            }
        }
    }
    if let Some(items) = obj.get("items") {
        into.kind = Kind::Array;
        let target = into.items.get_or_insert_with(Default::default);
        merge(contracts, base, items, target, depth + 1)?;
    }
    merge_alternatives(contracts, base, obj, into, depth)
}

/// Folds `allOf`, `anyOf`, `oneOf` and `then`/`else` of a schema node into its shape.
fn merge_alternatives(
    contracts: &Contracts,
    base: &str,
    obj: &serde_json::Map<String, Value>,
    into: &mut Shape,
    depth: u32,
) -> Result<(), ContractError> {
    // `then` and `else` are two alternatives, as an `anyOf` of them would be.
    let conditional: Vec<Value> = ["then", "else"]
        .iter()
        .filter_map(|k| obj.get(*k).cloned())
        .collect();
    for key in ["allOf", "anyOf", "oneOf", "then/else"] {
        let listed = match key {
            "then/else" => Some(conditional.as_slice()),
            _ => obj.get(key).and_then(Value::as_array).map(Vec::as_slice),
        };
        let mut alternatives = Vec::new();
        for alt in listed.into_iter().flatten() {
            let mut alt_shape = Shape::default();
            merge(contracts, base, alt, &mut alt_shape, depth + 1)?;
            alternatives.push(alt_shape);
        }
        if key != "allOf" && into.values.is_none() && into.format.is_none() {
            let (values, format) = widen(&alternatives);
            into.values = values;
            into.format = format;
        }
        for alt_shape in alternatives {
            absorb(into, alt_shape, key == "allOf");
        }
    }
    Ok(())
}

/// What one of several alternatives (`anyOf`, `oneOf`) allows: the union of their listed
/// values, unless one of them allows any value; their format, if they share one.
fn widen<'a>(
    alternatives: impl IntoIterator<Item = &'a Shape>,
) -> (Option<Vec<Value>>, Option<String>) {
    let mut values: Option<Vec<Value>> = Some(Vec::new());
    let mut format: Option<Option<String>> = None;
    for alt in alternatives {
        values = match (values, &alt.values) {
            (Some(mut all), Some(these)) => {
                for v in these {
                    if !all.contains(v) {
                        all.push(v.clone());
                    }
                }
                Some(all)
            }
            _ => None,
        };
        format = match format {
            None => Some(alt.format.clone()),
            Some(f) if f == alt.format => Some(f),
            Some(_) => Some(None),
        };
    }
    (values.filter(|v| !v.is_empty()), format.flatten())
}

/// Folds an alternative's shape into a node: properties are united (a property several
/// alternatives share allows what any of them allows); requirements only count when every
/// alternative has them (`allOf`).
fn absorb(into: &mut Shape, alt: Shape, keep_required: bool) {
    if into.kind == Kind::Any {
        into.kind = alt.kind;
    }
    for (name, sub) in alt.properties {
        match into.properties.iter_mut().find(|(n, _)| *n == name) {
            None => into.properties.push((name, sub)),
            Some((_, existing)) if !keep_required => {
                let (values, format) = widen([&*existing, &sub]);
                existing.values = values;
                existing.format = format;
                // What the alternative says inside the property counts too (a `then` giving
                // the members of an object the schema only calls an object).
                absorb(existing, sub, false);
            }
            Some(_) => {}
        }
    }
    if keep_required {
        into.required.extend(alt.required);
    }
    if into.items.is_none() {
        into.items = alt.items;
    }
}

fn kind_of(obj: &serde_json::Map<String, Value>) -> Kind {
    let ty = match obj.get("type") {
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or(""),
        _ => match obj
            .get("const")
            .or_else(|| obj.get("enum").and_then(|e| e.get(0)))
        {
            Some(Value::String(_)) => "string",
            Some(Value::Bool(_)) => "boolean",
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => "integer",
            Some(Value::Number(_)) => "number",
            _ => "",
        },
    };
    match ty {
        "object" => Kind::Object,
        "array" => Kind::Array,
        "string" => Kind::String,
        "integer" => Kind::Integer,
        "number" => Kind::Number,
        "boolean" => Kind::Boolean,
        _ => Kind::Any,
    }
}

/// Where the shapes of the published document types come from: the validator's engine, which
/// works them out once with the schemas it compiles. The XML form is read and written by shape,
/// and asks for them through this, so that it needs nothing of the validator itself.
pub trait Shapes {
    /// The shape of a document type at a version.
    fn shape(&self, doc: super::DocumentType, version: &str) -> Option<&Shape>;
    /// The shape of the newest published version of a document type.
    fn latest_shape(&self, doc: super::DocumentType) -> Option<&Shape>;
}
