//! One consumer: a loop that long-polls a queue, hands each batch to a function's handler,
//! deletes what succeeded, keeps long work invisible, and stops as [`Shutdown`] says. A
//! queue's concurrency is how many of these loops run on it, as a Lambda event source
//! mapping's concurrency is how many batches are handled at once.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use tokio::time::Instant;
use tracing::{debug, warn};

use crate::metrics::Metrics;
use crate::shutdown::Shutdown;
use crate::source::Source;

/// A function's SQS handler: a batch in, the records to deliver again out
/// (`ReportBatchItemFailures`), exactly as the Lambda runtime calls it.
pub type Handler =
    Arc<dyn Fn(SqsEvent) -> Pin<Box<dyn Future<Output = SqsBatchResponse> + Send>> + Send + Sync>;

/// How one queue is consumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Polling {
    /// Batches handled at once (receive loops on the queue).
    pub concurrency: usize,
    /// Messages per receive, 1 to 10.
    pub batch_size: usize,
    /// Long-poll wait of each receive (SQS allows up to 20 s).
    pub wait: Duration,
}

impl Default for Polling {
    fn default() -> Self {
        Self {
            concurrency: 1,
            batch_size: crate::source::MAX_BATCH,
            wait: Duration::from_secs(20),
        }
    }
}

/// Pause after a failed receive, so an outage is not a busy loop.
const ERROR_BACKOFF: Duration = Duration::from_secs(1);

/// The work of one queue: its name (the `queue` label), where it is, how it is handled.
#[derive(Clone)]
pub(crate) struct Consumer {
    pub name: &'static str,
    pub source: Source,
    pub handler: Handler,
    pub polling: Polling,
    pub metrics: Metrics,
    pub shutdown: Shutdown,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("name", &self.name)
            .field("queue", &self.source.url())
            .field("polling", &self.polling)
            .finish_non_exhaustive()
    }
}

impl Consumer {
    /// Receives and handles batches until the worker stops.
    pub async fn run(self) {
        while !self.shutdown.is_stopping() {
            // A receive in progress is not cancelled by a stop: SQS may already have
            // handed its messages over, and only its answer names them so they can be
            // released at once (below) instead of after the visibility timeout.
            let received = self
                .source
                .receive(self.polling.batch_size, self.polling.wait)
                .await;
            let records = match received {
                Ok(records) => records,
                Err(e) => {
                    self.metrics.sqs_error(self.name, "ReceiveMessage");
                    warn!(queue = self.name, error = %e, "receive failed");
                    tokio::select! {
                        _ = tokio::time::sleep(ERROR_BACKOFF) => {}
                        _ = self.shutdown.stopping() => {}
                    }
                    continue;
                }
            };
            if records.is_empty() {
                continue;
            }
            let started = Instant::now();
            let count = records.len() as u64;
            self.metrics.received(self.name, count);
            if self.shutdown.is_stopping() {
                self.release(&records).await;
            } else {
                self.handle(records).await;
            }
            self.metrics
                .finished(self.name, count, started.elapsed().as_secs_f64());
        }
    }

    /// Runs the handler on one batch, extending the batch's visibility every half
    /// timeout while it runs; deletes the records it did not report failed. If the grace
    /// period of a stop runs out first, the handler is dropped (as a crash would stop it:
    /// every handler is idempotent) and the whole batch released.
    async fn handle(&self, records: Vec<SqsMessage>) {
        let mut event = SqsEvent::default();
        event.records = records.clone();
        let handling = (self.handler)(event);
        tokio::pin!(handling);
        let half = self.source.visibility_timeout() / 2;
        // A zero visibility timeout would make the heartbeat spin; such a queue gets none.
        let heartbeat = !half.is_zero();
        let period = half.max(Duration::from_millis(1));
        let mut beat = tokio::time::interval_at(Instant::now() + period, period);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let response = loop {
            tokio::select! {
                response = &mut handling => break Some(response),
                _ = beat.tick(), if heartbeat => self.extend(&records).await,
                _ = self.shutdown.grace_over() => break None,
            }
        };
        match response {
            Some(response) => self.acknowledge(&records, &response).await,
            None => self.release(&records).await,
        }
    }

    async fn acknowledge(&self, records: &[SqsMessage], response: &SqsBatchResponse) {
        let failed: HashSet<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        let done: Vec<&SqsMessage> = records
            .iter()
            .filter(|r| !failed.contains(r.message_id.as_deref().unwrap_or_default()))
            .collect();
        // Failed records stay invisible until their timeout runs out, then come back (or go
        // to the dead-letter queue), as with Lambda's event source mapping.
        self.metrics
            .failed(self.name, (records.len() - done.len()) as u64);
        match self.source.delete(&done).await {
            Ok(n) => self.metrics.deleted(self.name, n),
            Err(e) => {
                // Not deleted means delivered again: the handlers are idempotent.
                self.metrics.sqs_error(self.name, "DeleteMessageBatch");
                warn!(queue = self.name, error = %e, "delete failed");
            }
        }
    }

    async fn extend(&self, records: &[SqsMessage]) {
        let all: Vec<&SqsMessage> = records.iter().collect();
        match self
            .source
            .set_visibility(&all, self.source.visibility_timeout())
            .await
        {
            Ok(n) => {
                debug!(queue = self.name, messages = n, "visibility extended");
                self.metrics.extended(self.name, n);
            }
            Err(e) => {
                self.metrics
                    .sqs_error(self.name, "ChangeMessageVisibilityBatch");
                warn!(queue = self.name, error = %e, "extending visibility failed");
            }
        }
    }

    /// Hands `records` back to the queue at once, for another worker to take.
    async fn release(&self, records: &[SqsMessage]) {
        let all: Vec<&SqsMessage> = records.iter().collect();
        match self.source.set_visibility(&all, Duration::ZERO).await {
            Ok(n) => self.metrics.released(self.name, n),
            Err(e) => {
                // They come back after their visibility timeout instead.
                self.metrics
                    .sqs_error(self.name, "ChangeMessageVisibilityBatch");
                warn!(queue = self.name, error = %e, "releasing failed");
            }
        }
    }
}
