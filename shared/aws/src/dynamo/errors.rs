//! SDK errors → the store port's errors.

use aws_sdk_dynamodb::error::{BuildError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use stepwise_engine::store::Error;

/// The message DynamoDB gives an item over 400 KB ("Item size has exceeded the maximum
/// allowed size", "Item size to update has exceeded …"): no retry will make it fit.
fn says_too_large(message: &str) -> bool {
    message.contains("size has exceeded") || message.contains("size to update has exceeded")
}

/// Anything but an oversize item is worth retrying: throttling, timeouts, network
/// failures, 5xx, transaction conflicts. Request-shape errors (a `ValidationException`
/// other than size) are our bugs; retrying them is harmless and the message reaches the
/// DLQ after the queue's `maxReceiveCount`.
pub(crate) fn from_sdk<E, R>(operation: &str, error: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let text = format!("DynamoDB {operation}: {}", DisplayErrorContext(&error));
    let too_large =
        error.code() == Some("ValidationException") && error.message().is_some_and(says_too_large);
    if too_large {
        Error::TooLarge(text)
    } else {
        Error::Unavailable(text)
    }
}

/// Why a transaction was cancelled, one code per item in request order (`None` where that
/// item was fine); empty when the error is not a cancellation.
pub(crate) fn cancellation_codes<R>(error: &SdkError<TransactWriteItemsError, R>) -> Vec<String> {
    match error.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => cancelled
            .cancellation_reasons()
            .iter()
            .map(|reason| reason.code().unwrap_or("None").to_owned())
            .collect(),
        _ => Vec::new(),
    }
}

/// Why DynamoDB cancelled a transaction, from its per-item codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cancelled {
    /// A condition did not hold: a conflict for the engine.
    Condition,
    /// Only because other transactions held items: nothing was applied, send it again.
    Contention,
    /// Anything else (or not a cancellation).
    Other,
}

pub(crate) fn classify(codes: &[String]) -> Cancelled {
    if codes.iter().any(|c| c == "ConditionalCheckFailed") {
        Cancelled::Condition
    } else if codes.iter().any(|c| c == "TransactionConflict")
        && codes
            .iter()
            .all(|c| c == "TransactionConflict" || c == "None")
    {
        Cancelled::Contention
    } else {
        Cancelled::Other
    }
}

/// How a cancelled transaction maps to the port: a failed condition is a conflict (for
/// `create`, only the first item's), an oversize item is `TooLarge`, the rest is worth
/// retrying.
pub(crate) fn cancelled_too_large<R>(error: &SdkError<TransactWriteItemsError, R>) -> bool {
    match error.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
            cancelled.cancellation_reasons().iter().any(|reason| {
                reason.code() == Some("ValidationError")
                    && reason.message().is_some_and(says_too_large)
            })
        }
        _ => false,
    }
}

pub(crate) fn from_build(error: BuildError) -> Error {
    // Every required field is set where requests are built: this is a bug, not bad input.
    Error::Unavailable(format!("building a DynamoDB request: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn classifies_cancellations() {
        let cases = [
            (vec!["None", "ConditionalCheckFailed"], Cancelled::Condition),
            (
                vec!["TransactionConflict", "ConditionalCheckFailed"],
                Cancelled::Condition,
            ),
            (vec!["None", "TransactionConflict"], Cancelled::Contention),
            (
                vec!["TransactionConflict", "ThrottlingError"],
                Cancelled::Other,
            ),
            (vec!["None", "ValidationError"], Cancelled::Other),
            (vec![], Cancelled::Other),
        ];
        for (given, expected) in cases {
            assert_eq!(classify(&codes(&given)), expected, "{given:?}");
        }
    }

    #[test]
    fn recognises_dynamodb_size_messages() {
        assert!(says_too_large(
            "Item size has exceeded the maximum allowed size"
        ));
        assert!(says_too_large(
            "Item size to update has exceeded the maximum allowed size"
        ));
        assert!(!says_too_large("The conditional request failed"));
    }
}
