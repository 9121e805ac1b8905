//! A whole execution in memory: the frame tree, joins, timers and history, driven by the
//! caller's clock. Pure: the caller passes `now` and performs the tasks.
//!
//! This is what `stepwise run` and the conformance tests drive. The durable engine keeps
//! the same pieces (frames, joins, timers) in a store instead.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

use serde_json::Value;

use super::context::{iso8601, ExecutionInfo};
use super::event::{
    ChildEnd, ChildrenKind, ChildrenRequest, Effect, Event, FailureTolerance, Outcome, TaskRequest,
};
use super::frame::Frame;
use super::history::{Details, HistoryEvent};
use super::io;
use super::step::{self, step, Env};
use crate::definition::StateMachine;
use crate::entropy::Entropy;
use crate::failure::Failure;

/// Where an execution stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Running,
    Succeeded(Value),
    Failed(Failure),
    TimedOut(Failure),
}

/// A task the caller must run; answer with [`Execution::complete_task`].
#[derive(Debug, Clone, PartialEq)]
pub struct PendingTask {
    pub id: TaskId,
    pub request: TaskRequest,
}

/// Identifies a task attempt; stale ids (an aborted branch) are ignored on completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskId {
    frame: usize,
    generation: u64,
}

/// A history event with the id and time the execution gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    pub id: u64,
    pub timestamp: i64,
    /// Nesting of the frame that produced it: 0 for the top level, +1 per Parallel
    /// branch or Map iteration (for readable traces).
    pub depth: usize,
    pub event: HistoryEvent,
}

impl RecordedEvent {
    pub fn to_aws_json(&self) -> Value {
        self.event
            .to_aws_json(self.id, self.id.saturating_sub(1), &iso8601(self.timestamp))
    }
}

#[derive(Debug)]
struct Node {
    frame: Frame,
    /// Distinguishes this node from an earlier one in the same slot.
    generation: u64,
    parent: Option<(usize, usize)>,
    join: Option<Join>,
}

/// A Parallel or Map state waiting for its children.
#[derive(Debug)]
struct Join {
    kind: ChildrenKind,
    state: String,
    outputs: Vec<Option<Value>>,
    remaining: usize,
    /// Children not started yet (MaxConcurrency), in index order.
    queued: VecDeque<(usize, Frame)>,
    /// Children started and not finished: child index → node id. Keyed by index so a
    /// finishing child leaves in O(log n) (a Map over n items starts all n at once
    /// without MaxConcurrency) while aborts still go in start order, which is index order.
    running: BTreeMap<usize, usize>,
    max_concurrency: Option<u64>,
    /// A Distributed Map's failure tolerance; `None` fails on the first failure.
    tolerance: Option<FailureTolerance>,
    failed_items: u64,
    /// A Distributed Map's children as they end (empty for other joins).
    ends: Vec<ChildEnd>,
}

/// One execution, run in memory.
#[derive(Debug)]
pub struct Execution<'d> {
    definition: &'d StateMachine,
    info: ExecutionInfo,
    nodes: Vec<Option<Node>>,
    free: Vec<usize>,
    next_generation: u64,
    ready: VecDeque<(usize, u64, Event)>,
    timers: BinaryHeap<Reverse<(i64, usize, u64)>>,
    tasks: Vec<PendingTask>,
    history: Vec<RecordedEvent>,
    record_history: bool,
    next_event_id: u64,
    transitions: u64,
    deadline: Option<i64>,
    /// The `now` of the latest `run`, for `next_timer` when work is left over.
    last_now: i64,
    status: Status,
}

/// Per-call bound on states one frame runs before others get a turn.
const MAX_TRANSITIONS_PER_STEP: u64 = 1024;

/// Frame steps and transitions one [`Execution::run`] call performs before it returns to
/// the caller (a few milliseconds of work in a release build).
const MAX_STEPS_PER_RUN: usize = 10_000;
const MAX_TRANSITIONS_PER_RUN: u64 = 100_000;

