//! A Distributed Map's `ResultWriter`: once its children have ended, the Map asks the
//! caller to write their results the way it asks a reader for items. It emits
//! [`Effect::InvokeTask`] with the writer's resource (`arn:aws:states:::s3:putObject`,
//! which Step Functions offers only as a writer) and waits in [`Phase::Writing`]; the
//! task's result (`{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}`) is the
//! Map's result. The request:
//!
//! ```json
//! {"Parameters": {"Bucket": "b", "Prefix": "p"},
//!  "MapRunArn": "arn:aws:states:…:mapRun:m/Label:…", "StateMachineArn": "…",
//!  "Children": [{"Index": 0, "Status": "SUCCEEDED", "Output": …},
//!               {"Index": 1, "Status": "FAILED", "Error": "E", "Cause": "…"}]}
//! ```

use serde_json::{json, Map, Value};

use super::event::{Effect, TaskRequest};
use super::frame::{Frame, Phase};
use super::history::{Details, HistoryEvent};
use super::io::{effective_input, select_or_fail};
use super::map_run;
use super::step::{Flow, Runner};
use crate::failure::Failure;
use crate::jsonpath::Path;

/// The one writer Step Functions has.
pub const PUT_OBJECT: &str = "arn:aws:states:::s3:putObject";

/// The error of a failed write (Retry/Catch apply).
pub const RESULT_WRITER_FAILED: &str = "States.ResultWriterFailed";

impl Runner<'_, '_, '_> {
    /// The Map's `ResultWriter`, if it has one.
    pub(super) fn result_writer(&self, frame: &Frame) -> Option<&Value> {
        let crate::definition::StateKind::Map(map) = &self.state(frame).kind else {
            return None;
        };
        map.distributed.as_ref()?.get("ResultWriter")
    }

    /// Asks the caller to write the children's results; the Map waits in
    /// [`Phase::Writing`].
    pub(super) fn write_results(&mut self, frame: &mut Frame, outputs: Vec<Value>) -> Flow {
        match self.writer_request(frame, outputs) {
            Ok(request) => {
                self.out.effects.push(Effect::InvokeTask(request));
                frame.phase = Phase::Writing;
                Flow::Suspend
            }
            Err(failure) => Flow::Fail(failure),
        }
    }

    fn writer_request(
        &mut self,
        frame: &Frame,
        outputs: Vec<Value>,
    ) -> Result<TaskRequest, Failure> {
        let writer = self.result_writer(frame).cloned().unwrap_or(Value::Null);
        let resource = writer["Resource"].as_str().unwrap_or_default();
        if resource != PUT_OBJECT {
            return Err(Failure::runtime(format!(
                "The ResultWriter's Resource must be '{PUT_OBJECT}', not '{resource}'."
            )));
        }
        let ctx = self.context(frame);
        let state = self.state(frame);
        let effective = effective_input(&state.input_path, &frame.input, &ctx)?;
        let mut parameters = Map::new();
        for (key, value) in writer["Parameters"].as_object().into_iter().flatten() {
            match (key.strip_suffix(".$"), value.as_str()) {
                (Some(field), Some(path)) => {
                    let path = Path::parse(path).map_err(|e| {
                        Failure::runtime(format!("The ResultWriter's {key} is no path: {e}"))
                    })?;
                    parameters.insert(field.into(), select_or_fail(&path, &effective, &ctx)?);
                }
                _ => {
                    parameters.insert(key.clone(), value.clone());
                }
            }
        }
        let info = self.env.execution;
        let declared = self.result_writer_label(frame).map(str::to_owned);
        let label = map_run::label(&frame.state, declared.as_deref());
        let arn = map_run::map_run_arn(
            &info.id,
            &info.state_machine_name,
            &label,
            &frame.state,
            frame.entered_event_id,
        );
        let children: Vec<Value> = outputs
            .into_iter()
            .enumerate()
            .map(|(i, o)| child(i, o))
            .collect();
        let request = json!({
            "Parameters": parameters,
            "MapRunArn": arn,
            "StateMachineArn": format!("{}/{label}", info.state_machine_id),
            "Children": children,
        });
        let mut task = TaskRequest::new(&frame.state, PUT_OBJECT, request);
        task.attempt = frame.retry_count();
        Ok(task)
    }

    fn result_writer_label(&self, frame: &Frame) -> Option<&str> {
        let crate::definition::StateKind::Map(map) = &self.state(frame).kind else {
            return None;
        };
        map.distributed.as_ref()?.get("Label")?.as_str()
    }

    /// The writer's answer is the Map's result.
    pub(super) fn results_written(&mut self, frame: &mut Frame, output: Value) -> Flow {
        self.emit(|| HistoryEvent::new("MapStateSucceeded", Details::Empty));
        self.finish_with_result(frame, output)
    }
}

/// A child's record for the writer. A child that failed within the tolerated failures
/// reaches the Map as its error output (`{"Error", "Cause"}`, and nothing else), which
/// is how it is told apart from one that succeeded.
fn child(index: usize, output: Value) -> Value {
    let failed = output.as_object().is_some_and(|o| {
        o.get("Error").is_some_and(Value::is_string)
            && o.keys().all(|k| k == "Error" || k == "Cause")
    });
    match failed {
        true => {
            json!({"Index": index, "Status": "FAILED", "Error": output["Error"], "Cause": output.get("Cause")})
        }
        false => json!({"Index": index, "Status": "SUCCEEDED", "Output": output}),
    }
}

/// A failed write as the Map's failure.
pub(super) fn writer_failure(failure: Failure) -> Failure {
    match failure.error.as_deref() {
        Some(crate::failure::names::TIMEOUT) => failure,
        _ => Failure {
            error: Some(RESULT_WRITER_FAILED.into()),
            ..failure
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_are_told_apart_by_their_error_output() {
        assert_eq!(
            child(0, json!({"Error": "E", "Cause": "c"}))["Status"],
            "FAILED"
        );
        assert_eq!(child(1, json!({"Error": "E"}))["Status"], "FAILED");
        let ok = child(2, json!({"Error": "E", "x": 1}));
        assert_eq!(ok["Status"], "SUCCEEDED");
        assert_eq!(ok["Output"], json!({"Error": "E", "x": 1}));
        assert_eq!(child(3, json!(5))["Index"], 3);
    }
}
