use crate::contracts::DocumentType;
use crate::problem::{ApiError, Problem};
use crate::validation::input::{Format, Input};
use crate::validation::{Engine, Lang, Report};
use clap::{Args as ClapArgs, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// NDJSON is read and validated in chunks of this size; memory stays bounded by it.
const CHUNK_BYTES: usize = 4 << 20;
/// A line longer than this cannot be a document: it is reported and skipped.
const MAX_LINE_BYTES: usize = 16 << 20;

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum OutputFormat {
    Text,
    Json,
    Junit,
}

#[derive(ClapArgs)]
pub struct Args {
    /// Files or folders (searched for .json, .xml, .ndjson, .jsonl).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Validate as this document type (default: each document's own `document_type`).
    #[arg(long = "type", value_parser = parse_type)]
    doc_type: Option<DocumentType>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// Message language.
    #[arg(long, default_value = "ja", value_parser = ["ja", "en"])]
    lang: String,
    /// Show warnings of valid documents too (text format).
    #[arg(long)]
    verbose: bool,
}

fn parse_type(s: &str) -> Result<DocumentType, String> {
    DocumentType::parse(s).ok_or_else(|| {
        let names: Vec<&str> = DocumentType::ALL.iter().map(|d| d.as_str()).collect();
        format!("one of {}", names.join(", "))
    })
}

/// The result for one document.
struct Checked {
    line: Option<u64>,
    result: Result<Report, Box<Problem>>,
}

impl Checked {
    fn valid(&self) -> bool {
        matches!(&self.result, Ok(r) if r.valid)
    }
}

#[derive(Default)]
struct Totals {
    documents: u64,
    invalid: u64,
    warnings: u64,
}

pub fn run(args: Args) -> ExitCode {
    let lang = Lang::parse(&args.lang).unwrap_or_default();
    let mut files = Vec::new();
    for p in &args.paths {
        if let Err(e) = collect(p, &mut files) {
            eprintln!("kyoten: {}: {e}", p.display());
            return ExitCode::from(2);
        }
    }
    let engine = Engine::get();
    let stdout = std::io::stdout();
    // A progress bar on the terminal only while the results go elsewhere (a file, a pipe):
    // results printed on the terminal are themselves the progress, and a bar between them
    // would be drawn into their lines.
    let show_bar = std::io::stderr().is_terminal() && !stdout.is_terminal();
    let mut out = Output::new(BufWriter::new(stdout.lock()), args.format, args.verbose);
    let mut totals = Totals::default();
    let progress = show_bar.then(|| {
        let total: u64 = files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} {msg}",
            )
            .expect("valid template"),
        );
        bar
    });
    let mut io_error = false;
    for file in &files {
        let emit = &mut |batch: &[Checked]| out.file_results(file, batch, &mut totals);
        if let Err(e) = check_file(engine, file, args.doc_type, lang, progress.as_ref(), emit) {
            eprintln!("kyoten: {}: {e}", file.display());
            io_error = true;
        }
        out.end_file(file);
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    out.finish(&totals);
    if io_error {
        ExitCode::from(2)
    } else if totals.invalid > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        out.push(path.to_owned());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect(&entry, out)?;
        } else if matches!(
            extension(&entry).as_str(),
            "json" | "xml" | "ndjson" | "jsonl"
        ) {
            out.push(entry);
        }
    }
    Ok(())
}

