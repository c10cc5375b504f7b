//! Where the store's key-encryption key (KEK) comes from: a file
//! (`--key-encryption-key-file`, `KYOTEN_KEY_ENCRYPTION_KEY_FILE`), the environment
//! (`KYOTEN_KEY_ENCRYPTION_KEY`), a key given in code (tests, throw-away databases), or — on
//! SQLite when none is given — the file `kek` next to the database, created on first start.
//! A key file must be readable by its owner only. The key never appears in a message.
use super::{Backend, StoreError};
use crate::crypto::kek::{Kek, HOW_TO_MAKE};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The environment variable holding the base64 key itself.
pub const VALUE_ENV: &str = "KYOTEN_KEY_ENCRYPTION_KEY";
/// The file made next to a SQLite database when no key is given.
pub const DEFAULT_FILE_NAME: &str = "kek";
/// Larger files are not key files.
const MAX_FILE_BYTES: u64 = 4096;

/// Where the key-encryption key comes from.
pub enum KekSource {
    /// A file holding the base64 key (mode 0600 or 0400).
    File(PathBuf),
    /// The base64 key itself (from [`VALUE_ENV`]).
    Base64(Zeroizing<String>),
    /// A key at hand (tests; throw-away databases).
    Key(Kek),
    /// Nothing given: on SQLite the file [`DEFAULT_FILE_NAME`] next to the database, created
    /// when missing; on PostgreSQL an error (every instance must have the same key).
    NextToDatabase,
}

impl KekSource {
    /// The key file if one is named, else the key in [`VALUE_ENV`], else the default; both at
    /// once is refused, as ambiguous.
    pub fn from_settings(file: Option<PathBuf>) -> Result<KekSource, StoreError> {
        let value = std::env::var(VALUE_ENV).ok().map(Zeroizing::new);
        match (file, value) {
            (Some(_), Some(_)) => Err(StoreError::KeyEncryption(format!(
                "both a key-encryption key file and {VALUE_ENV} are set; give only one"
            ))),
            (Some(path), None) => Ok(KekSource::File(path)),
            (None, Some(value)) => Ok(KekSource::Base64(value)),
            (None, None) => Ok(KekSource::NextToDatabase),
        }
    }
}

/// A key found, or the place to create one once the database has been looked at.
pub(super) enum Resolved {
    Found(Kek),
    CreateAt(PathBuf),
}

/// Finds the key, or (SQLite, none given, no file yet) where to create it.
pub(super) fn resolve(
    source: KekSource,
    backend: Backend,
    sqlite_path: &str,
) -> Result<Resolved, StoreError> {
    match source {
        KekSource::File(path) => read_file(&path).map(Resolved::Found),
        KekSource::Base64(value) => Kek::from_base64(&value)
            .map(Resolved::Found)
            .map_err(|e| StoreError::KeyEncryption(format!("{VALUE_ENV}: {e}"))),
        KekSource::Key(kek) => Ok(Resolved::Found(kek)),
        KekSource::NextToDatabase if backend == Backend::Postgres => {
            Err(StoreError::KeyEncryption(format!(
                "no key-encryption key given: on PostgreSQL every instance must seal and open \
                 the signing keys with the same one. Make one ({HOW_TO_MAKE}), keep it apart \
                 from the database and its backups, and give it with \
                 --key-encryption-key-file kek (or KYOTEN_KEY_ENCRYPTION_KEY_FILE)"
            )))
        }
        KekSource::NextToDatabase => {
            let path = default_path(sqlite_path);
            if std::fs::symlink_metadata(&path).is_ok() {
                read_file(&path).map(Resolved::Found)
            } else {
                Ok(Resolved::CreateAt(path))
            }
        }
    }
}

