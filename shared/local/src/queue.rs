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
    /// Wakes an idle worker in this process when a message is sent.
    sent: Arc<Notify>,
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
            sent: Arc::new(Notify::new()),
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
        Arc::clone(&self.sent)
    }

    /// Takes up to `max` visible messages, oldest due first, and hides them for
    /// `visibility`. A message already delivered `max_receives` times is moved to the
    /// dead letters instead of being delivered again, so a poison message cannot loop.
    pub async fn receive(&self, max: usize, visibility: Duration) -> Result<Vec<Delivery>> {
        let now = self.clock.now();
        let hidden_until = now.saturating_add(visibility.as_millis() as i64);
        let max_receives = self.max_receives;
        self.db
            .write(move |tx| {
                let mut select = tx.prepare(
                    "SELECT id, body, receive_count FROM messages
                     WHERE visible_at <= ?1 ORDER BY visible_at, id LIMIT ?2",
                )?;
                let rows = select
                    .query_map(params![now, max as i64], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, u32>(2)?))
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
                    tx.execute(
                        "UPDATE messages SET visible_at = ?2, receive_count = receive_count + 1
                         WHERE id = ?1",
                        params![id, hidden_until],
                    )?;
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
            .write(move |tx| {
                tx.execute("DELETE FROM messages WHERE id = ?1", [id])?;
                Ok(())
            })
            .await
    }

    /// Makes a message visible again after `delay` (its receive count stays, so it
    /// still counts towards the dead letters).
    pub async fn retry(&self, id: i64, delay: Duration) -> Result<()> {
        let at = self
            .clock
            .now()
            .saturating_add(delay.as_millis() as i64);
        self.db
            .write(move |tx| {
                tx.execute(
                    "UPDATE messages SET visible_at = ?2 WHERE id = ?1",
                    params![id, at],
                )?;
                Ok(())
            })
            .await?;
        // `notify_one` keeps a permit when no worker is waiting yet, so a send that
        // lands between a worker's empty receive and its sleep is not missed.
        self.sent.notify_one();
        Ok(())
    }

    /// Moves a message that can never succeed to the dead letters now.
    pub async fn dead_letter(&self, id: i64, reason: &str) -> Result<()> {
        let (now, reason) = (self.clock.now(), reason.to_owned());
        self.db
            .write(move |tx| bury(tx, id, &reason, now))
            .await
    }

    /// When the next message becomes visible (epoch ms), if any is queued.
    pub async fn next_visible_at(&self) -> Result<Option<i64>> {
        self.db
            .read(|tx| {
                Ok(tx.query_row("SELECT MIN(visible_at) FROM messages", [], |r| r.get(0))?)
            })
            .await
    }

    /// Messages queued, visible or not.
    pub async fn len(&self) -> Result<u64> {
        self.db
            .read(|tx| Ok(tx.query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0))?))
            .await
    }

    pub async fn is_empty(&self) -> Result<bool> {
        Ok(self.len().await? == 0)
    }

    pub async fn dead_letters(&self) -> Result<Vec<DeadLetter>> {
        self.db
            .read(|tx| {
                let mut statement = tx.prepare(
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
    tx.execute(
        "INSERT OR IGNORE INTO dead_letters (id, body, receive_count, reason, dead_at)
         SELECT id, body, receive_count, ?2, ?3 FROM messages WHERE id = ?1",
        params![id, reason, now],
    )?;
    tx.execute("DELETE FROM messages WHERE id = ?1", [id])?;
    Ok(())
}

impl<C: Clock> Queue for SqliteQueue<C> {
    async fn send(&self, messages: Vec<Outgoing>) -> queue::Result<()> {
        let now = self.clock.now();
        let rows = messages
            .iter()
            .map(|out| {
                let body = serde_json::to_string(&out.message)
                    .map_err(|e| Error::corrupt("(outgoing message)", e))?;
                Ok((body, now + i64::from(out.delay_seconds) * 1000))
            })
            .collect::<Result<Vec<_>>>()?;
        self.db
            .write(move |tx| {
                let mut insert = tx.prepare(
                    "INSERT INTO messages (body, visible_at, sent_at) VALUES (?1, ?2, ?3)",
                )?;
                for (body, visible_at) in &rows {
                    insert.execute(params![body, visible_at, now])?;
                }
                Ok(())
            })
            .await?;
        // `notify_one` keeps a permit when no worker is waiting yet, so a send that
        // lands between a worker's empty receive and its sleep is not missed.
        self.sent.notify_one();
        Ok(())
    }
}
