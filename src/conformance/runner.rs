//! The runner: sends each scenario's steps and each vector to a target over HTTP and compares
//! what comes back with what is expected.
use super::expect::{capture, check_response, remove_pointer, set_pointer, Vars};
use super::scenario::{Caller, Scenario, Sign, Step};
use super::vectors::{Expected, VectorCase};
use super::{signing, CaseResult, Failure, Outcome, Suite, Target};
use crate::crypto::jws::Alg;
use crate::crypto::keys;
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Runs cases against one target.
pub struct Runner {
    client: reqwest::blocking::Client,
    target: Target,
    /// The folder `body_file` paths are relative to (the `conformance/` folder).
    root: PathBuf,
    /// The run's own signing keys, made when a step first needs one.
    keys: std::sync::OnceLock<Result<signing::Keys, String>>,
    /// The answer schemas of the OpenAPI document, every success answer is checked against.
    answers: super::answers::AnswerSchemas,
}

/// A response, read whole.
pub(super) struct Response {
    pub(super) status: u16,
    pub(super) headers: reqwest::header::HeaderMap,
    pub(super) json: Option<Value>,
}

impl Runner {
    pub fn new(target: Target, root: PathBuf) -> Result<Runner, reqwest::Error> {
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Runner {
            client,
            target: Target {
                base_url: target.base_url.trim_end_matches('/').to_owned(),
                credentials: target.credentials,
            },
            root,
            keys: std::sync::OnceLock::new(),
            answers: super::answers::AnswerSchemas::new(),
        })
    }

    /// Whether the target answers `GET /health` at all (any status).
    pub fn reachable(&self) -> Result<(), String> {
        self.client
            .get(format!("{}/health", self.target.base_url))
            .send()
            .map(|_| ())
            .map_err(|e| error_chain(&e))
    }

    /// Runs one scenario; stops at its first failing step.
    pub fn run_scenario(&self, scenario: &Scenario) -> CaseResult {
        let started = Instant::now();
        let spec = scenario.spec.join(", ");
        let outcome = match self.missing_caller(scenario) {
            Some(caller) => {
                Outcome::Skipped(format!("no credentials for the caller {}", caller.name()))
            }
            None => match self.scenario_steps(scenario) {
                Ok(()) => Outcome::Passed,
                Err(mut failure) => {
                    if failure.spec.is_empty() {
                        failure.spec.clone_from(&spec);
                    }
                    Outcome::Failed(failure)
                }
            },
        };
        CaseResult {
            suite: Suite::Scenarios,
            id: scenario.id.clone(),
            title: scenario.title.clone(),
            spec,
            outcome,
            duration: started.elapsed(),
        }
    }

    fn missing_caller(&self, scenario: &Scenario) -> Option<Caller> {
        let mut callers = Vec::new();
        for step in &scenario.steps {
            callers.extend(step.caller);
            for s in step.parallel.iter().flatten() {
                callers.extend(s.caller);
            }
        }
        callers
            .into_iter()
            .find(|c| *c != Caller::Anonymous && !self.target.credentials.contains_key(c))
    }

    fn scenario_steps(&self, scenario: &Scenario) -> Result<(), Failure> {
        let mut vars = Vars::new(&self.target.credentials);
        for (name, value) in &scenario.vars {
            let value = vars
                .value(value)
                .map_err(|e| setup_failure(&scenario.id, e))?;
            vars.set(name, value);
        }
        for step in &scenario.steps {
            let fail = |expected: String, got: String| Failure {
                step: step.name.clone(),
                expected,
                got,
                spec: step.spec.clone().unwrap_or_default(),
            };
            if let Some(parallel) = &step.parallel {
                self.parallel_step(step, parallel, &vars)
                    .map_err(|(e, g)| fail(e, g))?;
                continue;
            }
            let response = self.send(step, &vars).map_err(|(e, g)| fail(e, g))?;
            check_response(&step.expect, &response, &vars).map_err(|(e, g)| fail(e, g))?;
            self.check_answer(step, &vars, &response)
                .map_err(|(e, g)| fail(e, g))?;
            for (name, source) in &step.capture {
                let value = capture(&response, source).ok_or_else(|| {
                    fail(
                        format!("a value at {source} to keep as {name}"),
                        "nothing there".into(),
                    )
                })?;
                vars.set(name, value);
            }
        }
        Ok(())
    }

    fn parallel_step(
        &self,
        step: &Step,
        parallel: &[Step],
        vars: &Vars,
    ) -> Result<(), (String, String)> {
        let barrier = std::sync::Barrier::new(parallel.len());
        let results: Vec<Result<u16, (String, String)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = parallel
                .iter()
                .map(|sub| {
                    let vars = vars.clone();
                    let barrier = &barrier;
                    scope.spawn(move || {
                        let request = self.build(sub, &vars)?;
                        barrier.wait();
                        self.execute(request).map(|r| r.status)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(("a response".into(), "the request thread panicked".into()))
                    })
                })
                .collect()
        });
        let mut got = Vec::new();
        for r in results {
            got.push(r?);
        }
        got.sort_unstable();
        let mut expected = step.expect.statuses.clone().unwrap_or_default();
        expected.sort_unstable();
        if got == expected {
            Ok(())
        } else {
            Err((
                format!("statuses {expected:?} in any order"),
                format!("statuses {got:?}"),
            ))
        }
    }

    /// A JSON success answer against its schema in the OpenAPI document.
    fn check_answer(
        &self,
        step: &Step,
        vars: &Vars,
        response: &Response,
    ) -> Result<(), (String, String)> {
        let Some(body) = &response.json else {
            return Ok(());
        };
        let media = response
            .headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .unwrap_or("application/json")
            .trim()
            .to_ascii_lowercase();
        let path = vars
            .text(step.path.as_deref().unwrap_or("/"))
            .unwrap_or_default();
        let method = step.method.as_deref().unwrap_or("GET");
        self.answers
            .check(method, &path, response.status, &media, body)
    }

    fn send(&self, step: &Step, vars: &Vars) -> Result<Response, (String, String)> {
        let request = self.build(step, vars)?;
        self.execute(request)
    }

    fn build(
        &self,
        step: &Step,
        vars: &Vars,
    ) -> Result<reqwest::blocking::Request, (String, String)> {
        let invalid = |m: String| ("a well-formed step".to_owned(), m);
        let method = step.method.as_deref().unwrap_or("GET");
        let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
            .map_err(|_| invalid(format!("the method {method} is not valid")))?;
        let path = vars
            .text(step.path.as_deref().unwrap_or("/"))
            .map_err(invalid)?;
        let mut builder = self
            .client
            .request(method, format!("{}{path}", self.target.base_url));
        let caller = step.caller.unwrap_or(Caller::Anonymous);
        let has_authorization = step
            .headers
            .keys()
            .any(|k| k.eq_ignore_ascii_case("authorization"));
        if caller != Caller::Anonymous && !has_authorization {
            let credential = self
                .target
                .credentials
                .get(&caller)
                .ok_or_else(|| invalid(format!("no credentials for {}", caller.name())))?;
            builder = builder.bearer_auth(&credential.api_key);
        }
        let (body, content_type) = self.body(step, vars).map_err(invalid)?;
        let has_content_type = step
            .headers
            .keys()
            .any(|k| k.eq_ignore_ascii_case("content-type"));
        if let Some(body) = body {
            if let (Some(ct), false) = (content_type, has_content_type) {
                builder = builder.header(reqwest::header::CONTENT_TYPE, ct);
            }
            builder = builder.body(body);
        }
        for (name, value) in &step.headers {
            builder = builder.header(name.as_str(), vars.text(value).map_err(invalid)?);
        }
        builder
            .build()
            .map_err(|e| invalid(format!("the request cannot be built: {e}")))
    }

    /// The body bytes and their default content type.
    #[allow(clippy::type_complexity)]
    fn body(
        &self,
        step: &Step,
        vars: &Vars,
    ) -> Result<(Option<Vec<u8>>, Option<&'static str>), String> {
        if let Some(alg) = &step.body_public_key {
            let alg = Alg::parse(alg).ok_or(format!("{alg} is not an algorithm"))?;
            let key = keys::verifying_key(self.keys()?.by_alg(alg)).map_err(|e| e.to_string())?;
            let jwk = keys::to_jwk(&key).map_err(|e| e.to_string())?;
            return Ok((
                Some(jwk.to_string().into_bytes()),
                Some("application/jwk+json"),
            ));
        }
        if let Some(text) = &step.body_text {
            return Ok((Some(vars.text(text)?.into_bytes()), Some("text/plain")));
        }
        if let Some(doc) = self.json_body(step, vars)? {
            return match &step.sign {
                Some(sign) => self.signed(sign, &doc),
                None => Ok((
                    Some(serde_json::to_vec(&doc).map_err(|e| e.to_string())?),
                    Some("application/json"),
                )),
            };
        }
        if let Some(file) = &step.body_file {
            let path = self.root.join(file);
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let xml = path.extension().is_some_and(|e| e == "xml");
            let content_type = if xml {
                "application/xml"
            } else {
                "application/json"
            };
            return Ok((Some(bytes), Some(content_type)));
        }
        Ok((None, None))
    }

    /// The JSON body after its edits, when the step has one to edit or sign (`body`, or a JSON
    /// `body_file` with `body_set`, `body_remove` or `sign`).
    fn json_body(&self, step: &Step, vars: &Vars) -> Result<Option<Value>, String> {
        let mut doc = if let Some(body) = &step.body {
            vars.value(body)?
        } else if let Some(file) = step.body_file.as_deref().filter(|f| f.ends_with(".json")) {
            let edits = !step.body_set.is_empty() || !step.body_remove.is_empty();
            if !edits && step.sign.is_none() {
                return Ok(None);
            }
            let path = self.root.join(file);
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))?
        } else {
            return Ok(None);
        };
        for (pointer, value) in &step.body_set {
            set_pointer(&mut doc, pointer, vars.value(value)?)?;
        }
        for pointer in &step.body_remove {
            remove_pointer(&mut doc, pointer)?;
        }
        Ok(Some(doc))
    }

    /// The run's keys, made on first use.
    fn keys(&self) -> Result<&signing::Keys, String> {
        self.keys
            .get_or_init(|| signing::Keys::generate().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// `doc` as a signed packet (or an attack on one) and its media type.
    #[allow(clippy::type_complexity)]
    fn signed(
        &self,
        sign: &Sign,
        doc: &Value,
    ) -> Result<(Option<Vec<u8>>, Option<&'static str>), String> {
        let keys = self.keys()?;
        let (bytes, form) = match sign.attack {
            Some(attack) => (
                attack.build(doc, keys).map_err(|e| e.to_string())?,
                attack.form(),
            ),
            None => {
                let doc_type = doc["document_type"]
                    .as_str()
                    .and_then(crate::contracts::DocumentType::parse)
                    .ok_or("a signed body needs a known document_type")?;
                let form = sign.form()?;
                let key = keys.by_alg(sign.alg()?);
                let bytes = signing::sign(form, doc_type, doc, key).map_err(|e| e.to_string())?;
                (bytes, form)
            }
        };
        Ok((Some(bytes), Some(form.media_type())))
    }

    fn execute(&self, request: reqwest::blocking::Request) -> Result<Response, (String, String)> {
        let response = self
            .client
            .execute(request)
            .map_err(|e| ("a response".to_owned(), error_chain(&e)))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .map_err(|e| ("a whole response body".to_owned(), error_chain(&e)))?;
        Ok(Response {
            status,
            headers,
            json: serde_json::from_slice(&bytes).ok(),
        })
    }

    /// Runs one vector through `POST /v1/validate/{document_type}`.
    pub fn run_vector(&self, vector: &VectorCase) -> CaseResult {
        let started = Instant::now();
        let outcome = match self.vector_outcome(vector) {
            Ok(()) => Outcome::Passed,
            Err((expected, got)) => Outcome::Failed(Failure {
                step: format!("POST /v1/validate/{}", vector.document_type),
                expected,
                got,
                spec: vector.spec.clone(),
            }),
        };
        CaseResult {
            suite: Suite::Vectors,
            id: vector.id.clone(),
            title: vector.description.clone(),
            spec: vector.spec.clone(),
            outcome,
            duration: started.elapsed(),
        }
    }

    fn vector_outcome(&self, vector: &VectorCase) -> Result<(), (String, String)> {
        let bytes = std::fs::read(&vector.file)
            .map_err(|e| ("a readable vector".to_owned(), e.to_string()))?;
        let request = self
            .client
            .post(format!(
                "{}/v1/validate/{}",
                self.target.base_url, vector.document_type
            ))
            .header(reqwest::header::CONTENT_TYPE, vector.content_type.as_str())
            .body(bytes)
            .build()
            .map_err(|e| ("a request".to_owned(), e.to_string()))?;
        let response = self.execute(request)?;
        match &vector.expected {
            Expected::Problem {
                status,
                problem_type,
            } => {
                let got_type = response
                    .json
                    .as_ref()
                    .and_then(|j| j.get("type"))
                    .and_then(Value::as_str)
                    .unwrap_or("(none)");
                if response.status != *status || got_type != problem_type {
                    return Err((
                        format!("status {status}, problem type {problem_type}"),
                        format!("status {}, problem type {got_type}", response.status),
                    ));
                }
                Ok(())
            }
            Expected::Verdict {
                valid,
                errors,
                warnings,
                locations,
            } => {
                let expected = verdict_text(*valid, errors, warnings);
                let Some(report) = response.json.as_ref().filter(|_| response.status == 200) else {
                    return Err((
                        format!("status 200 with a report: {expected}"),
                        format!("status {}{}", response.status, problem_hint(&response)),
                    ));
                };
                let got_valid = report.get("valid").and_then(Value::as_bool);
                let got_errors = ids(report, "errors");
                let got_warnings = ids(report, "warnings");
                if got_valid != Some(*valid) || &got_errors != errors || &got_warnings != warnings {
                    let got = match got_valid {
                        Some(v) => verdict_text(v, &got_errors, &got_warnings),
                        None => "a report without `valid`".into(),
                    };
                    return Err((expected, got));
                }
                let found = error_locations(report);
                if let Some(missing) = locations.iter().find(|l| !found.contains(l)) {
                    return Err((
                        format!("an error at {missing}"),
                        format!("errors at {found:?}"),
                    ));
                }
                Ok(())
            }
        }
    }
}

fn verdict_text(valid: bool, errors: &[String], warnings: &[String]) -> String {
    format!(
        "{}, errors {errors:?}, warnings {warnings:?}",
        if valid { "valid" } else { "invalid" }
    )
}

/// The `instance_location` of every error of a report.
fn error_locations(report: &Value) -> Vec<String> {
    report
        .get("errors")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|m| m.get("instance_location").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Sorted message ids of a report's `errors` or `warnings`.
fn ids(report: &Value, key: &str) -> Vec<String> {
    let mut ids: Vec<String> = report
        .get(key)
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|m| m.get("id").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

fn setup_failure(scenario: &str, message: String) -> Failure {
    Failure {
        step: format!("{scenario}: vars"),
        expected: "variables that can be set".into(),
        got: message,
        spec: String::new(),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The problem type and title of a problem+json answer, to say why a request was refused.
/// Problem details never carry personal data, so they are safe to show.
pub(super) fn problem_hint(response: &Response) -> String {
    let Some(json) = &response.json else {
        return String::new();
    };
    let short = |key: &str| {
        json.get(key)
            .and_then(Value::as_str)
            .map(|s| s.rsplit('/').next().unwrap_or(s).to_owned())
    };
    // The members that say which check refused it (a packet's verdict, a field, a parameter).
    let members: String = ["verdict", "field", "parameter"]
        .into_iter()
        .filter_map(|m| short(m).map(|v| format!("; {m} {v}")))
        .collect();
    match (short("type"), short("title")) {
        (Some(t), Some(title)) => format!(" ({t}: {title}{members})"),
        (Some(t), None) => format!(" ({t}{members})"),
        _ => String::new(),
    }
}
