//! Storage on both backends: migrations up, down and up again; organizations and API keys;
//! a rejected write leaves nothing behind.
use crate::helpers::*;
use diesel::prelude::*;
use diesel::sql_types::Text;
use kyoten::domain::role::Role;
use kyoten::store::{organizations, Backend, DbConnection, Store};

#[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct SchemaLine {
    #[diesel(sql_type = Text)]
    line: String,
}

/// Every table, column, index and constraint of the application schema, as text.
fn schema_of(store: &Store) -> Vec<String> {
    let mut conn = store.conn().unwrap();
    let query = match store.backend() {
        Backend::Sqlite => {
            "SELECT type || ' ' || name || ' ' || COALESCE(sql, '') AS line FROM sqlite_master \
             WHERE name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations'"
        }
        Backend::Postgres => {
            "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable AS line \
             FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations' \
             UNION ALL SELECT indexdef AS line FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '__diesel_schema_migrations' \
             UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) AS line FROM pg_constraint \
             WHERE connamespace = 'public'::regnamespace AND conrelid <> '__diesel_schema_migrations'::regclass"
        }
    };
    let mut lines: Vec<String> = diesel::sql_query(query)
        .load::<SchemaLine>(&mut *conn)
        .unwrap()
        .into_iter()
        .map(|l| l.line)
        .collect();
    lines.sort();
    lines
}

fn count(conn: &mut DbConnection, table: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
        .get_result::<N>(conn)
        .unwrap()
        .n
}

fn migrations_run_up_down_and_up_again_to_the_same_schema(db: &TestDatabase) {
    let store = open_store(db.url());
    let up = schema_of(&store);
    assert!(up.iter().any(|l| l.contains("organizations")), "{up:?}");
    store.revert_all().unwrap();
    assert!(
        schema_of(&store).is_empty(),
        "down.sql leaves {:?}",
        schema_of(&store)
    );
    store.migrate().unwrap();
    assert_eq!(schema_of(&store), up);
}

fn a_key_authenticates_its_organization_until_it_is_rotated(db: &TestDatabase) {
    let store = open_store(db.url());
    let mut conn = store.conn().unwrap();
    let (org, first) = organizations::add(
        &mut conn,
        Some("0411200015"),
        "見本短期入所",
        Role::Facility,
    )
    .unwrap();
    assert_eq!(org.role, kyoten::domain::role::Role::Facility);
    assert!(first.secret.starts_with("kyk_") && first.secret.len() == 68);
    assert_eq!(
        organizations::authenticate(&mut conn, &first.secret).unwrap(),
        Some(org.clone())
    );
    assert_eq!(
        organizations::authenticate(&mut conn, "kyk_wrong").unwrap(),
        None
    );
    let second = organizations::rotate_key(&mut conn, org.id.as_str())
        .unwrap()
        .expect("organization exists");
    assert_eq!(
        organizations::authenticate(&mut conn, &first.secret).unwrap(),
        None,
        "the old key is revoked"
    );
    assert_eq!(
        organizations::authenticate(&mut conn, &second.secret).unwrap(),
        Some(org)
    );
    assert!(organizations::rotate_key(&mut conn, "no-such-org")
        .unwrap()
        .is_none());
    let stored: Vec<String> = kyoten::store::schema::api_keys::table
        .select(kyoten::store::schema::api_keys::key_hash)
        .load(&mut *conn)
        .unwrap();
    assert!(
        !stored
            .iter()
            .any(|h| h.contains(&first.secret) || h.contains(&second.secret)),
        "only hashes are stored"
    );
}

fn a_rejected_organization_leaves_the_database_as_it_was(db: &TestDatabase) {
    let store = open_store(db.url());
    let mut conn = store.conn().unwrap();
    organizations::add(&mut conn, Some("kikan-1"), "基幹", Role::Kikan).unwrap();
    let before = (
        count(&mut conn, "organizations"),
        count(&mut conn, "api_keys"),
    );
    assert!(organizations::add(&mut conn, Some("kikan-1"), "二重登録", Role::Kikan).is_err());
    assert_eq!(
        (
            count(&mut conn, "organizations"),
            count(&mut conn, "api_keys")
        ),
        before
    );
}

#[test]
fn sqlite_migrations_run_up_down_and_up_again_to_the_same_schema() {
    migrations_run_up_down_and_up_again_to_the_same_schema(&TestDatabase::sqlite());
}

#[test]
fn postgres_migrations_run_up_down_and_up_again_to_the_same_schema() {
    migrations_run_up_down_and_up_again_to_the_same_schema(&TestDatabase::postgres());
}

#[test]
fn sqlite_keys_authenticate_their_organization_until_rotated() {
    a_key_authenticates_its_organization_until_it_is_rotated(&TestDatabase::sqlite());
}

#[test]
fn postgres_keys_authenticate_their_organization_until_rotated() {
    a_key_authenticates_its_organization_until_it_is_rotated(&TestDatabase::postgres());
}

#[test]
fn sqlite_rejected_writes_leave_nothing_behind() {
    a_rejected_organization_leaves_the_database_as_it_was(&TestDatabase::sqlite());
}

#[test]
fn postgres_rejected_writes_leave_nothing_behind() {
    a_rejected_organization_leaves_the_database_as_it_was(&TestDatabase::postgres());
}

#[test]
fn the_sqlite_file_is_in_wal_mode() {
    let db = TestDatabase::sqlite();
    let store = open_store(db.url());
    let mut conn = store.conn().unwrap();
    #[derive(QueryableByName)]
    struct Mode {
        #[diesel(sql_type = Text)]
        journal_mode: String,
    }
    let mode = diesel::sql_query("PRAGMA journal_mode")
        .get_result::<Mode>(&mut *conn)
        .unwrap();
    assert_eq!(mode.journal_mode, "wal");
}