impl<'d> Execution<'d> {
    /// Starts an execution; nothing runs until [`Execution::run`].
    pub fn start(definition: &'d StateMachine, info: ExecutionInfo, record_history: bool) -> Self {
        let now = info.start_time;
        let mut execution = Self {
            definition,
            nodes: Vec::new(),
            free: Vec::new(),
            next_generation: 0,
            ready: VecDeque::new(),
            timers: BinaryHeap::new(),
            tasks: Vec::new(),
            history: Vec::new(),
            record_history,
            next_event_id: 1,
            transitions: 0,
            deadline: definition
                .timeout_seconds
                .map(|s| now.saturating_add((s as i64).saturating_mul(1000))),
            last_now: now,
            status: Status::Running,
            info,
        };
        let input = execution.info.input.clone();
        execution.record(now, 0, || {
            HistoryEvent::new(
                "ExecutionStarted",
                Details::ExecutionStarted {
                    input: input.clone(),
                },
            )
        });
        if io::exceeds_payload_limit(&input) {
            execution.finish(
                now,
                Outcome::Failed(Failure::data_limit(
                    "The execution input exceeds the maximum number of bytes service limit.",
                )),
            );
            return execution;
        }
        let root = Frame::root(definition, input, now);
        let id = execution.insert(root, None);
        let generation = execution.generation(id);
        execution.ready.push_back((id, generation, Event::Run));
        execution
    }

    pub fn status(&self) -> &Status {
        &self.status
    }

    pub fn is_running(&self) -> bool {
        self.status == Status::Running
    }

    pub fn info(&self) -> &ExecutionInfo {
        &self.info
    }

    pub fn history(&self) -> &[RecordedEvent] {
        &self.history
    }

    /// States entered so far (Step Functions' billed transitions).
    pub fn transitions(&self) -> u64 {
        self.transitions
    }

    /// When the next timer (Wait, retry backoff, execution timeout) is due.
    pub fn next_timer(&self) -> Option<i64> {
        if !self.is_running() {
            return None;
        }
        if !self.ready.is_empty() {
            // `run` stopped at its step budget: more work is due right away.
            return Some(self.last_now);
        }
        let timer = self.timers.peek().map(|Reverse((at, _, _))| *at);
        match (timer, self.deadline) {
            (Some(t), Some(d)) => Some(t.min(d)),
            (t, d) => t.or(d),
        }
    }

    /// Tasks started since the last call.
    pub fn take_tasks(&mut self) -> Vec<PendingTask> {
        std::mem::take(&mut self.tasks)
    }

    /// Delivers a task's result; a result for an aborted frame is ignored.
    pub fn complete_task(&mut self, id: TaskId, result: Result<Value, Failure>) {
        if self.generation_of(id.frame) != Some(id.generation) {
            return;
        }
        let event = match result {
            Ok(output) => Event::TaskSucceeded { output },
            Err(failure) => Event::TaskFailed { failure },
        };
        self.ready.push_back((id.frame, id.generation, event));
    }

    /// Runs what can run at `now` (ready frames and due timers), up to a budget of frame
    /// steps so the caller gets to refresh its clock (an endless loop must still meet the
    /// execution's `TimeoutSeconds`). [`Execution::next_timer`] says when to call again.
    pub fn run(&mut self, now: i64, entropy: &mut dyn Entropy) -> Result<(), step::Error> {
        self.last_now = now;
        let budget = self.transitions + MAX_TRANSITIONS_PER_RUN;
        for _ in 0..MAX_STEPS_PER_RUN {
            if self.transitions >= budget {
                break;
            }
            if !self.is_running() {
                return Ok(());
            }
            if let Some(deadline) = self.deadline {
                if now >= deadline {
                    self.time_out(now);
                    return Ok(());
                }
            }
            while let Some(Reverse((at, frame, generation))) = self.timers.peek().copied() {
                if at > now {
                    break;
                }
                self.timers.pop();
                self.ready.push_back((frame, generation, Event::Timer));
            }
            let Some((id, generation, event)) = self.ready.pop_front() else {
                return Ok(());
            };
            if self.generation_of(id) != Some(generation) {
                continue;
            }
            self.step_frame(id, event, now, entropy)?;
        }
        Ok(())
    }

    fn step_frame(
        &mut self,
        id: usize,
        event: Event,
        now: i64,
        entropy: &mut dyn Entropy,
    ) -> Result<(), step::Error> {
        let definition = self.definition;
        let Some(node) = self.nodes[id].as_mut() else {
            return Ok(());
        };
        let mut env = Env {
            now,
            execution: &self.info,
            entropy,
            first_event_id: self.next_event_id,
            record_history: self.record_history,
            max_transitions: MAX_TRANSITIONS_PER_STEP,
            task_token_prefix: None,
            items_per_page: None,
        };
        let result = step(definition, &mut node.frame, event, &mut env)?;
        let generation = node.generation;
        let depth = node.frame.scope().steps().len();
        self.next_event_id += result.event_count;
        self.transitions += result.transitions;
        let first = self.next_event_id - result.event_count;
        for (i, event) in result.history.into_iter().enumerate() {
            self.history.push(RecordedEvent {
                id: first + i as u64,
                timestamp: now,
                depth,
                event,
            });
        }
        for effect in result.effects {
            match effect {
                Effect::Timer { until } => self.timers.push(Reverse((until, id, generation))),
                Effect::Continue => self.ready.push_back((id, generation, Event::Run)),
                Effect::InvokeTask(request) => self.tasks.push(PendingTask {
                    id: TaskId {
                        frame: id,
                        generation,
                    },
                    request,
                }),
                Effect::RunChildren(request) => self.spawn(id, request, now),
            }
        }
        if let Some(outcome) = result.outcome {
            self.frame_finished(id, outcome, now);
        }
        Ok(())
    }

