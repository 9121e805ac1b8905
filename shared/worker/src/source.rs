//! One SQS queue as the worker sees it: long-poll receives that build the records Lambda's
//! event source mapping would build, and the three ways a received message leaves the
//! worker's hands (deleted, released, kept invisible longer).

use std::time::Duration;

use aws_lambda_events::event::sqs::SqsMessage;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
    MessageSystemAttributeName, QueueAttributeName,
};

use crate::{Error, Result};

/// `ReceiveMessage`, `DeleteMessageBatch` and `ChangeMessageVisibilityBatch` take at most
/// ten messages.
pub const MAX_BATCH: usize = 10;

/// A queue the worker consumes.
#[derive(Debug, Clone)]
pub struct Source {
    client: aws_sdk_sqs::Client,
    url: String,
    arn: String,
    region: String,
    visibility_timeout: Duration,
}

impl Source {
    /// Reads the queue's ARN and visibility timeout (the heartbeat extends by it).
    pub async fn open(client: aws_sdk_sqs::Client, url: &str, region: &str) -> Result<Self> {
        let attributes = client
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::QueueArn)
            .attribute_names(QueueAttributeName::VisibilityTimeout)
            .send()
            .await
            .map_err(|e| sqs_error("GetQueueAttributes", url, e))?
            .attributes
            .unwrap_or_default();
        let arn = attributes
            .get(&QueueAttributeName::QueueArn)
            .cloned()
            .ok_or_else(|| Error::Queue {
                url: url.to_owned(),
                message: "no QueueArn attribute".to_owned(),
            })?;
        let seconds = attributes
            .get(&QueueAttributeName::VisibilityTimeout)
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| Error::Queue {
                url: url.to_owned(),
                message: "no readable VisibilityTimeout attribute".to_owned(),
            })?;
        Ok(Self {
            client,
            url: url.to_owned(),
            arn,
            region: region.to_owned(),
            visibility_timeout: Duration::from_secs(seconds),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn visibility_timeout(&self) -> Duration {
        self.visibility_timeout
    }

    /// Long-polls for up to `max` messages (`wait`: SQS's `WaitTimeSeconds`, at most 20).
    pub async fn receive(&self, max: usize, wait: Duration) -> Result<Vec<SqsMessage>> {
        let output = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max.clamp(1, MAX_BATCH) as i32)
            .wait_time_seconds(wait.as_secs().min(20) as i32)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|e| sqs_error("ReceiveMessage", &self.url, e))?;
        Ok(output
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|m| stepwise_aws::lambda::sqs_record(m, &self.arn, &self.region))
            .collect())
    }

    /// Deletes `records` in one `DeleteMessageBatch`; how many SQS deleted. A record SQS
    /// refuses (its receipt expired) is only a redelivery, which the handlers absorb.
    pub async fn delete(&self, records: &[&SqsMessage]) -> Result<u64> {
        let entries = records
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(r.receipt_handle.as_deref()?)
                    .build()
                    .ok()
            })
            .collect::<Vec<_>>();
        if entries.is_empty() {
            return Ok(0);
        }
        let count = entries.len() as u64;
        let output = self
            .client
            .delete_message_batch()
            .queue_url(&self.url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| sqs_error("DeleteMessageBatch", &self.url, e))?;
        Ok(count.saturating_sub(output.failed.len() as u64))
    }

    /// Sets the visibility timeout of `records` to `timeout` from now: the heartbeat of
    /// long work, or zero to hand them back to the queue at once.
    pub async fn set_visibility(&self, records: &[&SqsMessage], timeout: Duration) -> Result<u64> {
        let seconds = timeout.as_secs().min(12 * 3600) as i32;
        let entries = records
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(r.receipt_handle.as_deref()?)
                    .visibility_timeout(seconds)
                    .build()
                    .ok()
            })
            .collect::<Vec<_>>();
        if entries.is_empty() {
            return Ok(0);
        }
        let count = entries.len() as u64;
        let output = self
            .client
            .change_message_visibility_batch()
            .queue_url(&self.url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| sqs_error("ChangeMessageVisibilityBatch", &self.url, e))?;
        Ok(count.saturating_sub(output.failed.len() as u64))
    }
}

fn sqs_error<E>(operation: &'static str, url: &str, error: E) -> Error
where
    E: std::error::Error + 'static,
{
    Error::Sqs {
        operation,
        url: url.to_owned(),
        message: DisplayErrorContext(&error).to_string(),
    }
}
