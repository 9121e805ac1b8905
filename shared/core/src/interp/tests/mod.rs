//! Interpreter tests, written from the AWS Step Functions developer guide's semantics.
//! A small driver runs definitions on a virtual clock and answers tasks from a script.

mod credentials;
mod distributed;
mod errors;
mod flow;
mod io;
mod item_reader;
mod jsonata;
mod payload_limits;
mod variables;

mod tasks;

use std::collections::VecDeque;

use serde_json::Value;

use super::{Execution, ExecutionInfo, PendingTask, RecordedEvent, Status};
use crate::definition::{parse_value, StateMachine};
use crate::entropy::SplitMix64;
use crate::failure::Failure;

pub const T0: i64 = 1_700_000_000_000;

pub fn machine(definition: Value) -> StateMachine {
    match parse_value(&definition) {
        Ok(d) => d,
        Err(e) => panic!("test definition is invalid: {:?}", e.diagnostics),
    }
}

/// The result of a scripted run.
#[derive(Debug)]
pub struct Run {
    pub status: Status,
    pub history: Vec<RecordedEvent>,
    pub tasks: Vec<(i64, PendingTask)>,
    pub end_time: i64,
    pub transitions: u64,
}

impl Run {
    pub fn output(&self) -> &Value {
        match &self.status {
            Status::Succeeded(v) => v,
            other => panic!("expected success, got {other:?}"),
        }
    }

    pub fn failure(&self) -> &Failure {
        match &self.status {
            Status::Failed(f) => f,
            other => panic!("expected failure, got {other:?}"),
        }
    }

    pub fn event_types(&self) -> Vec<&str> {
        self.history
            .iter()
            .map(|e| e.event.event_type.as_str())
            .collect()
    }
}

/// Runs to completion on a virtual clock; each task takes the next scripted answer.
pub fn run_scripted(
    definition: &StateMachine,
    input: Value,
    answers: Vec<Result<Value, Failure>>,
) -> Run {
    let mut answers: VecDeque<_> = answers.into();
    let info = ExecutionInfo::local("test", "exec-1", input, T0);
    let mut execution = Execution::start(definition, info, true);
    let mut entropy = SplitMix64::new(7);
    let mut now = T0;
    let mut tasks = Vec::new();
    for _ in 0..100_000 {
        execution.run(now, &mut entropy).expect("no engine error");
        for task in execution.take_tasks() {
            let answer = answers
                .pop_front()
                .unwrap_or_else(|| Err(Failure::new("Script.Exhausted", "no scripted answer")));
            execution.complete_task(task.id, answer);
            tasks.push((now, task));
        }
        if !execution.is_running() {
            break;
        }
        match execution.next_timer() {
            Some(at) => now = now.max(at),
            None if tasks.is_empty() || answers.is_empty() => {
                // Tasks were answered above: loop again to deliver them.
                continue;
            }
            None => continue,
        }
    }
    Run {
        status: execution.status().clone(),
        history: execution.history().to_vec(),
        tasks,
        end_time: now,
        transitions: execution.transitions(),
    }
}

pub fn run(definition: Value, input: Value) -> Run {
    run_scripted(&machine(definition), input, Vec::new())
}
