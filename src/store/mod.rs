//! Storage: diesel over SQLite (embedded default, a file in WAL mode) or PostgreSQL, through
//! one code path (`MultiConnection`), an r2d2 pool and migrations embedded per backend.
pub mod audit;
pub mod chain;
pub mod checkpoints;
pub mod facilities;
pub mod facility_history;
pub mod handoffs;
pub mod idempotency;
pub mod intakes;
pub mod integrity;
pub mod key_encryption;
pub mod keys;
pub mod organizations;
pub mod paging;
pub use paging::{Page, PageRequest};
pub mod provisions;
pub mod registrations;
pub mod reports;
pub mod schema;
pub(crate) mod scoping;
mod sealer;
pub mod sharing;
mod wal;
mod writer;

use crate::crypto::kek::Kek;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
pub use key_encryption::KekSource;
use std::time::Duration;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One connection type for both backends. SQLite comes last, as diesel's derive requires of
/// the backend with the fewest capabilities.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database: {0}")]
    Open(String),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("database write failed: {0}")]
    Write(String),
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("{0}")]
    OrganizationId(#[from] crate::domain::organization::IdError),
    /// The key-encryption key is missing, unreadable, or does not open the stored keys.
    #[error("{0}")]
    KeyEncryption(String),
}

/// A document the store holds, read back as JSON (it was written from a valid document, so a
/// failure here is the database's, reported as such).
pub fn parse_stored(document: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(document)
        .map_err(|e| StoreError::Query(diesel::result::Error::DeserializationError(Box::new(e))))
}

impl StoreError {
    /// Whether the same request, sent again shortly, may well succeed: SQLite was busy (locked
    /// past its busy timeout), PostgreSQL aborted a transaction on a serialization conflict or
    /// a deadlock, or no pooled connection became free in time.
    pub fn is_transient(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        let busy = |message: &str| {
            [
                "database is locked",
                "database table is locked",
                "deadlock detected",
                "canceling statement due to lock timeout",
            ]
            .iter()
            .any(|m| message.contains(m))
        };
        match self {
            StoreError::Query(Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _)) => {
                true
            }
            StoreError::Query(Error::DatabaseError(_, info)) => busy(info.message()),
            StoreError::Pool(_) => true,
            // A batch of the SQLite writer that could not commit.
            StoreError::Write(cause) => busy(cause),
            _ => false,
        }
    }
}

/// Opens connections for the backend the URL names. diesel's own manager would try every
/// backend in turn, so an unreachable PostgreSQL URL could end up as a SQLite file of that
/// name; this one never guesses.
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
    backend: Backend,
}

impl Manager {
    pub fn new(database_url: &str) -> Self {
        let backend = if database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://")
        {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let url = database_url
            .strip_prefix("sqlite://")
            .unwrap_or(database_url)
            .to_owned();
        Self { url, backend }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        match self.backend {
            Backend::Postgres => {
                let mut conn = PgConnection::establish(&self.url)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                // No request waits on a lock for ever: like SQLite's busy_timeout, a lock held
                // elsewhere longer than this fails the statement ("lock timeout"), which is
                // answered 503 with Retry-After and rolls the transaction back.
                conn.batch_execute("SET lock_timeout = '10s'")
                    .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConnection::Postgresql(conn))
            }
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.url)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                // WAL lets readers run beside the writer; busy_timeout turns contention into
                // waiting instead of "database is locked" — set first, since switching to WAL
                // itself needs a lock that another connection may hold.
                // No automatic checkpoint: it would run (and sync the disk) inside whichever
                // write crossed the threshold, and under a stream of writes those syncs were
                // half the cost of a write. The store's checkpointer thread runs them instead.
                // Temporary storage in memory: every write of a batch runs in a savepoint, and
                // the pages it changes are first copied to the savepoint's journal, which would
                // otherwise go to a temporary file once it grows past 64 KiB (a system call per
                // page, about a sixth of the writer's time under a stream of handoffs).
                const SETUP: &str = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                     PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -8000; \
                     PRAGMA temp_store = MEMORY;";
                // SQLite answers "database is locked" at once, without the busy handler, when
                // a new connection meets the WAL index held by a checkpoint or a recovery; a
                // few short waits let the connection come up instead of failing a request.
                let mut attempt = 0;
                loop {
                    match conn.batch_execute(SETUP) {
                        Ok(()) => break,
                        Err(e) if attempt < 5 && e.to_string().contains("locked") => {
                            attempt += 1;
                            std::thread::sleep(Duration::from_millis(20 * attempt));
                        }
                        Err(e) => return Err(diesel::r2d2::Error::QueryError(e)),
                    }
                }
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        use diesel::r2d2::R2D2Connection;
        // A connection left inside a failed transaction is not handed out again.
        match conn {
            DbConnection::Postgresql(c) => c.is_broken(),
            DbConnection::Sqlite(c) => c.is_broken(),
        }
    }
}

