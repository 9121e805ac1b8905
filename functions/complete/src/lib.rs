//! The complete function's handler: task callbacks, from two sources.
//! - A direct invoke whose payload is one [`Callback`]: it answers `{}` or fails with the
//!   Step Functions error name as the Lambda `errorType` (`TaskTimedOut`,
//!   `InvalidToken`, `InvalidOutput`, `ValidationException`), as the API would.
//! - An SQS batch from the complete queue, each body one [`Callback`]. A callback whose
//!   answer is final (a spent or unknown token) is deleted with a warning: delivering it
//!   again cannot change the answer. Unreadable bodies fail, so they end in the DLQ for
//!   a person to read; store and queue faults are retried.
//!
//! Completing is idempotent (see [`stepwise_engine::Engine::complete`]).

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::Diagnostic;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use stepwise_core::failure::Failure;
use stepwise_core::interp::exceeds_payload_limit;
use stepwise_engine::{Clock, Completion, Engine, Queue, Store, TaskInvoker};
use tracing::{error, info, warn};

/// One callback: the Step Functions request, named by its operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "operation", deny_unknown_fields)]
pub enum Callback {
    #[serde(rename_all = "camelCase")]
    SendTaskSuccess {
        task_token: String,
        /// The task's result as JSON text, as the API takes it.
        output: String,
    },
    #[serde(rename_all = "camelCase")]
    SendTaskFailure {
        task_token: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cause: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    SendTaskHeartbeat { task_token: String },
}

/// Step Functions' limits on SendTaskFailure's fields.
const MAX_ERROR_LENGTH: usize = 256;
const MAX_CAUSE_LENGTH: usize = 32_768;

/// Why a callback was refused, named as the Step Functions API names it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Validation(String),
    #[error("Invalid Output: {0}")]
    InvalidOutput(String),
    #[error(transparent)]
    Engine(#[from] stepwise_engine::Error),
}

impl Error {
    /// The API's exception name for this error (the Lambda `errorType`).
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::Validation(_) => "ValidationException",
            Self::InvalidOutput(_) => "InvalidOutput",
            Self::Engine(stepwise_engine::Error::InvalidToken(_)) => "InvalidToken",
            Self::Engine(stepwise_engine::Error::TaskTimedOut(_)) => "TaskTimedOut",
            Self::Engine(_) => "ServiceUnavailable",
        }
    }

    /// A definite answer: the same callback would get it again.
    pub fn is_final(&self) -> bool {
        match self {
            Self::Engine(e) => !e.is_retryable(),
            _ => true,
        }
    }
}

