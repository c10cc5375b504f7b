//! `kyoten municipality`: what each municipality sets for its registrations (today the review
//! interval, 見直しの間隔).
use super::org::DatabaseArgs;
use crate::store::registrations;
use crate::store::registrations::DEFAULT_REVIEW_MONTHS;
use clap::{Args as ClapArgs, Subcommand};
use std::process::ExitCode;

#[derive(ClapArgs)]
pub struct Args {
    #[command(flatten)]
    db: DatabaseArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Set how many months after a review a registration of the municipality is due for the
    /// next one (1–60; 12 where none is set); the due dates of its registrations move with it.
    ReviewInterval {
        /// The municipality's 6-digit local government code (全国地方公共団体コード).
        code: String,
        /// Months, 1–60.
        #[arg(value_parser = clap::value_parser!(i32).range(1..=60))]
        months: i32,
    },
    /// List the municipalities that set a review interval.
    List,
}

pub fn run(args: Args) -> ExitCode {
    if let Command::ReviewInterval { code, .. } = &args.command {
        if !crate::validation::formats::is_municipality_code(code) {
            eprintln!(
                "kyoten: {code} is not a municipality code (6 digits with a valid check digit)"
            );
            return ExitCode::from(2);
        }
    }
    let store = match args.db.open_existing() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut conn = match store.conn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kyoten: {e}");
            return ExitCode::from(2);
        }
    };
    match args.command {
        Command::ReviewInterval { code, months } => {
            match registrations::set_interval(&mut conn, &code, months) {
                Ok(n) => {
                    println!("{code}: reviews every {months} months ({n} registrations in force rescheduled)");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("kyoten: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::List => match registrations::intervals(&mut conn) {
            Ok(rows) => {
                println!("# review interval in months; every other municipality: {DEFAULT_REVIEW_MONTHS}");
                for (code, months) in rows {
                    println!("{code}\t{months}");
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("kyoten: {e}");
                ExitCode::from(2)
            }
        },
    }
}
