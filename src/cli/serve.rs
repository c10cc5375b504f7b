use crate::http::{serve, Settings};
use clap::Args as ClapArgs;
use std::net::TcpListener;
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
    #[command(flatten)]
    db: super::org::DatabaseArgs,
}

pub fn run(args: Args) -> ExitCode {
    init_tracing();
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
        checkpoints: crate::store::checkpoints::Policy {
            every_records: args.checkpoint_every_records,
            interval: std::time::Duration::from_secs(args.checkpoint_interval_secs),
        },
    };
    let store = match args.db.open() {
        Ok(s) => s,
        Err(code) => return code,
    };
    if args.demo {
        match super::demo::seed(&store) {
            Ok(Some(demo)) => super::demo::print(&demo, &format!("http://{addr}")),
            Ok(None) => eprintln!(
                "kyoten: the database already has organizations, so no demo data was added \
                 (keys are shown only when issued; `kyoten key rotate ID` issues a new one)"
            ),
            Err(e) => {
                eprintln!("kyoten: cannot create the demo data: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let shared = crate::http::Shared { store: Some(store) };
    let result = actix_web::rt::System::new().block_on(async move {
        let server = serve(listener, settings, shared)?;
        tracing::info!(%addr, "kyoten listening");
        eprintln!("kyoten listening on http://{addr}  (docs: http://{addr}/docs/)");
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

/// Logs go to stderr; `RUST_LOG` sets the level (default `info`). Nothing personal is logged:
/// requests are logged by route pattern and status only.
fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
