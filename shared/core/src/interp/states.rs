//! What each state type does when entered.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::choice;
use super::context::Context;
use super::credentials;
use super::event::{ChildrenKind, ChildrenRequest, Effect, Outcome, TaskRequest};
use super::frame::{Frame, Phase};
use super::history::{Details, HistoryEvent, TaskEvent, TaskKind};
use super::in_place;
use super::io::{
    self, apply_input_path, apply_result_path, compact, effective_input, eval_template,
    select_or_fail,
};
use super::jsonata::{self, States};
use super::step::{Flow, Runner};
use crate::definition::{
    ChoiceState, Condition, FailField, FailState, InputPath, ParallelState, QueryLanguage,
    ResultPath, Seconds, State, StateKind, TaskState, Template,
};
use crate::failure::Failure;

impl Runner<'_, '_, '_> {
    pub(super) fn execute(&mut self, frame: &mut Frame) -> Flow {
        let state = self.state(frame);
        // Only Pass and Choice bound their output from their input's bound; any other
        // state's output is measured whole.
        let input_bound = self.input_bound.take();
        self.output_bound = None;
        match &state.kind {
            StateKind::Pass(pass) => self.pass(frame, pass.result.as_ref(), input_bound),
            StateKind::Choice(choice) => self.choice(frame, choice, input_bound),
            StateKind::Wait(wait) => self.wait(frame, wait),
            StateKind::Succeed => {
                let raw = std::mem::take(&mut frame.input);
                let ctx = self.context(frame);
                let output = match &state.output {
                    Some(output) => {
                        let states = self.states(&raw, None, &ctx);
                        jsonata::eval(output, &states, self.env.now, self.env.entropy)
                    }
                    None => effective_input(&state.input_path, &raw, &ctx)
                        .map(Cow::into_owned)
                        .and_then(|v| apply_input_path(&state.output_path, v, &ctx)),
                };
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
    fn pass(
        &mut self,
        frame: &mut Frame,
        result: Option<&Value>,
        input_bound: Option<usize>,
    ) -> Flow {
        let state = self.state(frame);
        let raw = std::mem::take(&mut frame.input);
        let ctx = self.context(frame);
        if state.query_language == QueryLanguage::Jsonata {
            let states = States {
                input: &raw,
                result: None,
                error_output: None,
                ctx: &ctx,
            };
            let left = jsonata::leave(
                state.assign.as_ref(),
                state.output.as_ref(),
                &states,
                self.env.now,
                self.env.entropy,
            );
            return match left {
                Ok((output, assigned)) => {
                    let output = output.unwrap_or(raw);
                    exit_with(&mut frame.vars, assigned, output)
                }
                Err(f) => Flow::Fail(f),
            };
        }
        // An object of Parameters placed by ResultPath (not read by Assign) is written over
        // the value it replaces when that has the same keys: see `in_place`.
        if let (
            None,
            Some(Template::Object(object)),
            None,
            ResultPath::Path(_) | ResultPath::Whole,
        ) = (result, &state.parameters, &state.assign, &state.result_path)
        {
            if let Some(skeleton) = object.skeleton() {
                let written = in_place::write_parameters(
                    object,
                    skeleton,
                    &state.input_path,
                    &state.result_path,
                    raw,
                    &ctx,
                    self.env.entropy,
                );
                let output = written.and_then(|(merged, result_bound)| {
                    let bound = bound_with_result(state, result_bound, input_bound);
                    apply_input_path(&state.output_path, merged, &ctx).map(|v| (v, bound))
                });
                return match output {
                    Ok((output, bound)) => {
                        self.output_bound = bound;
                        Flow::Exit(output)
                    }
                    Err(f) => Flow::Fail(f),
                };
            }
        }
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
        // `Assign` reads `$` as the state's result: Result, Parameters, or the input.
        let assigned = match &state.assign {
            None => None,
            Some(assign) => {
                let dollar = match &produced {
                    Some(v) => Cow::Borrowed(v),
                    None => match effective_input(&state.input_path, &raw, &ctx) {
                        Ok(v) => v,
                        Err(f) => return Flow::Fail(f),
                    },
                };
                let states = self.states(&raw, None, &ctx);
                match jsonata::assignments(assign, &dollar, &states, self.env.now, self.env.entropy)
                {
                    Ok(map) => Some(map),
                    Err(f) => return Flow::Fail(f),
                }
            }
        };
        let bound = output_bound(state, produced.as_ref(), input_bound);
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
            Ok(output) => {
                self.output_bound = bound;
                exit_with(&mut frame.vars, assigned, output)
            }
            Err(f) => Flow::Fail(f),
        }
    }

    /// `$states` for a field of the current state.
    pub(super) fn states<'a>(
        &self,
        input: &'a Value,
        result: Option<&'a Value>,
        ctx: &'a Context<'a>,
    ) -> States<'a> {
        States {
            input,
            result,
            error_output: None,
            ctx,
        }
    }

    fn choice(
        &mut self,
        frame: &mut Frame,
        choice: &ChoiceState,
        input_bound: Option<usize>,
    ) -> Flow {
        let state = self.state(frame);
        let raw = std::mem::take(&mut frame.input);
        let ctx = self.context(frame);
        let effective = match effective_input(&state.input_path, &raw, &ctx) {
            Ok(v) => v,
            Err(f) => return Flow::Fail(f),
        };
        let states = self.states(&raw, None, &ctx);
        let mut taken = None;
        for rule in &choice.choices {
            let matched = match &rule.condition {
                Condition::Jsonata(condition) => {
                    match jsonata::eval(condition, &states, self.env.now, self.env.entropy) {
                        Ok(Value::Bool(b)) => Ok(b),
                        Ok(other) => Err(jsonata::unexpected_type(
                            condition,
                            "boolean",
                            &other,
                            "Condition",
                        )),
                        Err(f) => Err(f),
                    }
                }
                condition => choice::evaluate(condition, &effective, &ctx),
            };
            match matched {
                Ok(true) => {
                    taken = Some((&rule.next, rule.assign.as_ref(), rule.output.as_ref()));
                    break;
                }
                Ok(false) => {}
                Err(f) => return Flow::Fail(f),
            }
        }
        // The developer guide keeps `States.NoChoiceMatched` "reserved for future use":
        // no match without a Default is reported as `States.Runtime`.
        let Some((next, assign, rule_output)) = taken.or_else(|| {
            choice
                .default
                .as_ref()
                .map(|d| (d, state.assign.as_ref(), None))
        }) else {
            return Flow::Fail(Failure::runtime(
                "No Choice Rule matched and no Default state was specified.",
            ));
        };
        if state.query_language == QueryLanguage::Jsonata {
            let left = jsonata::leave(
                assign,
                rule_output.or(state.output.as_ref()),
                &states,
                self.env.now,
                self.env.entropy,
            );
            return match left {
                Ok((output, assigned)) => {
                    let output = output.unwrap_or_else(|| effective.into_owned());
                    match jsonata::bind(&mut frame.vars, assigned) {
                        Ok(()) => Flow::Goto(next.clone(), output),
                        Err(f) => Flow::Fail(f),
                    }
                }
                Err(f) => Flow::Fail(f),
            };
        }
        let assigned = match assign {
            Some(a) => {
                match jsonata::assignments(a, &effective, &states, self.env.now, self.env.entropy) {
                    Ok(map) => Some(map),
                    Err(f) => return Flow::Fail(f),
                }
            }
            None => None,
        };
        // `InputPath: $` borrows the raw input, which the state no longer needs: move it.
        let effective = match effective {
            Cow::Owned(v) => v,
            Cow::Borrowed(_) => raw,
        };
        match apply_input_path(&state.output_path, effective, &ctx) {
            Ok(output) => match jsonata::bind(&mut frame.vars, assigned) {
                Ok(()) => {
                    let effective = io::bound_after_path(&state.input_path, input_bound);
                    self.output_bound = io::bound_after_path(&state.output_path, effective);
                    Flow::Goto(next.clone(), output)
                }
                Err(f) => Flow::Fail(f),
            },
            Err(f) => Flow::Fail(f),
        }
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
                Some(FailField::Jsonata(v)) => {
                    let states = States {
                        input: &frame.input,
                        result: None,
                        error_output: None,
                        ctx: &ctx,
                    };
                    match jsonata::eval(v, &states, self.env.now, self.env.entropy)? {
                        Value::String(s) => Some(s),
                        other => return Err(jsonata::unexpected_type(v, "string", &other, name)),
                    }
                }
                Some(FailField::Intrinsic(f)) => {
                    match f.eval_with_variables(
                        &frame.input,
                        ctx.value_if(f.uses_context()),
                        &ctx,
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
        // as `$$.Task.Token`. Its randomness comes from the caller's entropy source. A
        // nested execution run to its end (`.sync`, `.sync:2`) waits on a token too, which
        // the child's end presents; AWS offers `$$.Task.Token` only to callbacks.
        let callback = task.resource.ends_with(".waitForTaskToken");
        let task_token = (callback || waits_for_child(&task.resource))
            .then(|| new_task_token(self.env.task_token_prefix, self.env.entropy));
        let mut ctx = self.context(frame);
        ctx.task_token = task_token.as_deref().filter(|_| callback);
        let parameters = match self.parameters(state, &frame.input, &ctx) {
            Ok(p) => p,
            Err(f) => return Flow::Fail(f),
        };
        let credentials = task.credentials.as_ref().map(|payload| {
            let dollar = match state.query_language {
                QueryLanguage::Jsonata => Cow::Borrowed(&frame.input),
                QueryLanguage::JsonPath => effective_input(&state.input_path, &frame.input, &ctx)?,
            };
            let states = self.states(&frame.input, None, &ctx);
            credentials::resolve(payload, &dollar, &states, self.env.now, self.env.entropy)
        });
        let credentials = match credentials.transpose() {
            Ok(c) => c,
            Err(f) => return Flow::Fail(f),
        };
        let now = self.env.now;
        let entropy = &mut *self.env.entropy;
        let mut resolve = |s: &Option<Seconds>, field: &str| -> Result<Option<u64>, Failure> {
            match s {
                None => Ok(None),
                Some(Seconds::Literal(n)) => Ok(Some(*n)),
                Some(Seconds::Jsonata(v)) => {
                    let states = States {
                        input: &frame.input,
                        result: None,
                        error_output: None,
                        ctx: &ctx,
                    };
                    let value = jsonata::eval(v, &states, now, entropy)?;
                    match value.as_u64() {
                        Some(n) if n > 0 => Ok(Some(n)),
                        _ => Err(jsonata::unexpected_type(
                            v,
                            "positive integer",
                            &value,
                            field,
                        )),
                    }
                }
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
        let kind = TaskKind::of(&task.resource);
        self.emit(|| {
            HistoryEvent::new(
                kind.event_type(TaskEvent::Scheduled),
                Details::TaskScheduled {
                    resource: task.resource.clone(),
                    parameters: parameters.clone(),
                    region: region.to_owned(),
                    timeout_seconds,
                    heartbeat_seconds,
                    credentials: credentials.clone(),
                },
            )
        });
        // Lambda and service calls start as they are scheduled; an activity starts only
        // when a worker takes it.
        if kind != TaskKind::Activity {
            self.emit(|| {
                HistoryEvent::new(
                    kind.event_type(TaskEvent::Started),
                    Details::TaskStarted {
                        resource: task.resource.clone(),
                    },
                )
            });
        }
        self.out.effects.push(Effect::InvokeTask(TaskRequest {
            state: frame.state.clone(),
            resource: task.resource.clone(),
            parameters,
            timeout_seconds,
            heartbeat_seconds,
            credentials,
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
                .with_variables(frame.vars.clone())
            })
            .collect();
        self.emit(|| HistoryEvent::new("ParallelStateStarted", Details::Empty));
        self.out.effects.push(Effect::RunChildren(ChildrenRequest {
            state: frame.state.clone(),
            kind: ChildrenKind::Parallel,
            children,
            max_concurrency: None,
            tolerance: None,
            feed: None,
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
        let value = if state.query_language == QueryLanguage::Jsonata {
            match &state.arguments {
                Some(arguments) => {
                    let states = self.states(raw, None, ctx);
                    jsonata::eval(arguments, &states, self.env.now, self.env.entropy)?
                }
                None => raw.clone(),
            }
        } else {
            let effective = effective_input(&state.input_path, raw, ctx)?;
            match &state.parameters {
                Some(parameters) => eval_template(parameters, &effective, ctx, self.env.entropy)?,
                None => effective.into_owned(),
            }
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

/// Binds a state's assignments and leaves it with `output`.
/// A bound of a JSONPath Pass state's output from a bound of its input and the size of
/// what it produced (`Result` or `Parameters`), following ResultPath and OutputPath.
fn output_bound(state: &State, produced: Option<&Value>, input: Option<usize>) -> Option<usize> {
    let merged = match (produced, &state.result_path) {
        (_, ResultPath::Discard) => input,
        (Some(result), _) => return bound_with_result(state, io::size_bound(result), input),
        // The effective input is the result.
        (None, ResultPath::Whole) => io::bound_after_path(&state.input_path, input),
        (None, ResultPath::Path(path)) => input
            .zip(io::bound_after_path(&state.input_path, input))
            .map(|(input, effective)| {
                input
                    .saturating_add(effective)
                    .saturating_add(io::result_path_overhead(path))
            }),
    };
    io::bound_after_path(&state.output_path, merged)
}

/// [`output_bound`] for a state that produced a result of at most `result` bytes.
fn bound_with_result(state: &State, result: usize, input: Option<usize>) -> Option<usize> {
    let merged = match &state.result_path {
        ResultPath::Whole => Some(result),
        ResultPath::Discard => input,
        ResultPath::Path(path) => input.map(|input| {
            input
                .saturating_add(result)
                .saturating_add(io::result_path_overhead(path))
        }),
    };
    io::bound_after_path(&state.output_path, merged)
}

pub(super) fn exit_with(
    vars: &mut Map<String, Value>,
    assigned: jsonata::Assigned,
    output: Value,
) -> Flow {
    match jsonata::bind(vars, assigned) {
        Ok(()) => Flow::Exit(output),
        Err(f) => Flow::Fail(f),
    }
}

/// 256 random bits, URL-safe: comfortably past the 128 bits a guess must beat; after the
/// caller's prefix and a `.` when it gave one.
/// `states:startExecution.sync` and `.sync:2`: the task ends when the child execution does.
fn waits_for_child(resource: &str) -> bool {
    matches!(
        resource.strip_prefix("arn:aws:states:::states:startExecution"),
        Some(".sync" | ".sync:2")
    )
}

fn new_task_token(prefix: Option<&str>, entropy: &mut dyn crate::entropy::Entropy) -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    entropy.fill_bytes(&mut bytes);
    let random = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    match prefix {
        Some(prefix) => format!("{prefix}.{random}"),
        None => random,
    }
}

/// A value as AWS prints it after `==` in causes: strings bare, the rest as JSON.
pub(super) fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => compact(other),
    }
}
