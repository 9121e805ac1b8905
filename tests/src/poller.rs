//! A local stand-in for Lambda's SQS event source mapping.
//!
//! [`Poller::poll_once`] receives up to ten messages from a real (emulated) queue, builds
//! the `SqsEvent` Lambda would send (message id, receipt handle, body, system attributes,
//! MD5, event source, queue ARN, region), calls the handler, and deletes the records the
//! handler did not list in `batchItemFailures` (`ReportBatchItemFailures`). Failed records
//! stay on the queue and come back after its visibility timeout, or go to its dead-letter
//! queue after `maxReceiveCount` receives, as with Lambda.
//!
//! [`run_until`] runs several pollers as tokio tasks until a condition holds or a
//! deadline passes.

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};

/// `ReceiveMessage` returns at most ten messages, as a Lambda batch of the default size.
const BATCH_SIZE: i32 = 10;

/// Long polling: short, so pollers notice they should stop within about a second.
const WAIT_TIME_SECONDS: i32 = 1;

/// How often [`run_until`] checks its condition.
const CHECK_EVERY: Duration = Duration::from_millis(250);

/// Consecutive SDK errors a poller tolerates (a loaded emulator has hiccups) before it
/// gives up and reports the last one.
const MAX_CONSECUTIVE_ERRORS: u32 = 20;

/// One event source mapping: a queue, read with an SQS client that is not counted.
#[derive(Debug, Clone)]
pub struct Poller {
    client: aws_sdk_sqs::Client,
    queue_url: String,
    queue_arn: String,
    region: String,
    stats: Arc<Stats>,
}

/// What the pollers of one [`Poller`] (and its clones) did.
#[derive(Debug, Default)]
pub struct Stats {
    batches: AtomicU64,
    received: AtomicU64,
    deleted: AtomicU64,
    failed: AtomicU64,
    errors: AtomicU64,
}

/// A copy of [`Stats`] at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatsSnapshot {
    /// Non-empty batches handed to the handler.
    pub batches: u64,
    /// Records received (a redelivery counts again).
    pub received: u64,
    /// Records deleted after the handler succeeded with them.
    pub deleted: u64,
    /// Records the handler listed in `batchItemFailures`.
    pub failed: u64,
    /// SDK errors while receiving or deleting.
    pub errors: u64,
}

impl Stats {
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            batches: self.batches.load(Ordering::Relaxed),
            received: self.received.load(Ordering::Relaxed),
            deleted: self.deleted.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
        }
    }
}

