use crate::http::openapi::document_text;
use clap::Args as ClapArgs;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(ClapArgs)]
pub struct Args {
    /// Exit 1 if this file differs from the generated document.
    #[arg(long, conflicts_with = "write")]
    check: Option<PathBuf>,
    /// Rewrite this file with the generated document.
    #[arg(long)]
    write: Option<PathBuf>,
}

pub fn run(args: Args) -> ExitCode {
    let text = document_text();
    if let Some(path) = args.check {
        return match std::fs::read_to_string(&path) {
            Ok(committed) if committed == text => ExitCode::SUCCESS,
            Ok(_) => {
                eprintln!(
                    "{} differs from the generated document; run `kyoten openapi --write {}`",
                    path.display(),
                    path.display()
                );
                ExitCode::from(1)
            }
            Err(e) => {
                eprintln!("kyoten: {}: {e}", path.display());
                ExitCode::from(2)
            }
        };
    }
    if let Some(path) = args.write {
        return match std::fs::write(&path, text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("kyoten: {}: {e}", path.display());
                ExitCode::from(2)
            }
        };
    }
    print!("{text}");
    ExitCode::SUCCESS
}
