//! Nested executions: Task states on `arn:aws:states:::states:startExecution` (fire and
//! forget), `….sync` and `….sync:2` (the task ends with the child) and
//! `….waitForTaskToken` (the task ends with a callback, usually from the child).
//!
//! The engine runs them itself, not the `TaskInvoker`: it owns the store, the queue and
//! the idempotent start. A child started for a waiting task records the task's token in
//! its header; its end (committed by a step, or by [`Engine::end`]) sends an
//! `ExecutionEnded` message that completes the task through [`Engine::complete`].

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use stepwise_core::failure::{names, Failure};
use stepwise_core::interp::TaskRequest;
use tracing::info;

use super::{Engine, StartRequest};
use crate::catalog::ExecutionOrigin;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::machines::{self, BadArn};
use crate::message::{Message, MessageKind};
use crate::queue::Queue;
use crate::records::{ExecutionRecord, ExecutionStatus, ParentTask, WaitingParent};
use crate::store::Store;
use crate::tasks::TaskInvoker;
use crate::{Completion, FrameId, Handled};

const START_EXECUTION: &str = "arn:aws:states:::states:startExecution";

/// How a `startExecution` Task state waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pattern {
    FireAndForget,
    Sync,
    Sync2,
    Callback,
}

impl Pattern {
    /// `None` for any resource that is not a nested execution.
    pub(crate) fn of(resource: &str) -> Option<Self> {
        match resource.strip_prefix(START_EXECUTION)? {
            "" => Some(Self::FireAndForget),
            ".sync" => Some(Self::Sync),
            ".sync:2" => Some(Self::Sync2),
            ".waitForTaskToken" => Some(Self::Callback),
            _ => None,
        }
    }
}

/// The task's parameters, read as the integration reads them.
struct Params {
    state_machine_arn: String,
    input: Value,
    name: Option<String>,
}

impl Params {
    fn read(parameters: &Value, request_id: &str) -> Result<Self, Failure> {
        let field = |name: &str| parameters.get(name).filter(|v| !v.is_null());
        let Some(arn) = field("StateMachineArn").and_then(Value::as_str) else {
            return Err(Failure::new(
                names::RUNTIME,
                "The field 'StateMachineArn' is required and must be a string for a \
                 states:startExecution task.",
            ));
        };
        let input = match field("Input") {
            None => json!({}),
            // StartExecution takes JSON text: a string is that text.
            Some(Value::String(text)) => serde_json::from_str(text).map_err(|e| {
                sdk_failure(
                    "InvalidExecutionInput",
                    &format!("Invalid State Machine Execution Input: '{e}'"),
                    request_id,
                )
            })?,
            Some(value) => value.clone(),
        };
        let name = match field("Name") {
            None => None,
            Some(Value::String(name)) => Some(name.clone()),
            Some(other) => {
                return Err(sdk_failure(
                    "InvalidName",
                    &format!("Invalid Name: '{other}'"),
                    request_id,
                ))
            }
        };
        Ok(Self {
            state_machine_arn: arn.to_owned(),
            input,
            name,
        })
    }
}

