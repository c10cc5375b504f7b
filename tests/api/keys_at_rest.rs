//! Keys at rest: the exchange's private signing keys are sealed under the key-encryption key
//! in the database (never PEM), databases from before are sealed on start, a wrong key or a
//! key file others may read is refused, and `rotate-kek` seals every key again. On the backend
//! under test (`KYOTEN_TEST_BACKEND`).
use crate::handoffs::{exchange, open, register, request, send, FACILITY};
use crate::helpers::*;
use diesel::prelude::*;
use kyoten::crypto::jws::Alg;
use kyoten::crypto::kek::Kek;
use kyoten::crypto::keys;
use kyoten::store::keys::KeyRow;
use kyoten::store::schema::signing_keys;
use kyoten::store::{DbConnection, KekSource, Store};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

/// Every stored private key: (kid, stored value), by kid.
fn stored_private_keys(conn: &mut DbConnection) -> Vec<(String, String)> {
    let rows: Vec<(String, Option<String>)> = signing_keys::table
        .filter(signing_keys::private_pem.is_not_null())
        .select((signing_keys::kid, signing_keys::private_pem))
        .order(signing_keys::kid)
        .load(conn)
        .unwrap();
    rows.into_iter()
        .map(|(kid, stored)| (kid, stored.unwrap()))
        .collect()
}

fn assert_sealed(rows: &[(String, String)]) {
    assert!(!rows.is_empty());
    for (kid, stored) in rows {
        assert!(stored.starts_with("kyoten-kek-v1:"), "{kid}: {stored}");
        assert!(
            !stored.contains("BEGIN") && !stored.contains("PRIVATE KEY"),
            "{kid}: {stored}"
        );
    }
}

fn set_private(conn: &mut DbConnection, kid: &str, value: &str) {
    let n = diesel::update(signing_keys::table.find(kid))
        .set(signing_keys::private_pem.eq(value))
        .execute(conn)
        .unwrap();
    assert_eq!(n, 1);
}

/// The PEM of a sealed key, as a database from before keys were sealed holds it.
fn plaintext_of(kid: &str, sealed: &str) -> String {
    String::from_utf8(test_kek().open(kid.as_bytes(), sealed).unwrap().to_vec()).unwrap()
}

fn open_error(url: &str, kek: KekSource) -> String {
    match Store::open(url, kek) {
        Ok(_) => panic!("the store opened"),
        Err(e) => e.to_string(),
    }
}

/// Runs a command that must exit by itself (a server that starts anyway is killed).
fn exit_of(command: &mut Command) -> Output {
    output_within(command, Duration::from_secs(30))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn key_file(dir: &Path, name: &str, kek: &Kek, mode: u32) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("{}\n", kek.to_base64().as_str())).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

#[test]
fn the_stored_private_key_holds_no_pem_after_start() {
    let db = backend_database();
    let store = open_store(db.url());
    let rows = stored_private_keys(&mut store.conn().unwrap());
    assert_eq!(rows.len(), 1, "the exchange's first signing key");
    assert_sealed(&rows);
    let rotated = store.rotate_signing_key(Alg::Ed25519).unwrap();
    let rows = stored_private_keys(&mut store.conn().unwrap());
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().any(|(kid, _)| *kid == rotated.kid));
    assert_sealed(&rows);
}

#[test]
fn a_server_whose_key_is_sealed_signs_packets_that_verify_under_its_published_key() {
    let s = exchange();
    let rows = stored_private_keys(&mut s.store.conn().unwrap());
    assert_sealed(&rows);
    let sealed_kid = rows[0].0.clone();
    let reg = register(&s, "office", None);
    let id = send(&s, "office", &request(&reg, FACILITY))["handoff_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for accept in ["application/jose", "application/xml"] {
        let bytes = s
            .get(FACILITY, &format!("/v1/handoffs/{id}"), accept)
            .bytes()
            .unwrap()
            .to_vec();
        let opened = open(&s, &bytes).expect("verifies against the published keys");
        assert_eq!(opened.kid, sealed_kid, "{accept}");
        let verdict: Value = s
            .post_bytes(FACILITY, "/v1/verify", accept, bytes)
            .json()
            .unwrap();
        assert_eq!(verdict["verdict"], "valid", "{accept}: {verdict}");
    }
    assert_sealed(&stored_private_keys(&mut s.store.conn().unwrap()));
}

