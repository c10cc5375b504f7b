//! The run's results as a readable summary, JUnit XML and a JSON report.
use super::{CaseResult, Outcome, Suite};
use serde_json::{json, Value};
use std::fmt::Write as _;

/// Counts of one run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

pub fn totals<'a>(results: impl IntoIterator<Item = &'a CaseResult>) -> Totals {
    let mut t = Totals::default();
    for r in results {
        t.total += 1;
        match r.outcome {
            Outcome::Passed => t.passed += 1,
            Outcome::Failed(_) => t.failed += 1,
            Outcome::Skipped(_) => t.skipped += 1,
        }
    }
    t
}

/// The summary printed at the end: every failure with expected vs got and the document that
/// states the rule,
/// every skipped case with the reason, then the counts per suite.
pub fn summary(target: &str, results: &[CaseResult]) -> String {
    let mut out = String::new();
    let failed: Vec<&CaseResult> = results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed(_)))
        .collect();
    if !failed.is_empty() {
        let _ = writeln!(out, "FAILED ({}):", failed.len());
        for r in &failed {
            if let Outcome::Failed(f) = &r.outcome {
                let _ = writeln!(out, "  ✗ {} — {}", r.id, r.title);
                let _ = writeln!(out, "      step:     {}", f.step);
                let _ = writeln!(out, "      expected: {}", f.expected);
                let _ = writeln!(out, "      got:      {}", f.got);
                if !f.spec.is_empty() {
                    let _ = writeln!(out, "      See:      {}", f.spec);
                }
            }
        }
        out.push('\n');
    }
    for r in results {
        if let Outcome::Skipped(reason) = &r.outcome {
            let _ = writeln!(out, "  - skipped {}: {reason}", r.id);
        }
    }
    for suite in [Suite::Scenarios, Suite::Vectors] {
        let t = totals(results.iter().filter(|r| r.suite == suite));
        if t.total > 0 {
            let _ = writeln!(
                out,
                "{:<10} {} passed, {} failed, {} skipped (of {})",
                suite.name(),
                t.passed,
                t.failed,
                t.skipped,
                t.total
            );
        }
    }
    let t = totals(results);
    let verdict = if t.failed == 0 { "PASS" } else { "FAIL" };
    let _ = writeln!(
        out,
        "{verdict}: {} of {} passed against {target}",
        t.passed, t.total
    );
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one `testsuite` for scenarios and one for vectors, one `testcase` per case.
pub fn junit(results: &[CaseResult]) -> String {
    let all = totals(results);
    let seconds = |d: std::time::Duration| format!("{:.3}", d.as_secs_f64());
    let total_time: std::time::Duration = results.iter().map(|r| r.duration).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"kyoten conformance\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{}\">",
        all.total,
        all.failed,
        all.skipped,
        seconds(total_time)
    );
    for suite in [Suite::Scenarios, Suite::Vectors] {
        let cases: Vec<&CaseResult> = results.iter().filter(|r| r.suite == suite).collect();
        if cases.is_empty() {
            continue;
        }
        let t = totals(cases.iter().copied());
        let time: std::time::Duration = cases.iter().map(|r| r.duration).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\">",
            suite.name(),
            t.total,
            t.failed,
            t.skipped,
            seconds(time)
        );
        for r in cases {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{}\"",
                suite.name(),
                escape(&r.id),
                seconds(r.duration)
            );
            match &r.outcome {
                Outcome::Passed => out.push_str("/>\n"),
                Outcome::Skipped(reason) => {
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        escape(reason)
                    );
                }
                Outcome::Failed(f) => {
                    let message = format!("{}: expected {}, got {}", f.step, f.expected, f.got);
                    let text = format!(
                        "{}\nstep: {}\nexpected: {}\ngot: {}\nsee: {}",
                        r.title, f.step, f.expected, f.got, f.spec
                    );
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{}\" type=\"nonconformance\">{}</failure>\n    </testcase>",
                        escape(&message),
                        escape(&text)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// The JSON report: the target, the counts and every case with its outcome.
pub fn json_report(target: &str, results: &[CaseResult]) -> Value {
    let t = totals(results);
    let cases: Vec<Value> = results
        .iter()
        .map(|r| {
            let mut case = json!({
                "suite": r.suite.name(),
                "id": r.id,
                "title": r.title,
                "spec": r.spec,
                "duration_ms": r.duration.as_millis() as u64,
            });
            match &r.outcome {
                Outcome::Passed => case["outcome"] = json!("passed"),
                Outcome::Skipped(reason) => {
                    case["outcome"] = json!("skipped");
                    case["reason"] = json!(reason);
                }
                Outcome::Failed(f) => {
                    case["outcome"] = json!("failed");
                    case["failure"] = json!(f);
                }
            }
            case
        })
        .collect();
    json!({
        "target": target,
        "passed": t.failed == 0,
        "totals": {"total": t.total, "passed": t.passed, "failed": t.failed, "skipped": t.skipped},
        "cases": cases,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::Failure;
    use std::time::Duration;

    fn results() -> Vec<CaseResult> {
        vec![
            CaseResult {
                suite: Suite::Scenarios,
                id: "main-flow".into(),
                title: "Register <and> hand off".into(),
                spec: "docs/spec/api.md §7".into(),
                outcome: Outcome::Passed,
                duration: Duration::from_millis(12),
            },
            CaseResult {
                suite: Suite::Vectors,
                id: "vectors/handoff/invalid/x.json".into(),
                title: "x".into(),
                spec: "docs/spec/consent.md §3.3".into(),
                outcome: Outcome::Failed(Failure {
                    step: "POST /v1/validate/handoff".into(),
                    expected: "invalid, errors [\"KY-A\"]".into(),
                    got: "valid & \"fine\"".into(),
                    spec: "docs/spec/consent.md §3.3".into(),
                }),
                duration: Duration::from_millis(3),
            },
        ]
    }

    #[test]
    fn the_summary_names_each_failure_with_expected_got_and_clause() {
        let text = summary("http://x", &results());
        assert!(text.contains("✗ vectors/handoff/invalid/x.json"));
        assert!(text.contains("expected: invalid, errors [\"KY-A\"]"));
        assert!(text.contains("See:      docs/spec/consent.md §3.3"));
        assert!(text.contains("FAIL: 1 of 2 passed"));
    }

    #[test]
    fn junit_counts_cases_and_escapes_text() {
        let xml = junit(&results());
        assert!(xml.contains("<testsuites name=\"kyoten conformance\" tests=\"2\" failures=\"1\""));
        assert!(xml.contains("name=\"scenarios\" tests=\"1\" failures=\"0\""));
        assert!(xml.contains("got valid &amp; &quot;fine&quot;"));
        assert!(!xml.contains("<and>"));
    }
}