fn extension(p: &Path) -> String {
    p.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn check_one(
    engine: &Engine,
    format: Format,
    bytes: &[u8],
    expected: Option<DocumentType>,
    lang: Lang,
) -> Result<Report, Box<Problem>> {
    let input = Input::read(format, bytes, engine)
        .map_err(|e| Box::new(ApiError::from(e).to_problem(lang)))?;
    let outcome = input.validate(engine, expected);
    Ok(input.render(engine, &outcome, lang))
}

/// Checks one file and hands its results to `emit` (NDJSON batch by batch, so memory stays
/// bounded).
fn check_file(
    engine: &Engine,
    path: &Path,
    expected: Option<DocumentType>,
    lang: Lang,
    progress: Option<&ProgressBar>,
    emit: &mut dyn FnMut(&[Checked]),
) -> std::io::Result<()> {
    let ext = extension(path);
    if ext == "ndjson" || ext == "jsonl" {
        return check_ndjson(engine, path, expected, lang, progress, emit);
    }
    let bytes = std::fs::read(path)?;
    if let Some(bar) = progress {
        bar.inc(bytes.len() as u64);
    }
    let format = if ext == "xml" {
        Format::Xml
    } else {
        Format::Json
    };
    emit(&[Checked {
        line: None,
        result: check_one(engine, format, &bytes, expected, lang),
    }]);
    Ok(())
}

/// Validates an NDJSON file chunk by chunk: each chunk's complete lines are validated in
/// parallel and handed to `emit`, so memory is bounded by the chunk size, not the file size.
fn check_ndjson(
    engine: &Engine,
    path: &Path,
    expected: Option<DocumentType>,
    lang: Lang,
    progress: Option<&ProgressBar>,
    emit: &mut dyn FnMut(&[Checked]),
) -> std::io::Result<()> {
    let mut file = File::open(path)?;
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK_BYTES * 2);
    let mut line_no = 0u64;
    let mut skipping = false;
    loop {
        let read = (&mut file).take(CHUNK_BYTES as u64).read_to_end(&mut buf)?;
        if let Some(bar) = progress {
            bar.inc(read as u64);
        }
        let eof = read == 0;
        let end = if eof {
            buf.len()
        } else {
            memchr::memrchr(b'\n', &buf).map_or(0, |i| i + 1)
        };
        if end == 0 && !eof {
            if buf.len() > MAX_LINE_BYTES {
                // One line longer than any document: report it once and drop it to its end.
                if !skipping {
                    line_no += 1;
                    let problem = ApiError::Status(actix_web::http::StatusCode::PAYLOAD_TOO_LARGE)
                        .to_problem(lang);
                    emit(&[Checked {
                        line: Some(line_no),
                        result: Err(Box::new(problem)),
                    }]);
                }
                skipping = true;
                buf.clear();
            }
            continue;
        }
        let mut lines: Vec<(u64, &[u8])> = Vec::new();
        let mut rest = &buf[..end];
        while !rest.is_empty() {
            let (line, next) = match memchr::memchr(b'\n', rest) {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &rest[rest.len()..]),
            };
            rest = next;
            if std::mem::take(&mut skipping) {
                continue;
            }
            line_no += 1;
            if !crate::http::ndjson::is_blank(line) {
                lines.push((line_no, line));
            }
        }
        let checked: Vec<Checked> = lines
            .par_iter()
            .map(|(no, bytes)| Checked {
                line: Some(*no),
                result: check_one(engine, Format::Json, bytes, expected, lang),
            })
            .collect();
        emit(&checked);
        buf.drain(..end);
        if eof {
            return Ok(());
        }
    }
}

/// Writes results as text, NDJSON reports or JUnit XML.
struct Output<W: Write> {
    w: W,
    format: OutputFormat,
    verbose: bool,
    /// JUnit: the test cases of the current file (a suite needs its counts first).
    suite: String,
    suite_tests: u64,
    suite_failures: u64,
    started: bool,
}

impl<W: Write> Output<W> {
    fn new(w: W, format: OutputFormat, verbose: bool) -> Self {
        Self {
            w,
            format,
            verbose,
            suite: String::new(),
            suite_tests: 0,
            suite_failures: 0,
            started: false,
        }
    }

    fn file_results(&mut self, file: &Path, results: &[Checked], totals: &mut Totals) {
        if !self.started && self.format == OutputFormat::Junit {
            let _ = writeln!(
                self.w,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kyoten validate\">"
            );
        }
        self.started = true;
        for c in results {
            totals.documents += 1;
            if !c.valid() {
                totals.invalid += 1;
            }
            if let Ok(r) = &c.result {
                totals.warnings += r.warnings.len() as u64;
            }
            let name = match c.line {
                Some(l) => format!("{}:{l}", file.display()),
                None => file.display().to_string(),
            };
            let _ = match self.format {
                OutputFormat::Text => self.text(&name, c),
                OutputFormat::Json => self.json(file, c),
                OutputFormat::Junit => {
                    self.junit(&name, c);
                    Ok(())
                }
            };
        }
    }

