//! The step function: (definition, frame, event, environment) → (frame', effects, history).
//!
//! A step runs as many states as it can without outside help (Pass, Choice, Succeed, Fail,
//! a due Wait), so a chain of such states costs one call and, in the durable engine, one
//! commit. It stops at the first state that needs the caller (a Task, a future Wait, a
//! Parallel or Map), at the frame's end, or after `Env::max_transitions` states.

use std::cell::Cell;

use serde_json::Value;

use super::context::{Context, ExecutionInfo};
use super::event::{Effect, Event, Outcome, Step};
use super::frame::{Frame, Phase};
use super::history::{Details, HistoryEvent, TaskEvent, TaskKind};
use super::io::{self, apply_input_path, apply_result_path, eval_template};
use super::jsonata::{self, States};
use super::retry::{self, RetryDecision};
use super::states::exit_with;
use crate::definition::{
    Catcher, Graph, QueryLanguage, ResultPath, State, StateKind, StateMachine, Transition,
};
use crate::entropy::Entropy;
use crate::failure::{names, Failure};

/// What a step may use from the outside world; everything is passed in.
pub struct Env<'a> {
    /// Epoch milliseconds.
    pub now: i64,
    pub execution: &'a ExecutionInfo,
    pub entropy: &'a mut dyn Entropy,
    /// The id the caller will give this step's first history event (ids appear in causes:
    /// "entered at the event id #2").
    pub first_event_id: u64,
    /// Build history events (they are always counted, so ids stay right when off).
    pub record_history: bool,
    /// States entered before the step yields with [`Effect::Continue`]; bounds one call.
    pub max_transitions: u64,
    /// Begins every task token this step makes (`<prefix>.<random>`): a durable caller
    /// puts there what it needs to find the waiting frame again from the token alone.
    pub task_token_prefix: Option<&'a str>,
    /// Read a Distributed Map's ItemReader items this many at a time
    /// ([`super::Feed`]); `None`: in one read. A durable caller pages so that no message
    /// holds a whole source in memory; the in-memory runner reads at once.
    pub items_per_page: Option<u32>,
}

impl std::fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("now", &self.now)
            .field("first_event_id", &self.first_event_id)
            .field("record_history", &self.record_history)
            .finish_non_exhaustive()
    }
}

/// Faults of the caller's making (never a workflow error): the frame and the event or the
/// definition do not fit together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("the frame's scope does not exist in this definition")]
    UnknownScope,
    #[error("no state named {0:?} in the frame's graph")]
    UnknownState(String),
    #[error("event {event} does not apply to a frame in phase {phase}")]
    UnexpectedEvent { phase: String, event: String },
}

/// Advances `frame` by one event. On `Err` the frame is unchanged.
pub fn step(
    definition: &StateMachine,
    frame: &mut Frame,
    event: Event,
    env: &mut Env<'_>,
) -> Result<Step, Error> {
    let mut runner = Runner::new(definition, frame, env)?;
    runner.dispatch(frame, event)?;
    Ok(runner.out)
}

pub(super) struct Runner<'d, 'e, 'x> {
    pub graph: &'d Graph,
    pub env: &'e mut Env<'x>,
    pub out: Step,
    /// The frame's current state, looked up once per state rather than on every use
    /// (a name lookup is the largest cost of a plain transition). Cleared by `goto`.
    current: Cell<Option<&'d State>>,
    /// A bound of `frame.input`'s serialised size, when the state that produced it knew
    /// one; lets the next state bound its output from its parts instead of walking it.
    pub input_bound: Option<usize>,
    /// The bound the state that just ran computed for its output, if it did.
    pub output_bound: Option<usize>,
}

/// How a state's work ended.
pub(super) enum Flow {
    /// Leave the state with this output and follow its `Next`/`End`.
    Exit(Value),
    /// Leave with this output for the named state (Choice, Catch).
    Goto(String, Value),
    /// The state handed work to the caller; the frame waits.
    Suspend,
    /// The frame ends (Succeed, Fail, or `End`).
    Finish(Outcome),
    /// The state failed; Retry and Catch decide what follows.
    Fail(Failure),
}

impl<'d, 'e, 'x> Runner<'d, 'e, 'x> {
    /// A runner for `frame`'s current state.
    pub(super) fn new(
        definition: &'d StateMachine,
        frame: &Frame,
        env: &'e mut Env<'x>,
    ) -> Result<Self, Error> {
        let graph = frame.scope.resolve(definition).ok_or(Error::UnknownScope)?;
        let Some(state) = graph.state(&frame.state) else {
            return Err(Error::UnknownState(frame.state.clone()));
        };
        Ok(Runner {
            graph,
            env,
            out: Step::default(),
            current: Cell::new(Some(state)),
            input_bound: None,
            output_bound: None,
        })
    }

