//! `kyoten keygen`, `kyoten sign`, `kyoten verify` (offline, on files) and
//! `kyoten signing-key` (the exchange's own keys in the database).
use super::logging::command_event;
use super::org::DatabaseArgs;
use super::private_file::{self, Existing};
use crate::contracts::DocumentType;
use crate::crypto::jws::{Alg, SigningKey, VerifyingKey};
use crate::crypto::keys;
use crate::observe::security::Event;
use crate::packet::check::{check, KeyOwners, Lifetime, Purpose};
use crate::packet::{self, Form, Verdict};
use crate::store::keys as stored;
use crate::validation::Engine;
use chrono::{DateTime, FixedOffset, Utc};
use clap::{Args as ClapArgs, Subcommand, ValueEnum};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn parse_instant(s: &str) -> Result<DateTime<FixedOffset>, String> {
    crate::time::parse_timestamp(s)
        .ok_or_else(|| "an RFC 3339 timestamp with offset, e.g. 2026-01-20T12:00:00+09:00".into())
}

fn parse_alg(s: &str) -> Result<Alg, String> {
    Alg::parse(s).ok_or_else(|| "one of ES256, Ed25519, PS256, RS256".into())
}

#[derive(ClapArgs)]
pub struct KeygenArgs {
    /// ES256 (default), Ed25519, PS256 or RS256 (RSA keys are 3072 bits).
    #[arg(long, default_value = "ES256", value_parser = parse_alg)]
    alg: Alg,
    /// Where to write the private key (PKCS#8 PEM, mode 0600, preceded by the line
    /// `Algorithm: ES256` naming what it signs with); it must not exist yet. The public key goes
    /// next to it as `NAME.pub.pem`.
    #[arg(long)]
    out: PathBuf,
}

/// Writes a new private key and prints its public JWK (with its thumbprint `kid`), ready to
/// register with the exchange (`POST /v1/keys`).
pub fn run_keygen(args: KeygenArgs) -> ExitCode {
    let result = (|| -> Result<Value, String> {
        let key = keys::generate(args.alg).map_err(|e| e.to_string())?;
        let pem = keys::private_pem(&key).map_err(|e| e.to_string())?;
        write_private(&args.out, pem.as_bytes())?;
        // The public half, for `kyoten verify --key` (both files name the algorithm).
        let public = keys::public_pem(&key).map_err(|e| e.to_string())?;
        write_private(&public_path(&args.out), public.as_bytes())?;
        keys::to_jwk(&keys::verifying_key(&key).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())
    })();
    match result {
        Ok(jwk) => {
            println!("{jwk}");
            eprintln!(
                "Private key written to {} (keep it there), public key to {}; register the JWK \
                 above with POST /v1/keys.",
                args.out.display(),
                public_path(&args.out).display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kyoten: {e}");
            ExitCode::from(2)
        }
    }
}

/// Where `keygen --out office.pem` writes the public half: `office.pub.pem`.
fn public_path(out: &Path) -> PathBuf {
    let name = out.file_name().unwrap_or_default().to_string_lossy();
    let stem = name.strip_suffix(".pem").unwrap_or(&name);
    out.with_file_name(format!("{stem}.pub.pem"))
}

/// Creates `path` readable by its owner only, refusing to overwrite or to follow a symbolic
/// link.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    private_file::write(path, bytes, Existing::Refuse)
}

#[derive(Clone, Copy, ValueEnum)]
enum SignFormat {
    Jws,
    Xml,
}

