//! `kyoten keygen`, `kyoten sign`, `kyoten verify` (offline, on files) and
//! `kyoten signing-key` (the exchange's own keys in the database).
use super::org::DatabaseArgs;
use super::private_file::{self, Existing};
use crate::contracts::DocumentType;
use crate::crypto::jws::{Alg, SigningKey, VerifyingKey};
use crate::crypto::keys;
use crate::packet::{self, Form};
use crate::store::keys as stored;
use crate::validation::Engine;
use clap::{Args as ClapArgs, Subcommand, ValueEnum};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn parse_alg(s: &str) -> Result<Alg, String> {
    Alg::parse(s).ok_or_else(|| "one of ES256, Ed25519, PS256, RS256".into())
}

#[derive(ClapArgs)]
pub struct KeygenArgs {
    /// ES256 (default), Ed25519, PS256 or RS256 (RSA keys are 3072 bits).
    #[arg(long, default_value = "ES256", value_parser = parse_alg)]
    alg: Alg,
    /// Where to write the private key (PKCS#8 PEM, mode 0600); it must not exist yet.
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
        keys::to_jwk(&keys::verifying_key(&key).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())
    })();
    match result {
        Ok(jwk) => {
            println!("{jwk}");
            eprintln!(
                "Private key written to {} (keep it there; register the JWK above with POST /v1/keys).",
                args.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kyoten: {e}");
            ExitCode::from(2)
        }
    }
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
    /// The key's algorithm (default: ES256 for P-256, Ed25519, RS256 for RSA).
    #[arg(long, value_parser = parse_alg)]
    alg: Option<Alg>,
    /// `jws` (compact JWS over the JCS form; writes FILE.jws) or `xml` (enveloped XMLDSig;
    /// writes FILE.signed.xml).
    #[arg(long, value_enum, default_value = "jws")]
    format: SignFormat,
    /// Write the signed files here instead of next to the inputs.
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
        SignFormat::Jws => (packet::sign_jws(doc, &value, key)?, ".jws"),
        SignFormat::Xml => (packet::sign_xml(doc, &value, key)?, ".signed.xml"),
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
    /// A public key or certificate (PEM) to trust; its kid is its thumbprint.
    #[arg(long)]
    key: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    output: VerifyOutput,
    /// Signed packets: compact JWS or XML with an enveloped signature.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

fn trusted(args: &VerifyArgs) -> Result<HashMap<String, VerifyingKey>, String> {
    let mut out = HashMap::new();
    for path in &args.jwks {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let set = crate::contracts::json::parse_document(&bytes)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        for key in keys::from_jwks(&set).map_err(|e| format!("{}: {e}", path.display()))? {
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
    Ok(out)
}

/// Verifies one file: the signature against the trusted keys, then the content.
fn verify_one(keys: &HashMap<String, VerifyingKey>, file: &Path) -> Value {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            return json!({"file": file, "valid": false, "verdict": "unreadable", "message": e.to_string()})
        }
    };
    match packet::open(&bytes, |kid| keys.get(kid).cloned()) {
        Err(r) => json!({"file": file, "valid": false, "verdict": r.code, "message": r.message}),
        Ok(opened) => {
            let engine = Engine::get();
            let outcome = engine.validate(opened.document_type, &opened.document);
            let content_valid = engine.is_valid(&outcome);
            let ids: Vec<&str> = outcome.findings.iter().map(|f| f.id).collect();
            // A handoff past its lifetime is no longer to be acted on.
            let expired = packet::is_expired(&opened.document);
            let verdict = match (content_valid, expired) {
                (false, _) => "invalid_content",
                (true, true) => "expired",
                (true, false) => "valid",
            };
            let valid = verdict == "valid";
            let message = match verdict {
                "invalid_content" => "the content does not pass validation",
                "expired" => "the packet's expires_at has passed",
                _ => "the signature verifies and the content is valid",
            };
            json!({
                "file": file,
                "valid": valid,
                "message": message,
                "verdict": verdict,
                "kid": opened.kid,
                "alg": opened.alg.name(),
                "form": opened.form.as_str(),
                "document_type": opened.document_type.map(|d| d.as_str()),
                "content_sha256": opened.content_sha256,
                "findings": ids,
            })
        }
    }
}

pub fn run_verify(args: VerifyArgs) -> ExitCode {
    let keys = match trusted(&args) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("kyoten: {e}");
            return ExitCode::from(2);
        }
    };
    let mut refused = 0;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for file in &args.files {
        let v = verify_one(&keys, file);
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
}

pub fn run_signing_key(args: SigningKeyArgs) -> ExitCode {
    let store = match args.db.open() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let result = store.conn().and_then(|mut conn| match args.command {
        SigningKeyCommand::List => {
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
        }
        SigningKeyCommand::Rotate { alg } => {
            let row = stored::rotate_exchange_key(&mut conn, alg)?;
            println!("{}\t{}", row.kid, row.alg);
            Ok(true)
        }
        SigningKeyCommand::Retire { kid } => stored::retire(&mut conn, None, &kid),
    });
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
