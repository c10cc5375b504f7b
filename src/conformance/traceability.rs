//! The traceability table (`conformance/traceability.json`): every normative statement of the
//! specification with the scenarios and vectors of this suite, and the project's own tests, that
//! check it; and the coverage a run reached.
use super::{CaseResult, LoadError, Outcome};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One normative statement (a MUST, MUST NOT or NEVER of the exchange's rules) and what checks
/// it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    pub id: String,
    /// The repository document that states it, e.g. `docs/spec/consent.md §4.2`.
    pub clause: String,
    /// The statement.
    pub text: String,
    /// Scenario ids of this suite.
    #[serde(default)]
    pub scenarios: Vec<String>,
    /// Vector ids of this suite (`vectors/{type}/{file}`).
    #[serde(default)]
    pub vectors: Vec<String>,
    /// The project's own tests (`tests/api/{module}.rs`, `module::function`), which run in its
    /// CI rather than against a target.
    #[serde(default)]
    pub tests: Vec<String>,
    /// The passages of the cities' own documents the statement comes from (document and
    /// section), so a city can see where each rule of the exchange is rooted.
    #[serde(default)]
    pub seeds: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    pub statements: Vec<Statement>,
}

pub fn load(path: &Path) -> Result<Table, LoadError> {
    super::parse(path)
}

/// How one statement fared in a run.
#[derive(Debug, Clone, Serialize)]
pub struct StatementCoverage {
    pub id: String,
    pub clause: String,
    /// `passed` (every case of it that ran passed), `failed`, or `not_run` (none of its
    /// scenarios or vectors ran: filtered out, skipped, or checked only by the project's tests).
    pub status: &'static str,
    pub cases_run: usize,
}

/// The statements a run checked.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub statements: usize,
    pub passed: usize,
    pub failed: usize,
    pub not_run: usize,
    pub by_statement: Vec<StatementCoverage>,
}

pub fn coverage(table: &Table, results: &[CaseResult]) -> Coverage {
    let by_statement: Vec<StatementCoverage> = table
        .statements
        .iter()
        .map(|s| {
            let ran: Vec<&CaseResult> = results
                .iter()
                .filter(|r| s.scenarios.contains(&r.id) || s.vectors.contains(&r.id))
                .filter(|r| !matches!(r.outcome, Outcome::Skipped(_)))
                .collect();
            let status = if ran.is_empty() {
                "not_run"
            } else if ran.iter().all(|r| matches!(r.outcome, Outcome::Passed)) {
                "passed"
            } else {
                "failed"
            };
            StatementCoverage {
                id: s.id.clone(),
                clause: s.clause.clone(),
                status,
                cases_run: ran.len(),
            }
        })
        .collect();
    let count = |status: &str| by_statement.iter().filter(|c| c.status == status).count();
    Coverage {
        statements: by_statement.len(),
        passed: count("passed"),
        failed: count("failed"),
        not_run: count("not_run"),
        by_statement,
    }
}

/// One line for the summary.
pub fn summary(c: &Coverage) -> String {
    format!(
        "Normative statements (conformance/traceability.json): {} — checked and passed {}, failed {}, not run here {}\n",
        c.statements, c.passed, c.failed, c.not_run
    )
}
