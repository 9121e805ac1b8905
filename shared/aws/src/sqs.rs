//! [`SqsQueue`]: the engine's [`Queue`] on one SQS queue.

use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;
use futures::{StreamExt, TryStreamExt};
use stepwise_engine::queue::{self, Error, Outgoing, Queue, MAX_DELAY_SECONDS};

/// `SendMessageBatch` takes at most ten entries…
const BATCH_ENTRIES: usize = 10;
/// …whose bodies add up to at most 256 KiB.
const BATCH_BYTES: usize = 256 * 1024;
/// Batches in flight at once: a 1,000-child fan-out is 100 batches.
const PARALLEL_BATCHES: usize = 8;

/// Sends the engine's messages to one SQS queue. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: Client,
    url: String,
}

impl SqsQueue {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            url: queue_url.into(),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    async fn send_batch(&self, batch: Vec<(String, u32)>) -> queue::Result<()> {
        let entries = batch
            .into_iter()
            .enumerate()
            .map(|(i, (body, delay))| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(body)
                    // SQS rejects more than 15 minutes; the port promises no more, and a
                    // message sent early is re-sent by the engine anyway.
                    .delay_seconds(delay.min(MAX_DELAY_SECONDS) as i32)
                    .build()
                    .map_err(|e| Error::Unavailable(format!("building an SQS entry: {e}")))
            })
            .collect::<queue::Result<Vec<_>>>()?;
        let output = self
            .client
            .send_message_batch()
            .queue_url(&self.url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| {
                Error::Unavailable(format!("SQS SendMessageBatch: {}", DisplayErrorContext(&e)))
            })?;
        if output.failed.is_empty() {
            return Ok(());
        }
        let failed: Vec<String> = output
            .failed
            .iter()
            .map(|f| {
                format!(
                    "entry {}: {} ({})",
                    f.id,
                    f.code,
                    f.message.as_deref().unwrap_or("no message")
                )
            })
            .collect();
        Err(Error::Unavailable(format!(
            "SQS SendMessageBatch to {}: {} of the batch failed: {}",
            self.url,
            failed.len(),
            failed.join("; ")
        )))
    }
}

impl Queue for SqsQueue {
    async fn send(&self, messages: Vec<Outgoing>) -> queue::Result<()> {
        let bodies: Vec<(String, u32)> = messages
            .into_iter()
            .map(|m| (m.message.to_json(), m.delay_seconds))
            .collect();
        let batches = split(bodies, |(body, _)| body.len());
        futures::stream::iter(batches)
            .map(|batch| self.send_batch(batch))
            .buffer_unordered(PARALLEL_BATCHES)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }
}

/// Cuts `entries` into batches of at most ten whose sizes add up to at most 256 KiB, in
/// order. An entry over the limit on its own goes alone (SQS then names it in `Failed`).
fn split<T>(entries: Vec<T>, size: impl Fn(&T) -> usize) -> Vec<Vec<T>> {
    let mut batches: Vec<Vec<T>> = Vec::new();
    let mut current: Vec<T> = Vec::new();
    let mut bytes = 0;
    for entry in entries {
        let entry_bytes = size(&entry);
        let full = current.len() == BATCH_ENTRIES || bytes + entry_bytes > BATCH_BYTES;
        if full && !current.is_empty() {
            batches.push(std::mem::take(&mut current));
            bytes = 0;
        }
        bytes += entry_bytes;
        current.push(entry);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_hold_at_most_ten_entries() {
        let batches = split((0..25).collect(), |_| 10);
        let lengths: Vec<usize> = batches.iter().map(Vec::len).collect();
        assert_eq!(lengths, [10, 10, 5]);
        let flat: Vec<i32> = batches.into_iter().flatten().collect();
        assert_eq!(flat, (0..25).collect::<Vec<_>>());
    }

    #[test]
    fn batches_stay_under_256_kib() {
        let kib = 1024;
        let batches = split(
            vec![100 * kib, 100 * kib, 100 * kib, 56 * kib, 200 * kib],
            |s| *s,
        );
        assert_eq!(
            batches,
            [
                vec![100 * kib, 100 * kib],
                vec![100 * kib, 56 * kib],
                vec![200 * kib]
            ]
        );
        assert!(batches
            .iter()
            .all(|b| b.iter().sum::<usize>() <= BATCH_BYTES));
    }

    #[test]
    fn an_oversize_entry_goes_alone() {
        let batches = split(vec![1, 300 * 1024, 1], |s| *s);
        assert_eq!(batches, [vec![1], vec![300 * 1024], vec![1]]);
    }

    #[test]
    fn nothing_to_send_is_no_batch() {
        assert!(split(Vec::<u8>::new(), |_| 1).is_empty());
    }
}
