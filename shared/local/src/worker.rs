//! [`Worker`]: the loop that drains a [`SqliteQueue`] into [`Engine::handle`], as the SQS
//! event source mapping and the `advance` Lambda do on AWS.
//!
//! Up to `concurrency` messages are handled at once. A handled message is acked, by the
//! next receive in the same write; one whose error is retryable
//! ([`stepwise_engine::Error::is_retryable`]) becomes visible again after a backoff; any
//! other error dead-letters it at once (a poison message never loops). When nothing is visible the worker sleeps until the next message is
//! due, a message is sent in this process, or `idle_poll` passes (to notice messages
//! another process wrote into the same file), never spinning.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use stepwise_engine::{Clock, Engine, ExecutionRecord, SystemClock, TaskInvoker};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use tracing::{debug, warn};

use crate::queue::{Delivery, SqliteQueue};
use crate::store::SqliteStore;

/// In-flight handlers from which the loop gathers finished ones before a receive.
const GATHER_FROM: usize = 64;
/// How long it gathers them.
const GATHER: Duration = Duration::from_millis(1);

/// The engine over the embedded backend.
pub type LocalEngine<T = stepwise_engine::NoTasks, C = SystemClock> =
    Engine<SqliteStore, SqliteQueue<C>, T, C>;

/// How a [`Worker`] paces itself.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Messages handled at once.
    pub concurrency: usize,
    /// How long a received message stays hidden; a worker killed mid-message loses it
    /// for this long, then it is delivered again. A live handler extends it every half
    /// period, however long its task takes.
    pub visibility: Duration,
    /// The longest idle sleep (another process may have queued a message).
    pub idle_poll: Duration,
    /// The longest backoff before a retryable failure is delivered again.
    pub max_retry_delay: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            concurrency: 8,
            visibility: Duration::from_secs(30),
            idle_poll: Duration::from_secs(1),
            max_retry_delay: Duration::from_secs(30),
        }
    }
}

/// What a worker did, counted as it goes.
#[derive(Debug, Default)]
pub struct Stats {
    handled: AtomicU64,
    retried: AtomicU64,
    dead_lettered: AtomicU64,
}

impl Stats {
    pub fn handled(&self) -> u64 {
        self.handled.load(Ordering::Relaxed)
    }
    pub fn retried(&self) -> u64 {
        self.retried.load(Ordering::Relaxed)
    }
    pub fn dead_lettered(&self) -> u64 {
        self.dead_lettered.load(Ordering::Relaxed)
    }
}

/// Drains the queue into the engine until told to stop. Cheap to clone.
#[derive(Debug)]
pub struct Worker<T, C> {
    engine: Arc<LocalEngine<T, C>>,
    options: WorkerOptions,
    stats: Arc<Stats>,
    /// Signalled after every message handled (for [`run_to_completion`]).
    progress: Arc<Notify>,
    /// Handled messages not deleted yet: the next receive deletes them in its own
    /// write (see [`SqliteQueue::ack_and_receive`]). Until then they stay hidden by
    /// their visibility timeout; if the process dies first they are delivered again,
    /// which the engine's handlers take as the duplicates they are.
    acked: Arc<Mutex<Vec<i64>>>,
}

impl<T, C> Clone for Worker<T, C> {
    fn clone(&self) -> Self {
        Self {
            engine: Arc::clone(&self.engine),
            options: self.options.clone(),
            stats: Arc::clone(&self.stats),
            progress: Arc::clone(&self.progress),
            acked: Arc::clone(&self.acked),
        }
    }
}

