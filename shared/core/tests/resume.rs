//! Frames resume from storage at every step.
//!
//! The durable engine stores a frame between any two steps, so the interpreter must give
//! the same result when every frame is serialised to JSON and read back before each step.
//! This test drives every recorded conformance definition through `step` with exactly
//! that discipline — its own small driver, a JSON "store" of frames, a virtual clock —
//! and compares each outcome with the in-memory `Execution`.

mod support;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

use serde_json::Value;
use stepwise_core::definition::{parse_value, StateMachine};
use stepwise_core::entropy::SplitMix64;
use stepwise_core::failure::Failure;
use stepwise_core::interp::{step, Effect, Env, Event, ExecutionInfo, Frame, Outcome, Status};

use support::START;

/// A join waiting for its children, as a store would keep it.
struct Join {
    outputs: Vec<Option<Value>>,
    queued: VecDeque<(usize, String)>,
    running: usize,
    max: u64,
}

/// Runs an execution keeping every frame only as JSON text between steps.
fn run_from_storage(definition: &StateMachine, input: Value) -> Result<Value, Failure> {
    let info = ExecutionInfo::local("resume", "case", input.clone(), START);
    let mut store: BTreeMap<usize, String> = BTreeMap::new();
    let mut parents: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    let mut joins: BTreeMap<usize, Join> = BTreeMap::new();
    let mut ready: VecDeque<(usize, Event)> = VecDeque::new();
    let mut timers: BinaryHeap<Reverse<(i64, usize)>> = BinaryHeap::new();
    let mut entropy = SplitMix64::new(42);
    let mut next_id = 1;
    let mut event_id = 2;
    let mut now = START;
    let save = |frame: &Frame| serde_json::to_string(frame).expect("frames serialise");
    store.insert(0, save(&Frame::root(definition, input, START)));
    ready.push_back((0, Event::Run));
    for _ in 0..1_000_000 {
        // Start queued children within MaxConcurrency, for every join.
        for (&parent, join) in joins.iter_mut() {
            while (join.running as u64) < join.max {
                let Some((index, text)) = join.queued.pop_front() else {
                    break;
                };
                let child = next_id;
                next_id += 1;
                store.insert(child, text);
                parents.insert(child, (parent, index));
                join.running += 1;
                ready.push_back((child, Event::Run));
            }
        }
        let Some((id, event)) = ready.pop_front() else {
            let Reverse((at, id)) = timers.pop().expect("a stuck execution has a timer");
            now = now.max(at);
            ready.push_back((id, Event::Timer));
            continue;
        };
        let Some(text) = store.get(&id) else { continue };
        let mut frame: Frame = serde_json::from_str(text).expect("frames deserialise");
        let mut env = Env {
            now,
            execution: &info,
            entropy: &mut entropy,
            first_event_id: event_id,
            record_history: false,
            max_transitions: 7,
            task_token_prefix: None,
            items_per_page: None,
        };
        let result = step(definition, &mut frame, event, &mut env).expect("no engine error");
        event_id += result.event_count;
        store.insert(id, save(&frame));
        for effect in result.effects {
            match effect {
                Effect::Timer { until } => timers.push(Reverse((until, id))),
                Effect::Continue => ready.push_back((id, Event::Run)),
                Effect::InvokeTask(_) => ready.push_back((
                    id,
                    Event::TaskFailed {
                        failure: Failure::runtime("no task runner in conformance"),
                    },
                )),
                Effect::RunChildren(request) => {
                    let mut join = Join {
                        outputs: vec![None; request.children.len()],
                        queued: VecDeque::new(),
                        running: 0,
                        max: request.max_concurrency.unwrap_or(u64::MAX),
                    };
                    for (index, child) in request.children.iter().enumerate() {
                        join.queued.push_back((index, save(child)));
                    }
                    joins.insert(id, join);
                }
            }
        }
        let Some(outcome) = result.outcome else {
            continue;
        };
        store.remove(&id);
        let Some((parent, index)) = parents.remove(&id) else {
            return match outcome {
                Outcome::Succeeded(v) => Ok(v),
                Outcome::Failed(f) => Err(f),
            };
        };
        let Some(join) = joins.get_mut(&parent) else {
            continue;
        };
        join.running -= 1;
        match outcome {
            Outcome::Succeeded(v) => {
                join.outputs[index] = Some(v);
                if join.outputs.iter().all(Option::is_some) {
                    let join = joins.remove(&parent).expect("join");
                    let outputs = join.outputs.into_iter().flatten().collect();
                    ready.push_back((
                        parent,
                        Event::ChildrenSucceeded {
                            outputs,
                            children: Vec::new(),
                            stored: None,
                        },
                    ));
                }
            }
            Outcome::Failed(failure) => {
                joins.remove(&parent);
                // Siblings are dropped from the store, as the engine would stop them.
                let siblings: Vec<usize> = parents
                    .iter()
                    .filter(|(_, (p, _))| *p == parent)
                    .map(|(c, _)| *c)
                    .collect();
                for child in siblings {
                    store.remove(&child);
                    parents.remove(&child);
                }
                ready.push_back((parent, Event::ChildFailed { failure }));
            }
        }
    }
    panic!("execution did not finish")
}

fn run_in_memory(definition: &StateMachine, input: Value) -> Result<Value, Failure> {
    match support::run_in_memory(definition, input) {
        Status::Succeeded(v) => Ok(v),
        Status::Failed(f) | Status::TimedOut(f) => Err(f),
        Status::Running => panic!("execution did not finish"),
    }
}

#[test]
fn every_recorded_definition_gives_the_same_result_when_frames_resume_from_json() {
    let Some(cases) = support::load_cases() else {
        println!("resume: skipped, no conformance cases");
        return;
    };
    let mut checked = 0;
    for case in &cases {
        let Ok(definition) = parse_value(&case["definition"]) else {
            continue;
        };
        let input = case["input"].clone();
        let stored = run_from_storage(&definition, input.clone());
        let memory = run_in_memory(&definition, input);
        assert_eq!(stored, memory, "{}", case["id"]);
        checked += 1;
    }
    println!("resume: {checked} definitions agree");
    assert!(checked > 0 || std::env::var_os("STEPWISE_CONFORMANCE_DIR").is_some());
}
