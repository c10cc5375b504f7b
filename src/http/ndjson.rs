//! One NDJSON report line per input line, shared by the batch endpoint and `kyoten validate`.
use crate::contracts::DocumentType;
use crate::problem::{ApiError, Problem};
use crate::validation::input::{Format, Input};
use crate::validation::{Engine, Lang, Report};
use serde::Serialize;
use utoipa::ToSchema;

/// One line of a batch result: the report of input line `line`, or why it was not a document.
#[derive(Serialize, ToSchema)]
pub struct BatchLine {
    /// 1-based line number in the input.
    pub line: u64,
    #[serde(flatten)]
    pub body: BatchBody,
}

#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum BatchBody {
    /// The line was a document: its report.
    Report(Report),
    /// The line was not a document (`valid` is always false).
    NotADocument { valid: bool, problem: Problem },
}

impl BatchLine {
    pub fn not_a_document(line: u64, problem: Problem) -> Self {
        BatchLine {
            line,
            body: BatchBody::NotADocument {
                valid: false,
                problem,
            },
        }
    }
}

/// Validates one input line and appends its report line (with `\n`) to `out`.
/// Returns whether the document was valid.
pub fn report_line(
    engine: &Engine,
    expected: Option<DocumentType>,
    line: u64,
    bytes: &[u8],
    lang: Lang,
    out: &mut Vec<u8>,
) -> bool {
    let (entry, valid) = match Input::read(Format::Json, bytes, engine) {
        Ok(input) => {
            let outcome = input.validate(engine, expected);
            let report = input.render(engine, &outcome, lang);
            let valid = report.valid;
            (
                BatchLine {
                    line,
                    body: BatchBody::Report(report),
                },
                valid,
            )
        }
        Err(e) => (
            BatchLine::not_a_document(line, ApiError::from(e).to_problem(lang)),
            false,
        ),
    };
    write_line(&entry, out);
    valid
}

pub fn write_line(entry: &BatchLine, out: &mut Vec<u8>) {
    serde_json::to_writer(&mut *out, entry).expect("serializing to a Vec cannot fail");
    out.push(b'\n');
}

/// Lines that are empty or only whitespace are skipped (but still counted).
pub fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}
