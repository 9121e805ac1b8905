//! Group commit: the writer thread gathers the writes that queued while it was busy
//! into one `BEGIN IMMEDIATE` transaction, so a group of commits from concurrent
//! handlers costs one fsync instead of one each.
//!
//! Each write runs in a `SAVEPOINT` of its own, after the writes before it in the group:
//! its conditions (a frame's version, a key's absence) are checked against what those
//! wrote, exactly as if it ran alone after them, so of two writes on the same version
//! one wins and the other sees a `Conflict`. A write that fails rolls back to its
//! savepoint and fails alone; the others go on. Nobody is answered until `COMMIT` has
//! returned, so an answered write is on disk (with `synchronous=FULL`), and a crash
//! before it loses the whole group, never part of it: the group is one transaction.
//! When the group cannot commit (the disk is full, another process holds the lock past
//! the busy timeout), or SQLite rolls the whole transaction back after an error, every
//! write in it fails with [`Error::Group`]: retryable, and nothing of it is written.
//!
//! A group whose writes are all [`Flush::Lazy`] (a receive, an ack, a visibility
//! extension) commits with `synchronous=NORMAL`: no fsync of its own. Losing such a
//! write to a power cut only delivers a message again, which the engine takes as the
//! duplicate it is; and the WAL is synced as a whole, in order, so the next synced group
//! carries every lazy write before it to the disk too (a power cut keeps a prefix of the
//! log, never a later commit without an earlier one). A killed process loses nothing
//! either way: the WAL is in the OS's page cache. With one execution at a time this is
//! one fsync per message instead of two.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;

use rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::oneshot;

use crate::db::Durability;
use crate::error::{Error, Result};

/// Whether a write needs its group to reach the disk before it is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flush {
    /// As the database is configured: with [`Durability::Full`], an fsync at COMMIT.
    Always,
    /// No fsync for this write's sake (see the module's comment for when that is safe).
    Lazy,
}

/// The most writes in one transaction: bounds how long the first of them waits.
const MAX_GROUP: usize = 1024;

