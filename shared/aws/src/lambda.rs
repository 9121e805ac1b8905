//! What the Lambda functions share around their handlers.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse};

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
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .without_time()
        .init();
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