/// The pool and the backend it talks to.
#[derive(Clone)]
pub struct Store {
    pool: Pool<Manager>,
    backend: Backend,
    /// SQLite has one writer at a time: this process's writes go through one thread, which
    /// commits them in groups. PostgreSQL takes concurrent writers as they come.
    sqlite_writer: Option<writer::Writer>,
    /// PostgreSQL writes leave their records pending; this seals them after each commit.
    sealer: Option<sealer::Sealer>,
    /// Held by every clone; the checkpointer stops when the last clone is dropped.
    _alive: std::sync::Arc<()>,
    /// Recently authenticated keys (by hash), so a request costs no key look-up.
    keys: std::sync::Arc<std::sync::Mutex<KeyCache>>,
    /// The signing and verifying keys, reloaded every [`KEY_CACHE_TTL`] and when a packet names
    /// a key not seen yet (registered on another instance).
    ring: std::sync::Arc<std::sync::RwLock<Option<LoadedRing>>>,
    /// Seals and opens the exchange's private signing keys in the database.
    kek: std::sync::Arc<Kek>,
    /// The key-encryption key file this store created on opening (SQLite, none given).
    created_kek_file: Option<std::path::PathBuf>,
}

fn lock(keys: &std::sync::Mutex<KeyCache>) -> std::sync::MutexGuard<'_, KeyCache> {
    keys.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How long an authenticated key is trusted without asking the database again: a revoked or
/// rotated key stops working at most this long after the change, on every instance.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(5);
const KEY_CACHE_MAX: usize = 10_000;

/// The key ring and when it was loaded.
type LoadedRing = (std::time::Instant, std::sync::Arc<keys::KeyRing>);

type KeyCache =
    std::collections::HashMap<String, (organizations::Organization, std::time::Instant)>;

pub type Conn = PooledConnection<Manager>;

/// The database holds personal data, so only the account running kyoten may read it: the
/// folders created for it are 0700, and the database file is created (or, if it exists,
/// changed to) 0600 before SQLite opens it — whatever the umask. SQLite creates its `-wal`
/// and `-shm` files with the database file's permissions; ones left from before are changed
/// to 0600 too. Folders that exist already are left as they are.
fn private_sqlite_files(url: &str) -> Result<(), StoreError> {
    if url == ":memory:" || url.starts_with("file:") {
        return Ok(());
    }
    let path = std::path::Path::new(url);
    let fail =
        |p: &std::path::Path, e: std::io::Error| StoreError::Open(format!("{}: {e}", p.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dirs(dir).map_err(|e| fail(dir, e))?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(|e| fail(path, e))?;
        if let Err(e) = file.set_permissions(std::fs::Permissions::from_mode(0o600)) {
            tracing::warn!(path = %path.display(), error = %e, "cannot make the database file 0600");
        }
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut companion = path.as_os_str().to_owned();
            companion.push(suffix);
            let companion = std::path::PathBuf::from(companion);
            let Ok(meta) = std::fs::symlink_metadata(&companion) else {
                continue;
            };
            if meta.is_file() && meta.permissions().mode() & 0o777 != 0o600 {
                let private = std::fs::Permissions::from_mode(0o600);
                if let Err(e) = std::fs::set_permissions(&companion, private) {
                    tracing::warn!(path = %companion.display(), error = %e, "cannot make a database file 0600");
                }
            }
        }
    }
    Ok(())
}

/// Creates `dir` and any missing parents, each new one 0700 (set after creation, so the
/// umask does not matter); existing ones are not changed.
fn create_private_dirs(dir: &std::path::Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dirs(parent)?;
    }
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    match builder.create(dir) {
        Ok(()) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
            }
            Ok(())
        }
        // Made by someone else in the meantime: not ours to change.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Runs every pending migration of the connection's backend.
fn run_migrations(conn: &mut DbConnection) -> Result<(), StoreError> {
    let result = match conn {
        DbConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
    };
    result.map_err(|e| StoreError::Migration(e.to_string()))
}

