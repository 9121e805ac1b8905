//! Reader threads: reads from async code go over a channel to a few threads that each
//! own a reader connection, instead of a `spawn_blocking` task per read.
//!
//! A tokio blocking task per read cost a task allocation, the blocking pool's mutex and
//! a futex wake-up each way, and a `BEGIN`/`COMMIT` of its own. A reader thread takes
//! every read queued when it wakes and runs them in one read transaction: one wake-up
//! and one WAL snapshot for the batch. Every read in the batch was queued before the
//! transaction began, so its snapshot holds every write answered before the read was
//! asked for, as a transaction of its own would.
//!
//! The threads take turns on the channel (the one holding its lock waits for the next
//! batch), so a long read (a history page, a listing) holds up only its own batch while
//! the other threads serve the next ones.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Mutex};

use rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::oneshot;

use crate::error::{Error, Result};

/// The most reads in one transaction: bounds how stale the last of them finds the
/// snapshot it shares with the first (never staler than its own request).
const MAX_BATCH: usize = 256;

/// One caller's read: runs on the batch's transaction, or learns it could not begin.
pub(crate) type Job = Box<dyn FnOnce(Result<&Transaction<'_>, &str>) + Send>;

/// A read of `f` and the receiver of its answer.
pub(crate) fn job<R, F>(f: F) -> (Job, oneshot::Receiver<Result<R>>)
where
    R: Send + 'static,
    F: FnOnce(&Transaction<'_>) -> Result<R> + Send + 'static,
{
    let (reply, answer) = oneshot::channel();
    let job: Job = Box::new(move |tx: Result<&Transaction<'_>, &str>| {
        let result = match tx {
            // A panicking read must not take its thread (and the reads after it) down.
            Ok(tx) => catch_unwind(AssertUnwindSafe(|| f(tx)))
                .unwrap_or_else(|_| Err(Error::Task("a read panicked".to_owned()))),
            Err(failure) => Err(Error::Task(format!("cannot begin a read: {failure}"))),
        };
        // The caller may have gone (its future dropped).
        let _ = reply.send(result);
    });
    (job, answer)
}

/// One reader thread: a batch per turn, until every sender has gone.
pub(crate) fn run(mut conn: Connection, jobs: Arc<Mutex<mpsc::Receiver<Job>>>) {
    loop {
        let batch = {
            let jobs = jobs.lock().unwrap_or_else(|e| e.into_inner());
            let Ok(first) = jobs.recv() else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            batch
        };
        serve(&mut conn, batch);
    }
}

/// Runs `batch` in one deferred transaction and answers each read.
pub(crate) fn serve(conn: &mut Connection, batch: Vec<Job>) {
    let mut batch = batch.into_iter();
    while batch.len() > 0 {
        let tx = match conn.transaction_with_behavior(TransactionBehavior::Deferred) {
            Ok(tx) => tx,
            Err(e) => {
                let failure = e.to_string();
                batch.for_each(|job| job(Err(&failure)));
                return;
            }
        };
        for job in batch.by_ref() {
            job(Ok(&tx));
            // An error that ended the transaction (SQLite rolls back on some) would
            // leave the next reads outside any snapshot: they get a fresh one.
            if tx.is_autocommit() {
                break;
            }
        }
        // Nothing was written: ending the read transaction cannot lose anything.
        let _ = tx.commit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered<R: std::fmt::Debug>(mut answer: oneshot::Receiver<Result<R>>) -> Result<R> {
        answer
            .try_recv()
            .expect("answered once the batch is served")
    }

    #[test]
    fn a_batch_shares_one_snapshot_and_a_failing_read_fails_alone() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (7);")
            .unwrap();
        let count = |tx: &Transaction<'_>| -> Result<i64> {
            Ok(tx.query_row("SELECT SUM(v) FROM t", [], |r| r.get(0))?)
        };
        let (a, a_answer) = job(count);
        let (b, b_answer) = job(|tx: &Transaction<'_>| -> Result<i64> {
            Ok(tx.query_row("SELECT v FROM nowhere", [], |r| r.get(0))?)
        });
        let (c, c_answer) = job(|_: &Transaction<'_>| -> Result<i64> { panic!("a bug") });
        let (d, d_answer) = job(count);
        serve(&mut conn, vec![a, b, c, d]);
        assert_eq!(answered(a_answer).unwrap(), 7);
        assert!(matches!(answered(b_answer), Err(Error::Sql(_))));
        assert!(matches!(answered(c_answer), Err(Error::Task(_))));
        assert_eq!(answered(d_answer).unwrap(), 7);
        assert!(conn.is_autocommit(), "the read transaction was ended");
    }
}
