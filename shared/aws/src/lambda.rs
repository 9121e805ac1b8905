//! What the Lambda functions share around their handlers.

use std::future::Future;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures::future::join_all;

/// Handles every record of an SQS batch concurrently with `handle` (`true`: done) and
/// answers with the records to deliver again (`ReportBatchItemFailures`), so one bad
/// message never fails its batch.
pub async fn handle_records<F, Fut>(event: SqsEvent, handle: F) -> SqsBatchResponse
where
    F: Fn(SqsMessage) -> Fut,
    Fut: Future<Output = bool>,
{
    let results = join_all(event.records.into_iter().map(|record| {
        let id = record.message_id.clone().unwrap_or_default();
        let handled = handle(record);
        async move { (id, handled.await) }
    }))
    .await;
    batch_response(
        results
            .into_iter()
            .filter_map(|(id, ok)| (!ok).then_some(id)),
    )
}

/// [`handle_records`], then one line of CloudWatch metrics (EMF, see [`crate::emf`]) for
/// the batch: `Messages`, `Failures` (handed back for redelivery) and `Latency` (ms),
/// under the `Function` dimension `function`.
pub async fn handle_measured<F, Fut>(function: &str, event: SqsEvent, handle: F) -> SqsBatchResponse
where
    F: Fn(SqsMessage) -> Fut,
    Fut: Future<Output = bool>,
{
    let started = std::time::Instant::now();
    let messages = event.records.len();
    let response = handle_records(event, handle).await;
    let mut metrics = crate::emf::Metrics::for_function(function);
    metrics
        .add("Messages", crate::emf::Unit::Count, messages as f64)
        .add(
            "Failures",
            crate::emf::Unit::Count,
            response.batch_item_failures.len() as f64,
        )
        .add(
            "Latency",
            crate::emf::Unit::Milliseconds,
            started.elapsed().as_secs_f64() * 1000.0,
        );
    metrics.emit(now_ms());
    response
}

/// The answer to an SQS batch (`ReportBatchItemFailures`): the message ids to deliver
/// again; the others are deleted from the queue.
pub fn batch_response(failed: impl IntoIterator<Item = String>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for id in failed {
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = id;
        response.batch_item_failures.push(failure);
    }
    response
}

/// Logs as JSON lines (CloudWatch parses them), filtered by `RUST_LOG`, without
/// timestamps (Lambda adds its own). For binaries only: a library never installs one.
pub fn init_logging() {
    tracing::subscriber::set_global_default(json_subscriber(
        std::io::stdout,
        tracing_subscriber::EnvFilter::from_default_env(),
    ))
    .unwrap_or_else(|_| tracing::warn!("a logger was already installed"));
}

/// The functions' log format, writing to `writer`: one JSON object per line, whose
/// `span` member holds the fields of the span around the message being handled
/// ([`message_span`]: `execution_id`, `frame`, `state`), so every line is attributable.
pub fn json_subscriber<W>(
    writer: W,
    filter: tracing_subscriber::EnvFilter,
) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_env_filter(filter)
        .without_time()
        .with_writer(writer)
        .finish()
}

/// The span entered around one message's handling. `state` is filled in by the engine
/// once it has read the frame (the message alone does not name it).
pub fn message_span(execution_id: &str, frame: &dyn std::fmt::Display) -> tracing::Span {
    tracing::info_span!(
        "message",
        execution_id = %execution_id,
        frame = %frame,
        state = tracing::field::Empty,
    )
}

/// Milliseconds since the epoch, from the function's clock, for metric timestamps.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The record Lambda's SQS event source mapping builds from one received message, so code
/// that polls a queue itself (`stepwise worker`, the tests' poller) hands the functions'
/// handlers exactly what they get on Lambda.
pub fn sqs_record(
    message: aws_sdk_sqs::types::Message,
    queue_arn: &str,
    region: &str,
) -> SqsMessage {
    let mut record = SqsMessage::default();
    record.message_id = message.message_id;
    record.receipt_handle = message.receipt_handle;
    record.body = message.body;
    record.md5_of_body = message.md5_of_body;
    record.md5_of_message_attributes = message.md5_of_message_attributes;
    record.attributes = message
        .attributes
        .unwrap_or_default()
        .into_iter()
        .map(|(name, value)| (name.as_str().to_owned(), value))
        .collect();
    record.event_source = Some("aws:sqs".to_owned());
    record.event_source_arn = Some(queue_arn.to_owned());
    record.aws_region = Some(region.to_owned());
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_only_the_failed_ids() {
        let response = batch_response(["b".to_owned()]);
        let json = serde_json::to_value(response).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"batchItemFailures": [{"itemIdentifier": "b"}]})
        );
        let empty = serde_json::to_value(batch_response(Vec::new())).unwrap();
        assert_eq!(empty, serde_json::json!({"batchItemFailures": []}));
    }
}