impl<S: Store, Q: Queue, T: TaskInvoker, C: Clock> Engine<S, Q, T, C> {
    /// Starts the child a `startExecution` task asks for. `Ok(Err(_))` is the task's
    /// failure; `Err(_)` an engine fault (the message is delivered again, and the start,
    /// idempotent by name, finds the child it may already have made).
    pub(super) async fn start_nested(
        &self,
        message: &Message,
        request: &TaskRequest,
        pattern: Pattern,
    ) -> Result<Result<Value, Failure>> {
        let caller = format!("{}#{}", message.execution, message.key());
        let digest = Sha256::digest(format!("{caller}#{}", request.attempt).as_bytes());
        let request_id = uuid_from(&digest[..16]);
        let Some(machines) = &self.machines else {
            return Ok(Err(Failure::runtime(format!(
                "The resource '{}' (state '{}') starts a nested execution, but this engine \
                 has no state machine catalog to find state machines in.",
                request.resource, request.state
            ))));
        };
        let params = match Params::read(&request.parameters, &request_id) {
            Ok(params) => params,
            Err(failure) => return Ok(Err(failure)),
        };
        let arn = &params.state_machine_arn;
        let machine = match machines::parse_arn(arn, &self.config.state_machine_arn("")) {
            Ok(machine) => machine,
            Err(BadArn::Invalid) => {
                let message =
                    format!("Invalid Arn: 'Resource type not valid in this context: {arn}'");
                return Ok(Err(sdk_failure("InvalidArn", &message, &request_id)));
            }
            Err(BadArn::Elsewhere) => return Ok(Err(does_not_exist(arn, &request_id))),
        };
        // Without a Name, the child's name comes from the task message, so a redelivered
        // message starts (finds) the same child.
        let name = params.name.unwrap_or_else(|| request_id.clone());
        let draw = u32::from(digest[16]) * 100 / 256;
        let Some(target) = machines.resolve(&self.store, &machine, draw).await? else {
            return Ok(Err(does_not_exist(arn, &request_id)));
        };
        let waiting = match pattern {
            Pattern::Sync | Pattern::Sync2 => {
                request.task_token.clone().map(|token| WaitingParent {
                    token,
                    json_values: pattern == Pattern::Sync2,
                })
            }
            Pattern::FireAndForget | Pattern::Callback => None,
        };
        let start = StartRequest::new(&target.name, &target.definition, params.input).named(&name);
        let parent = ParentTask { caller, waiting };
        let started = match self.start_with(start, Some(parent)).await {
            Ok(started) => started,
            Err(Error::ExecutionAlreadyExists(child)) => {
                let message = format!("Execution Already Exists: '{child}'");
                return Ok(Err(sdk_failure(
                    "ExecutionAlreadyExists",
                    &message,
                    &request_id,
                )));
            }
            Err(Error::InvalidName(name)) => {
                let message = format!("Invalid Name: '{name}'");
                return Ok(Err(sdk_failure("InvalidName", &message, &request_id)));
            }
            Err(Error::InvalidDefinition(e)) => {
                return Ok(Err(Failure::runtime(format!(
                    "The definition of '{arn}' cannot run: {e}"
                ))))
            }
            Err(e) => return Err(e),
        };
        if target.origin != ExecutionOrigin::default() {
            machines
                .record_origin(&self.store, &started.execution_arn, target.origin)
                .await?;
        }
        info!(execution_id = %message.execution, child = %started.execution_arn, "nested execution started");
        Ok(Ok(start_output(
            &started.execution_arn,
            started.start_date,
            &request_id,
        )))
    }

    /// An `ExecutionEnded` message: completes the task that waits for this execution.
    /// Idempotent: a task that has moved on (completed, timed out, its execution ended)
    /// is left alone.
    pub(super) async fn report_to_parent(&self, arn: &str) -> Result<Handled> {
        let Some(child) = self.store.execution(arn).await? else {
            return Ok(Handled::Ignored("unknown execution"));
        };
        let Some(waiting) = child.parent.as_ref().and_then(|p| p.waiting.as_ref()) else {
            return Ok(Handled::Ignored("no task waits for this execution"));
        };
        if child.is_running() {
            return Ok(Handled::Ignored("execution running"));
        }
        let described = describe_output(&child, waiting.json_values);
        let completion = match child.status {
            ExecutionStatus::Succeeded => Completion::Success(described),
            _ => Completion::Failure(Failure::new(names::TASK_FAILED, described.to_string())),
        };
        match self.complete(&waiting.token, completion).await {
            Ok(()) => Ok(Handled::Advanced { transitions: 0 }),
            Err(Error::TaskTimedOut(_) | Error::InvalidToken(_)) => {
                Ok(Handled::Ignored("the waiting task has ended"))
            }
            Err(e) => Err(e),
        }
    }

    /// Tells a waiting parent that `ended` has ended (again: duplicates are harmless).
    pub(super) async fn notify_parent(&self, ended: &ExecutionRecord) -> Result<()> {
        if ended.is_running() || !waits(ended) {
            return Ok(());
        }
        let message = Message::new(ended.arn(), FrameId::root(), 0, MessageKind::ExecutionEnded);
        self.send(vec![message], self.clock.now()).await
    }
}

/// Whether a task waits for this execution's end.
pub(crate) fn waits(execution: &ExecutionRecord) -> bool {
    execution
        .parent
        .as_ref()
        .is_some_and(|p| p.waiting.is_some())
}