    fn dispatch(&mut self, frame: &mut Frame, event: Event) -> Result<(), Error> {
        let flow = match (&frame.phase, event) {
            (Phase::Entering, Event::Run) => {
                self.run(frame, true);
                return Ok(());
            }
            (Phase::Waiting { until }, Event::Timer) => {
                let until = *until;
                if self.env.now < until {
                    self.out.effects.push(Effect::Timer { until });
                    return Ok(());
                }
                let state = self.state(frame);
                let effective = std::mem::take(&mut frame.input);
                let ctx = self.context(frame);
                match apply_input_path(&state.output_path, effective, &ctx) {
                    Ok(output) => Flow::Exit(output),
                    Err(f) => Flow::Fail(f),
                }
            }
            (Phase::Backoff { until }, Event::Timer) => {
                let until = *until;
                if self.env.now < until {
                    self.out.effects.push(Effect::Timer { until });
                    return Ok(());
                }
                frame.phase = Phase::Entering;
                self.run(frame, false);
                return Ok(());
            }
            (Phase::Task, Event::TaskSucceeded { output }) => {
                let state = self.state(frame);
                if let StateKind::Task(task) = &state.kind {
                    self.emit(|| {
                        HistoryEvent::new(
                            TaskKind::of(&task.resource).event_type(TaskEvent::Succeeded),
                            Details::TaskSucceeded {
                                resource: task.resource.clone(),
                                output: output.clone(),
                            },
                        )
                    });
                }
                self.finish_with_result(frame, output)
            }
            (Phase::Task, Event::TaskFailed { failure }) => {
                let state = self.state(frame);
                if let StateKind::Task(task) = &state.kind {
                    self.emit(|| {
                        HistoryEvent::new(
                            TaskKind::of(&task.resource).event_type(TaskEvent::Failed),
                            Details::TaskFailed {
                                resource: task.resource.clone(),
                                failure: failure.clone(),
                            },
                        )
                    });
                }
                Flow::Fail(failure)
            }
            (Phase::Task, Event::TaskTimedOut { failure }) => {
                let state = self.state(frame);
                if let StateKind::Task(task) = &state.kind {
                    self.emit(|| {
                        HistoryEvent::new(
                            TaskKind::of(&task.resource).event_type(TaskEvent::TimedOut),
                            Details::TaskTimedOut {
                                resource: task.resource.clone(),
                                failure: failure.clone(),
                            },
                        )
                    });
                }
                Flow::Fail(failure)
            }
            (Phase::Reading, Event::TaskSucceeded { output }) => self.items_read(frame, output),
            (Phase::Reading, Event::TaskFailed { failure } | Event::TaskTimedOut { failure }) => {
                Flow::Fail(super::item_reader::reader_failure(failure))
            }
            (
                Phase::Children,
                Event::ChildrenSucceeded {
                    outputs,
                    children,
                    stored,
                },
            ) if self.result_writer(frame).is_some() => {
                self.write_results(frame, outputs, children, stored)
            }
            (Phase::Writing, Event::TaskSucceeded { output }) => {
                self.results_written(frame, output)
            }
            (Phase::Writing, Event::TaskFailed { failure } | Event::TaskTimedOut { failure }) => {
                Flow::Fail(super::result_writer::writer_failure(failure))
            }
            (Phase::Children, Event::ChildrenSucceeded { outputs, .. }) => {
                self.map_run_ended(frame, None);
                let kind = self.state(frame).type_name();
                self.emit(|| HistoryEvent::new(format!("{kind}StateSucceeded"), Details::Empty));
                self.finish_with_result(frame, Value::Array(outputs))
            }
            (Phase::Children, Event::ChildFailed { failure }) => {
                self.map_run_ended(frame, Some(&failure));
                let kind = self.state(frame).type_name();
                self.emit(|| {
                    HistoryEvent::new(
                        format!("{kind}StateFailed"),
                        Details::Failed(failure.clone()),
                    )
                });
                Flow::Fail(failure)
            }
            (phase, event) => {
                return Err(Error::UnexpectedEvent {
                    phase: format!("{phase:?}"),
                    event: format!("{event:?}"),
                })
            }
        };
        if self.follow(frame, flow) {
            self.run(frame, true);
        }
        Ok(())
    }

    /// Runs states from `frame.state` (phase `Entering`) until one suspends or the frame ends.
    fn run(&mut self, frame: &mut Frame, mut fresh_entry: bool) {
        loop {
            if fresh_entry {
                if self.out.transitions >= self.env.max_transitions {
                    self.out.effects.push(Effect::Continue);
                    return;
                }
                self.enter(frame);
            }
            let flow = self.execute(frame);
            if !self.follow(frame, flow) {
                return;
            }
            fresh_entry = true;
        }
    }

