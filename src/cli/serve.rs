use crate::http::tls::{is_loopback, TlsFiles};
use crate::http::{serve, Settings};
use clap::Args as ClapArgs;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(ClapArgs)]
pub struct Args {
    /// Address to bind.
    #[arg(long, env = "KYOTEN_BIND", default_value = "127.0.0.1")]
    bind: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "KYOTEN_PORT", default_value_t = 8080)]
    port: u16,
    /// Worker threads (default: one per core).
    #[arg(long, env = "KYOTEN_WORKERS")]
    workers: Option<usize>,
    /// Largest single document accepted, in bytes.
    #[arg(long, env = "KYOTEN_MAX_DOCUMENT_BYTES", default_value_t = 1024 * 1024)]
    max_document_bytes: usize,
    /// The longest lifetime (`expires_at` − `issued_at`) of a handoff packet, in days, for
    /// packets the exchange composes, accepts or verifies.
    #[arg(long, env = "KYOTEN_MAX_PACKET_LIFETIME_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=366))]
    max_packet_lifetime_days: u32,
    /// The server's certificate chain (PEM): serve HTTPS (TLS 1.2+) instead of HTTP.
    #[arg(long, env = "KYOTEN_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of `--tls-cert`.
    #[arg(long, env = "KYOTEN_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Mutual TLS: CA certificates (PEM) that issue the organizations' client certificates; a
    /// client without one is refused in the handshake (the API key is still required).
    #[arg(long, env = "KYOTEN_TLS_CLIENT_CA", requires = "tls_cert")]
    tls_client_ca: Option<PathBuf>,
    /// Serve plain HTTP on an address other than loopback because a TLS proxy in front
    /// terminates TLS (without this, such a bind is refused).
    #[arg(long, env = "KYOTEN_BEHIND_TLS_PROXY")]
    behind_tls_proxy: bool,
    /// Failed authentications (an unknown or revoked Bearer key) per client address within a
    /// minute after which every Bearer key from that address is refused with 429 until the
    /// minute has passed; 0 turns the limit off. Behind a reverse proxy every client has the
    /// proxy's address: limit at the proxy instead, and set 0 here.
    #[arg(long, env = "KYOTEN_AUTH_FAILURE_LIMIT", default_value_t = 20)]
    auth_failure_limit: u32,
    /// Requests per minute per client address to the unauthenticated validation endpoints
    /// (`/v1/validate/*`), refused with 429 beyond it; 0 (the default) means no limit.
    #[arg(long, env = "KYOTEN_VALIDATE_RATE_LIMIT", default_value_t = 0)]
    validate_rate_limit: u32,
    /// A token that lets a scraper read `GET /metrics` from anywhere (`Authorization: Bearer
    /// <token>`). Without it, only a client on loopback may, and none behind a TLS proxy.
    #[arg(long, env = "KYOTEN_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// In the operations report and its CSV, a count of people or cases from 1 to below this
    /// is shown as `<N`, so that a published table singles out no one; 1 shows every count
    /// (for an installation whose reports never leave the city).
    #[arg(long, env = "KYOTEN_REPORT_SMALL_CELL_THRESHOLD", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    report_small_cell_threshold: u32,
    /// Seconds a client has to send a request's head (request line and headers); then `408`
    /// and the connection is closed (slowloris).
    #[arg(long, env = "KYOTEN_REQUEST_HEADER_TIMEOUT_SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=600))]
    request_header_timeout_secs: u64,
    /// Seconds a request's body may take to start, and the longest pause within it; then `408`
    /// and the connection is closed.
    #[arg(long, env = "KYOTEN_REQUEST_BODY_TIMEOUT_SECS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
    request_body_timeout_secs: u64,
    /// The slowest mean rate, in bytes per second, at which a request's body is accepted:
    /// each chunk buys time at this rate (as Apache's mod_reqtimeout `MinRate`).
    #[arg(long, env = "KYOTEN_REQUEST_BODY_MIN_RATE", default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..))]
    request_body_min_rate: u32,
    /// The most documents a batch validation (`/v1/validate/{type}/batch`) sent without an API
    /// key may hold; the answer ends there with a `payload-too-large` line. 0: no limit. A batch
    /// with a valid API key has none.
    #[arg(
        long,
        env = "KYOTEN_VALIDATE_BATCH_MAX_DOCUMENTS",
        default_value_t = 10_000
    )]
    validate_batch_max_documents: u64,
    /// Sign a checkpoint of the record chain once this many records have come since the last.
    #[arg(long, env = "KYOTEN_CHECKPOINT_EVERY_RECORDS", default_value_t = 1_000, value_parser = clap::value_parser!(i64).range(1..))]
    checkpoint_every_records: i64,
    /// … and at the latest this many seconds after the last one, when anything is new.
    #[arg(long, env = "KYOTEN_CHECKPOINT_INTERVAL_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    checkpoint_interval_secs: u64,
    /// On an empty database, create a demo exchange (city, kikan, hub, consultation office,
    /// facilities, one registration) and print its API keys.
    #[arg(long)]
    demo: bool,
    /// With `--demo` on the embedded SQLite database: delete the database first, so the demo
    /// starts over (new keys, nothing of earlier runs). Refused on PostgreSQL.
    #[arg(long, requires = "demo")]
    reset: bool,
    /// How log lines are written: `text`, or `json` (one object per line) for a log collector.
    #[arg(long, env = "KYOTEN_LOG_FORMAT", value_enum, default_value_t)]
    log_format: super::logging::LogFormat,
    #[command(flatten)]
    db: super::org::DatabaseArgs,
}