/// One caller's write, waiting for its group.
pub(crate) trait Job: Send {
    /// Runs the write in a savepoint of `tx` and keeps its result. `Err` when the
    /// transaction itself is broken (the group cannot commit).
    fn run(&mut self, tx: &Transaction<'_>) -> Result<(), String>;

    /// Answers the caller: the write's own result if the group committed, else the
    /// group's failure.
    fn settle(self: Box<Self>, group: Result<(), &str>);

    fn flush(&self) -> Flush;
}

impl std::fmt::Debug for dyn Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

/// A write of `f` and the receiver of its answer.
pub(crate) fn job<R, F>(flush: Flush, f: F) -> (Box<dyn Job>, oneshot::Receiver<Result<R>>)
where
    R: Send + 'static,
    F: FnOnce(&Transaction<'_>) -> Result<R> + Send + 'static,
{
    let (reply, answer) = oneshot::channel();
    let job = Pending {
        body: Some(f),
        result: None,
        reply,
        flush,
    };
    (Box::new(job), answer)
}

struct Pending<R, F> {
    body: Option<F>,
    result: Option<Result<R>>,
    reply: oneshot::Sender<Result<R>>,
    flush: Flush,
}

impl<R, F> Job for Pending<R, F>
where
    R: Send + 'static,
    F: FnOnce(&Transaction<'_>) -> Result<R> + Send + 'static,
{
    fn run(&mut self, tx: &Transaction<'_>) -> Result<(), String> {
        let Some(body) = self.body.take() else {
            return Ok(());
        };
        statement(tx, "SAVEPOINT write")?;
        // A panicking write must not take the writer thread (and every later write)
        // down with it: it fails alone, like an error.
        let result = catch_unwind(AssertUnwindSafe(|| body(tx)))
            .unwrap_or_else(|_| Err(Error::Task("a write panicked".to_owned())));
        // SQLite rolls the whole transaction back after some errors (a full disk, an
        // I/O error): the earlier writes of the group are gone too.
        if tx.is_autocommit() {
            self.result = Some(result);
            return Err("the transaction was rolled back".to_owned());
        }
        if result.is_err() {
            statement(tx, "ROLLBACK TO write")?;
        }
        self.result = Some(result);
        statement(tx, "RELEASE write")
    }

    fn settle(self: Box<Self>, group: Result<(), &str>) {
        let this = *self;
        let answer = match (group, this.result) {
            (_, Some(Err(own))) => Err(own),
            (Ok(()), Some(Ok(value))) => Ok(value),
            (Err(failure), _) => Err(Error::Group(failure.to_owned())),
            (Ok(()), None) => Err(Error::Group("the write did not run".to_owned())),
        };
        // The caller may have gone (its future dropped); the write stands regardless.
        let _ = this.reply.send(answer);
    }

    fn flush(&self) -> Flush {
        self.flush
    }
}

/// Runs one of the savepoint statements, parsed once per connection: they run two or
/// three times per write.
fn statement(tx: &Transaction<'_>, sql: &str) -> Result<(), String> {
    tx.prepare_cached(sql)
        .and_then(|mut statement| statement.execute([]))
        .map(drop)
        .map_err(|e| e.to_string())
}

/// The writer thread: one group per turn, until every sender has gone. `conn` was
/// opened with `durability`.
pub(crate) fn run(
    mut conn: Connection,
    jobs: mpsc::Receiver<Box<dyn Job>>,
    durability: Durability,
) {
    let mut synced = durability == Durability::Full;
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let sync =
            durability == Durability::Full && group.iter().any(|job| job.flush() == Flush::Always);
        // SQLite refuses to change the level inside a transaction: set it before BEGIN.
        if sync != synced {
            if let Err(failure) = synchronous(&conn, sync) {
                // Never commit a write that must be synced without the sync.
                for job in group {
                    job.settle(Err(&failure));
                }
                continue;
            }
            synced = sync;
        }
        commit(&mut conn, group);
    }
}

fn synchronous(conn: &Connection, full: bool) -> Result<(), String> {
    let sql = if full {
        "PRAGMA synchronous = FULL"
    } else {
        "PRAGMA synchronous = NORMAL"
    };
    conn.prepare_cached(sql)
        .and_then(|mut statement| statement.execute([]))
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Runs `group` in one transaction and answers each write.
pub(crate) fn commit(conn: &mut Connection, mut group: Vec<Box<dyn Job>>) {
    let outcome = run_all(conn, &mut group);
    let outcome = outcome.as_ref().copied().map_err(String::as_str);
    for job in group {
        job.settle(outcome);
    }
}

fn run_all(conn: &mut Connection, group: &mut [Box<dyn Job>]) -> Result<(), String> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| e.to_string())?;
    for job in group.iter_mut() {
        job.run(&tx)?;
    }
    // A failed COMMIT leaves the transaction open; dropping `tx` rolls it back.
    tx.commit().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use rusqlite::params;

    use super::*;

    fn table() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")
            .unwrap();
        conn
    }

    /// Sets `k` to `v` if it is at `expected` (absent: 0), as a frame's commit does.
    fn bump(k: &'static str, expected: i64) -> impl FnOnce(&Transaction<'_>) -> Result<bool> {
        move |tx| {
            let stored: i64 = tx
                .query_row("SELECT COALESCE(MAX(v), 0) FROM t WHERE k = ?1", [k], |r| {
                    r.get(0)
                })
                .unwrap();
            if stored != expected {
                return Ok(false);
            }
            tx.execute(
                "INSERT OR REPLACE INTO t (k, v) VALUES (?1, ?2)",
                params![k, expected + 1],
            )?;
            Ok(true)
        }
    }

    fn value(conn: &Connection, k: &str) -> Option<i64> {
        conn.query_row("SELECT v FROM t WHERE k = ?1", [k], |r| r.get(0))
            .ok()
    }

    fn answered<R: std::fmt::Debug>(mut answer: oneshot::Receiver<Result<R>>) -> Result<R> {
        answer
            .try_recv()
            .expect("answered once the group is settled")
    }

    #[test]
    fn of_two_writes_on_one_version_in_a_group_the_first_wins() {
        let mut conn = table();
        let (a, a_answer) = job(Flush::Always, bump("x", 0));
        let (b, b_answer) = job(Flush::Always, bump("x", 0));
        let (c, c_answer) = job(Flush::Always, bump("y", 0));
        commit(&mut conn, vec![a, b, c]);
        assert!(answered(a_answer).unwrap());
        assert!(
            !answered(b_answer).unwrap(),
            "the second saw the first's write"
        );
        assert!(answered(c_answer).unwrap());
        assert_eq!((value(&conn, "x"), value(&conn, "y")), (Some(1), Some(1)));
    }

