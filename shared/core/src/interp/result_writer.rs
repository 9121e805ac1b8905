//! A Distributed Map's `ResultWriter`: once its children have ended, the Map asks the
//! caller to write their results the way it asks a reader for items. It emits
//! [`Effect::InvokeTask`] with the writer's resource (`arn:aws:states:::s3:putObject`,
//! which Step Functions offers only as a writer) and waits in [`Phase::Writing`]; the
//! task's result (`{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}`) is the
//! Map's result. The request holds the files' contents, already shaped by the
//! `WriterConfig` (see [`super::result_records`]), so the writer only lays them out:
//!
//! ```json
//! {"Parameters": {"Bucket": "b", "Prefix": "p"},
//!  "MapRunArn": "arn:aws:states:…:mapRun:m/Label:…", "OutputType": "JSON",
//!  "Results": {"SUCCEEDED": [records or outputs], "FAILED": [records]}}
//! ```
//!
//! A `ResultWriter` with only a `WriterConfig` writes nothing: the transformed results
//! are the Map's result.

use serde_json::{json, Map, Value};

use super::event::{ChildEnd, Effect, TaskRequest};
use super::frame::{Frame, Phase};
use super::history::{Details, HistoryEvent};
use super::io::{effective_input, select_or_fail};
use super::jsonata;
use super::result_records::{self, RunNames, Transformation};
use super::step::{Flow, Runner};
use crate::definition::{JsonataExpr, JsonataValue, QueryLanguage};
use crate::failure::Failure;
use crate::jsonata::Expression;
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
    pub(super) fn write_results(
        &mut self,
        frame: &mut Frame,
        outputs: Vec<Value>,
        children: Vec<ChildEnd>,
        stored: Option<Value>,
    ) -> Flow {
        let writer = self.result_writer(frame).cloned().unwrap_or(Value::Null);
        let config = &writer["WriterConfig"];
        let to_s3 = writer.get("Resource").is_some();
        // AWS's defaults: records (`NONE`) when exporting, plain outputs otherwise.
        let transformation = config["Transformation"]
            .as_str()
            .and_then(Transformation::parse)
            .unwrap_or(match to_s3 {
                true => Transformation::None,
                false => Transformation::Compact,
            });
        // A Map with a ResultWriter is a Distributed one (definition validation).
        let map_run_arn = self.map_run_arn(frame).unwrap_or_default();
        self.map_run_ended(frame, None);
        let output_type = config["OutputType"].as_str().unwrap_or("JSON");
        let files = match (stored, to_s3) {
            // The caller shapes and writes them a page at a time (`child_results`).
            (Some(stored), true) => json!({"InStore": {
                "Results": stored,
                "Transformation": transformation.name(),
            }}),
            (Some(_), false) => {
                return Flow::Fail(Failure::runtime(
                    "the children's results were left in the store, but the ResultWriter \
                     has no Resource to write them to",
                ))
            }
            (None, _) => {
                let names = RunNames {
                    map_run_arn: &map_run_arn,
                };
                let results = result_records::results(&names, outputs, &children, transformation);
                if !to_s3 {
                    return self.results_written(frame, Value::Array(results.all));
                }
                json!({"Results": {"SUCCEEDED": results.succeeded, "FAILED": results.failed}})
            }
        };
        match self.writer_request(frame, &writer, &map_run_arn, output_type, files) {
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
        writer: &Value,
        map_run_arn: &str,
        output_type: &str,
        files: Value,
    ) -> Result<TaskRequest, Failure> {
        let resource = writer["Resource"].as_str().unwrap_or_default();
        if resource != PUT_OBJECT {
            return Err(Failure::runtime(format!(
                "The ResultWriter's Resource must be '{PUT_OBJECT}', not '{resource}'."
            )));
        }
        let ctx = self.context(frame);
        let state = self.state(frame);
        let parameters = match state.query_language {
            QueryLanguage::Jsonata => {
                let arguments = compile(&writer["Arguments"], "ResultWriter/Arguments")?;
                let states = self.states(&frame.input, None, &ctx);
                jsonata::eval(&arguments, &states, self.env.now, self.env.entropy)?
            }
            QueryLanguage::JsonPath => {
                let effective = effective_input(&state.input_path, &frame.input, &ctx)?;
                let mut parameters = Map::new();
                for (key, value) in writer["Parameters"].as_object().into_iter().flatten() {
                    match (key.strip_suffix(".$"), value.as_str()) {
                        (Some(field), Some(path)) => {
                            let path = Path::parse(path).map_err(|e| {
                                Failure::runtime(format!(
                                    "The ResultWriter's {key} is no path: {e}"
                                ))
                            })?;
                            let value = select_or_fail(&path, &effective, &ctx)?;
                            parameters.insert(field.into(), value);
                        }
                        _ => {
                            parameters.insert(key.clone(), value.clone());
                        }
                    }
                }
                Value::Object(parameters)
            }
        };
        let mut request = json!({
            "Parameters": parameters,
            "MapRunArn": map_run_arn,
            "OutputType": output_type,
        });
        // `Results`, or `InStore` for a caller that writes them itself.
        for (key, value) in files.as_object().into_iter().flatten() {
            request[key] = value.clone();
        }
        let mut task = TaskRequest::new(&frame.state, PUT_OBJECT, request);
        task.attempt = frame.retry_count();
        Ok(task)
    }

    /// The writer's answer is the Map's result.
    pub(super) fn results_written(&mut self, frame: &mut Frame, output: Value) -> Flow {
        self.emit(|| HistoryEvent::new("MapStateSucceeded", Details::Empty));
        self.finish_with_result(frame, output)
    }
}

/// A JSONata `Arguments` value with its `{% … %}` strings compiled. The definition
/// keeps a ResultWriter as JSON (validation has checked the expressions), so they are
/// compiled when the writer runs, once per run of the Map.
fn compile(value: &Value, field: &str) -> Result<JsonataValue, Failure> {
    Ok(match value {
        Value::String(s) => match s.strip_prefix("{%").and_then(|s| s.strip_suffix("%}")) {
            Some(text) => {
                let expression = Expression::parse(text.trim()).map_err(|e| {
                    Failure::runtime(format!("The ResultWriter's {field} is no expression: {e}"))
                })?;
                JsonataValue::Expr(Box::new(JsonataExpr {
                    expression,
                    field: field.to_owned(),
                }))
            }
            None => JsonataValue::Literal(value.clone()),
        },
        Value::Object(map) => JsonataValue::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), compile(v, &format!("{field}/{k}"))?)))
                .collect::<Result<_, Failure>>()?,
        ),
        Value::Array(items) => JsonataValue::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| compile(v, &format!("{field}[{i}]")))
                .collect::<Result<_, Failure>>()?,
        ),
        other => JsonataValue::Literal(other.clone()),
    })
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
