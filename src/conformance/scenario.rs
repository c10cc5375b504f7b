//! The scenario format: who calls (`Caller`, with the credentials file), the steps of a
//! scenario and what each expects, read from `conformance/scenarios/*.json` and checked for
//! what serde cannot express. The format is documented in `conformance/README.md`.
use super::{parse, signing, LoadError};
use crate::crypto::jws::Alg;
use crate::packet::Form;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Who makes a call in a scenario: one organization per role (and a second office and
/// facility, for reads that must be refused), or nobody.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Caller {
    City,
    Kikan,
    Hub,
    Office,
    OtherOffice,
    Facility,
    OtherFacility,
    Anonymous,
}

impl Caller {
    /// The callers that hold an API key.
    pub const WITH_KEYS: [Caller; 7] = [
        Caller::City,
        Caller::Kikan,
        Caller::Hub,
        Caller::Office,
        Caller::OtherOffice,
        Caller::Facility,
        Caller::OtherFacility,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Caller::City => "city",
            Caller::Kikan => "kikan",
            Caller::Hub => "hub",
            Caller::Office => "office",
            Caller::OtherOffice => "other_office",
            Caller::Facility => "facility",
            Caller::OtherFacility => "other_facility",
            Caller::Anonymous => "anonymous",
        }
    }

    /// The organization role the caller's key must have.
    pub fn role(self) -> Option<crate::domain::role::Role> {
        use crate::domain::role::Role;
        match self {
            Caller::City => Some(Role::City),
            Caller::Kikan => Some(Role::Kikan),
            Caller::Hub => Some(Role::Hub),
            Caller::Office | Caller::OtherOffice => Some(Role::ConsultationOffice),
            Caller::Facility | Caller::OtherFacility => Some(Role::Facility),
            Caller::Anonymous => None,
        }
    }
}

/// One caller's organization and API key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    pub organization_id: String,
    pub api_key: String,
}

/// The callers' credentials (`--credentials FILE`: a JSON object keyed by caller name).
pub type Credentials = BTreeMap<Caller, Credential>;

pub fn load_credentials(path: &Path) -> Result<Credentials, LoadError> {
    parse(path)
}

/// Deserializes a present value, even `null`, as `Some`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// A scenario: API calls in order, each with the response it expects.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub title_ja: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// The repository documents stating the rules the scenario checks (e.g. `docs/spec/consent.md §4`).
    #[serde(default)]
    pub spec: Vec<String>,
    /// Variables set once before the first step (values may use the built-in variables).
    #[serde(default)]
    pub vars: BTreeMap<String, Value>,
    pub steps: Vec<Step>,
}

/// One API call (or several at once, with `parallel`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub name: String,
    #[serde(rename = "as", default)]
    pub caller: Option<Caller>,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "present")]
    pub body: Option<Value>,
    #[serde(default)]
    pub body_file: Option<String>,
    #[serde(default)]
    pub body_text: Option<String>,
    /// Values set in a JSON body (`body` or a JSON `body_file`), by JSON Pointer.
    #[serde(default)]
    pub body_set: BTreeMap<String, Value>,
    /// Members removed from a JSON body, by JSON Pointer.
    #[serde(default)]
    pub body_remove: Vec<String>,
    /// The body is the public JWK of the run's own key for this algorithm (`ES256`, `Ed25519`,
    /// `PS256`, `RS256`), to register it with `POST /v1/keys`. The runner makes its keys for
    /// each run, so a run never meets a key an earlier run registered.
    #[serde(default)]
    pub body_public_key: Option<String>,
    /// The JSON body is sent as a signed packet made with the run's keys.
    #[serde(default)]
    pub sign: Option<Sign>,
    #[serde(default)]
    pub expect: Expect,
    /// Variables taken from the response: a JSON Pointer into the body, or `header:Name`.
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
    /// Steps sent at the same moment; `expect.statuses` lists their statuses in any order.
    #[serde(default)]
    pub parallel: Option<Vec<Step>>,
    /// The document stating the rule of this step, when narrower than the scenario's.
    #[serde(default)]
    pub spec: Option<String>,
}

/// How a step signs its body: with the run's key for `alg` in `form` (`jws`, the default, or
/// `xml`), or as one of the attacks on a signed packet (`attack`, e.g. `payload_byte_changed`;
/// see `conformance/vectors/signed/`), which sets its own key and form.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sign {
    #[serde(default)]
    pub alg: Option<String>,
    #[serde(default)]
    pub form: Option<String>,
    #[serde(default)]
    pub attack: Option<signing::Attack>,
}

impl Sign {
    pub(super) fn alg(&self) -> Result<Alg, String> {
        let name = self.alg.as_deref().unwrap_or("ES256");
        Alg::parse(name)
            .ok_or_else(|| format!("sign.alg {name} is not ES256, Ed25519, PS256 or RS256"))
    }

