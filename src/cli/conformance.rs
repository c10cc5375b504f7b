use crate::conformance::{
    self, report, traceability, Caller, CaseResult, Credential, Credentials, Runner, Scenario,
    Target, VectorCase,
};
use crate::crypto::kek::Kek;
use crate::http::{Background, Settings, Shared};
use crate::store::{organizations, KekSource, Store};
use clap::{Args as ClapArgs, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the scenarios and vectors against a server (`--target`) or a local one (`--spawn`).
    Run(RunArgs),
}

#[derive(ClapArgs)]
#[command(group = clap::ArgGroup::new("server").required(true).args(["target", "spawn"]))]
pub struct RunArgs {
    /// Base URL of the server under test, e.g. http://127.0.0.1:8080.
    #[arg(long, requires = "credentials")]
    target: Option<String>,
    /// JSON file with an organization id and API key per caller:
    /// {"city": {"organization_id": "…", "api_key": "…"}, "kikan": …}.
    #[arg(long)]
    credentials: Option<PathBuf>,
    /// Start this server in-process on a throw-away SQLite database, with one organization
    /// per caller, and run against it.
    #[arg(long)]
    spawn: bool,
    /// Folder of scenario files (default: conformance/scenarios).
    #[arg(long)]
    scenarios: Option<PathBuf>,
    /// Folder of vector folders, each with a manifest.json (default: conformance/vectors).
    #[arg(long)]
    vectors: Option<PathBuf>,
    /// Run no scenarios.
    #[arg(long)]
    no_scenarios: bool,
    /// Run no vectors.
    #[arg(long)]
    no_vectors: bool,
    /// Run only these cases: a scenario id, a vector id (vectors/handoff/valid/full.json) or
    /// a prefix of one ending before a `/` (vectors/handoff).
    #[arg(long, num_args = 1..)]
    only: Vec<String>,
    /// Write JUnit XML here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write the JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
}

pub fn run(args: Args) -> ExitCode {
    match args.command {
        Command::Run(args) => run_suite(args),
    }
}

