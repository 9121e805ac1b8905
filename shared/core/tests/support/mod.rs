//! What the tests over the recorded AWS cases share: where the cases are, and a driver
//! that runs an execution in memory on a virtual clock.

// Each test binary compiles this module and uses a subset of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;
use stepwise_core::definition::StateMachine;
use stepwise_core::entropy::SplitMix64;
use stepwise_core::failure::Failure;
use stepwise_core::interp::{Execution, ExecutionInfo, Status};

/// A fixed start time keeps runs reproducible; absolute Wait timestamps in recorded cases
/// are in the past relative to real time, so any recent instant behaves the same.
pub const START: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

/// `$STEPWISE_CONFORMANCE_DIR`, else the team handbook's cases beside the repository.
pub fn cases_dir() -> PathBuf {
    match std::env::var_os("STEPWISE_CONFORMANCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/cases"),
    }
}

/// Every case, in file-name order; `None` when the folder is absent (the tests then say
/// they were skipped and pass).
pub fn load_cases() -> Option<Vec<Value>> {
    let entries = std::fs::read_dir(cases_dir()).ok()?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let cases = files
        .iter()
        .map(|file| {
            let text = std::fs::read_to_string(file).expect("readable case");
            serde_json::from_str(&text).expect("case is JSON")
        })
        .collect();
    Some(cases)
}

/// Runs an execution to its end on a virtual clock that jumps to each timer. There is no
/// task runner: every task fails with `States.Runtime`.
pub fn run_in_memory(definition: &StateMachine, input: Value) -> Status {
    let info = ExecutionInfo::local("conformance", "case", input, START);
    let mut execution = Execution::start(definition, info, false);
    let mut entropy = SplitMix64::new(42);
    let mut now = START;
    for _ in 0..1_000_000 {
        execution.run(now, &mut entropy).expect("no engine error");
        for task in execution.take_tasks() {
            execution.complete_task(
                task.id,
                Err(Failure::runtime("no task runner in conformance")),
            );
        }
        match execution.next_timer() {
            Some(at) if execution.is_running() => now = now.max(at),
            _ => break,
        }
    }
    execution.status().clone()
}
