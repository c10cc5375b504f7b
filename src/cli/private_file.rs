//! Writing files that only their owner may read (private keys, signed packets with personal
//! data): mode 0600 whatever the umask, and never through a symbolic link — one planted at the
//! output path could otherwise send a key or a packet wherever it points.
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

/// Whether an existing file may be replaced.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    Refuse,
    Replace,
}

/// Writes `bytes` to `path` with mode 0600. A symbolic link at `path` is refused (the last
/// component is opened with `O_NOFOLLOW`); an existing file is refused or replaced, and a
/// replaced one is made 0600 too.
pub fn write(path: &Path, bytes: &[u8], existing: Existing) -> Result<(), String> {
    let mut file = open(path, existing).map_err(|e| explain(path, &e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    file.write_all(bytes)
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn open(path: &Path, existing: Existing) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true);
    match existing {
        Existing::Refuse => options.create_new(true),
        Existing::Replace => options.create(true).truncate(true),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path)
}

/// A clear message for the refusals, the OS error for the rest.
fn explain(path: &Path, e: &std::io::Error) -> String {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    #[cfg(unix)]
    let is_link = is_link || e.raw_os_error() == Some(libc::ELOOP);
    if is_link {
        return format!(
            "{}: is a symbolic link; refusing to write through it (remove it or choose another path)",
            path.display()
        );
    }
    if e.kind() == std::io::ErrorKind::AlreadyExists {
        return format!(
            "{}: exists already; refusing to overwrite it",
            path.display()
        );
    }
    format!("{}: {e}", path.display())
}
