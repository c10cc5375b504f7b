//! SQLite's write-ahead log, kept in bounds. Writes go to the log; a background thread copies
//! the log into the database file (a PASSIVE checkpoint) so that no request pays for it. But a
//! PASSIVE checkpoint cannot let the log start over while a reader still reads from it, and
//! under a steady stream of writes and reads there always is one: the log file only grew (5 GB
//! in 40 s of registrations at full speed). So once the log passes the limit, the writer
//! thread empties it between two batches (TRUNCATE): no write is under way then, everything is
//! already copied, readers that start meanwhile read the database file, and the checkpoint
//! waits only for the reads that began before it (at most the busy timeout; if they last
//! longer, it tries again after the next batch).
use super::Manager;
use diesel::connection::SimpleConnection;
use diesel::r2d2::ManageConnection;
use std::time::Duration;

/// The size of the log at which it is emptied.
pub const LIMIT_BYTES: u64 = 64 * 1024 * 1024;

/// How often the checkpointer copies the write-ahead log into the database file.
const EVERY: Duration = Duration::from_millis(500);

/// Runs the checkpoints while the store lives (`alive`).
pub(super) fn spawn_checkpointer(manager: Manager, alive: std::sync::Weak<()>) {
    let _ = std::thread::Builder::new()
        .name("kyoten-sqlite-checkpoint".into())
        .spawn(move || {
            let Ok(mut conn) = manager.connect() else {
                return;
            };
            while alive.upgrade().is_some() {
                std::thread::sleep(EVERY);
                if let Err(e) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
                    tracing::warn!(error = %e, "SQLite checkpoint failed; retrying");
                }
            }
        });
}

/// The write-ahead log of the SQLite database at `url`.
pub(super) fn log_of(url: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("{url}-wal"))
}

/// Copies the whole log into the database and empties the file (on the writer's thread,
/// between batches).
pub(super) fn empty(conn: &mut super::DbConnection, log: &std::path::Path) {
    let before = std::fs::metadata(log).map_or(0, |m| m.len());
    match conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)") {
        Ok(()) => {
            let after = std::fs::metadata(log).map_or(0, |m| m.len());
            tracing::info!(before, after, "SQLite write-ahead log emptied");
        }
        Err(e) => tracing::warn!(error = %e, "the SQLite write-ahead log could not be emptied yet"),
    }
}
