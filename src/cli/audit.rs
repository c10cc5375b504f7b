//! `kyoten audit`: verify the record chain and its checkpoints, sign a checkpoint now, print the
//! stored checkpoints (to keep them off the machine).
use crate::crypto::jws::VerifyingKey;
use crate::crypto::keys::{self, KeyOwner};
use crate::store::chain;
use crate::store::checkpoints::{self, Made};
use crate::store::integrity::{self, Report};
use crate::store::Store;
use clap::{Args as ClapArgs, Subcommand, ValueEnum};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(ClapArgs)]
pub struct Args {
    #[command(flatten)]
    db: super::org::DatabaseArgs,
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the record chain from its first record and check every checkpoint; exits 0
    /// when intact, 1 with the first broken record otherwise.
    Verify {
        #[arg(long, value_enum, default_value = "text")]
        output: Output,
        /// A file of checkpoints kept elsewhere (one compact JWS a line, as `kyoten audit
        /// checkpoints` prints them), checked as well as the stored ones; repeatable.
        #[arg(long = "checkpoints", value_name = "FILE")]
        checkpoint_files: Vec<PathBuf>,
        /// Check checkpoints only against the exchange's keys in this copy of its key set
        /// (`/.well-known/jwks.json`, saved when it was trusted) instead of the keys the
        /// database holds: whoever can rewrite the database could also add a key of their own.
        #[arg(long, value_name = "FILE")]
        jwks: Option<PathBuf>,
    },
    /// Sign a checkpoint over the head of the chain now (if anything is new); prints it.
    Checkpoint,
    /// Print every stored checkpoint, one compact JWS a line.
    Checkpoints,
}

#[derive(Clone, Copy, ValueEnum)]
enum Output {
    Text,
    Json,
}

pub fn run(args: Args) -> ExitCode {
    // Read the checkpoint files before touching the database: a typo is a usage error.
    let (external, trusted) = match &args.command {
        AuditCommand::Verify {
            checkpoint_files,
            jwks,
            ..
        } => match read_checkpoint_files(checkpoint_files).and_then(|list| {
            let trusted = jwks.as_deref().map(read_exchange_keys).transpose()?;
            Ok((list, trusted))
        }) {
            Ok(read) => read,
            Err(e) => {
                eprintln!("kyoten: {e}");
                return ExitCode::from(2);
            }
        },
        _ => (Vec::new(), None),
    };
    let store = match args.db.open_existing() {
        Ok(s) => s,
        Err(code) => return code,
    };
    match args.command {
        AuditCommand::Verify { output, .. } => verify(&store, &external, trusted.as_ref(), output),
        AuditCommand::Checkpoint => checkpoint(&store),
        AuditCommand::Checkpoints => list(&store),
    }
}

fn read_checkpoint_files(files: &[PathBuf]) -> Result<Vec<String>, String> {
    let mut list = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        list.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned),
        );
    }
    Ok(list)
}

/// The exchange's own keys (`kyoten_owner` `{"exchange": true}`) in a saved key set, by kid.
fn read_exchange_keys(file: &Path) -> Result<HashMap<String, VerifyingKey>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let set: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a JSON key set: {e}", file.display()))?;
    let keys: HashMap<_, _> = keys::from_jwks_with_owners(&set)
        .map_err(|e| format!("{}: {e}", file.display()))?
        .into_iter()
        .filter(|(_, owner)| *owner == Some(KeyOwner::Exchange))
        .map(|(key, _)| (key.kid.clone(), key))
        .collect();
    if keys.is_empty() {
        return Err(format!(
            "{}: no key of the exchange in it (kyoten_owner {{\"exchange\": true}})",
            file.display()
        ));
    }
    Ok(keys)
}

fn verify(
    store: &Store,
    external: &[String],
    trusted: Option<&HashMap<String, VerifyingKey>>,
    output: Output,
) -> ExitCode {
    // What has been committed is sealed first (PostgreSQL), so the walk sees all of it.
    let report = match store.conn().and_then(|mut conn| {
        chain::seal_all(&mut conn)?;
        integrity::verify(&mut conn, external, trusted)
    }) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kyoten: {e}");
            return ExitCode::from(2);
        }
    };
    match output {
        Output::Json => match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("kyoten: {e}");
                return ExitCode::from(2);
            }
        },
        Output::Text => print!("{}", text(&report)),
    }
    if report.intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The report for people.