/// The TLS files, checked: plain HTTP only on loopback or behind a TLS proxy, and a bad
/// certificate is a clear start-up error.
fn tls_of(args: &Args) -> Result<Option<TlsFiles>, ExitCode> {
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
            client_ca: args.tls_client_ca.clone(),
        }),
        _ => None,
    };
    // Personal data never crosses a network in the clear: plain HTTP only on loopback, or
    // behind a proxy that the operator says terminates TLS.
    if tls.is_none() && !args.behind_tls_proxy && !is_loopback(&args.bind) {
        eprintln!(
            "kyoten: refusing to serve plain HTTP on {}: give --tls-cert and --tls-key, or \
             --behind-tls-proxy when a TLS proxy in front terminates TLS",
            args.bind
        );
        return Err(ExitCode::from(2));
    }
    // Checked before anything else starts, so a bad certificate is a clear start-up error.
    if let Some(files) = &tls {
        if let Err(e) = files.acceptor() {
            eprintln!("kyoten: {e}");
            return Err(ExitCode::from(2));
        }
    }
    Ok(tls)
}

pub fn run(args: Args) -> ExitCode {
    super::logging::init(args.log_format);
    if args.metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
        eprintln!(
            "kyoten: --metrics-token must be at least 16 characters (e.g. `openssl rand -hex 16`)"
        );
        return ExitCode::from(2);
    }
    let tls = match tls_of(&args) {
        Ok(tls) => tls,
        Err(code) => return code,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let listener = match TcpListener::bind((args.bind.as_str(), args.port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("kyoten: cannot bind {}:{}: {e}", args.bind, args.port);
            return ExitCode::from(2);
        }
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let settings = Settings {
        max_document_bytes: args.max_document_bytes,
        workers: args.workers,
        packet_lifetime: crate::packet::check::Lifetime::days(args.max_packet_lifetime_days),
        tls,
        auth_failure_limit: args.auth_failure_limit,
        validate_rate_limit: args.validate_rate_limit,
        checkpoints: crate::store::checkpoints::Policy {
            every_records: args.checkpoint_every_records,
            interval: std::time::Duration::from_secs(args.checkpoint_interval_secs),
        },
        metrics: crate::http::MetricsAccess {
            token: args.metrics_token.clone().filter(|t| !t.is_empty()),
            loopback: !args.behind_tls_proxy,
        },
        small_cell_threshold: args.report_small_cell_threshold,
        request_head_timeout: std::time::Duration::from_secs(args.request_header_timeout_secs),
        body: crate::http::slow_clients::BodyPolicy {
            timeout: std::time::Duration::from_secs(args.request_body_timeout_secs),
            min_rate: args.request_body_min_rate,
        },
        batch_max_documents: args.validate_batch_max_documents,
        ..Settings::default()
    };
    if args.reset {
        if let Err(code) = reset(&args.db) {
            return code;
        }
    }
    let store = match args.db.open() {
        Ok(s) => s,
        Err(code) => return code,
    };
    if args.demo {
        let saved = demo_files(&args.db);
        if let Err(code) = seed_demo(&store, &format!("{scheme}://{addr}"), &saved) {
            return code;
        }
    }
    let shared = crate::http::Shared { store: Some(store) };
    let result = actix_web::rt::System::new().block_on(async move {
        let server = serve(listener, settings, shared)?;
        tracing::info!(%addr, "kyoten listening");
        eprintln!("kyoten listening on {scheme}://{addr}  (docs: {scheme}://{addr}/docs/)");
        server.await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kyoten: server failed: {e}");
            ExitCode::from(1)
        }
    }
}

/// `--reset`: the SQLite database (and its log) deleted before the demo starts over.
fn reset(db: &super::org::DatabaseArgs) -> Result<(), ExitCode> {
    let Some(path) = db.sqlite_path() else {
        eprintln!(
            "kyoten: --reset deletes the embedded SQLite database only; on PostgreSQL drop and \
             create the database yourself"
        );
        return Err(ExitCode::from(2));
    };
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                eprintln!("kyoten: cannot delete {}: {e}", path.display());
                return Err(ExitCode::from(2));
            }
        }
    }
    Ok(())
}