#[derive(ClapArgs)]
pub struct SignArgs {
    /// The private key (PKCS#8 PEM, e.g. from `kyoten keygen`).
    #[arg(long)]
    key: PathBuf,
    /// The key's algorithm (default: the one its file names, as `kyoten keygen` writes it;
    /// otherwise ES256 for P-256, Ed25519, RS256 for RSA). One that contradicts the file is
    /// refused.
    #[arg(long, value_parser = parse_alg)]
    alg: Option<Alg>,
    /// `jws` (compact JWS over the JCS form; writes FILE.jws) or `xml` (enveloped XMLDSig;
    /// writes FILE.signed.xml).
    #[arg(long, value_enum, default_value = "jws")]
    format: SignFormat,
    /// Write the signed files here instead of next to the inputs (made if missing, readable by
    /// the owner only).
    #[arg(long)]
    out_dir: Option<PathBuf>,
    /// Documents (JSON or XML) to sign; each must be valid.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Reads a document file (JSON or XML) as its JSON form, refusing an invalid one.
fn read_document(path: &Path) -> Result<(DocumentType, Value), String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let engine = Engine::get();
    let value = if Form::sniff(&bytes) == Form::Xml {
        crate::xml::to_json(&bytes, engine)
            .map_err(|e| e.to_string())?
            .value
    } else {
        crate::contracts::json::parse_document(&bytes).map_err(|e| e.to_string())?
    };
    let outcome = engine.validate(None, &value);
    if !engine.is_valid(&outcome) {
        let ids: Vec<&str> = outcome.findings.iter().map(|f| f.id).collect();
        return Err(format!(
            "not valid ({}); run kyoten validate",
            ids.join(", ")
        ));
    }
    let doc = outcome
        .document_type
        .ok_or_else(|| "no document_type".to_owned())?;
    Ok((doc, value))
}

fn output_path(input: &Path, out_dir: Option<&Path>, suffix: &str) -> PathBuf {
    let name = format!(
        "{}{suffix}",
        input.file_name().unwrap_or_default().to_string_lossy()
    );
    match out_dir {
        Some(dir) => dir.join(name),
        None => input.with_file_name(name),
    }
}

fn sign_one(
    key: &SigningKey,
    format: SignFormat,
    input: &Path,
    out_dir: Option<&Path>,
) -> Result<PathBuf, String> {
    let (doc, value) = read_document(input)?;
    let (signed, suffix) = match format {
        SignFormat::Jws => (
            packet::sign_jws(doc, &value, key).map_err(|e| e.to_string())?,
            ".jws",
        ),
        SignFormat::Xml => (
            packet::sign_xml(doc, &value, key).map_err(|e| e.to_string())?,
            ".signed.xml",
        ),
    };
    let out = output_path(input, out_dir, suffix);
    // A signed packet carries personal data: 0600, and never through a symbolic link.
    private_file::write(&out, signed.as_bytes(), Existing::Replace)?;
    Ok(out)
}