fn text(report: &Report) -> String {
    let mut out = String::new();
    let short = |h: &Option<String>| {
        h.as_deref()
            .map_or_else(|| "-".to_owned(), |h| h.chars().take(16).collect())
    };
    match report.problems.first() {
        None => out.push_str(&format!(
            "intact: {} records in the chain ({} access records, {} provision records), last \
             place {}, chain hash {}…\n",
            report.records,
            report.access_records,
            report.provision_records,
            report.last_seq,
            short(&report.chain_hash)
        )),
        Some(first) => {
            let mut at = Vec::new();
            if let Some(seq) = first.seq {
                at.push(format!("place {seq}"));
            }
            if let Some(table) = first.table {
                at.push(table.name().to_owned());
            }
            if let Some(id) = &first.record_id {
                at.push(format!("record {id}"));
            }
            if let Some(id) = &first.checkpoint_id {
                at.push(format!("checkpoint {id}"));
            }
            out.push_str(&format!(
                "BROKEN ({:?}) at {}: {}\n",
                first.kind,
                at.join(", "),
                first.reason
            ));
            let more = report.problems.len() - 1 + report.more_problems;
            if more > 0 {
                out.push_str(&format!(
                    "  and {more} more problem(s); --output json lists them\n"
                ));
            }
            out.push_str(&format!(
                "{} records walked ({} access records, {} provision records), last place {}\n",
                report.records, report.access_records, report.provision_records, report.last_seq
            ));
        }
    }
    match &report.last_checkpoint {
        Some(cp) => out.push_str(&format!(
            "checkpoints: {} verified; the last covers places up to {} (signed {} by key {}); \
             {} record(s) after it are covered by no signature yet\n",
            report.checkpoints, cp.seq, cp.at, cp.kid, report.uncovered_records
        )),
        None => out.push_str(
            "checkpoints: none verified — only the database vouches for these records (kyoten \
             audit checkpoint signs one)\n",
        ),
    }
    if report.unsealed_records > 0 {
        out.push_str(&format!(
            "{} record(s) committed while this ran wait for their places (the sealer gives \
             them moments after their commit)\n",
            report.unsealed_records
        ));
    }
    out
}

fn checkpoint(store: &Store) -> ExitCode {
    match checkpoints::make(store) {
        Ok(Made::Signed(cp)) => {
            println!("{}", cp.jws);
            eprintln!(
                "checkpoint {} signed: places 1 to {} ({} access records, {} provision records)",
                cp.id,
                cp.signed.seq,
                cp.signed.access_records.count,
                cp.signed.provision_records.count
            );
            ExitCode::SUCCESS
        }
        Ok(Made::UpToDate(cp)) => {
            println!("{}", cp.jws);
            eprintln!(
                "nothing new since checkpoint {} (places 1 to {}); printed it again",
                cp.id, cp.signed.seq
            );
            ExitCode::SUCCESS
        }
        Ok(Made::Empty) => {
            eprintln!("the record chain is empty: nothing to sign");
            ExitCode::SUCCESS
        }
        Ok(Made::Refused(problem)) => {
            eprintln!(
                "kyoten: not signed — the chain does not verify since the last checkpoint: {} \
                 (place {}, record {}); run `kyoten audit verify`",
                problem.reason,
                problem.seq.map_or_else(|| "-".into(), |s| s.to_string()),
                problem.record_id.as_deref().unwrap_or("-")
            );
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("kyoten: {e}");
            ExitCode::from(2)
        }
    }
}

fn list(store: &Store) -> ExitCode {
    match store
        .conn()
        .and_then(|mut conn| Ok(checkpoints::list(&mut conn)?))
    {
        Ok(rows) => {
            for row in rows {
                println!("{}", row.jws);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kyoten: {e}");
            ExitCode::from(2)
        }
    }
}