/// `kek` in the folder of the SQLite database file.
pub fn default_path(sqlite_path: &str) -> PathBuf {
    Path::new(sqlite_path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join(DEFAULT_FILE_NAME)
}

fn file_error(path: &Path, what: impl std::fmt::Display) -> StoreError {
    StoreError::KeyEncryption(format!(
        "key-encryption key file {}: {what}",
        path.display()
    ))
}

/// Reads a key file: a regular file that only its owner may read or write, holding the base64
/// key (as `openssl rand -base64 32` writes it).
pub fn read_file(path: &Path) -> Result<Kek, StoreError> {
    let file = std::fs::File::open(path).map_err(|e| file_error(path, e))?;
    let meta = file.metadata().map_err(|e| file_error(path, e))?;
    if !meta.is_file() {
        return Err(file_error(path, "not a regular file"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(file_error(
                path,
                format!(
                    "group or others may read or write it (mode {mode:04o}); a key file must \
                     be the owner's only: chmod 600 {}",
                    path.display()
                ),
            ));
        }
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(file_error(path, "too large for a key file"));
    }
    let mut text = Zeroizing::new(String::new());
    file.take(MAX_FILE_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| file_error(path, e))?;
    Kek::from_base64(&text).map_err(|e| file_error(path, e))
}

/// Creates a new key file at `path` (mode 0600) — never replacing one: the key is written to
/// a new temporary file first (O_EXCL) and then linked to `path`, which fails if `path`
/// exists. When another process made `path` first, that key is read and used. Returns the key
/// and whether this call created the file.
pub(super) fn create_file(path: &Path) -> Result<(Kek, bool), StoreError> {
    let kek = Kek::generate().map_err(|e| file_error(path, e))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".new-{}-{nanos}", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let written = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temporary)?;
        let mut text = kek.to_base64();
        text.push('\n');
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::hard_link(&temporary, path)
    })();
    let _ = std::fs::remove_file(&temporary);
    match written {
        Ok(()) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                // The new name is durable before anything is sealed under the key.
                let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
            }
            Ok((kek, true))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read_file(path).map(|kek| (kek, false))
        }
        Err(e) => Err(file_error(path, e)),
    }
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn write(path: &Path, text: &str, mode: u32) {
        std::fs::write(path, text).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";

    #[test]
    fn a_key_file_of_mode_0600_or_0400_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek");
        for mode in [0o600, 0o400] {
            write(&path, KEY, mode);
            let kek = read_file(&path).unwrap();
            assert_eq!(kek.to_base64().as_str(), KEY.trim());
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }

    #[test]
    fn a_key_file_that_group_or_others_may_read_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek");
        for mode in [0o644, 0o640, 0o604, 0o660, 0o602] {
            write(&path, KEY, mode);
            let message = read_file(&path).unwrap_err().to_string();
            assert!(
                message.contains(&format!("mode {mode:04o}")) && message.contains("chmod 600"),
                "{message}"
            );
            assert!(!message.contains(KEY.trim()), "{message}");
        }
    }

    #[test]
    fn a_key_file_that_is_not_32_bytes_of_base64_is_refused_without_showing_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek");
        write(&path, "c2hvcnQ=\n", 0o600);
        let message = read_file(&path).unwrap_err().to_string();
        assert!(message.contains("32 random bytes"), "{message}");
        assert!(!message.contains("c2hvcnQ"), "{message}");
    }

    #[test]
    fn a_created_key_file_is_0600_and_an_existing_one_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek");
        let (kek, created) = create_file(&path).unwrap();
        assert!(created);
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let (again, created) = create_file(&path).unwrap();
        assert!(!created);
        assert_eq!(again.to_base64(), kek.to_base64());
        assert_eq!(read_file(&path).unwrap().to_base64(), kek.to_base64());
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn without_a_key_postgres_is_refused_and_sqlite_gets_a_file_next_to_the_database() {
        let message = match resolve(KekSource::NextToDatabase, Backend::Postgres, "") {
            Err(e) => e.to_string(),
            Ok(_) => panic!("PostgreSQL without a key-encryption key"),
        };
        assert!(
            message.contains("openssl rand -base64 32 > kek && chmod 600 kek"),
            "{message}"
        );
        // In a folder of its own: a `kek` left by a server run in the working directory must
        // not change the answer.
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("data/kyoten.sqlite");
        match resolve(
            KekSource::NextToDatabase,
            Backend::Sqlite,
            database.to_str().unwrap(),
        ) {
            Ok(Resolved::CreateAt(path)) => assert_eq!(path, dir.path().join("data/kek")),
            _ => panic!("SQLite without a key-encryption key"),
        }
        assert_eq!(default_path("kyoten.sqlite"), Path::new("./kek"));
    }
}
