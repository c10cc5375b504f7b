//! Files that hold personal data or keys are readable by their owner only: the SQLite folder
//! and files, private keys and signed packets — whatever the umask, and never written through
//! a symbolic link.
#![cfg(unix)]
use crate::helpers::*;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Output;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// Runs `kyoten ARGS` with umask 000, so nothing but kyoten itself keeps files private.
fn kyoten_with_open_umask(args: &[&str], env: &[(&str, &str)]) -> Output {
    std::process::Command::new("sh")
        .args(["-c", "umask 000 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_kyoten"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_sqlite_folder_is_created_0700_and_the_database_0600_whatever_the_umask() {
    let temp = tempfile::tempdir().unwrap();
    let db = temp.path().join("data/nested/kyoten.sqlite");
    let out = kyoten_with_open_umask(&["migrate", "--database-url", db.to_str().unwrap()], &[]);
    assert_success(&out);
    assert_eq!(mode(&temp.path().join("data")), 0o700);
    assert_eq!(mode(&temp.path().join("data/nested")), 0o700);
    assert_eq!(mode(&db), 0o600);
}

#[test]
fn the_write_ahead_log_and_shared_memory_files_are_0600_too() {
    let temp = tempfile::tempdir().unwrap();
    let db = temp.path().join("data/kyoten.sqlite");
    let store = open_store(db.to_str().unwrap());
    // A write, so SQLite has its -wal and -shm files open.
    kyoten::store::organizations::add(
        &mut store.conn().unwrap(),
        Some("office"),
        "見本相談支援事業所",
        kyoten::domain::role::Role::ConsultationOffice,
    )
    .unwrap();
    for file in [
        db.clone(),
        with_suffix(&db, "-wal"),
        with_suffix(&db, "-shm"),
    ] {
        assert!(
            file.exists(),
            "{} exists while the store is open",
            file.display()
        );
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    assert_eq!(mode(&temp.path().join("data")), 0o700);
}

#[test]
fn a_database_left_readable_by_others_is_made_private_when_opened() {
    let temp = tempfile::tempdir().unwrap();
    let shared = temp.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
    // Files as an older version (or a copy) left them: SQLite takes an empty file for a new
    // database, and an empty shared-memory file for a fresh one.
    let db = shared.join("kyoten.sqlite");
    let shm = with_suffix(&db, "-shm");
    for file in [&db, &shm] {
        std::fs::write(file, b"").unwrap();
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let _store = open_store(db.to_str().unwrap());
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(&shm), 0o600);
    // A folder that was there before is not kyoten's to change.
    assert_eq!(mode(&shared), 0o755);
}

#[test]
fn keygen_writes_the_private_key_0600_whatever_the_umask() {
    let temp = tempfile::tempdir().unwrap();
    let key = temp.path().join("key.pem");
    let out = kyoten_with_open_umask(&["keygen", "--out", key.to_str().unwrap()], &[]);
    assert_success(&out);
    assert_eq!(mode(&key), 0o600);
}

#[test]
fn keygen_refuses_a_symbolic_link_at_the_output_path_and_writes_nothing_through_it() {
    let temp = tempfile::tempdir().unwrap();
    let elsewhere = temp.path().join("elsewhere.pem");
    let link = temp.path().join("key.pem");
    symlink(&elsewhere, &link).unwrap();
    let out = kyoten()
        .args(["keygen", "--out"])
        .arg(&link)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert!(
        !elsewhere.exists(),
        "nothing was written where the link points"
    );
}

/// A private key and a valid handoff packet to sign, in `dir`.
fn key_and_packet(dir: &Path) -> (PathBuf, PathBuf) {
    let key = dir.join("key.pem");
    assert_success(
        &kyoten()
            .args(["keygen", "--out"])
            .arg(&key)
            .output()
            .unwrap(),
    );
    let mut doc = read_json(&repo().join("conformance/vectors/handoff/valid/full.json"));
    doc["expires_at"] =
        serde_json::json!((chrono::Utc::now() + chrono::Duration::hours(6)).to_rfc3339());
    let packet = dir.join("handoff.json");
    std::fs::write(&packet, doc.to_string()).unwrap();
    (key, packet)
}

#[test]
fn signed_packets_are_written_0600_whatever_the_umask_also_over_an_older_file() {
    let temp = tempfile::tempdir().unwrap();
    let (key, packet) = key_and_packet(temp.path());
    // An earlier signed packet, readable by everyone: replaced, and made private.
    let jws = temp.path().join("handoff.json.jws");
    std::fs::write(&jws, "old").unwrap();
    std::fs::set_permissions(&jws, std::fs::Permissions::from_mode(0o644)).unwrap();
    for format in ["jws", "xml"] {
        let out = kyoten_with_open_umask(
            &[
                "sign",
                "--format",
                format,
                "--key",
                key.to_str().unwrap(),
                packet.to_str().unwrap(),
            ],
            &[],
        );
        assert_success(&out);
    }
    assert_eq!(mode(&jws), 0o600);
    assert_ne!(std::fs::read_to_string(&jws).unwrap(), "old");
    assert_eq!(mode(&temp.path().join("handoff.json.signed.xml")), 0o600);
}

#[test]
fn sign_refuses_to_write_through_a_symbolic_link() {
    let temp = tempfile::tempdir().unwrap();
    let (key, packet) = key_and_packet(temp.path());
    let target = temp.path().join("target.txt");
    std::fs::write(&target, "untouched").unwrap();
    symlink(&target, temp.path().join("handoff.json.jws")).unwrap();
    let out = kyoten()
        .args(["sign", "--key"])
        .arg(&key)
        .arg(&packet)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "untouched");
}
