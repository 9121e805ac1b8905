//! The simulated outside world: a task resource whose answer depends only on the request
//! (the state, the attempt and the outcomes its Parameters script), and which records
//! every answer it gives.
//!
//! The workload scripts each Task's behaviour in its Parameters:
//! `{"outcomes": ["Sim.Flaky", "ok"], "slow": 45, "path.$": "$.path"}` fails the first
//! attempt with `Sim.Flaky`, succeeds from the second on, and takes 45 s each time.
//! `path` names the frame (`r/2/0`: Map iteration 0 inside iteration 2), so
//! (execution, path, state, attempt) identifies one attempt.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use stepwise_core::failure::Failure;
use stepwise_core::interp::TaskRequest;
use stepwise_engine::{Clock, TaskInvoker};

use super::clock::VirtualClock;
use super::executor::pause;
use super::faults::{Fault, Faults};

/// One task attempt, as the invariants identify it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttemptKey {
    pub execution: String,
    pub path: String,
    pub state: String,
    pub attempt: u32,
}

/// An answer the fake gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub key: AttemptKey,
    pub result: Result<Value, Failure>,
}

/// What the resource answers to `request`: the same every time it is asked.
pub fn answer(request: &TaskRequest) -> Result<Value, Failure> {
    if request.resource == super::workload::READER {
        return Ok(read(&request.parameters));
    }
    let params = &request.parameters;
    let path = params["path"].as_str().unwrap_or("?");
    let scripted = params["outcomes"].as_array().and_then(|outcomes| {
        outcomes
            .get(request.attempt as usize)
            .or_else(|| outcomes.last())
    });
    match scripted.and_then(Value::as_str).unwrap_or("ok") {
        "ok" => Ok(json!({"task": request.state, "attempt": request.attempt, "path": path})),
        // The cause leaves out the path: Map iterations that fail alike must fail with
        // the same error, whichever of them fails first.
        error => Err(Failure::new(
            error,
            format!("{} attempt {} failed", request.state, request.attempt),
        )),
    }
}

/// The fake ItemReader: as many items as the prefix says, all at once, or a page of them
/// (the cursor is the next item's index) when the request asks for pages.
fn read(request: &Value) -> Value {
    let count: u64 = request["Parameters"]["Prefix"]
        .as_str()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let item = |i: u64| json!({"Key": format!("k{i}"), "Size": i * 10});
    let Some(size) = request["Page"]["Size"].as_u64() else {
        return Value::Array((0..count).map(item).collect());
    };
    let at = request["Page"]["Cursor"].as_u64().unwrap_or(0);
    let end = (at + size).min(count);
    let cursor = if end < count { json!(end) } else { Value::Null };
    json!({"Items": (at..end).map(item).collect::<Vec<_>>(), "Cursor": cursor})
}

/// Milliseconds the task takes.
fn duration(request: &TaskRequest) -> i64 {
    request.parameters["slow"].as_i64().unwrap_or(0) * 1000
}

/// Clones share the record of answers (the engine owns one, the invariants read another).
#[derive(Debug, Clone)]
pub struct FakeTasks {
    clock: VirtualClock,
    faults: Arc<Faults>,
    answers: Arc<Mutex<Vec<Answer>>>,
}

impl FakeTasks {
    pub fn new(clock: VirtualClock, faults: Arc<Faults>) -> Self {
        Self {
            clock,
            faults,
            answers: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Forgets every answer (for the invariants' own tests).
    #[cfg(test)]
    pub fn forget(&self) {
        self.answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Every answer given, in order (an attempt retried after a crash appears again).
    pub fn answers(&self) -> Vec<Answer> {
        self.answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl TaskInvoker for FakeTasks {
    async fn invoke(&self, execution: &str, request: &TaskRequest) -> Result<Value, Failure> {
        // The call goes out; the worker may die before the resource sees it.
        pause().await;
        let result = answer(request);
        if request.resource == super::workload::READER {
            // A read is no task attempt of the invariants': its pages answer alike
            // however often they are read. The worker may die before it uses them.
            pause().await;
            return result;
        }
        let took = duration(request);
        if took > 0 {
            self.faults.note(
                Fault::SlowTask,
                &format!("{} attempt {}", request.state, request.attempt),
            );
            // Other workers run meanwhile and timers fall due; past the visibility
            // timeout, the message that invoked it reaches another worker.
            self.clock.sleep_until(self.clock.now() + took).await;
        }
        let key = AttemptKey {
            execution: execution.to_owned(),
            path: request.parameters["path"]
                .as_str()
                .unwrap_or("?")
                .to_owned(),
            state: request.state.clone(),
            attempt: request.attempt,
        };
        self.answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Answer {
                key,
                result: result.clone(),
            });
        // The answer comes back; the worker may die before it commits it.
        pause().await;
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(attempt: u32) -> TaskRequest {
        TaskRequest {
            state: "Task3".into(),
            resource: "arn:aws:states:::sim:work".into(),
            parameters: json!({"outcomes": ["Sim.Flaky", "ok"], "path": "r/1"}),
            timeout_seconds: None,
            heartbeat_seconds: None,
            credentials: None,
            attempt,
            task_token: None,
        }
    }

    #[test]
    fn answers_follow_the_script_and_repeat_the_last_outcome() {
        assert_eq!(
            answer(&request(0)),
            Err(Failure::new("Sim.Flaky", "Task3 attempt 0 failed"))
        );
        assert_eq!(
            answer(&request(1)),
            Ok(json!({"task": "Task3", "attempt": 1, "path": "r/1"}))
        );
        assert_eq!(
            answer(&request(5)),
            answer(&request(1)).map(|mut v| {
                v["attempt"] = 5.into();
                v
            })
        );
    }
}
