//! The start function's handler. It starts executions from two sources:
//! - an SQS batch from the start queue (each body a [`StartPayload`]), answering with the
//!   records to deliver again (`ReportBatchItemFailures`);
//! - a direct invoke whose payload is one [`StartPayload`], answering as Step Functions'
//!   `StartExecution` does (`executionArn`, `startDate`).
//!
//! Starting is idempotent by name, so a redelivered start message does no harm.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use stepwise_engine::{Clock, Engine, Queue, StartRequest, Store, TaskInvoker};
use tracing::{error, warn};

/// What starts one execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartPayload {
    /// The state machine's name (the execution ARN includes it).
    pub state_machine: String,
    /// The ASL definition, as a JSON object or as its text.
    pub definition: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The execution input; `{}` when absent, as in Step Functions.
    #[serde(default = "empty_object")]
    pub input: Value,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

impl StartPayload {
    fn into_request(self) -> StartRequest {
        let definition = match self.definition {
            Value::String(text) => text,
            other => other.to_string(),
        };
        StartRequest {
            state_machine: self.state_machine,
            definition,
            name: self.name,
            input: self.input,
            test_case: None,
        }
    }
}

/// `StartExecution`'s answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartResponse {
    pub execution_arn: String,
    /// Epoch seconds, as the Step Functions JSON API sends dates.
    pub start_date: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid start payload: {0}")]
    Payload(#[from] serde_json::Error),
    #[error(transparent)]
    Engine(#[from] stepwise_engine::Error),
}

/// Dispatches on the payload's shape: an SQS event has `Records`.
pub async fn handle<S, Q, T, C>(engine: &Engine<S, Q, T, C>, payload: Value) -> Result<Value, Error>
where
    S: Store,
    Q: Queue,
    T: TaskInvoker,
    C: Clock,
{
    if payload.get("Records").is_some() {
        let event: SqsEvent = serde_json::from_value(payload)?;
        return Ok(serde_json::to_value(handle_batch(engine, event).await)?);
    }
    let started = start(engine, serde_json::from_value(payload)?).await?;
    Ok(serde_json::to_value(started)?)
}

pub async fn start<S, Q, T, C>(
    engine: &Engine<S, Q, T, C>,
    payload: StartPayload,
) -> Result<StartResponse, Error>
where
    S: Store,
    Q: Queue,
    T: TaskInvoker,
    C: Clock,
{
    let started = engine.start(payload.into_request()).await?;
    Ok(StartResponse {
        execution_arn: started.execution_arn,
        start_date: started.start_date as f64 / 1000.0,
    })
}

pub async fn handle_batch<S, Q, T, C>(
    engine: &Engine<S, Q, T, C>,
    event: SqsEvent,
) -> SqsBatchResponse
where
    S: Store,
    Q: Queue,
    T: TaskInvoker,
    C: Clock,
{
    stepwise_aws::lambda::handle_records(event, |record| async move {
        let id = record.message_id.clone().unwrap_or_default();
        let body = record.body.as_deref().unwrap_or_default();
        let outcome = match serde_json::from_str::<StartPayload>(body) {
            Ok(payload) => start(engine, payload).await.map(drop),
            Err(e) => Err(Error::Payload(e)),
        };
        match outcome {
            Ok(()) => true,
            // Same name, different input: the message can never succeed; the DLQ keeps it.
            Err(e @ Error::Engine(stepwise_engine::Error::ExecutionAlreadyExists(_))) => {
                warn!(message_id = %id, error = %e, "start refused");
                false
            }
            Err(Error::Engine(e)) if e.is_retryable() => {
                warn!(message_id = %id, error = %e, "will retry");
                false
            }
            Err(e) => {
                error!(message_id = %id, error = %e, "cannot start");
                false
            }
        }
    })
    .await
}