impl Store {
    /// Opens (creating a SQLite file if needed), brings the schema up to date and makes sure
    /// the exchange has a signing key, sealed under the key-encryption key from `kek`. Refused
    /// when the stored signing keys do not open with that key. Private keys still stored in
    /// plaintext (a database from before keys were sealed) are sealed now, in one transaction.
    pub fn open(database_url: &str, kek: KekSource) -> Result<Store, StoreError> {
        Self::open_with_wal_limit(database_url, kek, wal::LIMIT_BYTES)
    }

    /// [`Store::open`], with the size at which SQLite's write-ahead log is emptied into the
    /// database and truncated (`wal::LIMIT_BYTES` otherwise).
    pub fn open_with_wal_limit(
        database_url: &str,
        kek: KekSource,
        wal_limit: u64,
    ) -> Result<Store, StoreError> {
        let manager = Manager::new(database_url);
        let backend = manager.backend;
        if backend == Backend::Sqlite {
            private_sqlite_files(&manager.url)?;
        }
        let kek = key_encryption::resolve(kek, backend, &manager.url)?;
        let alive = std::sync::Arc::new(());
        if backend == Backend::Sqlite {
            wal::spawn_checkpointer(manager.clone(), std::sync::Arc::downgrade(&alive));
        }
        let log = (wal::log_of(&manager.url), wal_limit);
        let manager_for_sealer = manager.clone();
        let pool = Pool::builder()
            .max_size(if backend == Backend::Sqlite { 8 } else { 16 })
            .connection_timeout(Duration::from_secs(10))
            // A SQLite connection is a file handle that does not go stale; a PostgreSQL one
            // is probed before use, so a restarted database server costs no failed request.
            .test_on_check_out(backend == Backend::Postgres)
            .build(manager)
            .map_err(|e| StoreError::Open(e.to_string()))?;
        let mut conn = pool.get()?;
        run_migrations(&mut conn)?;
        let (kek, created_kek_file) = match kek {
            key_encryption::Resolved::Found(kek) => (kek, None),
            key_encryption::Resolved::CreateAt(path) => {
                // A new key cannot open keys sealed under an earlier one: say so, and leave
                // no new key file behind.
                if keys::any_sealed(&mut conn)? {
                    return Err(StoreError::KeyEncryption(format!(
                        "the database's signing keys are sealed under a key-encryption key, \
                         but none was given and {} does not exist: give the one they were \
                         sealed under (--key-encryption-key-file, \
                         KYOTEN_KEY_ENCRYPTION_KEY_FILE or {})",
                        path.display(),
                        key_encryption::VALUE_ENV
                    )));
                }
                let (kek, created) = key_encryption::create_file(&path)?;
                (kek, created.then_some(path))
            }
        };
        keys::check_sealed(&mut conn, &kek)?;
        for kid in keys::seal_plaintext(&mut conn, &kek)? {
            tracing::warn!(
                %kid,
                "an exchange signing key was stored in plaintext; it is now sealed under the \
                 key-encryption key"
            );
        }
        keys::ensure_exchange_key(&mut conn, &kek)?;
        chain::backfill(&mut conn)?;
        let indexed = registrations::index_unindexed(&mut conn)?;
        if indexed > 0 {
            tracing::info!(
                indexed,
                "registrations stored before search keys were given them"
            );
        }
        drop(conn);
        Ok(Store {
            pool: pool.clone(),
            backend,
            sqlite_writer: (backend == Backend::Sqlite)
                .then(|| writer::Writer::start(pool.clone(), log)),
            sealer: (backend == Backend::Postgres).then(|| {
                sealer::Sealer::start(manager_for_sealer, std::sync::Arc::downgrade(&alive))
            }),
            _alive: alive,
            keys: Default::default(),
            ring: Default::default(),
            kek: std::sync::Arc::new(kek),
            created_kek_file,
        })
    }

    /// The key-encryption key file made when this store was opened (on SQLite, when none was
    /// given and none existed next to the database), to tell the operator.
    pub fn created_kek_file(&self) -> Option<&std::path::Path> {
        self.created_kek_file.as_deref()
    }

    /// A new exchange signing key (sealed under the key-encryption key), which signs from now
    /// on; older keys keep verifying until they are retired.
    pub fn rotate_signing_key(
        &self,
        alg: crate::crypto::jws::Alg,
    ) -> Result<keys::KeyRow, StoreError> {
        let kek = self.kek.clone();
        self.write(move |conn| keys::rotate_exchange_key(conn, &kek, alg))
    }

