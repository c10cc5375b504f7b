//! The `kyoten` command line: one file per subcommand.
mod demo;
mod openapi;
mod org;
mod serve;
mod validate;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "kyoten",
    version,
    about = "地域生活支援拠点等の緊急時支援データ交換 / emergency-support data exchange for community life support hubs"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve(serve::Args),
    /// Validate documents: files, folders, NDJSON (.ndjson/.jsonl); JSON and XML.
    Validate(validate::Args),
    /// Print the OpenAPI document (or check / rewrite the committed copy).
    Openapi(openapi::Args),
    /// Create or update the database schema.
    Migrate(org::MigrateArgs),
    /// Manage organizations (each has one role and API keys).
    Org(org::OrgArgs),
    /// Manage API keys.
    Key(org::KeyArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Openapi(args) => openapi::run(args),
        Command::Migrate(args) => org::run_migrate(args),
        Command::Org(args) => org::run(args),
        Command::Key(args) => org::run_key(args),
    }
}