impl Poller {
    pub fn new(
        client: aws_sdk_sqs::Client,
        queue_url: impl Into<String>,
        queue_arn: impl Into<String>,
        region: impl Into<String>,
    ) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
            queue_arn: queue_arn.into(),
            region: region.into(),
            stats: Arc::default(),
        }
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    /// Receives one batch; `None` when the queue had nothing within the wait time.
    pub async fn receive(&self) -> anyhow::Result<Option<SqsEvent>> {
        let output = self
            .client
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(BATCH_SIZE)
            .wait_time_seconds(WAIT_TIME_SECONDS)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("SQS ReceiveMessage: {}", DisplayErrorContext(&e)))?;
        let messages = output.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(None);
        }
        let mut event = SqsEvent::default();
        event.records = messages
            .into_iter()
            .map(|m| stepwise_aws::lambda::sqs_record(m, &self.queue_arn, &self.region))
            .collect::<Vec<_>>();
        Ok(Some(event))
    }

    /// Deletes the records of `event` that `response` does not list as failed.
    pub async fn acknowledge(
        &self,
        event: &SqsEvent,
        response: &SqsBatchResponse,
    ) -> anyhow::Result<()> {
        let failed: HashSet<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        let mut entries = Vec::new();
        for (i, record) in event.records.iter().enumerate() {
            let id = record.message_id.as_deref().unwrap_or_default();
            if failed.contains(id) {
                continue;
            }
            let handle = record
                .receipt_handle
                .as_deref()
                .context("a received record has no receipt handle")?;
            entries.push(
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(handle)
                    .build()
                    .context("building a DeleteMessageBatch entry")?,
            );
        }
        self.stats
            .failed
            .fetch_add(failed.len() as u64, Ordering::Relaxed);
        if entries.is_empty() {
            return Ok(());
        }
        let count = entries.len() as u64;
        let output = self
            .client
            .delete_message_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("SQS DeleteMessageBatch: {}", DisplayErrorContext(&e)))?;
        // A failed delete only means a redelivery, which the handlers must absorb.
        let deleted = count.saturating_sub(output.failed.len() as u64);
        self.stats.deleted.fetch_add(deleted, Ordering::Relaxed);
        Ok(())
    }

    /// Receives one batch, hands it to `handler`, acknowledges the successes. Returns how
    /// many records the batch had.
    pub async fn poll_once<H, F>(&self, handler: &H) -> anyhow::Result<usize>
    where
        H: Fn(SqsEvent) -> F,
        F: Future<Output = SqsBatchResponse>,
    {
        let Some(event) = self.receive().await? else {
            return Ok(0);
        };
        let records = event.records.len();
        self.stats.batches.fetch_add(1, Ordering::Relaxed);
        self.stats
            .received
            .fetch_add(records as u64, Ordering::Relaxed);
        let response = handler(event.clone()).await;
        self.acknowledge(&event, &response).await?;
        Ok(records)
    }

    /// Polls until `stop` is set. Tolerates a run of SDK errors, then fails.
    pub async fn run<H, F>(&self, handler: &H, stop: &AtomicBool) -> anyhow::Result<()>
    where
        H: Fn(SqsEvent) -> F,
        F: Future<Output = SqsBatchResponse>,
    {
        let mut consecutive = 0;
        while !stop.load(Ordering::SeqCst) {
            match self.poll_once(handler).await {
                Ok(_) => consecutive = 0,
                Err(e) => {
                    self.stats.errors.fetch_add(1, Ordering::Relaxed);
                    consecutive += 1;
                    if consecutive >= MAX_CONSECUTIVE_ERRORS {
                        return Err(e.context(format!("{consecutive} SDK errors in a row")));
                    }
                    tracing::warn!(error = %e, "poller: retrying after an error");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        Ok(())
    }
}

/// Runs `pollers` concurrent pollers on `poller`'s queue, each calling `handler`, until
/// `done` returns true (checked every 250 ms) or `deadline` passes. `what` names the
/// condition in the error message; `progress` describes the state at the deadline.
pub async fn run_until<H, F, D, DF>(
    poller: &Poller,
    pollers: usize,
    handler: H,
    deadline: Duration,
    what: &str,
    mut done: D,
) -> anyhow::Result<Duration>
where
    H: Fn(SqsEvent) -> F + Send + Sync + 'static,
    F: Future<Output = SqsBatchResponse> + Send + 'static,
    D: FnMut() -> DF,
    DF: Future<Output = anyhow::Result<bool>>,
{
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let handler = Arc::new(handler);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..pollers.max(1) {
        let poller = poller.clone();
        let stop = stop.clone();
        let handler = handler.clone();
        tasks.spawn(async move { poller.run(handler.as_ref(), &stop).await });
    }
    let outcome = loop {
        match done().await {
            Ok(true) => break Ok(started.elapsed()),
            Ok(false) => {}
            // The condition's reads can fail on a loaded emulator: try again until the deadline.
            Err(e) if started.elapsed() < deadline => {
                tracing::warn!(error = %e, "checking the condition failed");
            }
            Err(e) => break Err(e.context(format!("checking whether {what}"))),
        }
        if started.elapsed() >= deadline {
            break Err(anyhow::anyhow!(
                "{what}: not reached within {deadline:?} ({} pollers; poller stats {:?})",
                pollers,
                poller.stats()
            ));
        }
        if let Some(Ok(Err(e))) = tasks.try_join_next() {
            break Err(e.context("a poller stopped"));
        }
        tokio::time::sleep(CHECK_EVERY).await;
    };
    stop.store(true, Ordering::SeqCst);
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(())) => {}
            Ok(Err(e)) if outcome.is_ok() => bail!("a poller failed: {e:#}"),
            Ok(Err(_)) => {}
            Err(e) if outcome.is_ok() => bail!("a poller panicked: {e}"),
            Err(_) => {}
        }
    }
    outcome
}
