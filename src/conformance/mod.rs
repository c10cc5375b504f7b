//! The conformance runner: scenarios (sequences of API calls with expected responses, kept as
//! data in `conformance/scenarios/*.json`) and vectors (documents with an expected verdict, in
//! `conformance/vectors/*/manifest.json`) run over HTTP against any kyoten-compatible server.
//!
//! The scenario format is documented in `conformance/README.md`.
mod answers;
mod expect;
pub mod report;
mod runner;
mod scenario;
pub mod signing;
pub mod traceability;
mod vectors;

pub use runner::Runner;
pub use scenario::{
    load_credentials, load_scenarios, Caller, Check, Credential, Credentials, Expect, Scenario,
    Sign, StatusExpectation, Step,
};
pub use vectors::{load_vectors, Expected, VectorCase};

use std::path::Path;
use std::time::Duration;

/// Why scenarios, vectors or credentials could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Format { path: String, message: String },
}

fn read(path: &Path) -> Result<Vec<u8>, LoadError> {
    std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.display().to_string(),
        source,
    })
}

fn parse<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, LoadError> {
    serde_json::from_slice(&read(path)?).map_err(|e| LoadError::Format {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

/// Where the server is and who calls it.
#[derive(Debug, Clone)]
pub struct Target {
    pub base_url: String,
    pub credentials: Credentials,
}

/// Which part of the suite a case belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    Scenarios,
    Vectors,
}

impl Suite {
    pub fn name(self) -> &'static str {
        match self {
            Suite::Scenarios => "scenarios",
            Suite::Vectors => "vectors",
        }
    }
}

/// Why a case failed: at which step, what was expected, what came back, and the clause.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Failure {
    pub step: String,
    pub expected: String,
    pub got: String,
    pub spec: String,
}

#[derive(Debug, Clone)]
pub enum Outcome {
    Passed,
    Failed(Failure),
    Skipped(String),
}

/// The result of one scenario or one vector.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub suite: Suite,
    pub id: String,
    pub title: String,
    pub spec: String,
    pub outcome: Outcome,
    pub duration: Duration,
}
