use super::logging::command_event;
use crate::domain::organization::{check_id, IdError};
use crate::domain::role::Role;
use crate::domain::scope::Scope;
use crate::observe::security::Event;
use crate::store::{organizations, KekSource, Store, StoreError};
use clap::{Args as ClapArgs, Subcommand};
use std::process::ExitCode;

/// Where the data lives: a SQLite file (default) or `postgres://…`, and the key-encryption key
/// that seals the exchange's private signing keys in it.
#[derive(ClapArgs, Clone)]
pub struct DatabaseArgs {
    /// Global: given before or after the subcommand (`kyoten org add … --database-url …`).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "data/kyoten.sqlite",
        global = true
    )]
    pub database_url: String,
    /// File holding the key-encryption key: 32 random bytes in base64, mode 0600 or 0400
    /// (make one with `openssl rand -base64 32 > kek && chmod 600 kek`). Or give the base64
    /// key itself in KYOTEN_KEY_ENCRYPTION_KEY. Without either, on SQLite the file `kek`
    /// next to the database (made on first start); on PostgreSQL one is required.
    #[arg(
        long,
        env = "KYOTEN_KEY_ENCRYPTION_KEY_FILE",
        value_name = "PATH",
        global = true
    )]
    pub key_encryption_key_file: Option<std::path::PathBuf>,
}

impl DatabaseArgs {
    /// The SQLite database file, unless the exchange is on PostgreSQL.
    pub fn sqlite_path(&self) -> Option<&std::path::Path> {
        let url = &self.database_url;
        let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
        (!postgres).then(|| std::path::Path::new(url.strip_prefix("sqlite://").unwrap_or(url)))
    }

    /// Opens the store of an exchange that exists: a SQLite file that is not there is refused
    /// (exit 2) instead of created, so a command run in another folder, or with a mistyped
    /// path, does not quietly make an empty database (and its `data/` folder) to read from.
    pub fn open_existing(&self) -> Result<Store, ExitCode> {
        if let Some(path) = self.sqlite_path().filter(|p| !p.exists()) {
            eprintln!(
                "kyoten: no database at {}: give the exchange's database with --database-url \
                 (or DATABASE_URL); `kyoten migrate` creates a new one",
                path.display()
            );
            return Err(ExitCode::from(2));
        }
        self.open()
    }

    /// The one way the command line opens the store: with the key-encryption key it was given.
    /// A SQLite database that does not exist yet is created.
    pub fn open(&self) -> Result<Store, ExitCode> {
        let fail = |e: StoreError| {
            eprintln!("kyoten: {e}");
            ExitCode::from(2)
        };
        let kek = KekSource::from_settings(self.key_encryption_key_file.clone()).map_err(fail)?;
        let store = Store::open(&self.database_url, kek).map_err(fail)?;
        if let Some(path) = store.created_kek_file() {
            eprintln!(
                "kyoten: created the key-encryption key {} (mode 0600); it seals the exchange's \
                 signing keys in the database. Back it up apart from the database: either one \
                 alone reveals no private key, and without it the signing keys cannot be opened",
                path.display()
            );
        }
        Ok(store)
    }
}

#[derive(ClapArgs)]
pub struct OrgArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    #[command(subcommand)]
    command: OrgCommand,
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Add an organization and print its first API key (shown only this once).
    Add {
        /// city | kikan | hub | consultation_office | facility
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long)]
        name: String,
        /// Identifier: a facility's 10-digit 事業所番号; for other roles 2 to 64 lower-case
        /// letters, digits and '-' (not a role code). Generated when absent (not for a facility).
        #[arg(long)]
        id: Option<String>,
        /// The municipalities (and wards) it serves, e.g. `041009` or `041009/青葉区,042021`
        /// (municipal scope: a city, kikan or hub sees only their people). Without it, the
        /// whole deployment.
        #[arg(long, value_parser = parse_scope)]
        scope: Option<Scope>,
    },
    /// List organizations.
    List,
    /// Show an organization's municipal scope, or set it (`everywhere` for the whole
    /// deployment).
    Scope {
        organization_id: String,
        /// `041009`, `041009/青葉区,042021`, or `everywhere`.
        #[arg(value_parser = parse_scope)]
        scope: Option<Scope>,
    },
    /// Register a public key of an organization (to verify packets it signs).
    AddKey {
        organization_id: String,
        /// A public JWK file.
        #[arg(long)]
        jwk: Option<std::path::PathBuf>,
        /// An X.509 certificate (PEM) file.
        #[arg(long)]
        cert: Option<std::path::PathBuf>,
        /// Pin the key to this algorithm (default: from the key type).
        #[arg(long)]
        alg: Option<String>,
    },
}

fn parse_scope(s: &str) -> Result<Scope, String> {
    if s == "everywhere" {
        return Ok(Scope::Everywhere);
    }
    match Scope::parse(Some(s)) {
        Ok(Scope::Everywhere) => Err("names no municipality (say `everywhere`)".into()),
        Ok(scope) => Ok(scope),
        Err(e) => Err(e.to_string()),
    }
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| "one of city, kikan, hub, consultation_office, facility".into())
}

/// Adding an organization may start a new exchange; every other command reads one.
fn open_for(args: &OrgArgs) -> Result<Store, ExitCode> {
    match &args.command {
        OrgCommand::Add { .. } => args.db.open(),
        _ => args.db.open_existing(),
    }
}