    fn text(&mut self, name: &str, c: &Checked) -> std::io::Result<()> {
        match &c.result {
            Err(p) => writeln!(
                self.w,
                "{name}: NOT A DOCUMENT — {} ({})",
                p.detail, p.type_
            ),
            Ok(r) => {
                let show = !r.valid
                    || (self.verbose && !r.warnings.is_empty())
                    || (c.line.is_none() && !r.warnings.is_empty());
                if r.valid && !show {
                    if c.line.is_none() {
                        writeln!(self.w, "{name}: valid")?;
                    }
                    return Ok(());
                }
                let verdict = if r.valid { "valid" } else { "INVALID" };
                let kind = r.document_type.as_deref().unwrap_or("?");
                let version = r.schema_version.as_deref().unwrap_or("?");
                writeln!(self.w, "{name}: {verdict} ({kind} {version})")?;
                for (label, list) in [("error", &r.errors), ("warning", &r.warnings)] {
                    for m in list {
                        let at = m.xml_location.as_deref().unwrap_or(&m.instance_location);
                        let line = m
                            .xml_line
                            .map(|l| format!(" (line {l})"))
                            .unwrap_or_default();
                        writeln!(self.w, "  {label} {} at {at}{line}: {}", m.id, m.message)?;
                    }
                }
                Ok(())
            }
        }
    }

    fn json(&mut self, file: &Path, c: &Checked) -> std::io::Result<()> {
        let mut v = match &c.result {
            Ok(r) => serde_json::to_value(r)?,
            Err(p) => serde_json::json!({"valid": false, "problem": p}),
        };
        v["file"] = file.display().to_string().into();
        if let Some(l) = c.line {
            v["line"] = l.into();
        }
        serde_json::to_writer(&mut self.w, &v)?;
        writeln!(self.w)
    }

    fn junit(&mut self, name: &str, c: &Checked) {
        use std::fmt::Write as _;
        self.suite_tests += 1;
        let _ = write!(
            self.suite,
            "    <testcase classname=\"kyoten.validate\" name=\"{}\"",
            escape(name)
        );
        let failure = match &c.result {
            Err(p) => Some(format!("{}: {}", p.type_, p.detail)),
            Ok(r) if !r.valid => Some(
                r.errors
                    .iter()
                    .map(|m| format!("{} at {}: {}", m.id, m.instance_location, m.message))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Ok(_) => None,
        };
        // Warnings do not fail a document; they go to the case's output, where CI shows them.
        let warnings: Vec<String> = match &c.result {
            Ok(r) => r
                .warnings
                .iter()
                .map(|m| format!("warning {} at {}: {}", m.id, m.instance_location, m.message))
                .collect(),
            Err(_) => Vec::new(),
        };
        let output = if warnings.is_empty() {
            String::new()
        } else {
            format!(
                "      <system-out>{}</system-out>\n",
                escape(&warnings.join("\n"))
            )
        };
        match failure {
            Some(text) => {
                self.suite_failures += 1;
                let first = text.lines().next().unwrap_or_default().to_owned();
                let _ = write!(
                    self.suite,
                    ">\n      <failure message=\"{}\" type=\"invalid\">{}</failure>\n{output}    </testcase>\n",
                    escape(&first),
                    escape(&text)
                );
            }
            None if output.is_empty() => self.suite.push_str("/>\n"),
            None => {
                let _ = write!(self.suite, ">\n{output}    </testcase>\n");
            }
        }
    }

    fn end_file(&mut self, file: &Path) {
        if self.format == OutputFormat::Junit {
            let _ = write!(
                self.w,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">\n{}  </testsuite>\n",
                escape(&file.display().to_string()),
                self.suite_tests,
                self.suite_failures,
                self.suite
            );
            self.suite.clear();
            self.suite_tests = 0;
            self.suite_failures = 0;
        }
    }

    fn finish(&mut self, totals: &Totals) {
        match self.format {
            OutputFormat::Junit => {
                if !self.started {
                    let _ = writeln!(self.w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kyoten validate\">");
                }
                let _ = writeln!(self.w, "</testsuites>");
            }
            OutputFormat::Text => {
                let _ = writeln!(
                    self.w,
                    "{} documents: {} valid, {} invalid, {} warnings",
                    totals.documents,
                    totals.documents - totals.invalid,
                    totals.invalid,
                    totals.warnings
                );
            }
            OutputFormat::Json => {}
        }
        let _ = self.w.flush();
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
