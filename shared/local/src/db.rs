//! One database file: a writer connection behind a mutex, a few reader connections,
//! and the hop from async code onto blocking threads.
//!
//! rusqlite blocks, so every statement runs under `tokio::task::spawn_blocking`: a slow
//! `fsync` stalls a blocking-pool thread, never a runtime worker. SQLite admits one writer
//! at a time anyway; one writer connection behind a `std::sync::Mutex` queues writers in
//! process instead of having them spin on `SQLITE_BUSY`. Readers have their own
//! connections: in WAL mode they read a consistent snapshot while the writer commits.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::error::{Error, Result};
use crate::schema;

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
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl Db {
    pub(crate) fn open(path: &Path, options: Options) -> Result<Arc<Self>> {
        let mut writer = connect(path, &options)?;
        schema::migrate(&mut writer, path)?;
        Ok(Arc::new(Self {
            path: path.to_owned(),
            options,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
        }))
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction on the writer connection: committed
    /// when `f` returns `Ok`, rolled back (nothing written) when it returns `Err`.
    pub(crate) async fn write<R, F>(self: &Arc<Self>, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<R> + Send + 'static,
    {
        let db = Arc::clone(self);
        blocking(move || {
            let mut conn = db.writer.lock().unwrap_or_else(|e| e.into_inner());
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let result = f(&tx)?;
            tx.commit()?;
            Ok(result)
        })
        .await
    }

    /// Runs `f` in one read transaction (a consistent snapshot) on a reader connection.
    pub(crate) async fn read<R, F>(self: &Arc<Self>, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<R> + Send + 'static,
    {
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
    Ok(conn)
}
