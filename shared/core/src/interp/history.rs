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
    /// A redrive resumed the ended execution; `redrive_count` counts it.
    ExecutionRedriven {
        redrive_count: u32,
    },
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
        region: String,
        timeout_seconds: Option<u64>,
        heartbeat_seconds: Option<u64>,
        /// The resolved `Credentials` (`{"RoleArn": …}`), shown as `taskCredentials`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        credentials: Option<Value>,
    },
    /// The resource was called (`TaskStarted`, `LambdaFunctionStarted`).
    TaskStarted {
        resource: String,
    },
    /// A callback or job task was handed over; `output` is what the call returned.
    TaskSubmitted {
        resource: String,
        output: Value,
    },
    TaskSucceeded {
        resource: String,
        output: Value,
    },
    TaskFailed {
        resource: String,
        failure: Failure,
    },
    TaskTimedOut {
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
    /// `MapRunStarted`: a Distributed Map's run begins.
    MapRunStarted {
        map_run_arn: String,
    },
    /// `MapRunFailed`.
    MapRunFailed(Failure),
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
            Details::ExecutionRedriven { redrive_count } => (
                "executionRedrivenEventDetails",
                json!({"redriveCount": redrive_count}),
            ),
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
                region,
                timeout_seconds,
                heartbeat_seconds,
                credentials,
            } => {
                let mut d = match TaskKind::of(resource) {
                    TaskKind::Service { service, api } => json!({
                        "resourceType": service, "resource": api, "region": region,
                        "parameters": parameters.to_string(),
                    }),
                    TaskKind::Lambda | TaskKind::Activity => json!({
                        "resource": resource, "input": parameters.to_string(),
                        "inputDetails": {"truncated": false},
                    }),
                };
                if let Some(t) = timeout_seconds {
                    d["timeoutInSeconds"] = (*t).into();
                }
                if let Some(h) = heartbeat_seconds {
                    d["heartbeatInSeconds"] = (*h).into();
                }
                // TaskScheduledEventDetails / LambdaFunctionScheduledEventDetails:
                // `taskCredentials: {roleArn}` (Step Functions API reference).
                if let Some(role) = credentials
                    .as_ref()
                    .and_then(|c| c.get("RoleArn"))
                    .and_then(Value::as_str)
                {
                    d["taskCredentials"] = json!({"roleArn": role});
                }
                (self.details_key("ScheduledEventDetails"), d)
            }
            Details::TaskStarted { resource } => match TaskKind::of(resource) {
                // AWS gives `LambdaFunctionStarted` no details at all.
                TaskKind::Lambda | TaskKind::Activity => return event,
                TaskKind::Service { .. } => {
                    let mut d = json!({});
                    task_resource(&mut d, resource);
                    (self.details_key("StartedEventDetails"), d)
                }
            },
            Details::TaskSubmitted { resource, output } => {
                let mut d = json!({});
                task_resource(&mut d, resource);
                d["output"] = output.to_string().into();
                d["outputDetails"] = json!({"truncated": false});
                (self.details_key("SubmittedEventDetails"), d)
            }
            Details::TaskTimedOut { resource, failure } => {
                let mut d = json!({});
                task_resource(&mut d, resource);
                if let (Some(map), Value::Object(f)) = (d.as_object_mut(), failure_json(failure)) {
                    map.extend(f);
                }
                (self.details_key("TimedOutEventDetails"), d)
            }
            Details::TaskSucceeded { resource, output } => {
                let mut d =
                    json!({"output": output.to_string(), "outputDetails": {"truncated": false}});
                task_resource(&mut d, resource);
                (self.details_key("SucceededEventDetails"), d)
            }
            Details::TaskFailed { resource, failure } => {
                let mut d = failure_json(failure);
                task_resource(&mut d, resource);
                (self.details_key("FailedEventDetails"), d)
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
            Details::MapRunStarted { map_run_arn } => (
                "mapRunStartedEventDetails",
                json!({"mapRunArn": map_run_arn}),
            ),
            Details::MapRunFailed(f) => ("mapRunFailedEventDetails", failure_json(f)),
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

impl HistoryEvent {
    /// `taskScheduledEventDetails`, `lambdaFunctionSucceededEventDetails`, … : the event
    /// type with a lower-case first letter, for the task family events.
    fn details_key(&self, suffix: &str) -> &'static str {
        match (self.event_type.as_str(), suffix) {
            ("LambdaFunctionScheduled", _) => "lambdaFunctionScheduledEventDetails",
            ("LambdaFunctionSucceeded", _) => "lambdaFunctionSucceededEventDetails",
            ("LambdaFunctionFailed", _) => "lambdaFunctionFailedEventDetails",
            ("LambdaFunctionTimedOut", _) => "lambdaFunctionTimedOutEventDetails",
            ("ActivityScheduled", _) => "activityScheduledEventDetails",
            ("ActivitySucceeded", _) => "activitySucceededEventDetails",
            ("ActivityFailed", _) => "activityFailedEventDetails",
            ("ActivityTimedOut", _) => "activityTimedOutEventDetails",
            (_, "ScheduledEventDetails") => "taskScheduledEventDetails",
            (_, "StartedEventDetails") => "taskStartedEventDetails",
            (_, "SubmittedEventDetails") => "taskSubmittedEventDetails",
            (_, "SucceededEventDetails") => "taskSucceededEventDetails",
            (_, "TimedOutEventDetails") => "taskTimedOutEventDetails",
            _ => "taskFailedEventDetails",
        }
    }
}

