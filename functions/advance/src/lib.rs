//! The advance function's handler: one SQS batch of step messages, each handed to the
//! engine, with per-message failures reported so one bad message never fails its batch
//! (`ReportBatchItemFailures`). A message that keeps failing reaches the dead-letter
//! queue after the queue's `maxReceiveCount`.
//!
//! Each message is handled inside a span naming its execution, frame and state, so every
//! log line says what it is about; each batch ends with one line of CloudWatch metrics
//! (EMF): transitions, failed messages, and the batch's handling time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use stepwise_aws::emf::{Metrics, Unit};
use stepwise_engine::{Clock, Engine, Handled, Message, Queue, Store, TaskInvoker};
use tracing::{debug, error, warn, Instrument as _};

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
/// (a worker counts transitions, conflicts and resends from it for Prometheus). The batch's
/// EMF line is written either way, as the start and complete handlers write theirs.
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
    let started = Instant::now();
    let messages = event.records.len();
    let transitions = AtomicU64::new(0);
    let observe = |handled: &Handled| {
        if let Handled::Advanced { transitions: n } = handled {
            transitions.fetch_add(*n, Ordering::Relaxed);
        }
        observe(handled);
    };
    let observe = &observe;
    let response = stepwise_aws::lambda::handle_records(event, |record| {
        handle_record(engine, record, observe)
    })
    .await;
    batch_metrics(
        messages,
        transitions.into_inner(),
        response.batch_item_failures.len(),
        started.elapsed().as_secs_f64() * 1000.0,
    )
    .emit(stepwise_aws::lambda::now_ms());
    response
}

/// The advance function's metrics for one batch: those of
/// [`stepwise_aws::lambda::handle_measured`], plus `Transitions`.
pub fn batch_metrics(
    messages: usize,
    transitions: u64,
    failures: usize,
    latency_ms: f64,
) -> Metrics {
    let mut metrics = Metrics::for_function("advance");
    metrics
        .add("Messages", Unit::Count, messages as f64)
        .add("Transitions", Unit::Count, transitions as f64)
        .add("Failures", Unit::Count, failures as f64)
        .add("Latency", Unit::Milliseconds, latency_ms);
    metrics
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
    let span = stepwise_aws::lambda::message_span(&message.execution, &message.frame);
    let handled = engine
        .handle(message.clone(), receive_count)
        .instrument(span.clone())
        .await;
    let _in_span = span.enter();
    match handled {
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
