//! [`SqliteQueue`]: the engine's [`Queue`] as a `messages` table in the store's file, with
//! SQS's consumer semantics: delays, a visibility timeout, a receive count, and a
//! dead-letter table for messages that keep failing.
//!
//! A message is visible when `visible_at <= now`. Receiving one moves its `visible_at`
//! past the visibility timeout and bumps its `receive_count` in the same transaction, so
//! two consumers never get the same delivery; a consumer that dies without acking lets
//! the timeout lapse and the message comes back with a higher count.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::params;
use stepwise_engine::queue::{self, Outgoing, Queue};
use stepwise_engine::{Clock, Message};
use tokio::sync::Notify;

use crate::db::{Db, Options};
use crate::error::{Error, Result};

/// Deliveries after which a message that is still not acked goes to the dead letters
/// (SQS's `maxReceiveCount`).
pub const DEFAULT_MAX_RECEIVES: u32 = 10;

/// One delivery of a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The row to [`SqliteQueue::ack`], [`SqliteQueue::retry`] or
    /// [`SqliteQueue::dead_letter`].
    pub id: i64,
    pub message: Message,
    /// 1 on the first delivery (SQS's `ApproximateReceiveCount`).
    pub receive_count: u32,
}

/// A message that will not be delivered again, kept for a human to inspect.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    pub id: i64,
    pub body: String,
    pub receive_count: u32,
    pub reason: String,
    pub dead_at: i64,
}

/// A durable queue in a SQLite file; time comes from the engine's [`Clock`] port.
#[derive(Debug, Clone)]
pub struct SqliteQueue<C> {
    db: Arc<Db>,
    clock: C,
    max_receives: u32,
}

impl<C: Clock> SqliteQueue<C> {
    pub fn open(path: impl AsRef<Path>, options: Options, clock: C) -> Result<Self> {
        Ok(Self::from_db(Db::open(path.as_ref(), options)?, clock))
    }

    pub(crate) fn from_db(db: Arc<Db>, clock: C) -> Self {
        Self {
            db,
            clock,
            max_receives: DEFAULT_MAX_RECEIVES,
        }
    }

    /// Dead-letters a message when it comes up for its `max`-th + 1 delivery.
    pub fn with_max_receives(mut self, max: u32) -> Self {
        self.max_receives = max.max(1);
        self
    }

    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// Resolves when a message is sent through this handle (or a clone of it).
    pub(crate) fn sent(&self) -> Arc<Notify> {
        Arc::clone(self.db.sent())
    }

    /// Takes up to `max` visible messages, oldest due first, and hides them for
    /// `visibility`. A message already delivered `max_receives` times is moved to the
    /// dead letters instead of being delivered again, so a poison message cannot loop.
    pub async fn receive(&self, max: usize, visibility: Duration) -> Result<Vec<Delivery>> {
        self.ack_and_receive(Vec::new(), max, visibility).await
    }

