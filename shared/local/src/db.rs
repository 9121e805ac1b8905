//! One database file: a writer thread that owns the writer connection, a few reader
//! threads that own a reader connection each, and the channels from async code to them.
//!
//! rusqlite blocks, so no statement runs on a runtime worker: writes go over a channel
//! to the writer thread ([`group`]), reads over another to the reader threads ([`read`]).
//! SQLite admits one writer at a time anyway; one writer thread queues writers in
//! process instead of having them spin on `SQLITE_BUSY`, and commits the writes that
//! queued up while it waited for the disk together, with one fsync. Readers have their
//! own connections: in WAL mode they read a consistent snapshot while the writer commits.

use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction};
use tokio::sync::Notify;

use crate::error::{Error, Result};
use crate::{group, read, schema};

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
    /// Reader threads, each with its own connection: reads run on at most this many at
    /// once (a thousand concurrent handlers share them, a batch of reads at a time).
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
    /// Where writes go to be grouped: see [`group`].
    writes: Option<mpsc::Sender<Box<dyn group::Job>>>,
    writer: Option<JoinHandle<()>>,
    /// Where reads go to be batched: see [`read`].
    reads: Option<mpsc::Sender<read::Job>>,
    readers: Vec<JoinHandle<()>>,
    /// Wakes an idle worker in this process when a message is queued, by the queue or
    /// by the store's commit (which enqueues its outbox itself).
    sent: Arc<Notify>,
}

impl Db {
    pub(crate) fn open(path: &Path, options: Options) -> Result<Arc<Self>> {
        let mut writer = connect(path, &options)?;
        schema::migrate(&mut writer, path)?;
        let (writes, jobs) = mpsc::channel();
        let durability = options.durability;
        let thread = std::thread::Builder::new()
            .name("stepwise-sqlite-writer".to_owned())
            .spawn(move || group::run(writer, jobs, durability))
            .map_err(|e| Error::Task(format!("cannot start the writer thread: {e}")))?;
        let (reads, jobs) = mpsc::channel();
        let jobs = Arc::new(Mutex::new(jobs));
        let readers = (0..options.readers.max(1))
            .map(|_| {
                let (conn, jobs) = (connect(path, &options)?, Arc::clone(&jobs));
                std::thread::Builder::new()
                    .name("stepwise-sqlite-reader".to_owned())
                    .spawn(move || read::run(conn, jobs))
                    .map_err(|e| Error::Task(format!("cannot start a reader thread: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Arc::new(Self {
            writes: Some(writes),
            writer: Some(thread),
            reads: Some(reads),
            readers,
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
        self.submit(group::Flush::Always, f).await
    }

    /// As [`write`](Self::write), but the write's group is not fsynced for its sake: for
    /// the queue's receives, acks and extensions, whose loss in a power cut is a message
    /// delivered again (see [`group`]). Answered once committed, in the OS's cache.
    pub(crate) async fn write_lazily<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<R> + Send + 'static,
    {
        self.submit(group::Flush::Lazy, f).await
    }

    async fn submit<R, F>(&self, flush: group::Flush, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<R> + Send + 'static,
    {
        let (job, answer) = group::job(flush, f);
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

    /// Runs `f` in a read transaction (a consistent snapshot, which may be shared with
    /// other reads queued at the same time) on a reader connection. The snapshot holds
    /// every write answered before this call.
    pub(crate) async fn read<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<R> + Send + 'static,
    {
        let (job, answer) = read::job(f);
        self.reads
            .as_ref()
            .and_then(|reads| reads.send(job).ok())
            .ok_or_else(|| Error::Task("the reader threads have stopped".to_owned()))?;
        answer
            .await
            .map_err(|_| Error::Task("a reader thread dropped a read".to_owned()))?
    }
}

/// Closing the channel lets the writer thread finish the writes in hand and close its
/// connection; waiting for it means a file reopened right after finds every write (and
/// no second writer connection racing the first one's last checkpoint).
impl Drop for Db {
    fn drop(&mut self) {
        drop(self.writes.take());
        drop(self.reads.take());
        let threads = self.writer.take().into_iter().chain(self.readers.drain(..));
        for thread in threads {
            // A write or read that held the last handle would drop it on its own thread.
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
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