/// How Step Functions names a task resource in history.
#[derive(Debug, PartialEq)]
pub enum TaskKind<'a> {
    /// `arn:aws:states:::lambda:invoke` → resourceType `lambda`, resource `invoke`.
    Service { service: &'a str, api: &'a str },
    /// A bare Lambda function ARN: `LambdaFunction…` events.
    Lambda,
    /// `arn:aws:states:<region>:<account>:activity:<name>`: `Activity…` events.
    Activity,
}

impl<'a> TaskKind<'a> {
    pub fn of(resource: &'a str) -> Self {
        let parts: Vec<&str> = resource.splitn(6, ':').collect();
        match parts.as_slice() {
            [_, _, "lambda", ..] => TaskKind::Lambda,
            [_, _, "states", _, _, rest] if rest.starts_with("activity:") => TaskKind::Activity,
            [_, _, "states", _, _, rest] => match rest.split_once(':') {
                Some((service, api)) => TaskKind::Service { service, api },
                None => TaskKind::Service {
                    service: rest,
                    api: "",
                },
            },
            _ => TaskKind::Service {
                service: "",
                api: resource,
            },
        }
    }

    /// The history event type for `event` on a resource of this kind.
    pub fn event_type(&self, event: TaskEvent) -> &'static str {
        use TaskEvent::*;
        match (self, event) {
            (TaskKind::Service { .. }, Scheduled) => "TaskScheduled",
            (TaskKind::Service { .. }, Started) => "TaskStarted",
            (TaskKind::Service { .. }, Submitted) => "TaskSubmitted",
            (TaskKind::Service { .. }, Succeeded) => "TaskSucceeded",
            (TaskKind::Service { .. }, Failed) => "TaskFailed",
            (TaskKind::Service { .. }, TimedOut) => "TaskTimedOut",
            (TaskKind::Lambda, Scheduled) => "LambdaFunctionScheduled",
            (TaskKind::Lambda, Started) => "LambdaFunctionStarted",
            // A bare Lambda ARN has no callback pattern; the name is never used.
            (TaskKind::Lambda, Submitted) => "TaskSubmitted",
            (TaskKind::Lambda, Succeeded) => "LambdaFunctionSucceeded",
            (TaskKind::Lambda, Failed) => "LambdaFunctionFailed",
            (TaskKind::Lambda, TimedOut) => "LambdaFunctionTimedOut",
            (TaskKind::Activity, Scheduled) => "ActivityScheduled",
            (TaskKind::Activity, Started) => "ActivityStarted",
            (TaskKind::Activity, Submitted) => "TaskSubmitted",
            (TaskKind::Activity, Succeeded) => "ActivitySucceeded",
            (TaskKind::Activity, Failed) => "ActivityFailed",
            (TaskKind::Activity, TimedOut) => "ActivityTimedOut",
        }
    }
}

/// The steps of a task's life that history records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskEvent {
    Scheduled,
    Started,
    Submitted,
    Succeeded,
    Failed,
    TimedOut,
}