/// StartExecution's response, as the integration returns it.
fn start_output(execution_arn: &str, start_date: i64, request_id: &str) -> Value {
    json!({
        "ExecutionArn": execution_arn,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {
                "Content-Type": ["application/x-amz-json-1.0"],
                "x-amzn-RequestId": [request_id],
            },
            "HttpHeaders": {
                "Content-Type": "application/x-amz-json-1.0",
                "x-amzn-RequestId": request_id,
            },
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
        "StartDate": start_date,
    })
}

/// DescribeExecution's response in the integration's PascalCase, dates as epoch ms;
/// `.sync:2` gives the input and output as JSON values, `.sync` as JSON text.
pub(crate) fn describe_output(execution: &ExecutionRecord, json_values: bool) -> Value {
    let data = |value: &Value| match json_values {
        true => value.clone(),
        false => Value::String(value.to_string()),
    };
    let info = &execution.info;
    let mut out = Map::new();
    out.insert("ExecutionArn".into(), info.id.clone().into());
    out.insert("Input".into(), data(&info.input));
    out.insert("InputDetails".into(), json!({"Included": true}));
    out.insert("Name".into(), info.name.clone().into());
    if let Some(output) = &execution.output {
        out.insert("Output".into(), data(output));
        out.insert("OutputDetails".into(), json!({"Included": true}));
    }
    out.insert("StartDate".into(), info.start_time.into());
    out.insert(
        "StateMachineArn".into(),
        info.state_machine_id.clone().into(),
    );
    out.insert("Status".into(), execution.status.as_str().into());
    if let Some(stop) = execution.stop_time {
        out.insert("StopDate".into(), stop.into());
    }
    if let Some(failure) = &execution.failure {
        if let Some(error) = &failure.error {
            out.insert("Error".into(), error.clone().into());
        }
        if let Some(cause) = &failure.cause {
            out.insert("Cause".into(), cause.clone().into());
        }
    }
    Value::Object(out)
}

fn does_not_exist(arn: &str, request_id: &str) -> Failure {
    let message = format!("State Machine Does Not Exist: '{arn}'");
    sdk_failure("StateMachineDoesNotExist", &message, request_id)
}

/// A Step Functions API error as the integration reports it: `StepFunctions.<code>Exception`
/// with the AWS SDK for Java's message as the cause.
fn sdk_failure(code: &str, message: &str, request_id: &str) -> Failure {
    Failure::new(
        format!("StepFunctions.{code}Exception"),
        format!(
            "{message} (Service: AWSStepFunctions; Status Code: 400; Error Code: {code}; \
             Request ID: {request_id}; Proxy: null)"
        ),
    )
}

/// 16 bytes as a version-4-shaped UUID.
fn uuid_from(bytes: &[u8]) -> String {
    let mut b = [0u8; 16];
    b.copy_from_slice(&bytes[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_by_resource() {
        assert_eq!(Pattern::of(START_EXECUTION), Some(Pattern::FireAndForget));
        assert_eq!(
            Pattern::of(&format!("{START_EXECUTION}.sync:2")),
            Some(Pattern::Sync2)
        );
        assert_eq!(
            Pattern::of(&format!("{START_EXECUTION}.waitForTaskToken")),
            Some(Pattern::Callback)
        );
        assert_eq!(Pattern::of("arn:aws:states:::lambda:invoke"), None);
        assert_eq!(Pattern::of(&format!("{START_EXECUTION}.sync:3")), None);
    }

    #[test]
    fn uuids_are_shaped_like_version_4() {
        let id = uuid_from(&[0xff; 16]);
        assert_eq!(id, "ffffffff-ffff-4fff-bfff-ffffffffffff");
    }

    #[test]
    fn string_inputs_are_json_text() {
        let params = Params::read(&json!({"StateMachineArn": "a", "Input": "{\"x\":1}"}), "r")
            .unwrap_or_else(|f| panic!("{f}"));
        assert_eq!(params.input, json!({"x": 1}));
        let bad = Params::read(&json!({"StateMachineArn": "a", "Input": "{"}), "r");
        let failure = bad.err().expect("invalid JSON text fails");
        assert_eq!(
            failure.error.as_deref(),
            Some("StepFunctions.InvalidExecutionInputException")
        );
        assert!(Params::read(&json!({}), "r").is_err());
    }
}
