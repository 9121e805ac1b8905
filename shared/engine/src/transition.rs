//! One transition of one frame, planned without I/O: the core's steps, turned into the
//! writes and messages the engine then performs.

use serde_json::Value;
use stepwise_core::definition::StateMachine;
use stepwise_core::entropy::Entropy;
use stepwise_core::interp::{
    self, iso8601, ChildrenKind, ChildrenRequest, Details, Effect, Env, Event, Frame, HistoryEvent,
    Outcome,
};

use crate::fan_out::{self, FanOut};
use crate::ids::{FrameId, JoinKey};
use crate::message::{Message, MessageKind};
use crate::records::{
    ChildResult, ExecutionRecord, ExecutionStatus, FrameRecord, HistoryItem, JoinRecord,
    ParentLink, TaskProgress,
};
use crate::store::{ChildOutcome, Commit};

/// What a transition starts from.
pub(crate) struct Start<'a> {
    pub definition: &'a StateMachine,
    pub execution: &'a ExecutionRecord,
    pub record: &'a FrameRecord,
    pub event: Event,
    /// The key of the message being handled.
    pub cause: String,
    /// Events recorded before the step's own, with their times (`ExecutionStarted`, a
    /// callback task's `TaskSubmitted`).
    pub lead: Vec<(HistoryEvent, i64)>,
    /// The frame's join to close in the same commit.
    pub close_join: Option<JoinKey>,
    pub now: i64,
    /// States one invocation may run before it yields and sends itself a `Run`.
    pub max_transitions: u64,
    /// Items a Distributed Map's ItemReader reads at a time.
    pub items_per_page: u32,
}

/// The writes and messages of one transition.
#[derive(Debug)]
pub(crate) struct Plan {
    pub commit: Commit,
    /// A fan-out to write (and continue) before the commit.
    pub join: Option<FanOut>,
    /// States entered (billed transitions).
    pub transitions: u64,
}