#[test]
fn org_add_prints_the_key_once_and_org_list_shows_the_organization() {
    let db = TestDatabase::sqlite();
    let out = kyoten()
        .args([
            "org",
            "--database-url",
            db.url(),
            "add",
            "--role",
            "hub",
            "--name",
            "見本拠点",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let secret = text
        .split_whitespace()
        .find(|w| w.starts_with("kyk_"))
        .expect("key printed");
    let list = kyoten()
        .args(["org", "--database-url", db.url(), "list"])
        .output()
        .unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    assert!(
        list.contains("\thub\t") && list.contains("見本拠点"),
        "{list}"
    );
    assert!(!list.contains(secret), "the key is never shown again");
    // The database may be named after the subcommand as well as before it.
    let after = kyoten()
        .args(["org", "list", "--database-url", db.url()])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(after.stdout).unwrap(), list);
    let bad = kyoten()
        .args([
            "org",
            "--database-url",
            db.url(),
            "add",
            "--role",
            "mayor",
            "--name",
            "x",
        ])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

fn organization_ids_that_a_consent_could_read_as_a_role_are_refused(db: &TestDatabase) {
    let store = open_store(db.url());
    let mut conn = store.conn().unwrap();
    let long = "a".repeat(65);
    let refused: [(&str, Role); 16] = [
        ("city", Role::Hub),
        ("kikan", Role::Kikan),
        ("hub", Role::City),
        ("facility", Role::ConsultationOffice),
        ("consultation_office", Role::Kikan),
        ("*", Role::Kikan),
        ("", Role::Kikan),
        ("x", Role::Kikan),
        ("Office-A", Role::ConsultationOffice),
        ("office a", Role::ConsultationOffice),
        ("-office", Role::ConsultationOffice),
        ("office.a", Role::ConsultationOffice),
        (&long, Role::Hub),
        ("office-z", Role::Facility),
        ("041120001", Role::Facility),
        ("04112000150", Role::Facility),
    ];
    let before = (
        count(&mut conn, "organizations"),
        count(&mut conn, "api_keys"),
    );
    for (id, role) in refused {
        assert!(
            organizations::add(&mut conn, Some(id), "見本", role).is_err(),
            "{id:?} as {role}"
        );
    }
    assert_eq!(
        (
            count(&mut conn, "organizations"),
            count(&mut conn, "api_keys")
        ),
        before
    );
    for (id, role) in [
        ("office-a", Role::ConsultationOffice),
        ("0411200015", Role::Facility),
        ("0411200023", Role::ConsultationOffice),
        ("city-041009", Role::City),
    ] {
        organizations::add(&mut conn, Some(id), "見本", role)
            .unwrap_or_else(|e| panic!("{id}: {e}"));
    }
    let (generated, _) = organizations::add(&mut conn, None, "見本拠点", Role::Hub).unwrap();
    assert!(
        generated
            .id
            .as_str()
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
        "a generated id follows the pattern: {}",
        generated.id
    );
}

#[test]
fn sqlite_organization_ids_that_a_consent_could_read_as_a_role_are_refused() {
    organization_ids_that_a_consent_could_read_as_a_role_are_refused(&TestDatabase::sqlite());
}

#[test]
fn postgres_organization_ids_that_a_consent_could_read_as_a_role_are_refused() {
    organization_ids_that_a_consent_could_read_as_a_role_are_refused(&TestDatabase::postgres());
}

#[test]
fn org_add_refuses_a_reserved_or_malformed_id_with_a_clear_error_and_adds_nothing() {
    let db = TestDatabase::sqlite();
    for (role, id, says) in [
        ("hub", "city", "reserved"),
        ("kikan", "*", "reserved"),
        ("facility", "office-z", "10-digit"),
        ("consultation_office", "Office_A", "lower-case"),
    ] {
        let out = kyoten()
            .args(["org", "--database-url", db.url(), "add", "--role", role])
            .args(["--id", id, "--name", "見本"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{role} {id}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{role} {id}: {stderr}");
        assert!(out.stdout.is_empty(), "no key is printed");
    }
    let out = kyoten()
        .args([
            "org",
            "--database-url",
            db.url(),
            "add",
            "--role",
            "facility",
        ])
        .args(["--name", "番号のない施設"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a facility needs its number");
    assert!(String::from_utf8_lossy(&out.stderr).contains("10-digit"));
    let list = kyoten()
        .args(["org", "--database-url", db.url(), "list"])
        .output()
        .unwrap();
    // Refused before the database was opened: not even the database was made.
    assert_eq!(list.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&list.stderr).contains("no database at"));
    assert!(list.stdout.is_empty());
}

/// The bundled SQLite keeps its query plans stable (`.cargo/config.toml`): otherwise every
/// statement with a bound `LIMIT` is parsed and planned again each time it runs.
#[test]
fn the_bundled_sqlite_plans_a_statement_once_whatever_value_is_bound_to_its_limit() {
    let db = TestDatabase::sqlite();
    let store = open_store(db.url());
    let options: Vec<String> =
        diesel::sql_query("SELECT compile_options AS line FROM pragma_compile_options")
            .load::<SchemaLine>(&mut *store.conn().unwrap())
            .unwrap()
            .into_iter()
            .map(|l| l.line)
            .collect();
    assert!(options.iter().any(|o| o == "ENABLE_QPSG"), "{options:?}");
}
