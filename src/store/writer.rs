//! SQLite's one writer, with group commit. SQLite lets one connection write at a time, and a
//! commit costs about as much as the writes in it (every page it touched goes to the log). So
//! writes are handed to one thread, which runs whatever has queued up — each write in its own
//! savepoint, so a refused write leaves no trace — and commits them together. A caller hears of
//! its write only after the commit that made it durable.
//!
//! Written here because no crate offers group commit over diesel; the whole mechanism is a
//! channel and a loop.
use super::{chain, DbConnection, Manager, StoreError};
use diesel::connection::SimpleConnection;
use diesel::r2d2::Pool;
use diesel::Connection;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, SyncSender};

/// At most this many writes share one commit.
const MAX_BATCH: usize = 256;
/// Writes waiting beyond this many make callers wait to queue (back-pressure).
const QUEUE: usize = 4096;

/// How one write of a batch went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ran {
    /// Its savepoint was released: its changes are part of the batch.
    Kept,
    /// It was refused and its savepoint rolled back: nothing of it is in the batch.
    RolledBack,
    /// It panicked mid-way.
    Panicked,
}

/// A queued write: run it inside the batch, then tell its caller how the batch ended.
trait Pending: Send {
    /// Runs the write in its own savepoint.
    fn run(&mut self, conn: &mut DbConnection) -> Ran;
    /// Sends the write's result, or the commit's failure, to the waiting caller.
    fn finish(self: Box<Self>, committed: &Result<(), String>);
}

struct Job<T, F> {
    write: Option<F>,
    result: Option<Result<T, StoreError>>,
    reply: SyncSender<Result<T, StoreError>>,
}

impl<T, F> Pending for Job<T, F>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
{
    fn run(&mut self, conn: &mut DbConnection) -> Ran {
        let Some(write) = self.write.take() else {
            return Ran::Kept;
        };
        match catch_unwind(AssertUnwindSafe(|| conn.transaction(write))) {
            Ok(result) => {
                let ran = if result.is_ok() {
                    Ran::Kept
                } else {
                    Ran::RolledBack
                };
                self.result = Some(result);
                ran
            }
            Err(_) => Ran::Panicked,
        }
    }

    fn finish(self: Box<Self>, committed: &Result<(), String>) {
        let result = match (committed, self.result) {
            (_, Some(Err(refused))) => Err(refused),
            (Ok(()), Some(done)) => done,
            (Err(cause), _) => Err(StoreError::Write(cause.clone())),
            (Ok(()), None) => Err(StoreError::Write("the write did not run".into())),
        };
        let _ = self.reply.send(result);
    }
}

/// The handle writes are queued through.
#[derive(Clone)]
pub struct Writer {
    queue: SyncSender<Box<dyn Pending>>,
    /// Writes queued or being written now (`/metrics`).
    in_flight: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Writer {
    /// Starts the writer thread; it ends when the last handle is dropped. `log` is the
    /// write-ahead log and the size at which the writer empties it (`wal.rs`).
    pub fn start(pool: Pool<Manager>, log: (std::path::PathBuf, u64)) -> Writer {
        let (queue, jobs) = mpsc::sync_channel::<Box<dyn Pending>>(QUEUE);
        std::thread::Builder::new()
            .name("kyoten-sqlite-writer".into())
            .spawn(move || run(pool, jobs, log))
            .expect("the writer thread starts");
        Writer {
            queue,
            in_flight: Default::default(),
        }
    }

    /// Writes queued or being written now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs `write` in the next batch and waits for the commit.
    pub fn write<T, F>(&self, write: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = mpsc::sync_channel(1);
        let job = Job {
            write: Some(write),
            result: None,
            reply,
        };
        use std::sync::atomic::Ordering::Relaxed;
        self.in_flight.fetch_add(1, Relaxed);
        let answered = self
            .queue
            .send(Box::new(job))
            .ok()
            .and_then(|()| answer.recv().ok());
        self.in_flight.fetch_sub(1, Relaxed);
        answered.ok_or_else(|| StoreError::Write("the writer has stopped".into()))?
    }
}

fn run(pool: Pool<Manager>, jobs: Receiver<Box<dyn Pending>>, log: (std::path::PathBuf, u64)) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let committed = match pool.get() {
            Err(e) => Err(e.to_string()),
            Ok(mut conn) => conn
                .transaction::<_, diesel::result::Error, _>(|conn| {
                    // Take the database's write lock first, with a write that changes nothing:
                    // a transaction that reads first and then wants to write fails at once
                    // when another process (a CLI command, a second server) holds the lock;
                    // one that asks for it first waits for it (busy_timeout) like any writer.
                    conn.batch_execute("UPDATE chain_head SET seq = seq WHERE 0")?;
                    // The lock is held until the commit: the record chain's head can stay in
                    // memory for the batch (`chain::Batch`).
                    let chain = chain::Batch::open(conn)?;
                    for job in batch.iter_mut() {
                        let before = chain.mark();
                        match job.run(conn) {
                            Ran::Kept => {}
                            Ran::RolledBack => chain.restore(before),
                            // A write panicked mid-way: nothing of this batch is kept.
                            Ran::Panicked => {
                                return Err(diesel::result::Error::RollbackTransaction)
                            }
                        }
                    }
                    chain.close(conn)
                })
                .map_err(|e| e.to_string()),
        };
        if let Err(cause) = &committed {
            tracing::error!(%cause, writes = batch.len(), "a batch of writes was not committed");
        }
        for job in batch {
            job.finish(&committed);
        }
        // Between batches no write is under way: the one moment the log can be emptied
        // without holding a writer back (`wal.rs`).
        if std::fs::metadata(&log.0).is_ok_and(|m| m.len() > log.1) {
            if let Ok(mut conn) = pool.get() {
                super::wal::empty(&mut conn, &log.0);
            }
        }
    }
}