/// Failures that stop the run before any verdict (exit 2).
#[derive(Debug, thiserror::Error)]
enum SetupError {
    #[error(transparent)]
    Load(#[from] conformance::LoadError),
    #[error("cannot start the local server: {0}")]
    Spawn(String),
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("{path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

fn run_suite(args: RunArgs) -> ExitCode {
    match try_run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("kyoten conformance: {e}");
            ExitCode::from(2)
        }
    }
}

/// Where the suite's data lives when no folder is given: `conformance/` under the current
/// folder, or else in the source tree this binary was built from.
fn default_dir(name: &str) -> PathBuf {
    let here = Path::new("conformance").join(name);
    if here.is_dir() {
        return here;
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("conformance")
        .join(name);
    if built.is_dir() {
        built
    } else {
        here
    }
}

fn selected(only: &[String], id: &str) -> bool {
    only.is_empty()
        || only.iter().any(|o| {
            let o = o.trim_end_matches('/');
            id == o || id.strip_prefix(o).is_some_and(|rest| rest.starts_with('/'))
        })
}

/// The exchange to run against: one started here (`--spawn`, kept running while the suite
/// runs), or the one `--target` names with the credentials file.
fn target_of(args: &RunArgs) -> Result<(Target, Option<Spawned>), SetupError> {
    Ok(if args.spawn {
        let spawned = Spawned::start()?;
        (spawned.target(), Some(spawned))
    } else {
        let credentials = match &args.credentials {
            Some(path) => conformance::load_credentials(path)?,
            None => Credentials::new(),
        };
        let base_url = args.target.clone().unwrap_or_default();
        (
            Target {
                base_url,
                credentials,
            },
            None,
        )
    })
}

/// Every scenario, then every vector, with a progress bar on a terminal.
fn run_all(runner: &Runner, scenarios: &[Scenario], vectors: &[VectorCase]) -> Vec<CaseResult> {
    let progress = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new((scenarios.len() + vectors.len()) as u64);
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}") {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut results: Vec<CaseResult> = Vec::with_capacity(scenarios.len() + vectors.len());
    for scenario in scenarios {
        progress.set_message(scenario.id.clone());
        results.push(runner.run_scenario(scenario));
        progress.inc(1);
    }
    for vector in vectors {
        progress.set_message(vector.id.clone());
        results.push(runner.run_vector(vector));
        progress.inc(1);
    }
    progress.finish_and_clear();

    results
}

/// Runs the suite; `Ok(true)` when nothing failed.
fn try_run(args: &RunArgs) -> Result<bool, SetupError> {
    let scenarios_dir = args
        .scenarios
        .clone()
        .unwrap_or_else(|| default_dir("scenarios"));
    let vectors_dir = args
        .vectors
        .clone()
        .unwrap_or_else(|| default_dir("vectors"));
    // `body_file` paths are relative to the folder that holds the scenarios folder.
    let root = scenarios_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let scenarios: Vec<Scenario> = if args.no_scenarios {
        Vec::new()
    } else {
        conformance::load_scenarios(&scenarios_dir)?
            .into_iter()
            .filter(|s| selected(&args.only, &s.id))
            .collect()
    };
    let vectors: Vec<VectorCase> = if args.no_vectors {
        Vec::new()
    } else {
        conformance::load_vectors(&vectors_dir)?
            .into_iter()
            .filter(|v| selected(&args.only, &v.id))
            .collect()
    };

    let (target, _spawned) = target_of(args)?;
    let shown_target = target.base_url.clone();
    let runner = Runner::new(target, root.clone())?;
    runner
        .reachable()
        .map_err(|reason| SetupError::Unreachable {
            url: shown_target.clone(),
            reason,
        })?;

    let results = run_all(&runner, &scenarios, &vectors);
    print!("{}", report::summary(&shown_target, &results));
    // The traceability table sits next to the scenarios folder; without it there is no
    // coverage to report.
    let table = root.join("traceability.json");
    let coverage = if table.is_file() {
        let coverage = traceability::coverage(&traceability::load(&table)?, &results);
        print!("{}", traceability::summary(&coverage));
        Some(coverage)
    } else {
        None
    };
    if let Some(path) = &args.junit {
        write(path, report::junit(&results).as_bytes())?;
    }
    if let Some(path) = &args.json {
        let mut json = report::json_report(&shown_target, &results);
        if let Some(c) = &coverage {
            json["traceability"] = serde_json::to_value(c).unwrap_or_default();
        }
        let text = serde_json::to_vec_pretty(&json).unwrap_or_default();
        write(path, &text)?;
    }
    Ok(report::totals(&results).failed == 0)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), SetupError> {
    std::fs::write(path, bytes).map_err(|source| SetupError::Write {
        path: path.display().to_string(),
        source,
    })
}

/// The organizations of a spawned server, one per caller. A facility's id is its 事業所番号.
const SPAWNED: [(Caller, &str, &str); 7] = [
    (Caller::City, "conformance-city", "適合試験市 障害福祉課"),
    (
        Caller::Kikan,
        "conformance-kikan",
        "適合試験 基幹相談支援センター",
    ),
    (
        Caller::Hub,
        "conformance-hub",
        "適合試験 拠点コーディネーター",
    ),
    (
        Caller::Office,
        "conformance-office",
        "適合試験 相談支援事業所",
    ),
    (
        Caller::OtherOffice,
        "conformance-other-office",
        "適合試験 別の相談支援事業所",
    ),
    (Caller::Facility, "0411200015", "適合試験 短期入所"),
    (Caller::OtherFacility, "0411200023", "適合試験 別の短期入所"),
];

/// A server started in this process on a throw-away SQLite database; when this is dropped the
/// server stops and the database folder is removed.
struct Spawned {
    url: String,
    credentials: Credentials,
    dir: PathBuf,
    running: Option<Background>,
}

impl Spawned {
    fn start() -> Result<Spawned, SetupError> {
        let fail = |e: &dyn std::fmt::Display| SetupError::Spawn(e.to_string());
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir =
            std::env::temp_dir().join(format!("kyoten-conformance-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| fail(&e))?;
        let spawned = Spawned {
            url: String::new(),
            credentials: Credentials::new(),
            dir,
            running: None,
        };
        spawned.launch()
    }

    fn launch(mut self) -> Result<Spawned, SetupError> {
        let fail = |e: &dyn std::fmt::Display| SetupError::Spawn(e.to_string());
        let database = self.dir.join("kyoten.sqlite").display().to_string();
        // A throw-away database: its key-encryption key lives only in this process.
        let kek = Kek::generate().map_err(|e| fail(&e))?;
        let store = Store::open(&database, KekSource::Key(kek)).map_err(|e| fail(&e))?;
        {
            let mut conn = store.conn().map_err(|e| fail(&e))?;
            for (caller, id, name) in SPAWNED {
                let role = caller
                    .role()
                    .ok_or_else(|| fail(&"a caller without a role"))?;
                let (_, key) =
                    organizations::add(&mut conn, Some(id), name, role).map_err(|e| fail(&e))?;
                self.credentials.insert(
                    caller,
                    Credential {
                        organization_id: id.to_owned(),
                        api_key: key.secret,
                    },
                );
            }
        }
        let shared = Shared { store: Some(store) };
        let settings = Settings {
            workers: Some(2),
            ..Settings::default()
        };
        let running = Background::start(settings, shared).map_err(|e| fail(&e))?;
        self.url = running.url();
        self.running = Some(running);
        Ok(self)
    }

    fn target(&self) -> Target {
        Target {
            base_url: self.url.clone(),
            credentials: self.credentials.clone(),
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        // The server stops before its database folder goes.
        self.running.take();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::selected;

    #[test]
    fn only_selects_ids_and_folder_prefixes() {
        let only = vec!["vectors/handoff".to_owned(), "main-flow".to_owned()];
        assert!(selected(&only, "vectors/handoff/valid/full.json"));
        assert!(!selected(&only, "vectors/handoff_response/valid/x.json"));
        assert!(selected(&only, "main-flow"));
        assert!(!selected(&only, "main-flow-2"));
        assert!(selected(&[], "anything"));
    }
}