    fn spawn(&mut self, parent: usize, request: ChildrenRequest, now: i64) {
        let ChildrenRequest {
            state,
            kind,
            children,
            max_concurrency,
            tolerance,
            // Never set: this runner reads items in one piece (no `Env::items_per_page`).
            feed: _,
        } = request;
        let count = children.len();
        let ends = match tolerance {
            Some(_) => children
                .iter()
                .map(|c| ChildEnd {
                    input: Some(c.input().clone()),
                    ..ChildEnd::default()
                })
                .collect(),
            None => Vec::new(),
        };
        let join = Join {
            kind,
            state,
            outputs: vec![None; count],
            remaining: count,
            queued: children.into_iter().enumerate().collect(),
            running: BTreeMap::new(),
            max_concurrency,
            tolerance,
            failed_items: 0,
            ends,
        };
        if let Some(node) = self.nodes[parent].as_mut() {
            node.join = Some(join);
        }
        self.start_queued(parent, now);
    }

    /// Starts queued children up to the join's MaxConcurrency.
    fn start_queued(&mut self, parent: usize, now: i64) {
        loop {
            let Some(join) = self.nodes[parent].as_mut().and_then(|n| n.join.as_mut()) else {
                return;
            };
            let limit = join.max_concurrency.unwrap_or(u64::MAX);
            if join.running.len() as u64 >= limit {
                return;
            }
            let Some((index, frame)) = join.queued.pop_front() else {
                return;
            };
            let kind = join.kind;
            // The state's name only goes into a recorded event: not copied otherwise.
            let state = self.record_history.then(|| join.state.clone());
            let child = self.insert(frame, Some((parent, index)));
            if let Some(join) = self.nodes[parent].as_mut().and_then(|n| n.join.as_mut()) {
                join.running.insert(index, child);
                if let Some(end) = join.ends.get_mut(index) {
                    end.start_date = Some(now);
                }
            }
            if kind == ChildrenKind::Map {
                let depth = self.nodes[child]
                    .as_ref()
                    .map_or(0, |n| n.frame.scope().steps().len());
                self.record(now, depth, || {
                    HistoryEvent::new(
                        "MapIterationStarted",
                        Details::MapIteration {
                            name: state.unwrap_or_default(),
                            index,
                        },
                    )
                });
            }
            let generation = self.generation(child);
            self.ready.push_back((child, generation, Event::Run));
        }
    }

    fn frame_finished(&mut self, id: usize, outcome: Outcome, now: i64) {
        let Some(node) = self.nodes[id].take() else {
            return;
        };
        self.free.push(id);
        let depth = node.frame.scope().steps().len();
        let Some((parent, index)) = node.parent else {
            self.finish(now, outcome);
            return;
        };
        let Some(join) = self.nodes[parent].as_mut().and_then(|n| n.join.as_mut()) else {
            return;
        };
        join.running.remove(&index);
        // Only Map iterations have events of their own; Parallel branches don't.
        if join.kind == ChildrenKind::Map {
            let state = self.record_history.then(|| join.state.clone());
            let event_type = match outcome {
                Outcome::Succeeded(_) => "MapIterationSucceeded",
                Outcome::Failed(_) => "MapIterationFailed",
            };
            self.record(now, depth, || {
                HistoryEvent::new(
                    event_type,
                    Details::MapIteration {
                        name: state.unwrap_or_default(),
                        index,
                    },
                )
            });
        }
        let Some(join) = self.nodes[parent].as_mut().and_then(|n| n.join.as_mut()) else {
            return;
        };
        if let Some(end) = join.ends.get_mut(index) {
            end.stop_date = Some(now);
            end.failed = matches!(outcome, Outcome::Failed(_));
        }
        let output = match (outcome, &join.tolerance) {
            (Outcome::Succeeded(output), _) => output,
            // Within a Distributed Map's tolerance a failed item keeps its slot, holding
            // its error output, and the others carry on.
            (Outcome::Failed(failure), Some(tolerance)) => {
                join.failed_items += tolerance.items_of(index);
                if tolerance.exceeded(join.failed_items) {
                    self.fail_join(parent, FailureTolerance::exceeded_failure(), now);
                    return;
                }
                failure.to_error_output()
            }
            (Outcome::Failed(failure), None) => {
                self.fail_join(parent, failure, now);
                return;
            }
        };
        join.outputs[index] = Some(output);
        join.remaining -= 1;
        if join.remaining > 0 {
            self.start_queued(parent, now);
            return;
        }
        let (outputs, children) = self.nodes[parent]
            .as_mut()
            .and_then(|n| n.join.take())
            .map(|j| {
                let outputs = j
                    .outputs
                    .into_iter()
                    .map(Option::unwrap_or_default)
                    .collect();
                (outputs, j.ends)
            })
            .unwrap_or_default();
        self.deliver(
            parent,
            Event::ChildrenSucceeded {
                outputs,
                children,
                stored: None,
            },
        );
    }