/// Where the demo's keys are saved: beside the SQLite database, or in `data/` for PostgreSQL.
struct DemoFiles {
    keys: PathBuf,
    credentials: PathBuf,
}

fn demo_files(db: &super::org::DatabaseArgs) -> DemoFiles {
    let folder = db
        .sqlite_path()
        .and_then(|p| p.parent())
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(
            || {
                PathBuf::from(if db.sqlite_path().is_some() {
                    "."
                } else {
                    "data"
                })
            },
            PathBuf::from,
        );
    DemoFiles {
        keys: folder.join("demo-keys.env"),
        credentials: folder.join("demo-credentials.json"),
    }
}

/// On an empty database, the demo exchange, with its API keys printed and saved (mode 0600)
/// for later shells and for the conformance suite.
fn seed_demo(store: &crate::store::Store, base: &str, files: &DemoFiles) -> Result<(), ExitCode> {
    use super::private_file::{write, Existing};
    match super::demo::seed(store) {
        Ok(Some(demo)) => {
            super::demo::print(&demo, base);
            let credentials = super::demo::credentials(&demo);
            let saved = files
                .keys
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .map_err(|e| e.to_string())
                .and_then(|()| {
                    write(
                        &files.keys,
                        super::demo::keys_env(&demo).as_bytes(),
                        Existing::Replace,
                    )
                })
                .and_then(|()| {
                    let text = serde_json::to_string_pretty(&credentials).unwrap_or_default();
                    write(&files.credentials, text.as_bytes(), Existing::Replace)
                });
            match saved {
                Ok(()) => eprintln!(
                    "kyoten: the keys are saved in {keys} (`source {keys}` in another shell); \
                     the conformance suite runs against this demo with \
                     `kyoten conformance run --target {base} --credentials {credentials}`",
                    keys = files.keys.display(),
                    credentials = files.credentials.display(),
                ),
                Err(e) => eprintln!("kyoten: the demo keys could not be saved: {e}"),
            }
        }
        Ok(None) => eprintln!(
            "kyoten: the database already has organizations, so no demo data was added; the \
             keys of the demo are in {} (and the conformance credentials in {}); \
             `serve --demo --reset` starts over",
            files.keys.display(),
            files.credentials.display()
        ),
        Err(e) => {
            eprintln!("kyoten: cannot create the demo data: {e}");
            return Err(ExitCode::from(1));
        }
    }
    Ok(())
}