#[test]
fn a_plaintext_key_from_an_older_database_is_sealed_on_the_next_start_and_signs_again() {
    let db = backend_database();
    let (first, newer) = {
        let store = open_store(db.url());
        let mut conn = store.conn().unwrap();
        let (first, sealed) = stored_private_keys(&mut conn).remove(0);
        assert!(store.reload_keyring().unwrap().signing.is_some());
        // As kyoten stored keys before they were sealed: the PEM itself, in this row and in a
        // newer one as `signing-key rotate` made them.
        set_private(&mut conn, &first, &plaintext_of(&first, &sealed));
        let key = keys::generate(Alg::Es256).unwrap();
        let newer = KeyRow {
            kid: key.kid.clone().into(),
            organization_id: None,
            alg: "ES256".into(),
            jwk: keys::to_jwk(&keys::verifying_key(&key).unwrap())
                .unwrap()
                .to_string(),
            certificate: None,
            private_pem: Some(keys::private_pem(&key).unwrap()),
            created_at: chrono::Utc::now().naive_utc() + chrono::Duration::seconds(1),
            retired_at: None,
        };
        diesel::insert_into(signing_keys::table)
            .values(newer.clone())
            .execute(&mut conn)
            .unwrap();
        // A plaintext key is never used, not even by a server that opened it sealed before.
        assert!(
            store.reload_keyring().unwrap().signing.is_none(),
            "a plaintext key signs"
        );
        (first, newer.kid)
    };
    let store = open_store(db.url());
    let rows = stored_private_keys(&mut store.conn().unwrap());
    assert_eq!(rows.len(), 2);
    assert_sealed(&rows);
    for (kid, stored) in &rows {
        assert!(test_kek().open(kid.as_bytes(), stored).is_ok(), "{kid}");
    }
    assert!(rows.iter().any(|(kid, _)| *kid == first));
    let ring = store.reload_keyring().unwrap();
    assert_eq!(
        ring.signing.as_ref().map(|k| k.kid.as_str()),
        Some(newer.as_str()),
        "the newest key signs once sealed"
    );
}

