//! The start function's handler. It starts executions from two sources:
//! - an SQS batch from the start queue, answering with the records to deliver again
//!   (`ReportBatchItemFailures`);
//! - a direct invoke, answering as Step Functions' `StartExecution` does (`executionArn`,
//!   `startDate`).
//!
//! Each body is either Step Functions' own `StartExecution` request
//! (`{"stateMachineArn", "input", "name"}`, for a state machine created through the API),
//! handled by the API crate so its checks and errors are the API's, or a [`StartPayload`]
//! that carries its definition inline.
//!
//! Starting is idempotent by name, so a redelivered start message does no harm.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use stepwise_api::{Api, ApiError, Catalog};
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
    /// A `StartExecution` request the API refused, with AWS's error type.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl Error {
    /// Whether delivering the message again may succeed (a throttle, an outage).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Payload(_) => false,
            Self::Engine(e) => e.is_retryable(),
            Self::Api(e) => e.status() >= 500,
        }
    }
}

/// The `X-Amz-Target` of Step Functions' `StartExecution`.
const START_EXECUTION: &str = "AWSStepFunctions.StartExecution";

/// Step Functions' request names the state machine by ARN; an inline payload carries it.
fn is_start_execution(payload: &Value) -> bool {
    payload.get("stateMachineArn").is_some()
}

/// Dispatches on the payload's shape: an SQS event has `Records`.
pub async fn handle<S, Q, T, C>(api: &Api<S, Q, T, C>, payload: Value) -> Result<Value, Error>
where
    S: Store + Catalog,
    Q: Queue,
    T: TaskInvoker,
    C: Clock,
{
    if payload.get("Records").is_some() {
        let event: SqsEvent = serde_json::from_value(payload)?;
        return Ok(serde_json::to_value(handle_batch(api, event).await)?);
    }
    start_one(api, payload).await
}

/// Starts the execution one body asks for; `StartExecution`'s answer.
async fn start_one<S, Q, T, C>(api: &Api<S, Q, T, C>, payload: Value) -> Result<Value, Error>
where
    S: Store + Catalog,
    Q: Queue,
    T: TaskInvoker,
    C: Clock,
{
    if is_start_execution(&payload) {
        return Ok(api
            .call(START_EXECUTION, payload.to_string().as_bytes())
            .await?);
    }
    let started = start(api.engine(), serde_json::from_value(payload)?).await?;
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

pub async fn handle_batch<S, Q, T, C>(api: &Api<S, Q, T, C>, event: SqsEvent) -> SqsBatchResponse
where
    S: Store + Catalog,
    Q: Queue,
    T: TaskInvoker,
    C: Clock,
{
    stepwise_aws::lambda::handle_measured("start", event, |record| async move {
        let id = record.message_id.clone().unwrap_or_default();
        let body = record.body.as_deref().unwrap_or_default();
        let outcome = match serde_json::from_str::<Value>(body) {
            Ok(payload) => start_one(api, payload).await.map(drop),
            Err(e) => Err(Error::Payload(e)),
        };
        match outcome {
            Ok(()) => true,
            Err(e) if e.is_retryable() => {
                warn!(message_id = %id, error = %e, "will retry");
                false
            }
            // The message can never succeed (same name with other input, an unknown state
            // machine, bad JSON): it is reported until the queue dead-letters it, where it
            // stays for inspection.
            Err(e) => {
                error!(message_id = %id, error = %e, "cannot start");
                false
            }
        }
    })
    .await
}