impl From<Error> for Diagnostic {
    fn from(error: Error) -> Self {
        Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

impl Callback {
    pub fn task_token(&self) -> &str {
        match self {
            Self::SendTaskSuccess { task_token, .. }
            | Self::SendTaskFailure { task_token, .. }
            | Self::SendTaskHeartbeat { task_token } => task_token,
        }
    }

    /// The engine's view of the request, after the API's own checks.
    fn completion(self) -> Result<Completion, Error> {
        match self {
            Self::SendTaskSuccess { output, .. } => {
                let output: Value = serde_json::from_str(&output)
                    .map_err(|e| Error::InvalidOutput(format!("output is not JSON: {e}")))?;
                if exceeds_payload_limit(&output) {
                    return Err(Error::Validation(
                        "1 validation error detected: Value at 'output' failed to satisfy constraint: Member must have length less than or equal to 262144".to_owned(),
                    ));
                }
                Ok(Completion::Success(output))
            }
            Self::SendTaskFailure { error, cause, .. } => {
                if error
                    .as_ref()
                    .is_some_and(|e| e.chars().count() > MAX_ERROR_LENGTH)
                {
                    return Err(Error::Validation(format!(
                        "1 validation error detected: Value at 'error' failed to satisfy constraint: Member must have length less than or equal to {MAX_ERROR_LENGTH}"
                    )));
                }
                if cause
                    .as_ref()
                    .is_some_and(|c| c.chars().count() > MAX_CAUSE_LENGTH)
                {
                    return Err(Error::Validation(format!(
                        "1 validation error detected: Value at 'cause' failed to satisfy constraint: Member must have length less than or equal to {MAX_CAUSE_LENGTH}"
                    )));
                }
                Ok(Completion::Failure(Failure { error, cause }))
            }
            Self::SendTaskHeartbeat { .. } => Ok(Completion::Heartbeat),
        }
    }
}

/// Delivers one callback.
pub async fn complete<S, Q, T, C>(
    engine: &Engine<S, Q, T, C>,
    callback: Callback,
) -> Result<(), Error>
where
    S: Store,
    Q: Queue,
    T: TaskInvoker,
    C: Clock,
{
    let token = callback.task_token().to_owned();
    if token.is_empty() {
        return Err(Error::Validation(
            "1 validation error detected: Value at 'taskToken' failed to satisfy constraint: Member must have length greater than or equal to 1".to_owned(),
        ));
    }
    let completion = callback.completion()?;
    engine.complete(&token, completion).await?;
    Ok(())
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
        let event: SqsEvent = serde_json::from_value(payload)
            .map_err(|e| Error::Validation(format!("invalid SQS event: {e}")))?;
        let response = handle_batch(engine, event).await;
        return serde_json::to_value(response).map_err(|e| Error::Validation(e.to_string()));
    }
    let callback: Callback = serde_json::from_value(payload)
        .map_err(|e| Error::Validation(format!("invalid callback: {e}")))?;
    complete(engine, callback).await?;
    Ok(Value::Object(Default::default()))
}

pub async fn handle_batch<S, Q, T, C>(
    engine: &Engine<S, Q, T, C>,
    event: SqsEvent,
) -> aws_lambda_events::event::sqs::SqsBatchResponse
where
    S: Store,
    Q: Queue,
    T: TaskInvoker,
    C: Clock,
{
    stepwise_aws::lambda::handle_measured("complete", event, |record| async move {
        let id = record.message_id.clone().unwrap_or_default();
        let body = record.body.as_deref().unwrap_or_default();
        let callback = match serde_json::from_str::<Callback>(body) {
            Ok(callback) => callback,
            Err(e) => {
                error!(message_id = %id, error = %e, "unreadable callback");
                return false;
            }
        };
        match complete(engine, callback).await {
            Ok(()) => {
                info!(message_id = %id, "callback delivered");
                true
            }
            Err(e) if e.is_final() => {
                warn!(message_id = %id, error_type = e.error_type(), error = %e, "callback refused");
                true
            }
            Err(e) => {
                warn!(message_id = %id, error = %e, "will retry");
                false
            }
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn callbacks_read_as_the_api_spells_them() {
        let success: Callback = serde_json::from_value(json!({
            "operation": "SendTaskSuccess", "taskToken": "t", "output": "{\"a\":1}"
        }))
        .expect("success");
        assert_eq!(
            success.completion().expect("completion"),
            Completion::Success(json!({"a": 1}))
        );
        let failure: Callback = serde_json::from_value(json!({
            "operation": "SendTaskFailure", "taskToken": "t", "error": "E"
        }))
        .expect("failure");
        assert_eq!(
            failure.completion().expect("completion"),
            Completion::Failure(Failure {
                error: Some("E".to_owned()),
                cause: None
            })
        );
        let unknown = serde_json::from_value::<Callback>(json!({
            "operation": "SendTaskSuccess", "taskToken": "t", "output": "1", "extra": 1
        }));
        assert!(unknown.is_err(), "unknown fields are refused");
    }

    #[test]
    fn bad_fields_get_the_api_error_names() {
        let not_json = Callback::SendTaskSuccess {
            task_token: "t".to_owned(),
            output: "{nope".to_owned(),
        };
        let error = not_json.completion().expect_err("not JSON");
        assert_eq!(error.error_type(), "InvalidOutput");
        let huge = Callback::SendTaskSuccess {
            task_token: "t".to_owned(),
            output: serde_json::to_string(&"x".repeat(300 * 1024)).expect("json"),
        };
        assert_eq!(
            huge.completion().expect_err("huge").error_type(),
            "ValidationException"
        );
        let long_error = Callback::SendTaskFailure {
            task_token: "t".to_owned(),
            error: Some("e".repeat(MAX_ERROR_LENGTH + 1)),
            cause: None,
        };
        assert_eq!(
            long_error.completion().expect_err("long").error_type(),
            "ValidationException"
        );
    }
}
