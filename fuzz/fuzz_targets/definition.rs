//! Definitions: parse + validate any text; a definition that parses then runs a few
//! bounded interpreter steps, so the model the validator accepted is one the interpreter
//! can execute (a validator gap shows up as an interpreter panic here).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use stepwise_core::definition::{self, StateMachine};
use stepwise_core::entropy::SplitMix64;
use stepwise_core::interp::{step, Effect, Env, Event, ExecutionInfo, Frame};
use stepwise_fuzz::MAX_INPUT_BYTES;

/// States one step may enter: enough to run a Pass/Choice chain, small enough that a
/// definition looping on itself costs microseconds.
const MAX_TRANSITIONS: u64 = 16;

/// Events delivered to one frame (the root, and each of its first children).
const MAX_EVENTS: usize = 6;

/// Children of a Parallel or Map that get stepped too.
const MAX_CHILDREN: usize = 2;

const NOW: i64 = 1_700_000_000_000;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT_BYTES {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match definition::parse(text) {
        Ok(machine) => run(&machine),
        Err(invalid) => assert!(
            !invalid.diagnostics.is_empty(),
            "a rejected definition must say why"
        ),
    }
});

fn run(machine: &StateMachine) {
    let input = json!({"name": "Ada", "items": [1, 2, 3], "n": 2, "when": "2024-01-01T00:00:00Z"});
    let info = ExecutionInfo::local("fuzz", "run-1", input.clone(), NOW);
    let mut entropy = SplitMix64::new(1);
    let root = Frame::root(machine, input, NOW);
    drive(machine, root, &info, &mut entropy, 0);
}

/// Delivers events to `frame` the way the engine would, answering each effect at once:
/// tasks succeed with their parameters, timers fire, children succeed with their inputs.
fn drive(
    machine: &StateMachine,
    mut frame: Frame,
    info: &ExecutionInfo,
    entropy: &mut SplitMix64,
    depth: usize,
) {
    let mut event = Event::Run;
    for _ in 0..MAX_EVENTS {
        let mut env = Env {
            now: NOW,
            execution: info,
            entropy,
            first_event_id: 1,
            record_history: true,
            max_transitions: MAX_TRANSITIONS,
            task_token_prefix: None,
            items_per_page: None,
        };
        // An Err is a caller fault (an event that does not fit the frame's phase); the
        // driver below only sends events the effects asked for, so it must not happen.
        let result = step(machine, &mut frame, event, &mut env)
            .unwrap_or_else(|e| panic!("the interpreter refused an event it asked for: {e}"));
        if result.outcome.is_some() {
            return;
        }
        let Some(effect) = result.effects.into_iter().next() else {
            return;
        };
        event = match effect {
            Effect::Continue => Event::Run,
            Effect::Timer { .. } => Event::Timer,
            Effect::InvokeTask(request) => Event::TaskSucceeded {
                output: request.parameters,
            },
            Effect::RunChildren(request) => {
                let outputs: Vec<Value> =
                    request.children.iter().map(|c| c.input().clone()).collect();
                if depth < 2 {
                    for child in request.children.into_iter().take(MAX_CHILDREN) {
                        drive(machine, child, info, entropy, depth + 1);
                    }
                }
                Event::ChildrenSucceeded {
                    outputs,
                    children: Vec::new(),
                    stored: None,
                }
            }
        };
    }
}