    /// Seals every stored private key again under `new`, in one transaction (all or none), and
    /// returns how many. This store keeps its key: open the store with `new` from now on.
    pub fn rotate_kek(&self, new: Kek) -> Result<usize, StoreError> {
        let old = self.kek.clone();
        self.write(move |conn| keys::reseal(conn, &old, &new))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool and the writer as they are now, for `/metrics`.
    pub fn gauges(&self) -> crate::observe::metrics::Gauges {
        let state = self.pool.state();
        crate::observe::metrics::Gauges {
            pool_connections: state.connections,
            pool_idle: state.idle_connections,
            pool_max: self.pool.max_size(),
            writer_queue: self
                .sqlite_writer
                .as_ref()
                .map_or(0, writer::Writer::in_flight),
        }
    }

    pub fn conn(&self) -> Result<Conn, StoreError> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` on a connection as a writer: on SQLite through the writer thread, in a
    /// savepoint of the batch it is committed with; on PostgreSQL directly (the store's
    /// functions open their own transactions). Returns once the write is committed.
    pub fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
    {
        match &self.sqlite_writer {
            Some(writer) => writer.write(f),
            None => {
                let written = f(&mut *self.conn()?);
                if let (Ok(_), Some(sealer)) = (&written, &self.sealer) {
                    sealer.poke();
                }
                written
            }
        }
    }

    /// The organization an active API key belongs to; a key seen in the last
    /// [`KEY_CACHE_TTL`] is answered from memory.
    pub fn authenticate(
        &self,
        secret: &str,
    ) -> Result<Option<organizations::Organization>, StoreError> {
        let hash = organizations::hash_key(secret);
        if let Some((org, at)) = lock(&self.keys).get(&hash) {
            if at.elapsed() < KEY_CACHE_TTL {
                return Ok(Some(org.clone()));
            }
        }
        let found = organizations::authenticate_hash(&mut *self.conn()?, &hash)?;
        let mut keys = lock(&self.keys);
        match &found {
            Some(org) => {
                if keys.len() >= KEY_CACHE_MAX {
                    keys.retain(|_, (_, at)| at.elapsed() < KEY_CACHE_TTL);
                }
                keys.insert(hash, (org.clone(), std::time::Instant::now()));
            }
            None => {
                keys.remove(&hash);
            }
        }
        Ok(found)
    }

    /// The keys in force, from memory when loaded in the last [`KEY_CACHE_TTL`].
    pub fn keyring(&self) -> Result<std::sync::Arc<keys::KeyRing>, StoreError> {
        if let Some((at, ring)) = &*self.ring.read().unwrap_or_else(|p| p.into_inner()) {
            if at.elapsed() < KEY_CACHE_TTL {
                return Ok(ring.clone());
            }
        }
        self.reload_keyring()
    }

    /// Loads the keys again (after a key was registered, rotated or retired).
    pub fn reload_keyring(&self) -> Result<std::sync::Arc<keys::KeyRing>, StoreError> {
        let previous = self
            .ring
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|(_, ring)| ring.clone());
        let ring = std::sync::Arc::new(keys::KeyRing::load(
            &mut *self.conn()?,
            &self.kek,
            previous.as_deref(),
        )?);
        *self.ring.write().unwrap_or_else(|p| p.into_inner()) =
            Some((std::time::Instant::now(), ring.clone()));
        Ok(ring)
    }

    /// The keys, loaded again when `kid` is not among them and they are older than a second
    /// (so a stream of packets naming unknown keys costs at most one load a second).
    pub fn keyring_with(&self, kid: &str) -> Result<std::sync::Arc<keys::KeyRing>, StoreError> {
        let ring = self.keyring()?;
        if ring.verifying.contains_key(kid) {
            return Ok(ring);
        }
        let stale = self
            .ring
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_none_or(|(at, _)| at.elapsed() >= Duration::from_secs(1));
        if stale {
            return self.reload_keyring();
        }
        Ok(ring)
    }

    /// Runs every pending migration of this backend.
    pub fn migrate(&self) -> Result<(), StoreError> {
        run_migrations(&mut *self.conn()?)
    }

    /// Reverts every migration (tests check that `down.sql` really undoes `up.sql`).
    pub fn revert_all(&self) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let result = match &mut *conn {
            DbConnection::Postgresql(c) => c.revert_all_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
            DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        };
        result.map_err(|e| StoreError::Migration(e.to_string()))
    }
}

/// The data categories of a record as its `categories` column holds them: comma-joined, in
/// the order given (the access, provision and handoff records alike).
pub fn categories_column(categories: &[String]) -> String {
    categories.join(",")
}

/// The data categories a `categories` column holds (none for an empty column).
pub fn categories_of(column: &str) -> Vec<String> {
    column
        .split(',')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}