    fn enter(&mut self, frame: &mut Frame) {
        self.out.transitions += 1;
        frame.entered_at = self.env.now;
        let kind = self.state(frame).type_name();
        let id = self.emit(|| {
            HistoryEvent::new(
                format!("{kind}StateEntered"),
                Details::StateEntered {
                    name: frame.state.clone(),
                    input: frame.input.clone(),
                },
            )
        });
        frame.entered_event_id = id;
    }

    /// Applies a flow to the frame; returns whether a new state is ready to enter.
    fn follow(&mut self, frame: &mut Frame, flow: Flow) -> bool {
        match flow {
            Flow::Suspend => false,
            Flow::Finish(outcome) => {
                frame.phase = Phase::Done;
                self.out.outcome = Some(outcome);
                false
            }
            Flow::Fail(failure) => {
                // A catcher's output is not the failed state's: its bound does not apply.
                self.output_bound = None;
                let flow = self.handle_failure(frame, failure);
                self.follow(frame, flow)
            }
            Flow::Exit(output) => {
                let state = self.state(frame);
                match &state.transition {
                    Transition::Next(next) => self.goto(frame, next, output),
                    // Choice/Succeed/Fail never exit this way; treat as the end.
                    Transition::End | Transition::None => {
                        self.exited(frame, &output);
                        frame.input = Value::Null;
                        frame.phase = Phase::Done;
                        let known = self.output_bound.take();
                        let outcome = match io::within_payload_limit(&output, known) {
                            Some(_) => Outcome::Succeeded(output),
                            None => Outcome::Failed(self.oversize(frame)),
                        };
                        self.out.outcome = Some(outcome);
                        false
                    }
                }
            }
            Flow::Goto(next, output) => self.goto(frame, &next, output),
        }
    }

    fn goto(&mut self, frame: &mut Frame, next: &str, output: Value) -> bool {
        self.exited(frame, &output);
        let Some(bound) = io::within_payload_limit(&output, self.output_bound.take()) else {
            let failure = self.oversize(frame);
            frame.phase = Phase::Done;
            self.out.outcome = Some(Outcome::Failed(failure));
            return false;
        };
        self.input_bound = Some(bound);
        frame.state.clear();
        frame.state.push_str(next);
        self.current.set(None);
        frame.input = output;
        frame.retries.clear();
        frame.phase = Phase::Entering;
        true
    }

    pub(super) fn exited(&mut self, frame: &Frame, output: &Value) {
        let kind = self.state(frame).type_name();
        self.emit(|| {
            HistoryEvent::new(
                format!("{kind}StateExited"),
                Details::StateExited {
                    name: frame.state.clone(),
                    output: output.clone(),
                },
            )
        });
    }

    fn oversize(&self, frame: &Frame) -> Failure {
        Failure::data_limit(format!(
            "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
            frame.state
        ))
    }

    /// Retry, then Catch, then fail the frame.
    fn handle_failure(&mut self, frame: &mut Frame, failure: Failure) -> Flow {
        let failure = self.locate(frame, failure);
        let state = self.state(frame);
        if failure.error.as_deref() == Some(names::DATA_LIMIT_EXCEEDED) {
            frame.phase = Phase::Done;
            return Flow::Finish(Outcome::Failed(failure));
        }
        if !state.retry.is_empty() {
            match retry::decide(&state.retry, &frame.retries, &failure, self.env.entropy) {
                RetryDecision::Retry { retrier, delay_ms } => {
                    if frame.retries.len() < state.retry.len() {
                        frame.retries.resize(state.retry.len(), 0);
                    }
                    frame.retries[retrier] += 1;
                    let until = self.env.now + delay_ms;
                    frame.phase = Phase::Backoff { until };
                    self.out.effects.push(Effect::Timer { until });
                    return Flow::Suspend;
                }
                RetryDecision::GiveUp => {}
            }
        }
        if let Some(catcher) = state
            .catch
            .iter()
            .find(|c| retry::error_matches(&c.error_equals, &failure))
        {
            return match self.catch(frame, catcher, &failure) {
                Ok(output) => Flow::Goto(catcher.next.clone(), output),
                Err(f) => {
                    frame.phase = Phase::Done;
                    Flow::Finish(Outcome::Failed(self.locate(frame, f)))
                }
            };
        }
        frame.phase = Phase::Done;
        Flow::Finish(Outcome::Failed(failure))
    }

