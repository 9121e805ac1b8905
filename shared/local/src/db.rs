//! One database file: a writer thread that owns the writer connection, a few reader
//! connections, and the hop from async code onto blocking threads.
//!
//! rusqlite blocks, so no statement runs on a runtime worker: writes go over a channel
//! to the writer thread ([`group`]), reads run under `tokio::task::spawn_blocking`.
//! SQLite admits one writer at a time anyway; one writer thread queues writers in
//! process instead of having them spin on `SQLITE_BUSY`, and commits the writes that
//! queued up while it waited for the disk together, with one fsync. Readers have their
//! own connections: in WAL mode they read a consistent snapshot while the writer commits.

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use tokio::sync::{Notify, Semaphore};

use crate::error::{Error, Result};
use crate::{group, schema};

/// How hard a commit waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=FULL`: the WAL is fsynced at every commit, so a commit survives a
    /// power cut as well as a crash of the process.
    #[default]
    Full,
    /// `synchronous=NORMAL`: the WAL is fsynced only at checkpoints. A killed process
    /// loses nothing (the WAL is in the OS page cache); a power cut may lose the last
    /// commits, but WAL keeps a prefix of them, and the queue lives in the same file, so
    /// the store and the queue go back to the same consistent moment and the execution
    /// replays from there (tasks run at least once anyway).
    Normal,
}

/// How to open a database.
#[derive(Debug, Clone)]
pub struct Options {
    pub durability: Durability,
    /// How long a statement waits for another process's lock before failing.
    pub busy_timeout: Duration,
    /// Reader connections kept open for reuse.
    pub readers: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            durability: Durability::Full,
            busy_timeout: Duration::from_secs(5),
            readers: 4,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Db {
    path: PathBuf,
    options: Options,
    /// Where writes go to be grouped: see [`group`].
    writes: Option<mpsc::Sender<Box<dyn group::Job>>>,
    writer: Option<JoinHandle<()>>,
    readers: Mutex<Vec<Connection>>,
    /// At most `options.readers` reads at once: a thousand concurrent handlers share the
    /// pooled connections instead of each opening (and dropping) one of its own.
    reading: Semaphore,
    /// Wakes an idle worker in this process when a message is queued, by the queue or
    /// by the store's commit (which enqueues its outbox itself).
    sent: Arc<Notify>,
}

impl Db {
    pub(crate) fn open(path: &Path, options: Options) -> Result<Arc<Self>> {
        let mut writer = connect(path, &options)?;
        schema::migrate(&mut writer, path)?;
        let (writes, jobs) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("stepwise-sqlite-writer".to_owned())
            .spawn(move || group::run(writer, jobs))
            .map_err(|e| Error::Task(format!("cannot start the writer thread: {e}")))?;
        Ok(Arc::new(Self {
            path: path.to_owned(),
            reading: Semaphore::new(options.readers.max(1)),
            options,
            writes: Some(writes),
            writer: Some(thread),
            readers: Mutex::new(Vec::new()),
            sent: Arc::new(Notify::new()),
        }))
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction on the writer connection, in a
    /// savepoint of its own: `f`'s writes are committed when it returns `Ok`, rolled
    /// back (nothing written) when it returns `Err`. The transaction may hold other
    /// callers' writes too (group commit); this returns once it is committed, and fails
    /// if it is not, so an `Ok` is durable.
    pub(crate) async fn write<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<R> + Send + 'static,
    {
        let (job, answer) = group::job(f);
        self.writes
            .as_ref()
            .and_then(|writes| writes.send(job).ok())
            .ok_or_else(|| Error::Task("the writer thread has stopped".to_owned()))?;
        answer
            .await
            .map_err(|_| Error::Task("the writer thread dropped a write".to_owned()))?
    }

    /// Signalled after every write that queued a message.
    pub(crate) fn sent(&self) -> &Arc<Notify> {
        &self.sent
    }

    /// Runs `f` in one read transaction (a consistent snapshot) on a reader connection.
    pub(crate) async fn read<R, F>(self: &Arc<Self>, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<R> + Send + 'static,
    {
        let _permit = self
            .reading
            .acquire()
            .await
            .map_err(|e| Error::Task(e.to_string()))?;
        let db = Arc::clone(self);
        blocking(move || {
            let pooled = db.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let mut conn = match pooled {
                Some(conn) => conn,
                None => connect(&db.path, &db.options)?,
            };
            let result = {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
                let result = f(&tx)?;
                tx.commit()?;
                result
            };
            let mut readers = db.readers.lock().unwrap_or_else(|e| e.into_inner());
            if readers.len() < db.options.readers {
                readers.push(conn);
            }
            Ok(result)
        })
        .await
    }
}

/// Closing the channel lets the writer thread finish the writes in hand and close its
/// connection; waiting for it means a file reopened right after finds every write (and
/// no second writer connection racing the first one's last checkpoint).
impl Drop for Db {
    fn drop(&mut self) {
        drop(self.writes.take());
        if let Some(thread) = self.writer.take() {
            // A write that held the last handle would drop it on the writer thread.
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

async fn blocking<R: Send + 'static>(f: impl FnOnce() -> Result<R> + Send + 'static) -> Result<R> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Task(e.to_string()))?
}

fn connect(path: &Path, options: &Options) -> Result<Connection> {
    let failed = |source| Error::Open {
        path: path.to_owned(),
        source,
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(failed)?;
    conn.busy_timeout(options.busy_timeout).map_err(failed)?;
    // WAL: readers do not block the writer nor it them, and a commit appends to one file
    // instead of rewriting pages in place.
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .map_err(failed)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::NoWal {
            path: path.to_owned(),
            mode,
        });
    }
    let synchronous = match options.durability {
        Durability::Full => "FULL",
        Durability::Normal => "NORMAL",
    };
    conn.pragma_update(None, "synchronous", synchronous)
        .map_err(failed)?;
    // Hot statements are cached per connection (`prepare_cached`): parsing them again on
    // every call was a tenth of a commit's CPU.
    conn.set_prepared_statement_cache_capacity(64);
    // Statement journals (one per write's savepoint in a group) and sorts stay in memory;
    // pages are read through a memory map instead of a `pread` each; checkpoints come
    // every 16 MiB of log instead of 4 MiB, so a page rewritten by many commits (a busy
    // frame, the queue's) is copied into the file once per checkpoint, not once per 4 MiB.
    conn.execute_batch(
        "PRAGMA temp_store = MEMORY;
         PRAGMA mmap_size = 268435456;
         PRAGMA cache_size = -16384;
         PRAGMA wal_autocheckpoint = 4096;",
    )
    .map_err(failed)?;
    Ok(conn)
}