pub(crate) fn plan(start: Start<'_>, entropy: &mut dyn Entropy) -> Result<Plan, interp::Error> {
    let Start {
        definition,
        execution,
        record,
        event,
        cause,
        lead,
        close_join,
        now,
        max_transitions,
        items_per_page,
    } = start;
    let version = record.version + 1;
    let arn = execution.arn();
    let mut frame = record.frame.clone();
    let mut history = History::new(record.next_event_id, now);
    for (event, at) in lead {
        history.push_at(event, at);
    }
    let token_prefix = crate::tokens::locator(arn, &record.id);
    let parent = crate::join::link_after(definition, record, now);
    if let Some(link) = record.parent.as_ref().filter(|_| record.version == 0) {
        if link.kind == ChildrenKind::Map {
            history.push(iteration_event("MapIterationStarted", link));
        }
    }
    let mut outbox = Vec::new();
    let mut task = None;
    let mut join = None;
    let mut outcome = None;
    let mut transitions = 0;
    let mut next = Some(event);
    // The largest history one state has produced so far; it sizes the next run of
    // states so one commit's events stay within HISTORY_BUDGET.
    let mut per_state = 0;
    while let Some(event) = next.take() {
        // The first run of states is short, to measure them before trusting the budget.
        let room = match per_state {
            0 => FIRST_RUN,
            bytes => HISTORY_BUDGET.saturating_sub(history.bytes) / bytes,
        };
        let mut env = Env {
            now,
            execution: &execution.info,
            entropy: &mut *entropy,
            first_event_id: history.next_id,
            record_history: true,
            max_transitions: max_transitions
                .saturating_sub(transitions)
                .min(room as u64)
                .max(1),
            task_token_prefix: Some(&token_prefix),
            items_per_page: Some(items_per_page),
        };
        let step = interp::step(definition, &mut frame, event, &mut env)?;
        transitions += step.transitions;
        let before = history.bytes;
        for event in step.history {
            history.push(event);
        }
        per_state = per_state.max((history.bytes - before) / step.transitions.max(1) as usize);
        let within_budget = history.bytes < HISTORY_BUDGET;
        for effect in step.effects {
            match effect {
                Effect::Continue if transitions < max_transitions && within_budget => {
                    next = Some(Event::Run)
                }
                Effect::Continue => outbox.push(Message::new(
                    arn,
                    record.id.clone(),
                    version,
                    MessageKind::Run,
                )),
                Effect::Timer { until } if until <= now => next = Some(Event::Timer),
                Effect::Timer { until } => outbox.push(
                    Message::new(arn, record.id.clone(), version, MessageKind::Timer).due(until),
                ),
                Effect::InvokeTask(request) => {
                    let check = |kind, seconds: u64| {
                        let due = now.saturating_add(seconds.saturating_mul(1000) as i64);
                        Message::new(arn, record.id.clone(), version, kind).due(due)
                    };
                    outbox.push(Message::new(
                        arn,
                        record.id.clone(),
                        version,
                        MessageKind::Task,
                    ));
                    if let Some(seconds) = request.timeout_seconds {
                        outbox.push(check(MessageKind::TaskTimeout, seconds));
                    }
                    if let Some(seconds) = request.heartbeat_seconds {
                        outbox.push(check(MessageKind::Heartbeat, seconds));
                    }
                    task = Some(request);
                }
                Effect::RunChildren(request) => {
                    let opened = open_join(arn, &record.id, version, history.next_id, request);
                    // The commit starts the children it writes itself; each
                    // `OpenChildren` message starts its own.
                    outbox.extend(
                        opened
                            .children
                            .iter()
                            .filter(|child| fan_out::starts_at_once(child))
                            .map(|child| Message::new(arn, child.id.clone(), 0, MessageKind::Run)),
                    );
                    // More items to read: the next page is read once this commit stands.
                    if let Some(feed) = &opened.join.feed {
                        outbox.push(Message::new(
                            arn,
                            record.id.clone(),
                            version,
                            MessageKind::ReadPage { page: feed.page },
                        ));
                    }
                    join = Some(opened);
                }
            }
        }
        outcome = step.outcome.or(outcome);
    }
    let mut child_result = None;
    let mut finish = None;
    if let Some(outcome) = outcome {
        match &parent {
            None => {
                let (status, event) = match &outcome {
                    Outcome::Succeeded(output) => (
                        ExecutionStatus::Succeeded,
                        HistoryEvent::new(
                            "ExecutionSucceeded",
                            Details::ExecutionSucceeded {
                                output: output.clone(),
                            },
                        ),
                    ),
                    Outcome::Failed(failure) => (
                        ExecutionStatus::Failed,
                        HistoryEvent::new(
                            "ExecutionFailed",
                            Details::ExecutionFailed(failure.clone()),
                        ),
                    ),
                };
                history.push(event);
                finish = Some(execution.ended(status, Some(&outcome), now));
                // A task waits for this nested execution: the end, committed here,
                // completes it.
                if crate::engine::parent_waits(execution) {
                    outbox.push(Message::new(
                        arn,
                        record.id.clone(),
                        version,
                        MessageKind::ExecutionEnded,
                    ));
                }
            }
            Some(link) => {
                let failure = match &outcome {
                    Outcome::Succeeded(_) => None,
                    Outcome::Failed(failure) => Some(failure.clone()),
                };
                if link.kind == ChildrenKind::Map {
                    let kind = if failure.is_some() {
                        "MapIterationFailed"
                    } else {
                        "MapIterationSucceeded"
                    };
                    history.push(iteration_event(kind, link));
                }
                outbox.push(Message::new(
                    arn,
                    link.join.parent.clone(),
                    link.join.version,
                    MessageKind::ChildDone {
                        index: link.index,
                        failure,
                    },
                ));
                if let Some(successor) = successor(link) {
                    outbox.push(Message::new(
                        arn,
                        FrameId::child(&link.join.parent, link.join.version, successor),
                        0,
                        MessageKind::Run,
                    ));
                }
                child_result = Some(ChildOutcome {
                    join: link.join.clone(),
                    result: ChildResult {
                        index: link.index,
                        outcome,
                        next_event_id: history.next_id,
                        started: link.started.clone(),
                        stopped: now,
                    },
                    items: link.items,
                });
            }
        }
    }
    let events = history.events;
    let commit = Commit {
        execution: arn.to_owned(),
        frame: FrameRecord {
            id: record.id.clone(),
            version,
            frame,
            next_event_id: history.next_id,
            outbox,
            cause: Some(cause),
            origin: None,
            task,
            parent,
            progress: TaskProgress::default(),
        },
        expected_version: record.version,
        history: (!events.is_empty()).then(|| HistoryItem {
            frame: record.id.clone(),
            version,
            events,
        }),
        child_result,
        finish,
        close_join,
    };
    Ok(Plan {
        commit,
        join,
        transitions,
    })
}

