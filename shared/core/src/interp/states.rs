//! What each state type does when entered.

use std::borrow::Cow;

use serde_json::Value;

use super::choice;
use super::event::{ChildrenKind, ChildrenRequest, Effect, Outcome, TaskRequest};
use super::frame::{Frame, Phase};
use super::history::{Details, HistoryEvent, TaskKind};
use super::io::{
    self, apply_input_path, apply_result_path, compact, effective_input, eval_template, select,
    select_or_fail,
};
use super::step::{Flow, Runner};
use crate::definition::{
    ChoiceState, FailField, FailState, InputPath, ParallelState, ResultPath, Seconds, StateKind,
    TaskState, WaitState,
};
use crate::failure::Failure;
use crate::jsonpath::Path;

impl Runner<'_, '_, '_> {
    pub(super) fn execute(&mut self, frame: &mut Frame) -> Flow {
        let state = self.state(frame);
        match &state.kind {
            StateKind::Pass(pass) => self.pass(frame, pass.result.as_ref()),
            StateKind::Choice(choice) => self.choice(frame, choice),
            StateKind::Wait(wait) => self.wait(frame, wait),
            StateKind::Succeed => {
                let raw = std::mem::take(&mut frame.input);
                let ctx = self.context(frame);
                let output = effective_input(&state.input_path, &raw, &ctx)
                    .map(Cow::into_owned)
                    .and_then(|v| apply_input_path(&state.output_path, v, &ctx));
                match output {
                    Ok(output) => {
                        self.exited(frame, &output);
                        Flow::Finish(Outcome::Succeeded(output))
                    }
                    Err(f) => Flow::Fail(f),
                }
            }
            StateKind::Fail(fail) => self.fail(frame, fail),
            StateKind::Task(task) => self.task(frame, task),
            StateKind::Parallel(parallel) => self.parallel(frame, parallel),
            StateKind::Map(map) => self.map(frame, map),
        }
    }

    /// Pass: the hot path of long loops, so it moves the input instead of cloning it.
    fn pass(&mut self, frame: &mut Frame, result: Option<&Value>) -> Flow {
        let state = self.state(frame);
        let raw = std::mem::take(&mut frame.input);
        let ctx = self.context(frame);
        let produced = match (result, &state.parameters) {
            (Some(result), _) => Some(result.clone()),
            (None, Some(parameters)) => {
                let effective = match effective_input(&state.input_path, &raw, &ctx) {
                    Ok(v) => v,
                    Err(f) => return Flow::Fail(f),
                };
                match eval_template(parameters, &effective, &ctx, self.env.entropy) {
                    Ok(v) => Some(v),
                    Err(f) => return Flow::Fail(f),
                }
            }
            (None, None) => None,
        };
        let merged = match produced {
            Some(value) => apply_result_path(&state.result_path, raw, value),
            // The effective input is the result. The common `$`/`$` case moves the input.
            None => match (&state.input_path, &state.result_path) {
                (InputPath::Whole, ResultPath::Whole | ResultPath::Discard) => Ok(raw),
                _ => match effective_input(&state.input_path, &raw, &ctx) {
                    Ok(effective) => {
                        let effective = effective.into_owned();
                        apply_result_path(&state.result_path, raw, effective)
                    }
                    Err(f) => Err(f),
                },
            },
        };
        match merged.and_then(|v| apply_input_path(&state.output_path, v, &ctx)) {
            Ok(output) => Flow::Exit(output),
            Err(f) => Flow::Fail(f),
        }
    }

    fn choice(&mut self, frame: &mut Frame, choice: &ChoiceState) -> Flow {
        let state = self.state(frame);
        let raw = std::mem::take(&mut frame.input);
        let ctx = self.context(frame);
        let effective = match effective_input(&state.input_path, &raw, &ctx) {
            Ok(v) => v,
            Err(f) => return Flow::Fail(f),
        };
        let mut next = None;
        for rule in &choice.choices {
            match choice::evaluate(&rule.condition, &effective, &ctx) {
                Ok(true) => {
                    next = Some(&rule.next);
                    break;
                }
                Ok(false) => {}
                Err(f) => return Flow::Fail(f),
            }
        }
        // The developer guide keeps `States.NoChoiceMatched` "reserved for future use":
        // no match without a Default is reported as `States.Runtime`.
        let Some(next) = next.or(choice.default.as_ref()) else {
            return Flow::Fail(Failure::runtime(
                "No Choice Rule matched and no Default state was specified.",
            ));
        };
        let effective = effective.into_owned();
        match apply_input_path(&state.output_path, effective, &ctx) {
            Ok(output) => Flow::Goto(next.clone(), output),
            Err(f) => Flow::Fail(f),
        }
    }

    fn wait(&mut self, frame: &mut Frame, wait: &WaitState) -> Flow {
        let state = self.state(frame);
        let raw = std::mem::take(&mut frame.input);
        let ctx = self.context(frame);
        let effective = match effective_input(&state.input_path, &raw, &ctx) {
            Ok(v) => v.into_owned(),
            Err(f) => return Flow::Fail(f),
        };
        let until = match wait {
            WaitState::Seconds(s) => frame.entered_at.saturating_add(secs_to_ms(*s)),
            WaitState::Timestamp { epoch_millis, .. } => *epoch_millis,
            WaitState::SecondsPath(path) => match select(path, &effective, &ctx) {
                None => return Flow::Fail(no_input_value("SecondsPath", path)),
                Some(v) => match wait_seconds(path, &v) {
                    Ok(s) => frame.entered_at.saturating_add(secs_to_ms(s)),
                    Err(f) => return Flow::Fail(f),
                },
            },
            WaitState::TimestampPath(path) => match select(path, &effective, &ctx) {
                None => return Flow::Fail(no_input_value("TimestampPath", path)),
                Some(v) => match v.as_str().and_then(choice::parse_timestamp) {
                    Some(nanos) => (nanos.div_euclid(1_000_000)) as i64,
                    None => {
                        return Flow::Fail(Failure::runtime(format!(
                            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
                            path.source(),
                            plain(&v)
                        )))
                    }
                },
            },
        };
        if until <= self.env.now {
            return match apply_input_path(&state.output_path, effective, &ctx) {
                Ok(output) => Flow::Exit(output),
                Err(f) => Flow::Fail(f),
            };
        }
        frame.input = effective;
        frame.phase = Phase::Waiting { until };
        self.out.effects.push(Effect::Timer { until });
        Flow::Suspend
    }

    fn fail(&mut self, frame: &mut Frame, fail: &FailState) -> Flow {
        let ctx = self.context(frame);
        let mut resolve = |field: &Option<FailField>,
                           name: &str|
         -> Result<Option<String>, Failure> {
            Ok(match field {
                None => None,
                Some(FailField::Literal(s)) => Some(s.clone()),
                Some(FailField::Path(path)) => match select_or_fail(path, &frame.input, &ctx)? {
                    Value::String(s) => Some(s),
                    other => {
                        return Err(Failure::runtime(format!(
                            "The {name}Path field at path '{}' resolved to a non-string value: {}",
                            path.source(),
                            compact(&other)
                        )))
                    }
                },
                Some(FailField::Intrinsic(f)) => {
                    match f.eval(
                        &frame.input,
                        ctx.value_if(f.uses_context()),
                        self.env.entropy,
                    )? {
                        Value::String(s) => Some(s),
                        other => Some(compact(&other)),
                    }
                }
            })
        };
        let failure = match (resolve(&fail.error, "Error"), resolve(&fail.cause, "Cause")) {
            (Ok(error), Ok(cause)) => Failure { error, cause },
            (Err(f), _) | (_, Err(f)) => {
                // A Fail state has no Retry/Catch: the runtime error ends the frame.
                return Flow::Finish(Outcome::Failed(self.locate(frame, f)));
            }
        };
        Flow::Finish(Outcome::Failed(failure))
    }

    fn task(&mut self, frame: &mut Frame, task: &TaskState) -> Flow {
        let state = self.state(frame);
        // The callback pattern: a fresh single-use token per attempt, visible to Parameters
        // as `$$.Task.Token`. Its randomness comes from the caller's entropy source.
        let task_token = task
            .resource
            .ends_with(".waitForTaskToken")
            .then(|| new_task_token(self.env.entropy));
        let mut ctx = self.context(frame);
        ctx.task_token = task_token.as_deref();
        let parameters = match self.parameters(state, &frame.input, &ctx) {
            Ok(p) => p,
            Err(f) => return Flow::Fail(f),
        };
        let resolve = |s: &Option<Seconds>, field: &str| -> Result<Option<u64>, Failure> {
            match s {
                None => Ok(None),
                Some(Seconds::Literal(n)) => Ok(Some(*n)),
                Some(Seconds::Path(path)) => {
                    let v = select_or_fail(path, &frame.input, &ctx)?;
                    match v.as_u64() {
                        Some(n) if n > 0 => Ok(Some(n)),
                        _ => Err(Failure::runtime(format!(
                            "The {field}Path parameter does not reference a positive integer: {} == {}",
                            path.source(),
                            plain(&v)
                        ))),
                    }
                }
            }
        };
        let timeout_seconds = match resolve(&task.timeout, "TimeoutSeconds") {
            Ok(v) => v,
            Err(f) => return Flow::Fail(f),
        };
        let heartbeat_seconds = match resolve(&task.heartbeat, "HeartbeatSeconds") {
            Ok(v) => v,
            Err(f) => return Flow::Fail(f),
        };
        let attempt = frame.retry_count();
        let region = self.env.execution.region();
        self.emit(|| {
            let (scheduled, _, _) = TaskKind::of(&task.resource).event_types();
            HistoryEvent::new(
                scheduled,
                Details::TaskScheduled {
                    resource: task.resource.clone(),
                    parameters: parameters.clone(),
                    region: region.to_owned(),
                    timeout_seconds,
                    heartbeat_seconds,
                },
            )
        });
        self.out.effects.push(Effect::InvokeTask(TaskRequest {
            state: frame.state.clone(),
            resource: task.resource.clone(),
            parameters,
            timeout_seconds,
            heartbeat_seconds,
            credentials: task.credentials.clone(),
            attempt,
            task_token,
        }));
        frame.phase = Phase::Task;
        Flow::Suspend
    }

    fn parallel(&mut self, frame: &mut Frame, parallel: &ParallelState) -> Flow {
        let state = self.state(frame);
        let ctx = self.context(frame);
        let input = match self.parameters(state, &frame.input, &ctx) {
            Ok(p) => p,
            Err(f) => return Flow::Fail(f),
        };
        let children = parallel
            .branches
            .iter()
            .enumerate()
            .map(|(i, graph)| {
                Frame::new(
                    frame.scope.child(&frame.state, i as u32),
                    graph,
                    input.clone(),
                    self.env.now,
                )
            })
            .collect();
        self.emit(|| HistoryEvent::new("ParallelStateStarted", Details::Empty));
        self.out.effects.push(Effect::RunChildren(ChildrenRequest {
            state: frame.state.clone(),
            kind: ChildrenKind::Parallel,
            children,
            max_concurrency: None,
            tolerance: None,
        }));
        frame.phase = Phase::Children;
        Flow::Suspend
    }

    /// InputPath then Parameters, for states that hand their input to someone else.
    fn parameters(
        &mut self,
        state: &crate::definition::State,
        raw: &Value,
        ctx: &super::context::Context<'_>,
    ) -> Result<Value, Failure> {
        let effective = effective_input(&state.input_path, raw, ctx)?;
        let value = match &state.parameters {
            Some(parameters) => eval_template(parameters, &effective, ctx, self.env.entropy)?,
            None => effective.into_owned(),
        };
        if io::exceeds_payload_limit(&value) {
            return Err(Failure::data_limit(format!(
                "The state/task '{}' has an input with a size exceeding the maximum number of bytes service limit.",
                state.name
            )));
        }
        Ok(value)
    }
}