impl<T, C> Worker<T, C>
where
    T: TaskInvoker + 'static,
    C: Clock + Clone + 'static,
{
    pub fn new(engine: Arc<LocalEngine<T, C>>, options: WorkerOptions) -> Self {
        Self {
            engine,
            options: WorkerOptions {
                concurrency: options.concurrency.max(1),
                ..options
            },
            stats: Arc::default(),
            progress: Arc::new(Notify::new()),
            acked: Arc::default(),
        }
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Resolves after the next message this worker handles (or at once if one was
    /// handled since the last call): lets a caller wait on progress instead of polling.
    pub fn progressed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let progress = Arc::clone(&self.progress);
        async move { progress.notified().await }
    }

    /// Runs until `shutdown` turns `true` (or its sender is dropped), then waits for the
    /// messages in hand to finish. The clock must be real time: idle sleeps are
    /// computed from it.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        let queue = self.engine.queue();
        let sent = queue.sent();
        let mut in_flight = JoinSet::new();
        while !*shutdown.borrow() {
            if in_flight.len() >= GATHER_FROM {
                // Many handlers at work: a moment's wait lets several of them finish, so
                // one receive acks and replaces them all (one write and one wake-up of
                // this loop per group instead of per message). Their executions wait a
                // millisecond more in a turn that already takes tens of them.
                tokio::select! {
                    _ = shutdown.changed() => {}
                    () = tokio::time::sleep(GATHER) => {}
                }
                if *shutdown.borrow() || shutdown.has_changed().is_err() {
                    break;
                }
            }
            while in_flight.try_join_next().is_some() {}
            let free = self.options.concurrency - in_flight.len();
            let mut failed = false;
            let acked = self.take_acked();
            if free > 0 || !acked.is_empty() {
                let settling = acked.clone();
                match queue
                    .ack_and_receive(acked, free, self.options.visibility)
                    .await
                {
                    Ok(batch) if !batch.is_empty() => {
                        for delivery in batch {
                            // Boxed: the handler's future is large, and the task cell
                            // that holds it unboxed is copied whole at spawn and join.
                            in_flight.spawn(Box::pin(self.clone().handle(delivery)));
                        }
                        continue;
                    }
                    Ok(_) => {}
                    Err(error) => {
                        warn!(%error, "receive failed; backing off");
                        self.lock_acked().extend(settling);
                        failed = true;
                    }
                }
            }
            // A failed receive waits the whole idle period: retrying a broken database
            // at once would spin.
            let pause = if free > 0 && !failed {
                self.until_next_visible().await
            } else {
                self.options.idle_poll
            };
            tokio::select! {
                _ = shutdown.changed() => {}
                Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
                () = sent.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
            if shutdown.has_changed().is_err() {
                break;
            }
        }
        while in_flight.join_next().await.is_some() {}
        let acked = self.take_acked();
        if !acked.is_empty() {
            if let Err(error) = queue.ack_and_receive(acked, 0, Duration::ZERO).await {
                // They come back after their visibility timeout, as duplicates.
                warn!(%error, "could not delete the handled messages");
            }
        }
    }

    fn lock_acked(&self) -> std::sync::MutexGuard<'_, Vec<i64>> {
        self.acked.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn take_acked(&self) -> Vec<i64> {
        std::mem::take(&mut *self.lock_acked())
    }

    /// How long until the next queued message is visible, at most `idle_poll`.
    async fn until_next_visible(&self) -> Duration {
        let queue = self.engine.queue();
        match queue.next_visible_at().await {
            Ok(Some(at)) => {
                let wait = (at - queue.clock().now()).max(0) as u64;
                Duration::from_millis(wait).min(self.options.idle_poll)
            }
            Ok(None) => self.options.idle_poll,
            Err(error) => {
                warn!(%error, "reading the queue failed; backing off");
                self.options.idle_poll
            }
        }
    }

    async fn handle(self, delivery: Delivery) {
        let queue = self.engine.queue();
        let Delivery {
            id,
            message,
            receive_count,
        } = delivery;
        // While the handler runs (a slow task), push the visibility timeout forward at
        // half its length, so the message is not delivered to a second handler.
        let handling = self.engine.handle(message, receive_count);
        tokio::pin!(handling);
        let visibility = self.options.visibility;
        let mut keep_alive = tokio::time::interval_at(
            tokio::time::Instant::now() + visibility / 2,
            (visibility / 2).max(Duration::from_millis(10)),
        );
        let result = loop {
            tokio::select! {
                result = &mut handling => break result,
                _ = keep_alive.tick() => {
                    if let Err(error) = queue.extend(id, visibility).await {
                        warn!(message_id = id, %error, "could not extend the visibility timeout");
                    }
                }
            }
        };
        let outcome = match result {
            Ok(handled) => {
                debug!(message_id = id, ?handled, "handled");
                self.stats.handled.fetch_add(1, Ordering::Relaxed);
                // Deleted by the run loop's next receive, in the same write.
                self.lock_acked().push(id);
                Ok(())
            }
            Err(error) if error.is_retryable() => {
                let delay = backoff(receive_count, self.options.max_retry_delay);
                warn!(message_id = id, receive_count, %error, ?delay, "retrying");
                self.stats.retried.fetch_add(1, Ordering::Relaxed);
                queue.retry(id, delay).await
            }
            Err(error) => {
                warn!(message_id = id, %error, "poison message: dead-lettered");
                self.stats.dead_lettered.fetch_add(1, Ordering::Relaxed);
                queue.dead_letter(id, &error.to_string()).await
            }
        };
        // If the ack itself fails, the visibility timeout redelivers the message and the
        // engine recognises it as handled (its handlers are idempotent).
        if let Err(error) = outcome {
            warn!(message_id = id, %error, "could not settle the message");
        }
        self.progress.notify_one();
    }
}

/// 100 ms after the first failure, doubling per delivery, at most `max`.
fn backoff(receive_count: u32, max: Duration) -> Duration {
    let exponent = receive_count.saturating_sub(1).min(16);
    Duration::from_millis(100u64 << exponent).min(max)
}

/// Runs a worker until execution `arn` has ended, and returns its final header. For
/// tests and the CLI: the worker handles every queued message meanwhile, not only this
/// execution's.
pub async fn run_to_completion<T, C>(
    engine: Arc<LocalEngine<T, C>>,
    arn: &str,
    options: WorkerOptions,
) -> stepwise_engine::Result<ExecutionRecord>
where
    T: TaskInvoker + 'static,
    C: Clock + Clone + 'static,
{
    let worker = Worker::new(Arc::clone(&engine), options);
    let (stop, shutdown) = watch::channel(false);
    let running = tokio::spawn({
        let worker = worker.clone();
        async move { worker.run(shutdown).await }
    });
    let record = loop {
        let progressed = worker.progress.notified();
        let record = engine.describe(arn).await?;
        if !record.is_running() {
            break record;
        }
        // Bounded so a message handled by another process is noticed too.
        let _ = tokio::time::timeout(worker.options.idle_poll, progressed).await;
    };
    let _ = stop.send(true);
    if let Err(error) = running.await {
        warn!(%error, "the worker task failed");
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let max = Duration::from_secs(30);
        assert_eq!(backoff(1, max), Duration::from_millis(100));
        assert_eq!(backoff(2, max), Duration::from_millis(200));
        assert_eq!(backoff(4, max), Duration::from_millis(800));
        assert_eq!(backoff(40, max), max);
    }
}