    /// Deletes the handled messages `acked` and then [`receive`](Self::receive)s, in one
    /// write: a busy worker settles the messages it finished with the receive it makes
    /// anyway instead of a write (and a wakeup of the writer thread) per ack. If it fails,
    /// nothing is deleted either.
    pub async fn ack_and_receive(
        &self,
        acked: Vec<i64>,
        max: usize,
        visibility: Duration,
    ) -> Result<Vec<Delivery>> {
        let now = self.clock.now();
        let hidden_until = now.saturating_add(visibility.as_millis() as i64);
        let max_receives = self.max_receives;
        // Not fsynced for its own sake: lost in a power cut, the acked messages and the
        // ones it hid are delivered again, as duplicates the engine recognises.
        self.db
            .write_lazily(move |tx| {
                if !acked.is_empty() {
                    let mut delete = tx.prepare_cached("DELETE FROM messages WHERE id = ?1")?;
                    for id in &acked {
                        delete.execute([id])?;
                    }
                }
                if max == 0 {
                    return Ok(Vec::new());
                }
                let mut select = tx.prepare_cached(
                    "SELECT id, body, receive_count FROM messages
                     WHERE visible_at <= ?1 ORDER BY visible_at, id LIMIT ?2",
                )?;
                let rows = select
                    .query_map(params![now, max as i64], |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, u32>(2)?,
                        ))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let mut deliveries = Vec::with_capacity(rows.len());
                for (id, body, count) in rows {
                    if count >= max_receives {
                        let reason = format!("not acked after {count} deliveries");
                        bury(tx, id, &reason, now)?;
                        continue;
                    }
                    let message = match serde_json::from_str::<Message>(&body) {
                        Ok(message) => message,
                        Err(e) => {
                            bury(tx, id, &format!("not a message: {e}"), now)?;
                            continue;
                        }
                    };
                    tx.prepare_cached(
                        "UPDATE messages SET visible_at = ?2, receive_count = receive_count + 1
                         WHERE id = ?1",
                    )?
                    .execute(params![id, hidden_until])?;
                    deliveries.push(Delivery {
                        id,
                        message,
                        receive_count: count + 1,
                    });
                }
                Ok(deliveries)
            })
            .await
    }

    /// Deletes a handled message.
    pub async fn ack(&self, id: i64) -> Result<()> {
        self.db
            .write_lazily(move |tx| {
                tx.prepare_cached("DELETE FROM messages WHERE id = ?1")?
                    .execute([id])?;
                Ok(())
            })
            .await
    }

    /// Makes a message visible again after `delay` (its receive count stays, so it
    /// still counts towards the dead letters).
    pub async fn retry(&self, id: i64, delay: Duration) -> Result<()> {
        let at = self.clock.now().saturating_add(delay.as_millis() as i64);
        self.db
            .write(move |tx| {
                tx.prepare_cached("UPDATE messages SET visible_at = ?2 WHERE id = ?1")?
                    .execute(params![id, at])?;
                Ok(())
            })
            .await?;
        // `notify_one` keeps a permit when no worker is waiting yet, so a send that
        // lands between a worker's empty receive and its sleep is not missed.
        self.db.sent().notify_one();
        Ok(())
    }

    /// Keeps a delivery hidden for `visibility` more from now (SQS's
    /// `ChangeMessageVisibility`): a handler that is still working is not raced by a
    /// redelivery of its own message.
    pub async fn extend(&self, id: i64, visibility: Duration) -> Result<()> {
        let at = self
            .clock
            .now()
            .saturating_add(visibility.as_millis() as i64);
        self.db
            .write_lazily(move |tx| {
                tx.prepare_cached("UPDATE messages SET visible_at = ?2 WHERE id = ?1")?
                    .execute(params![id, at])?;
                Ok(())
            })
            .await
    }

    /// Moves a message that can never succeed to the dead letters now.
    pub async fn dead_letter(&self, id: i64, reason: &str) -> Result<()> {
        let (now, reason) = (self.clock.now(), reason.to_owned());
        self.db.write(move |tx| bury(tx, id, &reason, now)).await
    }

    /// When the next message becomes visible (epoch ms), if any is queued.
    pub async fn next_visible_at(&self) -> Result<Option<i64>> {
        self.db
            .read(|tx| {
                Ok(tx
                    .prepare_cached("SELECT MIN(visible_at) FROM messages")?
                    .query_row([], |r| r.get(0))?)
            })
            .await
    }

    /// Messages queued, visible or not.
    pub async fn len(&self) -> Result<u64> {
        self.db
            .read(|tx| {
                Ok(tx
                    .prepare_cached("SELECT COUNT(*) FROM messages")?
                    .query_row([], |r| r.get(0))?)
            })
            .await
    }

    pub async fn is_empty(&self) -> Result<bool> {
        Ok(self.len().await? == 0)
    }

    pub async fn dead_letters(&self) -> Result<Vec<DeadLetter>> {
        self.db
            .read(|tx| {
                let mut statement = tx.prepare_cached(
                    "SELECT id, body, receive_count, reason, dead_at FROM dead_letters ORDER BY id",
                )?;
                let rows = statement.query_map([], |r| {
                    Ok(DeadLetter {
                        id: r.get(0)?,
                        body: r.get(1)?,
                        receive_count: r.get(2)?,
                        reason: r.get(3)?,
                        dead_at: r.get(4)?,
                    })
                })?;
                Ok(rows.collect::<rusqlite::Result<_>>()?)
            })
            .await
    }
}

