//! The advance function's handler: one SQS batch of step messages, each handed to the
//! engine, with per-message failures reported so one bad message never fails its batch
//! (`ReportBatchItemFailures`). A message that keeps failing reaches the dead-letter
//! queue after the queue's `maxReceiveCount`.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use stepwise_engine::{Clock, Engine, Handled, Message, Queue, Store, TaskInvoker};
use tracing::{debug, error, warn};

/// Handles every record of the batch concurrently; the response names the ones to
/// deliver again.
pub async fn handle<S, Q, T, C>(engine: &Engine<S, Q, T, C>, event: SqsEvent) -> SqsBatchResponse
where
    S: Store,
    Q: Queue,
    T: TaskInvoker,
    C: Clock,
{
    handle_observed(engine, event, |_| {}).await
}

/// As [`handle`], and tells `observe` what the engine did with each message it handled
/// (a worker counts transitions, conflicts and resends from it; Lambda has no use for it).
pub async fn handle_observed<S, Q, T, C, O>(
    engine: &Engine<S, Q, T, C>,
    event: SqsEvent,
    observe: O,
) -> SqsBatchResponse
where
    S: Store,
    Q: Queue,
    T: TaskInvoker,
    C: Clock,
    O: Fn(&Handled),
{
    let observe = &observe;
    stepwise_aws::lambda::handle_records(event, |record| handle_record(engine, record, observe))
        .await
}

async fn handle_record<S, Q, T, C>(
    engine: &Engine<S, Q, T, C>,
    record: SqsMessage,
    observe: &impl Fn(&Handled),
) -> bool
where
    S: Store,
    Q: Queue,
    T: TaskInvoker,
    C: Clock,
{
    let body = record.body.as_deref().unwrap_or_default();
    let message = match Message::from_json(body) {
        Ok(message) => message,
        Err(e) => {
            // Poison: it will never parse. Failing it sends it to the DLQ in the end.
            error!(message_id = ?record.message_id, error = %e, "unreadable step message");
            return false;
        }
    };
    let receive_count = record
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    match engine.handle(message.clone(), receive_count).await {
        Ok(handled) => {
            observe(&handled);
            debug!(execution_id = %message.execution, frame = %message.frame, ?handled, "handled");
            true
        }
        Err(e) if e.is_retryable() => {
            warn!(execution_id = %message.execution, frame = %message.frame, error = %e, "will retry");
            false
        }
        Err(e) => {
            error!(execution_id = %message.execution, frame = %message.frame, error = %e, "cannot handle");
            false
        }
    }
}
