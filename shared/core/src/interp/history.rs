//! History events, named and shaped like Step Functions' `GetExecutionHistory` events.
//!
//! The interpreter emits them without ids or timestamps; whoever stores them numbers them
//! (see [`HistoryEvent::to_aws_json`]) so ids stay dense across frames.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::failure::Failure;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEvent {
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(flatten)]
    pub details: Details,
}

/// The payload of an event; each variant maps to one `…EventDetails` field of AWS's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Details {
    ExecutionStarted {
        input: Value,
    },
    ExecutionSucceeded {
        output: Value,
    },
    ExecutionFailed(Failure),
    ExecutionTimedOut(Failure),
    ExecutionAborted(Failure),
    StateEntered {
        name: String,
        input: Value,
    },
    StateExited {
        name: String,
        output: Value,
    },
    TaskScheduled {
        resource: String,
        parameters: Value,
    },
    TaskSucceeded {
        resource: String,
        output: Value,
    },
    TaskFailed {
        resource: String,
        failure: Failure,
    },
    MapStarted {
        length: usize,
    },
    MapIteration {
        name: String,
        index: usize,
    },
    /// Events with nothing to add (`ParallelStateStarted`, …).
    Empty,
    /// A failed state, Parallel or Map (`ParallelStateFailed`, `MapIterationFailed` …).
    Failed(Failure),
}

impl HistoryEvent {
    pub fn new(event_type: impl Into<String>, details: Details) -> Self {
        Self {
            event_type: event_type.into(),
            details,
        }
    }

    /// The event as `GetExecutionHistory` returns it. Inputs and outputs are JSON strings
    /// there, as in AWS.
    pub fn to_aws_json(&self, id: u64, previous_event_id: u64, timestamp: &str) -> Value {
        let mut event = json!({
            "timestamp": timestamp,
            "type": self.event_type,
            "id": id,
            "previousEventId": previous_event_id,
        });
        let (key, details) = match &self.details {
            Details::ExecutionStarted { input } => (
                "executionStartedEventDetails",
                json!({"input": input.to_string(), "inputDetails": {"truncated": false}}),
            ),
            Details::ExecutionSucceeded { output } => (
                "executionSucceededEventDetails",
                json!({"output": output.to_string(), "outputDetails": {"truncated": false}}),
            ),
            Details::ExecutionFailed(f) => ("executionFailedEventDetails", failure_json(f)),
            Details::ExecutionTimedOut(f) => ("executionTimedOutEventDetails", failure_json(f)),
            Details::ExecutionAborted(f) => ("executionAbortedEventDetails", failure_json(f)),
            Details::StateEntered { name, input } => (
                "stateEnteredEventDetails",
                json!({"name": name, "input": input.to_string(),
                       "inputDetails": {"truncated": false}}),
            ),
            Details::StateExited { name, output } => (
                "stateExitedEventDetails",
                json!({"name": name, "output": output.to_string(),
                       "outputDetails": {"truncated": false}}),
            ),
            Details::TaskScheduled {
                resource,
                parameters,
            } => (
                "taskScheduledEventDetails",
                json!({"resource": resource, "parameters": parameters.to_string()}),
            ),
            Details::TaskSucceeded { resource, output } => (
                "taskSucceededEventDetails",
                json!({"resource": resource, "output": output.to_string(),
                       "outputDetails": {"truncated": false}}),
            ),
            Details::TaskFailed { resource, failure } => {
                let mut d = failure_json(failure);
                d["resource"] = resource.clone().into();
                ("taskFailedEventDetails", d)
            }
            Details::MapStarted { length } => {
                ("mapStateStartedEventDetails", json!({"length": length}))
            }
            Details::MapIteration { name, index } => {
                let key = match self.event_type.as_str() {
                    "MapIterationStarted" => "mapIterationStartedEventDetails",
                    "MapIterationSucceeded" => "mapIterationSucceededEventDetails",
                    "MapIterationAborted" => "mapIterationAbortedEventDetails",
                    _ => "mapIterationFailedEventDetails",
                };
                (key, json!({"name": name, "index": index}))
            }
            Details::Failed(f) => {
                let key = if self.event_type.starts_with("Task") {
                    "taskFailedEventDetails"
                } else {
                    "failedEventDetails"
                };
                (key, failure_json(f))
            }
            Details::Empty => return event,
        };
        event[key] = details;
        event
    }
}

fn failure_json(failure: &Failure) -> Value {
    let mut map = serde_json::Map::new();
    if let Some(error) = &failure.error {
        map.insert("error".into(), error.clone().into());
    }
    if let Some(cause) = &failure.cause {
        map.insert("cause".into(), cause.clone().into());
    }
    Value::Object(map)
}