    /// A catcher's output (ResultPath, or JSONata `Output`) and its `Assign`, which reads
    /// the error output as `$` / `$states.errorOutput`.
    fn catch(
        &mut self,
        frame: &mut Frame,
        catcher: &Catcher,
        failure: &Failure,
    ) -> Result<Value, Failure> {
        let state = self.state(frame);
        let error_output = failure.to_error_output();
        let raw = std::mem::take(&mut frame.input);
        let ctx = self.context(frame);
        let states = States {
            input: &raw,
            result: None,
            error_output: Some(&error_output),
            ctx: &ctx,
        };
        let (output, assigned) = if state.query_language == QueryLanguage::Jsonata {
            let (output, assigned) = jsonata::leave(
                catcher.assign.as_ref(),
                catcher.output.as_ref(),
                &states,
                self.env.now,
                self.env.entropy,
            )?;
            (output.unwrap_or(error_output), assigned)
        } else {
            let assigned = match &catcher.assign {
                Some(a) => Some(jsonata::assignments(
                    a,
                    &error_output,
                    &states,
                    self.env.now,
                    self.env.entropy,
                )?),
                None => None,
            };
            (
                apply_result_path(&catcher.result_path, raw, error_output)?,
                assigned,
            )
        };
        jsonata::bind(&mut frame.vars, assigned)?;
        Ok(output)
    }

    /// AWS prefixes runtime errors with the state and the id of its entered event.
    pub(super) fn locate(&self, frame: &Frame, mut failure: Failure) -> Failure {
        let located = matches!(
            failure.error.as_deref(),
            Some(names::RUNTIME) | Some(names::QUERY_EVALUATION_ERROR)
        );
        if located {
            if let Some(cause) = &failure.cause {
                if !cause.starts_with("An error occurred while executing the state") {
                    failure.cause = Some(format!(
                        "An error occurred while executing the state '{}' (entered at the event id #{}). {}",
                        frame.state, frame.entered_event_id, cause
                    ));
                }
            }
        }
        failure
    }

    /// Task, Parallel and Map results: ResultSelector → ResultPath → OutputPath.
    pub(super) fn finish_with_result(&mut self, frame: &mut Frame, result: Value) -> Flow {
        let state = self.state(frame);
        if io::exceeds_payload_limit(&result) {
            return Flow::Fail(Failure::data_limit(format!(
                "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                frame.state
            )));
        }
        let ctx = self.context(frame);
        if state.query_language == QueryLanguage::Jsonata {
            let states = States {
                input: &frame.input,
                result: Some(&result),
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
                    exit_with(&mut frame.vars, assigned, output.unwrap_or(result))
                }
                Err(f) => Flow::Fail(f),
            };
        }
        let selected = match &state.result_selector {
            Some(selector) => match eval_template(selector, &result, &ctx, self.env.entropy) {
                Ok(v) => v,
                Err(f) => return Flow::Fail(f),
            },
            None => result,
        };
        // `Assign` reads `$` as the result after ResultSelector.
        let assigned = match &state.assign {
            Some(assign) => {
                let states = States {
                    input: &frame.input,
                    result: None,
                    error_output: None,
                    ctx: &ctx,
                };
                match jsonata::assignments(
                    assign,
                    &selected,
                    &states,
                    self.env.now,
                    self.env.entropy,
                ) {
                    Ok(map) => Some(map),
                    Err(f) => return Flow::Fail(f),
                }
            }
            None => None,
        };
        // Keep the raw input until the merge succeeds: a catcher needs it. `ResultPath: $`
        // never reads it, so that case copies nothing.
        let raw = match state.result_path {
            ResultPath::Whole => Value::Null,
            _ => frame.input.clone(),
        };
        let merged = apply_result_path(&state.result_path, raw, selected)
            .and_then(|v| apply_input_path(&state.output_path, v, &ctx));
        match merged {
            Ok(output) => exit_with(&mut frame.vars, assigned, output),
            Err(f) => Flow::Fail(f),
        }
    }

    pub(super) fn state(&self, frame: &Frame) -> &'d State {
        if let Some(state) = self.current.get() {
            return state;
        }
        // `step` checked the state exists and transitions only follow validated names.
        match self.graph.state(&frame.state) {
            Some(state) => {
                self.current.set(Some(state));
                state
            }
            None => unreachable!("state {:?} vanished from a validated graph", frame.state),
        }
    }

    pub(super) fn context<'f>(&self, frame: &'f Frame) -> Context<'f>
    where
        'x: 'f,
    {
        let mut ctx = Context::new(
            self.env.execution,
            &frame.state,
            frame.entered_at,
            frame.retry_count(),
        );
        ctx.vars = Some(&frame.vars);
        ctx
    }

    /// Counts an event and records it when history is on; returns its id.
    pub(super) fn emit(&mut self, event: impl FnOnce() -> HistoryEvent) -> u64 {
        let id = self.env.first_event_id + self.out.event_count;
        self.out.event_count += 1;
        if self.env.record_history {
            self.out.history.push(event());
        }
        id
    }
}