    /// A write that answers the synchronous level its group runs at.
    fn level(flush: Flush) -> (Box<dyn Job>, oneshot::Receiver<Result<i64>>) {
        job(flush, |tx: &Transaction<'_>| -> Result<i64> {
            Ok(tx.query_row("PRAGMA synchronous", [], |r| r.get(0))?)
        })
    }

    #[test]
    fn only_a_group_of_lazy_writes_skips_the_sync() {
        const NORMAL: i64 = 1;
        const FULL: i64 = 2;
        let (send, jobs) = mpsc::channel();
        let writer = std::thread::spawn(move || run(table(), jobs, Durability::Full));
        // Each group is answered before the next is sent: one group per line.
        let group = |flushes: &[Flush]| -> Vec<i64> {
            let answers: Vec<_> = flushes
                .iter()
                .map(|&flush| {
                    let (job, answer) = level(flush);
                    send.send(job).unwrap();
                    answer
                })
                .collect();
            answers
                .into_iter()
                .map(|answer| answer.blocking_recv().unwrap().unwrap())
                .collect()
        };
        assert_eq!(group(&[Flush::Lazy]), vec![NORMAL]);
        assert_eq!(group(&[Flush::Always]), vec![FULL], "back to FULL");
        assert_eq!(group(&[Flush::Lazy]), vec![NORMAL]);
        // Lazy and not in one group: the group is synced for the one that needs it.
        let (lazy, lazy_answer) = level(Flush::Lazy);
        let (always, always_answer) = level(Flush::Always);
        drop(send);
        writer.join().unwrap();
        let (send, jobs) = mpsc::channel();
        send.send(lazy).unwrap();
        send.send(always).unwrap();
        drop(send);
        run(table(), jobs, Durability::Full);
        assert_eq!(answered(lazy_answer).unwrap(), FULL);
        assert_eq!(answered(always_answer).unwrap(), FULL);
    }

    #[test]
    fn a_failing_write_rolls_back_alone() {
        let mut conn = table();
        let (a, a_answer) = job(Flush::Always, bump("x", 0));
        // Writes, then fails: its row must not survive.
        let (b, b_answer) = job(Flush::Always, |tx: &Transaction<'_>| -> Result<()> {
            tx.execute("INSERT INTO t (k, v) VALUES ('half', 1)", [])?;
            tx.execute("INSERT INTO nowhere VALUES (1)", [])?;
            Ok(())
        });
        let (c, c_answer) = job(Flush::Always, |_: &Transaction<'_>| -> Result<()> {
            panic!("a bug")
        });
        let (d, d_answer) = job(Flush::Always, bump("y", 0));
        commit(&mut conn, vec![a, b, c, d]);
        assert!(answered(a_answer).unwrap());
        assert!(matches!(answered(b_answer), Err(Error::Sql(_))));
        assert!(matches!(answered(c_answer), Err(Error::Task(_))));
        assert!(answered(d_answer).unwrap());
        assert_eq!(value(&conn, "half"), None);
        assert_eq!((value(&conn, "x"), value(&conn, "y")), (Some(1), Some(1)));
    }

    #[test]
    fn a_group_that_cannot_commit_fails_every_write_and_writes_nothing() {
        let mut conn = table();
        // A deferred foreign key is checked at COMMIT: the commit itself fails.
        conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             CREATE TABLE parent (id INTEGER PRIMARY KEY);
             CREATE TABLE child (p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);",
        )
        .unwrap();
        let (a, a_answer) = job(Flush::Always, bump("x", 0));
        let (b, b_answer) = job(Flush::Always, |tx: &Transaction<'_>| -> Result<()> {
            tx.execute("INSERT INTO child (p) VALUES (42)", [])?;
            Ok(())
        });
        commit(&mut conn, vec![a, b]);
        assert!(matches!(answered(a_answer), Err(Error::Group(_))));
        assert!(matches!(answered(b_answer), Err(Error::Group(_))));
        assert_eq!(value(&conn, "x"), None);
        assert!(
            conn.is_autocommit(),
            "the failed transaction was rolled back"
        );
    }
}