/// A refused id is a usage error, reported before the database is opened.
fn usable_id(command: &OrgCommand) -> Result<(), ExitCode> {
    if let OrgCommand::Add { role, id, .. } = command {
        let checked = match id {
            Some(id) => check_id(id, *role),
            None if *role == Role::Facility => Err(IdError::NotAFacilityNumber),
            None => Ok(()),
        };
        if let Err(e) = checked {
            eprintln!("kyoten: --id: {e}");
            return Err(ExitCode::from(2));
        }
    }
    Ok(())
}

pub fn run(args: OrgArgs) -> ExitCode {
    if let Err(code) = usable_id(&args.command) {
        return code;
    }
    let store = match open_for(&args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let OrgCommand::AddKey {
        organization_id,
        jwk,
        cert,
        alg,
    } = &args.command
    {
        return add_key(&store, organization_id, jwk, cert, alg.as_deref());
    }
    let mut missing = None;
    let result = store.conn().and_then(|mut conn| match args.command {
        OrgCommand::AddKey { .. } => Ok(()),
        OrgCommand::Add {
            role,
            name,
            id,
            scope,
        } => {
            let (org, key) = organizations::add(&mut conn, id.as_deref(), &name, role)?;
            if let Some(scope) = &scope {
                organizations::set_scope(&mut conn, org.id.as_str(), scope)?;
            }
            println!("organization {} ({}, {})", org.id, org.role, org.name);
            if let Some(text) = scope.and_then(|s| s.to_text()) {
                println!("scope {text}");
            }
            println!("api key {}: {}", key.key_id, key.secret);
            eprintln!("Store the key now: kyoten keeps only its hash and cannot show it again.");
            let id = Some(org.id.as_str());
            command_event(Event::OrganizationChanged, id, "created", None);
            command_event(Event::ApiKeyChanged, id, "issued", Some(&key.key_id));
            Ok(())
        }
        OrgCommand::List => {
            for org in organizations::list(&mut conn)? {
                println!(
                    "{}\t{}\t{}\t{}",
                    org.id,
                    org.role,
                    org.created_at.format("%Y-%m-%d %H:%M"),
                    org.name
                );
            }
            Ok(())
        }
        OrgCommand::Scope {
            organization_id,
            scope,
        } => {
            if !scope_of(&mut conn, &organization_id, scope)? {
                missing = Some(organization_id);
            }
            Ok(())
        }
    });
    if let Some(id) = missing {
        eprintln!("kyoten: no organization {id}");
        return ExitCode::from(1);
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kyoten: {e}");
            ExitCode::from(1)
        }
    }
}

/// `kyoten org add-key`: registers a public key of an organization.
fn add_key(
    store: &Store,
    organization_id: &str,
    jwk: &Option<std::path::PathBuf>,
    cert: &Option<std::path::PathBuf>,
    alg: Option<&str>,
) -> ExitCode {
    let alg = match alg.map(crate::crypto::jws::Alg::parse) {
        Some(None) => {
            eprintln!("kyoten: --alg is one of ES256, Ed25519, PS256, RS256");
            return ExitCode::from(2);
        }
        Some(a) => a,
        None => None,
    };
    match super::signing::add_org_key(store, organization_id, jwk.as_deref(), cert.as_deref(), alg)
    {
        Ok(line) => {
            println!("{line}");
            let id = Some(organization_id);
            command_event(Event::KeyRegistered, id, "registered by command", None);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kyoten: {e}");
            ExitCode::from(1)
        }
    }
}

/// `kyoten org scope`: sets the scope when given, and prints the organization's scope;
/// `false` when there is no such organization.
fn scope_of(
    conn: &mut crate::store::DbConnection,
    organization_id: &str,
    scope: Option<Scope>,
) -> Result<bool, StoreError> {
    let Some(org) = organizations::get(conn, organization_id)? else {
        return Ok(false);
    };
    let scope = match scope {
        Some(scope) => {
            organizations::set_scope(conn, org.id.as_str(), &scope)?;
            let id = Some(org.id.as_str());
            command_event(Event::OrganizationChanged, id, "municipal scope set", None);
            scope
        }
        None => org.scope(),
    };
    println!(
        "{}\t{}",
        org.id,
        scope.to_text().unwrap_or_else(|| "everywhere".into())
    );
    Ok(true)
}

#[derive(ClapArgs)]
pub struct KeyArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    #[command(subcommand)]
    command: KeyCommand,
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Revoke an organization's keys and print a new one (shown only this once).
    Rotate { organization_id: String },
}

pub fn run_key(args: KeyArgs) -> ExitCode {
    let store = match args.db.open_existing() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let KeyCommand::Rotate { organization_id } = args.command;
    match store
        .conn()
        .and_then(|mut conn| organizations::rotate_key(&mut conn, &organization_id))
    {
        Ok(Some(key)) => {
            println!("api key {}: {}", key.key_id, key.secret);
            eprintln!("Every earlier key of {organization_id} is revoked. Store the new key now.");
            let (id, reason) = (
                Some(organization_id.as_str()),
                "rotated: earlier keys revoked",
            );
            command_event(Event::ApiKeyChanged, id, reason, Some(&key.key_id));
            ExitCode::SUCCESS
        }
        Ok(None) => {
            eprintln!("kyoten: no organization {organization_id}");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("kyoten: {e}");
            ExitCode::from(1)
        }
    }
}

#[derive(ClapArgs)]
pub struct MigrateArgs {
    #[command(flatten)]
    db: DatabaseArgs,
}

pub fn run_migrate(args: MigrateArgs) -> ExitCode {
    match args.db.open() {
        Ok(_) => {
            eprintln!("database is up to date");
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}