    /// Stops the remaining children of a join and fails its parent state.
    /// Stops the remaining children of a join (Map iterations still running are recorded
    /// as `MapIterationAborted`, as Step Functions does) and fails its parent state.
    fn fail_join(&mut self, parent: usize, failure: Failure, now: i64) {
        if let Some(join) = self.nodes[parent].as_mut().and_then(|n| n.join.take()) {
            for child in join.running.into_values() {
                let iteration = self.nodes[child]
                    .as_ref()
                    .and_then(|n| Some((n.parent?.1, n.frame.scope().steps().len())));
                if let (ChildrenKind::Map, Some((index, depth))) = (join.kind, iteration) {
                    let name = join.state.clone();
                    self.record(now, depth, || {
                        HistoryEvent::new(
                            "MapIterationAborted",
                            Details::MapIteration { name, index },
                        )
                    });
                }
                self.abort(child);
            }
        }
        self.deliver(parent, Event::ChildFailed { failure });
    }

    fn deliver(&mut self, id: usize, event: Event) {
        let generation = self.generation(id);
        self.ready.push_back((id, generation, event));
    }

    /// Removes a frame and its descendants; their pending timers and tasks go stale.
    fn abort(&mut self, id: usize) {
        let Some(node) = self.nodes[id].take() else {
            return;
        };
        self.free.push(id);
        if let Some(join) = node.join {
            for child in join.running.into_values() {
                self.abort(child);
            }
        }
    }

    fn time_out(&mut self, now: i64) {
        let failure = Failure::execution_timeout();
        self.record(now, 0, || {
            HistoryEvent::new(
                "ExecutionTimedOut",
                Details::ExecutionTimedOut(failure.clone()),
            )
        });
        self.status = Status::TimedOut(failure);
        self.clear();
    }

    fn finish(&mut self, now: i64, outcome: Outcome) {
        match outcome {
            Outcome::Succeeded(output) => {
                self.record(now, 0, || {
                    HistoryEvent::new(
                        "ExecutionSucceeded",
                        Details::ExecutionSucceeded {
                            output: output.clone(),
                        },
                    )
                });
                self.status = Status::Succeeded(output);
            }
            Outcome::Failed(failure) => {
                self.record(now, 0, || {
                    HistoryEvent::new("ExecutionFailed", Details::ExecutionFailed(failure.clone()))
                });
                self.status = Status::Failed(failure);
            }
        }
        self.clear();
    }

    fn clear(&mut self) {
        self.nodes.clear();
        self.free.clear();
        self.ready.clear();
        self.timers.clear();
        self.tasks.clear();
    }

    fn record(&mut self, now: i64, depth: usize, event: impl FnOnce() -> HistoryEvent) {
        let id = self.next_event_id;
        self.next_event_id += 1;
        if self.record_history {
            self.history.push(RecordedEvent {
                id,
                timestamp: now,
                depth,
                event: event(),
            });
        }
    }

    fn insert(&mut self, frame: Frame, parent: Option<(usize, usize)>) -> usize {
        self.next_generation += 1;
        let node = Node {
            frame,
            generation: self.next_generation,
            parent,
            join: None,
        };
        match self.free.pop() {
            Some(slot) => {
                self.nodes[slot] = Some(node);
                slot
            }
            None => {
                self.nodes.push(Some(node));
                self.nodes.len() - 1
            }
        }
    }

    fn generation(&self, id: usize) -> u64 {
        self.generation_of(id).unwrap_or(0)
    }

    fn generation_of(&self, id: usize) -> Option<u64> {
        self.nodes.get(id)?.as_ref().map(|n| n.generation)
    }
}