/// Moves message `id` to the dead letters, in the caller's transaction (a no-op when
/// another consumer already acked or buried it).
fn bury(tx: &rusqlite::Transaction<'_>, id: i64, reason: &str, now: i64) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO dead_letters (id, body, receive_count, reason, dead_at)
         SELECT id, body, receive_count, ?2, ?3 FROM messages WHERE id = ?1",
    )?
    .execute(params![id, reason, now])?;
    tx.prepare_cached("DELETE FROM messages WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Messages ready to insert: each body encoded (before the write, off the writer
/// thread) with the time it becomes visible.
#[derive(Debug)]
pub(crate) struct Rows {
    rows: Vec<(String, i64)>,
    now: i64,
}

impl Rows {
    pub(crate) fn encode(messages: &[Outgoing], now: i64) -> Result<Self> {
        let rows = messages
            .iter()
            .map(|out| {
                let body = serde_json::to_string(&out.message)
                    .map_err(|e| Error::corrupt("(outgoing message)", e))?;
                Ok((body, now + i64::from(out.delay_seconds) * 1000))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { rows, now })
    }

    /// Queues the messages in the caller's transaction.
    pub(crate) fn insert(&self, tx: &rusqlite::Transaction<'_>) -> Result<()> {
        let mut insert = tx.prepare_cached(
            "INSERT INTO messages (body, visible_at, sent_at) VALUES (?1, ?2, ?3)",
        )?;
        for (body, visible_at) in &self.rows {
            insert.execute(params![body, visible_at, self.now])?;
        }
        Ok(())
    }
}

impl<C: Clock> Queue for SqliteQueue<C> {
    async fn send(&self, messages: Vec<Outgoing>) -> queue::Result<()> {
        let rows = Rows::encode(&messages, self.clock.now())?;
        self.db.write(move |tx| rows.insert(tx)).await?;
        // `notify_one` keeps a permit when no worker is waiting yet, so a send that
        // lands between a worker's empty receive and its sleep is not missed.
        self.db.sent().notify_one();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicI64, Ordering};

    use stepwise_engine::{FrameId, MessageKind};

    use super::*;
    use crate::db::Durability;

    const T0: i64 = 1_704_067_200_000;
    const VISIBILITY: Duration = Duration::from_secs(30);

    #[derive(Debug, Clone)]
    struct TestClock(Arc<AtomicI64>);

    impl TestClock {
        fn set(&self, at: i64) {
            self.0.store(at, Ordering::SeqCst);
        }
    }

    impl Clock for TestClock {
        fn now(&self) -> i64 {
            self.0.load(Ordering::SeqCst)
        }
    }

    struct Fixture {
        dir: std::path::PathBuf,
        queue: SqliteQueue<TestClock>,
        clock: TestClock,
    }

    impl Drop for Fixture {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn fixture(name: &str) -> Fixture {
        let dir = std::env::temp_dir().join(format!(
            "stepwise-local-queue-{name}-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let clock = TestClock(Arc::new(AtomicI64::new(T0)));
        let options = Options {
            durability: Durability::Normal,
            ..Options::default()
        };
        let queue = SqliteQueue::open(dir.join("q.db"), options, clock.clone()).unwrap();
        Fixture { dir, queue, clock }
    }

    fn message(version: u64, delay_seconds: u32) -> Outgoing {
        Outgoing {
            message: Message::new("arn:x", FrameId::root(), version, MessageKind::Run),
            delay_seconds,
        }
    }

    #[tokio::test]
    async fn a_delayed_message_appears_when_due() {
        let f = fixture("delay");
        f.queue
            .send(vec![message(1, 5), message(2, 0)])
            .await
            .unwrap();
        let now: Vec<u64> = f
            .queue
            .receive(10, VISIBILITY)
            .await
            .unwrap()
            .iter()
            .map(|d| d.message.version)
            .collect();
        assert_eq!(now, vec![2]);
        // The delivered message hides until T0 + 30 s; the delayed one is due first.
        assert_eq!(f.queue.next_visible_at().await.unwrap(), Some(T0 + 5_000));
        f.clock.set(T0 + 4_999);
        assert!(f.queue.receive(10, VISIBILITY).await.unwrap().is_empty());
        f.clock.set(T0 + 5_000);
        let due = f.queue.receive(10, VISIBILITY).await.unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!((due[0].message.version, due[0].receive_count), (1, 1));
    }

    #[tokio::test]
    async fn an_unacked_message_comes_back_after_the_visibility_timeout() {
        let f = fixture("visibility");
        f.queue.send(vec![message(1, 0)]).await.unwrap();
        let first = f.queue.receive(1, VISIBILITY).await.unwrap();
        assert_eq!(first[0].receive_count, 1);
        f.clock.set(T0 + 29_999);
        assert!(f.queue.receive(1, VISIBILITY).await.unwrap().is_empty());
        f.clock.set(T0 + 30_000);
        let second = f.queue.receive(1, VISIBILITY).await.unwrap();
        assert_eq!((second[0].id, second[0].receive_count), (first[0].id, 2));
        // `retry` makes it visible again at once; the count carries on.
        f.queue.retry(second[0].id, Duration::ZERO).await.unwrap();
        let third = f.queue.receive(1, VISIBILITY).await.unwrap();
        assert_eq!(third[0].receive_count, 3);
        f.queue.ack(third[0].id).await.unwrap();
        assert!(f.queue.is_empty().await.unwrap());
        assert_eq!(f.queue.next_visible_at().await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_message_past_its_max_receives_is_dead_lettered() {
        let mut f = fixture("dlq");
        f.queue = f.queue.clone().with_max_receives(3);
        f.queue.send(vec![message(1, 0)]).await.unwrap();
        for round in 1..=3 {
            f.clock.set(T0 + i64::from(round) * 60_000);
            let got = f.queue.receive(1, VISIBILITY).await.unwrap();
            assert_eq!(got[0].receive_count, round);
        }
        f.clock.set(T0 + 10 * 60_000);
        assert!(f.queue.receive(1, VISIBILITY).await.unwrap().is_empty());
        assert!(f.queue.is_empty().await.unwrap());
        let dead = f.queue.dead_letters().await.unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].receive_count, 3);
        assert!(
            dead[0].reason.contains("3 deliveries"),
            "{}",
            dead[0].reason
        );
        // A handler's verdict dead-letters at once, too.
        f.queue.send(vec![message(2, 0)]).await.unwrap();
        let got = f.queue.receive(1, VISIBILITY).await.unwrap();
        f.queue.dead_letter(got[0].id, "poison").await.unwrap();
        assert!(f.queue.is_empty().await.unwrap());
        assert_eq!(f.queue.dead_letters().await.unwrap()[1].reason, "poison");
    }

    #[tokio::test]
    async fn a_body_that_is_not_a_message_is_dead_lettered_not_delivered() {
        let f = fixture("garbage");
        f.queue
            .db
            .write(|tx| {
                tx.prepare_cached(
                    "INSERT INTO messages (body, visible_at, sent_at) VALUES ('{not json', 0, 0)",
                )?
                .execute([])?;
                Ok(())
            })
            .await
            .unwrap();
        assert!(f.queue.receive(10, VISIBILITY).await.unwrap().is_empty());
        let dead = f.queue.dead_letters().await.unwrap();
        assert_eq!(dead.len(), 1);
        assert!(
            dead[0].reason.starts_with("not a message"),
            "{}",
            dead[0].reason
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_receivers_never_share_a_delivery() {
        let f = fixture("concurrent");
        let batch: Vec<Outgoing> = (0..200).map(|v| message(v, 0)).collect();
        f.queue.send(batch).await.unwrap();
        // A second handle opened on the same file has its own writer connection, as
        // another process would: SQLite's file lock and the busy timeout order them.
        let other =
            SqliteQueue::open(f.dir.join("q.db"), Options::default(), f.clock.clone()).unwrap();
        let receivers = (0..4).map(|i| {
            let queue = if i % 2 == 0 {
                f.queue.clone()
            } else {
                other.clone()
            };
            tokio::spawn(async move {
                let mut ids = Vec::new();
                loop {
                    let got = queue.receive(7, VISIBILITY).await.unwrap();
                    if got.is_empty() {
                        return ids;
                    }
                    ids.extend(got.into_iter().map(|d| d.id));
                }
            })
        });
        let mut all = Vec::new();
        for receiver in receivers {
            all.extend(receiver.await.unwrap());
        }
        all.sort_unstable();
        let before = all.len();
        all.dedup();
        assert_eq!((before, all.len()), (200, 200));
    }
}