#[test]
fn a_wrong_key_encryption_key_is_refused_at_start_with_a_clear_error() {
    let db = backend_database();
    let kid = stored_private_keys(&mut open_store(db.url()).conn().unwrap())
        .remove(0)
        .0;
    let wrong = Kek::generate().unwrap();
    let message = open_error(db.url(), KekSource::Key(wrong.clone()));
    assert!(
        message.contains(&kid)
            && message.contains("cannot be decrypted with this key-encryption key"),
        "{message}"
    );
    let out = exit_of(
        kyoten()
            .args(["serve", "--port", "0", "--database-url", db.url()])
            .env("KYOTEN_KEY_ENCRYPTION_KEY", wrong.to_base64().as_str()),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot be decrypted with this key-encryption key"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains(wrong.to_base64().as_str()));
    // Nothing was changed: the right key still opens the database.
    let rows = stored_private_keys(&mut open_store(db.url()).conn().unwrap());
    assert_eq!(rows.len(), 1);
    assert_sealed(&rows);
}

#[test]
fn a_sealed_key_moved_to_another_row_does_not_open() {
    let db = backend_database();
    let store = open_store(db.url());
    store.rotate_signing_key(Alg::Es256).unwrap();
    let mut conn = store.conn().unwrap();
    let rows = stored_private_keys(&mut conn);
    let [(a, sealed_a), (b, sealed_b)] = [rows[0].clone(), rows[1].clone()];
    set_private(&mut conn, &a, &sealed_b);
    set_private(&mut conn, &b, &sealed_a);
    drop(conn);
    drop(store);
    let message = open_error(db.url(), KekSource::Key(test_kek()));
    assert!(
        message.contains(&a) && message.contains("or the id it belongs to"),
        "{message}"
    );
}

#[test]
fn a_key_encryption_key_file_that_group_or_others_may_read_is_refused_at_start() {
    let db = backend_database();
    drop(open_store(db.url()));
    let dir = tempfile::tempdir().unwrap();
    let path = key_file(dir.path(), "kek", &test_kek(), 0o644);
    let run = |command: &[&str], then: &[&str]| {
        exit_of(
            kyoten()
                .args(command)
                .args(["--database-url", db.url(), "--key-encryption-key-file"])
                .arg(&path)
                .args(then)
                .env_remove("KYOTEN_KEY_ENCRYPTION_KEY"),
        )
    };
    let out = run(&["serve", "--port", "0"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("mode 0644") && stderr(&out).contains("chmod 600"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains(TEST_KEK));
    for mode in [0o600, 0o400] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let out = run(&["signing-key"], &["list"]);
        assert_eq!(out.status.code(), Some(0), "{mode:o}: {}", stderr(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("\tactive"));
    }
}

#[test]
fn without_a_key_encryption_key_sqlite_makes_one_next_to_the_database_and_postgres_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("data/kyoten.sqlite");
    let kek_path = dir.path().join("data/kek");
    let list = || {
        exit_of(
            kyoten()
                .args(["signing-key", "--database-url"])
                .arg(&database)
                .arg("list")
                .env_remove("KYOTEN_KEY_ENCRYPTION_KEY"),
        )
    };
    let out = list();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("created the key-encryption key") && stderr(&out).contains("kek"),
        "{}",
        stderr(&out)
    );
    let meta = std::fs::metadata(&kek_path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let key = std::fs::read_to_string(&kek_path).unwrap();
    // The next start uses it, says nothing, and never replaces it.
    let out = list();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("created"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&kek_path).unwrap(), key);
    let url = database.display().to_string();
    let store = Store::open(&url, KekSource::File(kek_path.clone())).unwrap();
    assert_sealed(&stored_private_keys(&mut store.conn().unwrap()));
    drop(store);
    // The database without its key file: refused, and no new key file is made.
    std::fs::remove_file(&kek_path).unwrap();
    let out = list();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("sealed under a key-encryption key, but none was given"),
        "{}",
        stderr(&out)
    );
    assert!(!kek_path.exists());
    // PostgreSQL: instances must share one key, so none is made up (refused before connecting).
    let out = exit_of(
        kyoten()
            .args([
                "migrate",
                "--database-url",
                "postgres://postgres@127.0.0.1:1/kyoten_no_kek",
            ])
            .env_remove("KYOTEN_KEY_ENCRYPTION_KEY"),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("openssl rand -base64 32 > kek && chmod 600 kek"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rotate_kek_seals_every_key_again_under_the_new_key_and_the_old_one_no_longer_opens_them() {
    let db = backend_database();
    // A server started before the rotation.
    let running = open_store(db.url());
    let first = stored_private_keys(&mut running.conn().unwrap())
        .remove(0)
        .0;
    let newest = running.rotate_signing_key(Alg::Es256).unwrap().kid;
    assert!(kyoten::store::keys::retire(&mut running.conn().unwrap(), None, &first).unwrap());
    assert_eq!(
        running
            .reload_keyring()
            .unwrap()
            .signing
            .as_ref()
            .unwrap()
            .kid,
        newest
    );
    let before = stored_private_keys(&mut running.conn().unwrap());
    assert_eq!(before.len(), 2, "retired keys are sealed again too");

    let dir = tempfile::tempdir().unwrap();
    let new = Kek::generate().unwrap();
    let rotate = |path: &Path| {
        exit_of(
            kyoten()
                .args(["signing-key", "--database-url", db.url(), "rotate-kek"])
                .arg("--new-key-encryption-key-file")
                .arg(path),
        )
    };
    // A new key file others may read is refused, and nothing changes.
    let open_file = key_file(dir.path(), "open-kek", &new, 0o640);
    let out = rotate(&open_file);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("chmod 600"), "{}", stderr(&out));
    assert_eq!(stored_private_keys(&mut running.conn().unwrap()), before);

    let path = key_file(dir.path(), "new-kek", &new, 0o600);
    let out = rotate(&path);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("2\t"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let after = stored_private_keys(&mut running.conn().unwrap());
    assert_sealed(&after);
    for ((kid, old), (kid_after, sealed)) in before.iter().zip(&after) {
        assert_eq!(kid, kid_after);
        assert_ne!(old, sealed);
        assert!(new.open(kid.as_bytes(), sealed).is_ok(), "{kid}");
        assert!(test_kek().open(kid.as_bytes(), sealed).is_err(), "{kid}");
    }
    let message = open_error(db.url(), KekSource::Key(test_kek()));
    assert!(
        message.contains("cannot be decrypted with this key-encryption key"),
        "{message}"
    );
    let reopened = Store::open(db.url(), KekSource::File(path)).unwrap();
    assert_eq!(
        reopened
            .reload_keyring()
            .unwrap()
            .signing
            .as_ref()
            .unwrap()
            .kid,
        newest
    );
    // The server started before keeps signing with the key it opened until it is restarted.
    assert_eq!(
        running
            .reload_keyring()
            .unwrap()
            .signing
            .as_ref()
            .unwrap()
            .kid,
        newest
    );
}