/// 256 random bits, URL-safe: comfortably past the 128 bits a guess must beat.
fn new_task_token(entropy: &mut dyn crate::entropy::Entropy) -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    entropy.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn secs_to_ms(seconds: u64) -> i64 {
    i64::try_from(seconds)
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000)
}

/// SecondsPath must name a non-negative integer, with AWS's two distinct messages.
fn wait_seconds(path: &Path, value: &Value) -> Result<u64, Failure> {
    if let Some(n) = value.as_u64() {
        return Ok(n);
    }
    if value.as_i64().is_some() {
        return Err(Failure::runtime(format!(
            "The SecondsPath parameter references a negative value: {} == {}",
            path.source(),
            plain(value)
        )));
    }
    Err(Failure::runtime(format!(
        "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
        path.source(),
        plain(value)
    )))
}

/// SecondsPath/TimestampPath matching nothing. LocalStack's seconds_path.py (written
/// against AWS snapshots) words it "The SecondsPath parameter does not reference an input
/// value: $.x"; TimestampPath is worded alike by AWS (quoted in serverless-step-functions
/// offline's wait handler).
fn no_input_value(field: &str, path: &Path) -> Failure {
    Failure::runtime(format!(
        "The {field} parameter does not reference an input value: {}",
        path.source()
    ))
}

/// A value as AWS prints it after `==` in causes: strings bare, the rest as JSON.
pub(super) fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => compact(other),
    }
}