/// Service integrations name their resource in two parts; Lambda and activities don't.
fn task_resource(details: &mut Value, resource: &str) {
    if let TaskKind::Service { service, api } = TaskKind::of(resource) {
        details["resourceType"] = service.into();
        details["resource"] = api.into();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_life_events_carry_aws_details() {
        let resource = "arn:aws:states:::sqs:sendMessage.waitForTaskToken";
        let at = "2024-01-01T00:00:00.000Z";
        let started = HistoryEvent::new(
            "TaskStarted",
            Details::TaskStarted {
                resource: resource.to_owned(),
            },
        );
        assert_eq!(
            started.to_aws_json(3, 2, at)["taskStartedEventDetails"],
            json!({"resourceType": "sqs", "resource": "sendMessage.waitForTaskToken"})
        );
        let submitted = HistoryEvent::new(
            "TaskSubmitted",
            Details::TaskSubmitted {
                resource: resource.to_owned(),
                output: json!({"MessageId": "m"}),
            },
        );
        assert_eq!(
            submitted.to_aws_json(4, 3, at)["taskSubmittedEventDetails"],
            json!({"resourceType": "sqs", "resource": "sendMessage.waitForTaskToken",
                   "output": "{\"MessageId\":\"m\"}", "outputDetails": {"truncated": false}})
        );
        let timed_out = HistoryEvent::new(
            "TaskTimedOut",
            Details::TaskTimedOut {
                resource: resource.to_owned(),
                failure: Failure {
                    error: Some("States.Timeout".to_owned()),
                    cause: None,
                },
            },
        );
        assert_eq!(
            timed_out.to_aws_json(5, 4, at)["taskTimedOutEventDetails"],
            json!({"resourceType": "sqs", "resource": "sendMessage.waitForTaskToken",
                   "error": "States.Timeout"})
        );
        let lambda = "arn:aws:lambda:us-east-1:123456789012:function:f";
        let started = HistoryEvent::new(
            TaskKind::of(lambda).event_type(TaskEvent::Started),
            Details::TaskStarted {
                resource: lambda.to_owned(),
            },
        );
        let event = started.to_aws_json(3, 2, at);
        assert_eq!(event["type"], "LambdaFunctionStarted");
        assert_eq!(
            event.as_object().map(|o| o.len()),
            Some(4),
            "no details: {event}"
        );
    }

    #[test]
    fn task_resources_split_like_step_functions_history() {
        assert_eq!(
            TaskKind::of("arn:aws:states:::lambda:invoke"),
            TaskKind::Service {
                service: "lambda",
                api: "invoke"
            }
        );
        assert_eq!(
            TaskKind::of("arn:aws:states:::sqs:sendMessage.waitForTaskToken"),
            TaskKind::Service {
                service: "sqs",
                api: "sendMessage.waitForTaskToken"
            }
        );
        assert_eq!(
            TaskKind::of("arn:aws:lambda:us-east-1:123456789012:function:f"),
            TaskKind::Lambda
        );
        assert_eq!(
            TaskKind::of("arn:aws:states:us-east-1:123456789012:activity:a"),
            TaskKind::Activity
        );
    }

    #[test]
    fn task_events_carry_aws_detail_fields() {
        let scheduled = HistoryEvent::new(
            "TaskScheduled",
            Details::TaskScheduled {
                resource: "arn:aws:states:::sqs:sendMessage".into(),
                parameters: json!({"QueueUrl": "q"}),
                region: "us-east-1".into(),
                timeout_seconds: Some(30),
                heartbeat_seconds: None,
                credentials: Some(json!({"RoleArn": "arn:aws:iam::2:role/r"})),
            },
        )
        .to_aws_json(5, 4, "2024-01-01T00:00:00.000Z");
        assert_eq!(
            scheduled["taskScheduledEventDetails"],
            json!({"resourceType": "sqs", "resource": "sendMessage", "region": "us-east-1",
                   "parameters": "{\"QueueUrl\":\"q\"}", "timeoutInSeconds": 30,
                   "taskCredentials": {"roleArn": "arn:aws:iam::2:role/r"}})
        );
        let failed = HistoryEvent::new(
            "LambdaFunctionFailed",
            Details::TaskFailed {
                resource: "arn:aws:lambda:us-east-1:1:function:f".into(),
                failure: Failure::new("E", "C"),
            },
        )
        .to_aws_json(6, 5, "2024-01-01T00:00:00.000Z");
        assert_eq!(
            failed["lambdaFunctionFailedEventDetails"],
            json!({"error": "E", "cause": "C"})
        );
    }
}