    pub(super) fn form(&self) -> Result<Form, String> {
        match self.form.as_deref() {
            None | Some("jws") => Ok(Form::Jws),
            Some("xml") => Ok(Form::Xml),
            Some(other) => Err(format!("sign.form {other} is not jws or xml")),
        }
    }
}

/// A status or a list of acceptable statuses.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum StatusExpectation {
    One(u16),
    AnyOf(Vec<u16>),
}

impl StatusExpectation {
    pub(super) fn accepts(&self, status: u16) -> bool {
        match self {
            StatusExpectation::One(s) => *s == status,
            StatusExpectation::AnyOf(list) => list.contains(&status),
        }
    }

    pub(super) fn describe(&self) -> String {
        match self {
            StatusExpectation::One(s) => s.to_string(),
            StatusExpectation::AnyOf(list) => format!("one of {list:?}"),
        }
    }
}

/// What a response must be.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default)]
    pub status: Option<StatusExpectation>,
    /// For `parallel` steps: the statuses of all the calls, in any order.
    #[serde(default)]
    pub statuses: Option<Vec<u16>>,
    /// The media type of the response (parameters such as `charset` are ignored).
    #[serde(default)]
    pub content_type: Option<String>,
    /// Response headers and their exact values.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub json: Vec<Check>,
}

/// A check on the JSON body at a JSON Pointer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub pointer: String,
    #[serde(default, deserialize_with = "present")]
    pub equals: Option<Value>,
    #[serde(default)]
    pub exists: Option<bool>,
    #[serde(default)]
    pub absent: Option<bool>,
    /// An array holding this element, or a string holding this text.
    #[serde(default, deserialize_with = "present")]
    pub contains: Option<Value>,
    /// An array not holding this element, or a string not holding this text.
    #[serde(default, deserialize_with = "present")]
    pub not_contains: Option<Value>,
    /// An array holding an object with these members (where a member is an array, the
    /// element's holds at least its items): one element found by what identifies it.
    #[serde(default)]
    pub has_element: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    pub one_of: Option<Vec<Value>>,
    /// The number of elements of an array.
    #[serde(default)]
    pub length: Option<usize>,
}

/// The scenarios of a folder (`*.json`), sorted by file name.
pub fn load_scenarios(dir: &Path) -> Result<Vec<Scenario>, LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|source| LoadError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut scenarios: Vec<Scenario> = Vec::new();
    for file in files {
        let scenario: Scenario = parse(&file)?;
        let problem = |message: String| LoadError::Format {
            path: file.display().to_string(),
            message,
        };
        if scenarios.iter().any(|s| s.id == scenario.id) {
            return Err(problem(format!(
                "scenario id {} is used twice",
                scenario.id
            )));
        }
        for step in &scenario.steps {
            check_step(step, false).map_err(|m| problem(format!("step \"{}\": {m}", step.name)))?;
        }
        scenarios.push(scenario);
    }
    Ok(scenarios)
}

/// Structural checks serde cannot express.
fn check_step(step: &Step, nested: bool) -> Result<(), String> {
    if let Some(steps) = &step.parallel {
        if nested {
            return Err("parallel steps cannot nest".into());
        }
        if step.expect.statuses.as_ref().map(Vec::len) != Some(steps.len()) {
            return Err("expect.statuses must list one status per parallel step".into());
        }
        return steps.iter().try_for_each(|s| check_step(s, true));
    }
    if step.caller.is_none() || step.method.is_none() || step.path.is_none() {
        return Err("a request step needs `as`, `method` and `path`".into());
    }
    let bodies = [
        step.body.is_some(),
        step.body_file.is_some(),
        step.body_text.is_some(),
        step.body_public_key.is_some(),
    ];
    if bodies.iter().filter(|b| **b).count() > 1 {
        return Err("give at most one of body, body_file, body_text, body_public_key".into());
    }
    if let Some(alg) = &step.body_public_key {
        Alg::parse(alg).ok_or(format!("body_public_key {alg} is not an algorithm"))?;
    }
    if let Some(sign) = &step.sign {
        let json_file = step
            .body_file
            .as_deref()
            .is_some_and(|f| f.ends_with(".json"));
        if !(step.body.is_some() || json_file) {
            return Err("sign needs a JSON body (body or a .json body_file)".into());
        }
        if sign.attack.is_some() && (sign.alg.is_some() || sign.form.is_some()) {
            return Err("an attack sets its own key and form: give attack alone".into());
        }
        sign.alg()?;
        sign.form()?;
    }
    if !nested && step.expect.status.is_none() {
        return Err("expect.status is required".into());
    }
    Ok(())
}
