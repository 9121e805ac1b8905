//! The answer the engine must reach: the in-memory interpreter, run on a virtual clock
//! with the same fake task resource and no store, queue or faults at all.

use serde_json::Value;
use stepwise_core::definition::StateMachine;
use stepwise_core::entropy::SplitMix64;
use stepwise_core::interp::{Execution, ExecutionInfo, Status};

use super::clock::T0;
use super::tasks::answer;

/// Runs `definition` on `input` to its end. The execution's facts match the engine's
/// (`Config::local`, state machine `sim`), so context paths read the same values.
pub fn interpret(definition: &StateMachine, name: &str, input: Value) -> Result<Status, String> {
    let info = ExecutionInfo::local(super::STATE_MACHINE, name, input, T0);
    let mut execution = Execution::start(definition, info, false);
    let mut entropy = SplitMix64::new(0);
    let mut now = T0;
    for _ in 0..1_000_000 {
        execution
            .run(now, &mut entropy)
            .map_err(|e| format!("interpreter: {e}"))?;
        let tasks = execution.take_tasks();
        let ran_tasks = !tasks.is_empty();
        for task in tasks {
            execution.complete_task(task.id, answer(&task.request));
        }
        if !execution.is_running() {
            return Ok(execution.status().clone());
        }
        match execution.next_timer() {
            Some(at) => now = now.max(at),
            None if ran_tasks => {}
            None => return Err("interpreter: running with nothing to wait for".into()),
        }
    }
    Err("interpreter: did not end".into())
}
