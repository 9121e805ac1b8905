//! The engine's faults (never workflow errors: those are `stepwise_core::failure::Failure`).

use stepwise_core::definition::InvalidDefinition;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error(transparent)]
    Queue(#[from] crate::queue::Error),
    #[error(transparent)]
    InvalidDefinition(#[from] InvalidDefinition),
    #[error("Execution Already Exists: '{0}'")]
    ExecutionAlreadyExists(String),
    #[error("Execution Does Not Exist: '{0}'")]
    ExecutionDoesNotExist(String),
    /// `RedriveExecution` on an execution that cannot be redriven; `reason` is AWS's
    /// `redriveStatusReason`.
    #[error("Execution Not Redrivable: '{reason}: {arn}'")]
    ExecutionNotRedrivable { arn: String, reason: String },
    #[error("invalid execution name {0:?}: 1 to 80 characters, none of whitespace, <>{{}}[]?*\"#%\\^|~`$&,;:/ or control characters")]
    InvalidName(String),
    /// The stored frame and its definition disagree (a bug, or a store edited by hand).
    #[error("execution {execution}, frame {frame}: {source}")]
    Step {
        execution: String,
        frame: String,
        source: stepwise_core::interp::Error,
    },
    #[error("stored definition {0} is missing")]
    MissingDefinition(String),
    /// A task token Stepwise did not make (AWS's `InvalidToken`). Errors never echo a
    /// token: it is a credential.
    #[error("Invalid Token: {0}")]
    InvalidToken(&'static str),
    /// The token's task has ended: completed, timed out, or its execution stopped (AWS's
    /// `TaskTimedOut`, which SendTask* calls return for a closed task).
    #[error("Task Timed Out: {0}")]
    TaskTimedOut(&'static str),
}

impl Error {
    /// Whether handling the message again may succeed (the queue should redeliver it);
    /// otherwise the message is poison and belongs in the dead-letter queue.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Store(crate::store::Error::Unavailable(_)) | Self::Queue(_)
        )
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
