//! AWS's error responses: a `__type` the SDKs turn into typed exceptions, a `message`,
//! and the HTTP status Step Functions answers with.

use serde_json::json;
use stepwise_core::definition::InvalidDefinition;
use stepwise_engine::{store, Error as EngineError};

/// One failed request, as the client will see it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct ApiError {
    kind: &'static str,
    message: String,
    status: u16,
}

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

impl ApiError {
    /// A client error (HTTP 400) of AWS's type `kind`.
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            status: 400,
        }
    }

    /// The error's `__type`, e.g. `ExecutionDoesNotExist`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn status(&self) -> u16 {
        self.status
    }

    /// The response body, `{"__type": …, "message": …}`.
    pub fn body(&self) -> Vec<u8> {
        json!({"__type": self.kind, "message": self.message})
            .to_string()
            .into_bytes()
    }

    fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    pub(crate) fn unknown_operation(target: &str) -> Self {
        Self::new(
            "UnknownOperationException",
            format!("Unknown operation: '{target}'"),
        )
    }

    pub(crate) fn serialization(message: impl Into<String>) -> Self {
        Self::new("SerializationException", message)
    }

    pub(crate) fn too_large(limit: usize) -> Self {
        Self::new(
            "RequestEntityTooLargeException",
            format!("Request body is larger than {limit} bytes"),
        )
        .with_status(413)
    }

    /// A constraint on one field, worded as AWS words its validation errors.
    pub(crate) fn validation(field: &str, constraint: &str) -> Self {
        Self::new(
            "ValidationException",
            format!("1 validation error detected: Value at '{field}' failed to satisfy constraint: {constraint}"),
        )
    }

    pub(crate) fn missing(field: &str) -> Self {
        Self::new(
            "ValidationException",
            format!("1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"),
        )
    }

    pub(crate) fn invalid_arn(arn: &str, why: &str) -> Self {
        Self::new("InvalidArn", format!("Invalid Arn: '{why}: {arn}'"))
    }

    pub(crate) fn invalid_name(name: &str) -> Self {
        Self::new("InvalidName", format!("Invalid Name: '{name}'"))
    }

    pub(crate) fn state_machine_missing(arn: &str) -> Self {
        Self::new(
            "StateMachineDoesNotExist",
            format!("State Machine Does Not Exist: '{arn}'"),
        )
    }

    pub(crate) fn execution_missing(arn: &str) -> Self {
        Self::new(
            "ExecutionDoesNotExist",
            format!("Execution Does Not Exist: '{arn}'"),
        )
    }

    pub(crate) fn resource_missing(what: &str, arn: &str) -> Self {
        Self::new(
            "ResourceNotFound",
            format!("{what} Does Not Exist: '{arn}'"),
        )
    }

    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        Self::new("ConflictException", message)
    }

    pub(crate) fn invalid_definition(invalid: &InvalidDefinition) -> Self {
        let problems: Vec<String> = invalid
            .diagnostics
            .iter()
            .map(|d| {
                let at = if d.path.is_empty() { "/" } else { &d.path };
                format!("{} at {at}", d.message)
            })
            .collect();
        Self::new(
            "InvalidDefinition",
            format!(
                "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: {}'",
                problems.join("; ")
            ),
        )
    }

    fn internal(message: String) -> Self {
        Self::new("InternalFailure", message).with_status(500)
    }

    fn unavailable(message: String) -> Self {
        Self::new("ServiceUnavailable", message).with_status(503)
    }
}

impl From<store::Error> for ApiError {
    fn from(error: store::Error) -> Self {
        match error {
            store::Error::Unavailable(_) => Self::unavailable(error.to_string()),
            store::Error::Corrupt { .. } | store::Error::TooLarge(_) => {
                Self::internal(error.to_string())
            }
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::Store(e) => e.into(),
            EngineError::Queue(e) => Self::unavailable(e.to_string()),
            EngineError::InvalidDefinition(invalid) => Self::invalid_definition(&invalid),
            EngineError::ExecutionAlreadyExists(arn) => Self::new(
                "ExecutionAlreadyExists",
                format!("Execution Already Exists: '{arn}'"),
            ),
            EngineError::ExecutionDoesNotExist(arn) => Self::execution_missing(&arn),
            error @ EngineError::ExecutionNotRedrivable { .. } => {
                Self::new("ExecutionNotRedrivable", error.to_string())
            }
            EngineError::InvalidName(name) => Self::invalid_name(&name),
            EngineError::InvalidToken(why) => {
                Self::new("InvalidToken", format!("Invalid Token: '{why}'"))
            }
            EngineError::TaskTimedOut(why) => {
                Self::new("TaskTimedOut", format!("Task Timed Out: '{why}'"))
            }
            EngineError::Step { .. } | EngineError::MissingDefinition(_) => {
                Self::internal(error.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stepwise_core::definition::Diagnostic;

    #[test]
    fn bodies_carry_the_type_and_message() {
        let error = ApiError::execution_missing("arn:x");
        let body: serde_json::Value = serde_json::from_slice(&error.body()).unwrap();
        assert_eq!(
            body,
            json!({"__type": "ExecutionDoesNotExist", "message": "Execution Does Not Exist: 'arn:x'"})
        );
        assert_eq!(error.status(), 400);
    }

    #[test]
    fn engine_faults_are_server_errors_and_misuse_is_a_client_error() {
        let down = ApiError::from(EngineError::Store(store::Error::Unavailable("x".into())));
        assert_eq!((down.kind(), down.status()), ("ServiceUnavailable", 503));
        let reused = ApiError::from(EngineError::TaskTimedOut("the task has already ended"));
        assert_eq!((reused.kind(), reused.status()), ("TaskTimedOut", 400));
    }

    #[test]
    fn invalid_definitions_list_each_path() {
        let invalid = InvalidDefinition {
            diagnostics: vec![
                Diagnostic {
                    path: "/States/A/Next".into(),
                    message: "no state named \"B\"".into(),
                },
                Diagnostic {
                    path: String::new(),
                    message: "missing StartAt".into(),
                },
            ],
        };
        let error = ApiError::invalid_definition(&invalid);
        assert_eq!(error.kind(), "InvalidDefinition");
        assert_eq!(
            error.message(),
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: no state named \"B\" at /States/A/Next; missing StartAt at /'"
        );
    }
}
