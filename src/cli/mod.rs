//! The `kyoten` command line: one file per subcommand.
mod audit;
mod conformance;
mod demo;
mod logging;
mod municipality;
mod openapi;
mod org;
mod private_file;
mod serve;
mod signing;
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
    /// Settings of each municipality (the review interval of its registrations).
    Municipality(municipality::Args),
    /// Make a private signing key; prints its public JWK (offline).
    Keygen(signing::KeygenArgs),
    /// Sign documents as JWS or XMLDSig with a private key file (offline).
    Sign(signing::SignArgs),
    /// Verify signed packets (JWS or XML) against trusted keys (offline).
    Verify(signing::VerifyArgs),
    /// Manage the exchange's own signing keys (list, rotate, retire).
    SigningKey(signing::SigningKeyArgs),
    /// Run the conformance suite (scenarios and vectors) against a server.
    Conformance(conformance::Args),
    /// Verify the tamper-evident record chain and its signed checkpoints; sign a checkpoint.
    Audit(audit::Args),
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
        Command::Municipality(args) => municipality::run(args),
        Command::Keygen(args) => signing::run_keygen(args),
        Command::Sign(args) => signing::run_sign(args),
        Command::Verify(args) => signing::run_verify(args),
        Command::SigningKey(args) => signing::run_signing_key(args),
        Command::Conformance(args) => conformance::run(args),
        Command::Audit(args) => audit::run(args),
    }
}
