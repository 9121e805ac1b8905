//! Errors a workflow can see: the `Error`/`Cause` pairs that Retry and Catch match.
//!
//! These are data, not Rust faults: a failed state produces a [`Failure`], which the
//! interpreter routes through the state's retriers and catchers. Engine faults (storage,
//! network) never appear here.

use serde::{Deserialize, Serialize};

/// The cause of a `States.Timeout` raised because no heartbeat came within
/// `HeartbeatSeconds` (it tells that timeout from an overrun of `TimeoutSeconds`).
pub const HEARTBEAT_TIMEOUT_CAUSE: &str =
    "The task did not send a heartbeat within HeartbeatSeconds.";

/// The `States.*` error names AWS defines, spelt as AWS spells them.
pub mod names {
    pub const ALL: &str = "States.ALL";
    pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
    pub const HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
    pub const TIMEOUT: &str = "States.Timeout";
    pub const TASK_FAILED: &str = "States.TaskFailed";
    pub const PERMISSIONS: &str = "States.Permissions";
    pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
    pub const PARAMETER_PATH_FAILURE: &str = "States.ParameterPathFailure";
    pub const BRANCH_FAILED: &str = "States.BranchFailed";
    pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
    pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
    pub const EXCEED_TOLERATED_FAILURE_THRESHOLD: &str = "States.ExceedToleratedFailureThreshold";
    pub const ITEM_READER_FAILED: &str = "States.ItemReaderFailed";
    pub const RESULT_WRITER_FAILED: &str = "States.ResultWriterFailed";
    pub const RUNTIME: &str = "States.Runtime";
    pub const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";

    /// Every predefined name, for validating `ErrorEquals`.
    pub const PREDEFINED: &[&str] = &[
        ALL,
        DATA_LIMIT_EXCEEDED,
        HEARTBEAT_TIMEOUT,
        TIMEOUT,
        TASK_FAILED,
        PERMISSIONS,
        RESULT_PATH_MATCH_FAILURE,
        PARAMETER_PATH_FAILURE,
        BRANCH_FAILED,
        NO_CHOICE_MATCHED,
        INTRINSIC_FAILURE,
        EXCEED_TOLERATED_FAILURE_THRESHOLD,
        ITEM_READER_FAILED,
        RESULT_WRITER_FAILED,
        RUNTIME,
        QUERY_EVALUATION_ERROR,
    ];
}

/// A workflow-visible failure: what a Fail state raises, what a task reports, what a runtime
/// error becomes. AWS allows both fields to be absent (a bare `Fail` state), hence `Option`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub error: Option<String>,
    pub cause: Option<String>,
}

impl Failure {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            error: Some(error.into()),
            cause: Some(cause.into()),
        }
    }

    /// `States.Runtime`: not catchable by `States.ALL`, fails the execution.
    pub fn runtime(cause: impl Into<String>) -> Self {
        Self::new(names::RUNTIME, cause)
    }

    /// An intrinsic function that cannot be evaluated. The AWS developer guide lists
    /// `States.IntrinsicFailure` as "reserved for future use": such errors are reported
    /// as `States.Runtime`, so that is what this raises.
    pub fn intrinsic(cause: impl Into<String>) -> Self {
        Self::runtime(cause)
    }

    /// `States.Timeout` with no cause: a task that outlived its `TimeoutSeconds`, as Step
    /// Functions reports it (the engine's check and every invoker that bounds its call).
    pub fn task_timeout() -> Self {
        Self {
            error: Some(names::TIMEOUT.to_owned()),
            cause: None,
        }
    }

    /// `States.Timeout` for an execution that outlived its own `TimeoutSeconds`.
    pub fn execution_timeout() -> Self {
        Self::new(names::TIMEOUT, "The execution timed out")
    }

    pub fn data_limit(cause: impl Into<String>) -> Self {
        Self::new(names::DATA_LIMIT_EXCEEDED, cause)
    }

    pub fn error_name(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The Catch output: `{"Error": …, "Cause": …}`, absent fields omitted as AWS does.
    pub fn to_error_output(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        if let Some(error) = &self.error {
            map.insert("Error".into(), error.clone().into());
        }
        if let Some(cause) = &self.cause {
            map.insert("Cause".into(), cause.clone().into());
        }
        serde_json::Value::Object(map)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}",
            self.error.as_deref().unwrap_or("(no error)"),
            self.cause.as_deref().unwrap_or("(no cause)")
        )
    }
}