pub fn run_sign(args: SignArgs) -> ExitCode {
    let key = match std::fs::read(&args.key)
        .map_err(|e| e.to_string())
        .and_then(|pem| keys::signing_key_from_pem(&pem, args.alg).map_err(|e| e.to_string()))
    {
        Ok(k) => k,
        Err(e) => {
            eprintln!("kyoten: {}: {e}", args.key.display());
            return ExitCode::from(2);
        }
    };
    if let Some(dir) = &args.out_dir {
        // Signed packets carry personal data: a folder made for them is the owner's only.
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        if let Err(e) = builder.create(dir) {
            eprintln!("kyoten: {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    }
    let mut failed = 0;
    for file in &args.files {
        if let Err(e) = sign_one(&key, args.format, file, args.out_dir.as_deref()) {
            eprintln!("{}: {e}", file.display());
            failed += 1;
        }
    }
    eprintln!(
        "signed {} of {} with kid {}",
        args.files.len() - failed,
        args.files.len(),
        key.kid
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum VerifyOutput {
    Text,
    Json,
}

#[derive(ClapArgs)]
pub struct VerifyArgs {
    /// A JWK Set with the keys to trust (e.g. a saved copy of /.well-known/jwks.json).
    #[arg(long)]
    jwks: Vec<PathBuf>,
    /// A public key or certificate (PEM) to trust; its kid is its thumbprint, its algorithm the
    /// one the file names (`Algorithm: PS256`, as `kyoten keygen` writes it) or the key type's
    /// default.
    #[arg(long)]
    key: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    output: VerifyOutput,
    /// Verify as of this instant (RFC 3339, e.g. the `verify_at` of a vector manifest) instead
    /// of now: whether a handoff was issued in the future or has expired.
    #[arg(long, value_parser = parse_instant)]
    at: Option<DateTime<FixedOffset>>,
    /// The longest lifetime (`expires_at` − `issued_at`) of a handoff, in days, as the
    /// exchange's `--max-packet-lifetime-days`.
    #[arg(long, default_value_t = 30)]
    max_lifetime_days: u32,
    /// Signed packets: compact JWS or XML with an enveloped signature.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// The keys to trust, and the owner each JWK names (`kyoten_owner`); keys given as PEM name
/// none and are trusted for any author.
fn trusted(args: &VerifyArgs) -> Result<(HashMap<String, VerifyingKey>, KeyOwners), String> {
    let mut out = HashMap::new();
    let mut owners = KeyOwners::default();
    for path in &args.jwks {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let set = crate::contracts::json::parse_document(&bytes)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let read =
            keys::from_jwks_with_owners(&set).map_err(|e| format!("{}: {e}", path.display()))?;
        for (key, owner) in read {
            if let Some(owner) = owner {
                owners.0.insert(key.kid.clone(), owner);
            }
            out.insert(key.kid.clone(), key);
        }
    }
    for path in &args.key {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let key = keys::from_certificate_pem(&bytes, None)
            .or_else(|_| keys::from_public_pem(&bytes, None))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        out.insert(key.kid.clone(), key);
    }
    if out.is_empty() {
        return Err("give the keys to trust with --jwks or --key".into());
    }
    Ok((out, owners))
}

/// Verifies one file with the packet check the exchange uses (offline: no consent): the
/// signature against the trusted keys, the content, and a handoff's timestamps as of `at`.
fn verify_one(
    keys: &HashMap<String, VerifyingKey>,
    owners: &KeyOwners,
    lifetime: Lifetime,
    at: DateTime<Utc>,
    file: &Path,
) -> Value {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            return json!({"file": file, "valid": false, "verdict": "unreadable", "message": e.to_string()})
        }
    };
    let checked = check(
        &bytes,
        |kid| keys.get(kid).cloned(),
        owners,
        Purpose::Offline,
        lifetime,
        at,
    );
    match checked {
        Ok(Err(r)) => {
            json!({"file": file, "valid": false, "verdict": r.code.as_str(), "message": r.message})
        }
        Ok(Ok(checked)) => {
            let ids: Vec<&str> = checked.outcome.findings.iter().map(|f| f.id).collect();
            let (verdict, message) = match &checked.failure {
                None => (
                    Verdict::Valid,
                    "the signature verifies and the content is valid",
                ),
                Some(f) => (f.code(), f.message()[0]),
            };
            let opened = checked.opened;
            json!({
                "file": file,
                "valid": checked.failure.is_none(),
                "message": message,
                "verdict": verdict,
                "kid": opened.kid,
                // The organization the JWK Set names as the key's owner, if it names one.
                "signer": checked.signer,
                "alg": opened.alg.name(),
                "form": opened.form.as_str(),
                "document_type": opened.document_type.map(|d| d.as_str()),
                "content_sha256": opened.content_sha256,
                "findings": ids,
            })
        }
        Err(never) => match never {},
    }
}

pub fn run_verify(args: VerifyArgs) -> ExitCode {
    let (keys, owners) = match trusted(&args) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("kyoten: {e}");
            return ExitCode::from(2);
        }
    };
    let mut refused = 0;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let lifetime = Lifetime::days(args.max_lifetime_days);
    let at = args.at.map_or_else(Utc::now, |t| t.with_timezone(&Utc));
    for file in &args.files {
        let v = verify_one(&keys, &owners, lifetime, at, file);
        let valid = v["valid"] == true;
        if !valid {
            refused += 1;
        }
        let _ = match args.output {
            VerifyOutput::Json => writeln!(out, "{v}"),
            VerifyOutput::Text if valid => writeln!(
                out,
                "{}: valid ({} {}, kid {})",
                file.display(),
                v["form"].as_str().unwrap_or_default(),
                v["document_type"].as_str().unwrap_or_default(),
                v["kid"].as_str().unwrap_or_default()
            ),
            VerifyOutput::Text => writeln!(
                out,
                "{}: REFUSED {}: {}",
                file.display(),
                v["verdict"].as_str().unwrap_or_default(),
                v["message"].as_str().unwrap_or_default()
            ),
        };
    }
    let _ = out.flush();
    if refused == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

#[derive(ClapArgs)]
pub struct SigningKeyArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    #[command(subcommand)]
    command: SigningKeyCommand,
}

#[derive(Subcommand)]
enum SigningKeyCommand {
    /// List the exchange's signing keys (newest first).
    List,
    /// Create a new exchange signing key; it signs from now on, older keys keep verifying
    /// until retired. Running servers pick it up within 5 seconds.
    Rotate {
        #[arg(long, default_value = "ES256", value_parser = parse_alg)]
        alg: Alg,
    },
    /// Retire an exchange key: it no longer verifies and leaves the JWK Set.
    Retire { kid: String },
    /// Seal every stored private key again under a new key-encryption key, in one
    /// transaction. The current one is given as usual (--key-encryption-key-file, …).
    RotateKek {
        /// File holding the new key-encryption key (base64 of 32 bytes, mode 0600 or 0400).
        #[arg(long, value_name = "PATH")]
        new_key_encryption_key_file: PathBuf,
    },
}

pub fn run_signing_key(args: SigningKeyArgs) -> ExitCode {
    let store = match args.db.open() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let result = match args.command {
        SigningKeyCommand::List => store.conn().and_then(|mut conn| {
            for row in stored::list(&mut conn, None)? {
                println!(
                    "{}\t{}\t{}\t{}",
                    row.kid,
                    row.alg,
                    row.created_at.format("%Y-%m-%d %H:%M"),
                    row.retired_at.map_or("active".to_owned(), |t| format!(
                        "retired {}",
                        t.format("%Y-%m-%d %H:%M")
                    ))
                );
            }
            Ok(true)
        }),
        SigningKeyCommand::Rotate { alg } => store.rotate_signing_key(alg).map(|row| {
            println!("{}\t{}", row.kid, row.alg);
            command_event(
                Event::SigningKeyChanged,
                None,
                "rotated",
                Some(row.kid.as_str()),
            );
            true
        }),
        SigningKeyCommand::Retire { kid } => store
            .conn()
            .and_then(|mut conn| stored::retire(&mut conn, None, &kid))
            .inspect(|&retired| {
                if retired {
                    command_event(Event::SigningKeyChanged, None, "retired", Some(&kid));
                }
            }),
        SigningKeyCommand::RotateKek {
            new_key_encryption_key_file: path,
        } => crate::store::key_encryption::read_file(&path)
            .and_then(|new| store.rotate_kek(new))
            .map(|sealed| {
                println!("{sealed}\t{}", path.display());
                let reason = "key-encryption key rotated";
                command_event(Event::SigningKeyChanged, None, reason, None);
                eprintln!(
                    "kyoten: {sealed} signing key(s) are now sealed under the key-encryption key \
                     {}. Start every kyoten on this database with it from now on \
                     (--key-encryption-key-file or KYOTEN_KEY_ENCRYPTION_KEY_FILE; on SQLite \
                     without either, put it in place of the file `kek` next to the database). \
                     Running servers keep signing with the key they opened until restarted. \
                     Keep the old key-encryption key as long as you keep database backups made \
                     before now.",
                    path.display()
                );
                true
            }),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("kyoten: no such active exchange key");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("kyoten: {e}");
            ExitCode::from(1)
        }
    }
}

/// `kyoten org add-key`: registers an organization's public key from a file.
pub fn add_org_key(
    store: &crate::store::Store,
    organization_id: &str,
    jwk: Option<&Path>,
    cert: Option<&Path>,
    alg: Option<Alg>,
) -> Result<String, String> {
    let (key, certificate) = match (jwk, cert) {
        (Some(path), None) => {
            let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let value =
                crate::contracts::json::parse_document(&bytes).map_err(|e| e.to_string())?;
            (
                keys::from_jwk(&value, alg).map_err(|e| e.to_string())?,
                None,
            )
        }
        (None, Some(path)) => {
            let pem =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            (
                keys::from_certificate_pem(pem.as_bytes(), alg).map_err(|e| e.to_string())?,
                Some(pem),
            )
        }
        _ => return Err("give exactly one of --jwk FILE or --cert FILE".into()),
    };
    let mut conn = store.conn().map_err(|e| e.to_string())?;
    if crate::store::organizations::get(&mut conn, organization_id)
        .map_err(|e| e.to_string())?
        .is_none()
    {
        return Err(format!("no organization {organization_id}"));
    }
    match stored::register(&mut conn, organization_id, &key, certificate)
        .map_err(|e| e.to_string())?
    {
        stored::Registered::New(row) | stored::Registered::Existing(row) => {
            Ok(format!("{}\t{}", row.kid, row.alg))
        }
        stored::Registered::Taken => {
            Err("this key is registered by another organization, or retired".into())
        }
    }
}