/// Under MaxConcurrency N, child `i + N` takes over child `i`'s slot when it ends: the
/// successor is fixed, so a duplicated message can never start two.
fn successor(link: &ParentLink) -> Option<u32> {
    let limit = link.max_concurrency.filter(|&n| n > 0)?;
    let next = link.index.checked_add(limit)?;
    // A total of 0: a paged join's child, whose join starts the successor.
    (next < link.total).then_some(next)
}

fn open_join(
    arn: &str,
    parent: &FrameId,
    version: u64,
    next_event_id: u64,
    request: ChildrenRequest,
) -> FanOut {
    let ChildrenRequest {
        state,
        kind,
        children,
        max_concurrency,
        tolerance,
        feed,
    } = request;
    let key = JoinKey {
        parent: parent.clone(),
        version,
    };
    let join = JoinRecord {
        key,
        kind,
        state,
        total: children.len() as u32,
        tolerance,
        succeeded: 0,
        failed: 0,
        failed_items: 0,
        closed: false,
        collector: None,
        paged: feed.is_some(),
        feed,
        feed_failure: None,
        max_concurrency: max_concurrency
            .filter(|&n| n > 0)
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
    };
    let items_per_child = join
        .tolerance
        .as_ref()
        .map_or(&[][..], |t| &t.items_per_child);
    let records = child_records(&join, 0, children, items_per_child, next_event_id);
    fan_out::split(arn, join, records)
}

/// The frames of `children`, the join's from index `first` on (`items`: how many items
/// each carries, when batched). A paged join's total is not known when its children are
/// made: they hold 0, and the join starts their successors (`engine/feed.rs`).
pub(crate) fn child_records(
    join: &JoinRecord,
    first: u32,
    children: Vec<Frame>,
    items: &[u64],
    next_event_id: u64,
) -> Vec<FrameRecord> {
    let total = if join.paged { 0 } else { join.total };
    children
        .into_iter()
        .enumerate()
        .map(|(offset, frame)| {
            let index = first.saturating_add(offset as u32);
            FrameRecord {
                id: FrameId::child(&join.key.parent, join.key.version, index),
                version: 0,
                frame,
                next_event_id,
                outbox: Vec::new(),
                cause: None,
                origin: None,
                task: None,
                progress: TaskProgress::default(),
                parent: Some(ParentLink {
                    join: join.key.clone(),
                    index,
                    kind: join.kind,
                    state: join.state.clone(),
                    total,
                    max_concurrency: join.max_concurrency,
                    items: items.get(offset).copied().unwrap_or(1),
                    started: None,
                }),
            }
        })
        .collect()
}

fn iteration_event(kind: &str, link: &ParentLink) -> HistoryEvent {
    HistoryEvent::new(
        kind,
        Details::MapIteration {
            name: link.state.clone(),
            index: link.index as usize,
        },
    )
}

/// Bytes of history events one commit may carry before the frame yields and commits
/// (a store writes a commit's events in one transaction; DynamoDB's is at most 4 MB).
const HISTORY_BUDGET: usize = 2 * 1024 * 1024;

/// States run before their history size is known.
const FIRST_RUN: usize = 16;

/// A commit's events with their ids and times.
struct History {
    next_id: u64,
    timestamp: String,
    events: Vec<Value>,
    /// Roughly the events' JSON size: their string values (inputs and outputs are JSON
    /// strings inside the events) plus a fixed overhead each.
    bytes: usize,
}

impl History {
    fn new(next_id: u64, now: i64) -> Self {
        Self {
            next_id,
            timestamp: iso8601(now),
            events: Vec::new(),
            bytes: 0,
        }
    }

    fn push(&mut self, event: HistoryEvent) {
        let id = self.next_id;
        let event = event.to_aws_json(id, id.saturating_sub(1), &self.timestamp);
        self.add(event);
    }

    /// An event that happened before this commit, at `at`.
    fn push_at(&mut self, event: HistoryEvent, at: i64) {
        let id = self.next_id;
        let event = event.to_aws_json(id, id.saturating_sub(1), &iso8601(at));
        self.add(event);
    }

    fn add(&mut self, event: Value) {
        self.bytes += approximate_size(&event);
        self.events.push(event);
        self.next_id += 1;
    }
}

/// Strings dominate an event's size (inputs and outputs are serialised into them), so
/// summing them is close enough and far cheaper than serialising the event.
fn approximate_size(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len() + 2,
        Value::Array(items) => items.iter().map(approximate_size).sum::<usize>() + 2,
        Value::Object(map) => {
            map.iter()
                .map(|(k, v)| k.len() + 3 + approximate_size(v))
                .sum::<usize>()
                + 2
        }
        _ => 8,
    }
}
