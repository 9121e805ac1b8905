//! `RedriveExecution` on the durable engine: an execution that ended unsuccessfully goes
//! on from where it stopped, once, keeping its history.

mod support;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use serde_json::{json, Value};
use stepwise_core::failure::Failure;
use stepwise_core::interp::TaskRequest;
use stepwise_engine::memory::{MemoryQueue, MemoryStore};
use stepwise_engine::{
    Config, Engine, Error, ExecutionStatus, Handled, StartRequest, TaskInvoker,
    REDRIVABLE_PERIOD_MS,
};
use support::{drain, FaultyQueue, ManualClock, Source, T0};

/// A task resource that fails its first `failures` calls (an outage), then answers.
#[derive(Debug, Default)]
struct Flaky {
    failures: AtomicU32,
    calls: Mutex<Vec<TaskRequest>>,
}

impl Flaky {
    fn failing(calls: u32) -> Self {
        Self {
            failures: AtomicU32::new(calls),
            ..Self::default()
        }
    }

    fn fail_next(&self, calls: u32) {
        self.failures.store(calls, Ordering::SeqCst);
    }

    fn inputs(&self) -> Vec<Value> {
        let calls = self.calls.lock().expect("calls");
        calls.iter().map(|c| c.parameters.clone()).collect()
    }
}

impl TaskInvoker for Flaky {
    async fn invoke(&self, _execution: &str, request: &TaskRequest) -> Result<Value, Failure> {
        self.calls.lock().expect("calls").push(request.clone());
        let failing = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            return Err(Failure::new("Outage", "the service is down"));
        }
        Ok(json!({"ok": true}))
    }
}

type RedriveEngine<Q = MemoryQueue> = Engine<MemoryStore, Q, Flaky, ManualClock>;

fn engine_with<Q: Source + Default>(tasks: Flaky) -> RedriveEngine<Q> {
    Engine::with(
        MemoryStore::default(),
        Q::default(),
        tasks,
        ManualClock::at(T0),
        Config::local(),
    )
}

async fn start<Q: Source>(engine: &RedriveEngine<Q>, definition: Value, input: Value) -> String {
    engine
        .start(StartRequest::new("redrive", &definition.to_string(), input))
        .await
        .expect("start")
        .execution_arn
}

async fn status<Q: Source>(engine: &RedriveEngine<Q>, arn: &str) -> ExecutionStatus {
    engine.describe(arn).await.expect("describe").status
}

fn types(history: &[Value]) -> Vec<&str> {
    history
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default())
        .collect()
}

/// Pass → Task (one retry) → a Pass that reads `$$.Execution.RedriveCount`.
fn task_machine() -> Value {
    json!({"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Result": {"order": 7}, "ResultPath": "$.prepared", "Next": "Charge"},
        "Charge": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:charge",
                   "Retry": [{"ErrorEquals": ["Outage"], "MaxAttempts": 1, "IntervalSeconds": 1}],
                   "ResultPath": "$.charged", "Next": "Count"},
        "Count": {"Type": "Pass", "Parameters": {"redriveCount.$": "$$.Execution.RedriveCount",
                                                  "charged.$": "$.charged"}, "End": true}
    }})
}

/// A Task with no Retry: it fails while the resource is down.
fn one_task() -> Value {
    json!({"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:call",
                 "End": true}
    }})
}

/// Fails on its first run and succeeds on any redrive (no task resource needed): a
/// failed Map runs again whole, and its iteration checks the redrive count.
fn fails_until_redriven() -> Value {
    json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "Check", "States": {
            "Check": {"Type": "Choice", "Choices": [
                {"Variable": "$$.Execution.RedriveCount", "NumericGreaterThan": 0, "Next": "Done"}],
                "Default": "Broken"},
            "Broken": {"Type": "Fail", "Error": "Broken", "Cause": "not yet"},
            "Done": {"Type": "Succeed"}}}}}})
}

#[tokio::test]
async fn a_failed_task_runs_again_with_its_input_and_the_execution_succeeds() {
    // The first run uses both attempts; after the redrive the resource fails once more,
    // and the retry counters start afresh (as Step Functions resets them on redrive).
    let engine: RedriveEngine = engine_with(Flaky::failing(2));
    let arn = start(&engine, task_machine(), json!({"a": 1})).await;
    drain(&engine).await;
    assert_eq!(status(&engine, &arn).await, ExecutionStatus::Failed);
    let before = engine.history(&arn).await.expect("history");
    assert_eq!(types(&before).last(), Some(&"ExecutionFailed"));

    engine.tasks().fail_next(1);
    engine.clock().advance_to(T0 + 60_000);
    let redriven = engine
        .redrive(&arn, Some("token-1"))
        .await
        .expect("redrive");
    assert_eq!(redriven.redrive_date, T0 + 60_000);
    assert_eq!(redriven.redrive_count, 1);
    assert_eq!(status(&engine, &arn).await, ExecutionStatus::Running);
    drain(&engine).await;

    let described = engine.describe(&arn).await.expect("describe");
    assert_eq!(described.status, ExecutionStatus::Succeeded);
    assert_eq!(described.info.redrive_count, 1);
    assert_eq!(described.info.redrive_time, Some(T0 + 60_000));
    assert_eq!(
        described.output,
        Some(json!({"redriveCount": 1, "charged": {"ok": true}}))
    );
    // Four calls, all with the input the Task state had: two before, two after.
    let inputs = engine.tasks().inputs();
    assert_eq!(inputs.len(), 4);
    assert!(inputs.iter().all(|i| *i == inputs[0]), "{inputs:?}");
    assert_eq!(inputs[0], json!({"a": 1, "prepared": {"order": 7}}));

    let after = engine.history(&arn).await.expect("history");
    assert_eq!(after[..before.len()], before[..], "earlier events are kept");
    let resumed = types(&after[before.len()..]);
    assert_eq!(resumed[0], "ExecutionRedriven");
    assert_eq!(resumed[1], "TaskStateEntered");
    assert_eq!(resumed.last(), Some(&"ExecutionSucceeded"));
    let rerun: Vec<&Value> = after[before.len()..]
        .iter()
        .filter_map(|e| e.get("stateEnteredEventDetails"))
        .map(|d| &d["name"])
        .collect();
    assert_eq!(
        rerun,
        [&json!("Charge"), &json!("Count")],
        "Prepare is not run again"
    );
    assert_eq!(
        types(&after)
            .iter()
            .filter(|t| **t == "ExecutionRedriven")
            .count(),
        1
    );
    let redrive_event = &after[before.len()];
    assert_eq!(redrive_event["id"], json!(before.len() + 1));
    assert_eq!(
        redrive_event["executionRedrivenEventDetails"],
        json!({"redriveCount": 1})
    );
}

#[tokio::test]
async fn only_unsuccessful_executions_within_fourteen_days_are_redrivable() {
    let engine: RedriveEngine = engine_with(Flaky::default());
    let not_redrivable = |result: Result<_, Error>| match result {
        Err(Error::ExecutionNotRedrivable { reason, .. }) => reason,
        other => panic!("expected ExecutionNotRedrivable, got {other:?}"),
    };

    let succeeded = start(&engine, task_machine(), json!({})).await;
    drain(&engine).await;
    assert_eq!(
        status(&engine, &succeeded).await,
        ExecutionStatus::Succeeded
    );
    assert_eq!(
        not_redrivable(engine.redrive(&succeeded, None).await),
        "Execution is SUCCEEDED and cannot be redriven"
    );

    let failed = start(&engine, fails_until_redriven(), json!([1])).await;
    drain(&engine).await;
    assert_eq!(status(&engine, &failed).await, ExecutionStatus::Failed);
    let stopped = engine.describe(&failed).await.expect("describe").stop_time;
    engine
        .clock()
        .advance_to(stopped.expect("stop time") + REDRIVABLE_PERIOD_MS + 1);
    assert_eq!(
        not_redrivable(engine.redrive(&failed, None).await),
        "Execution redrivable period exceeded"
    );
    let waiting =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": true}}});
    let running = start(&engine, waiting, json!({})).await;
    assert_eq!(
        not_redrivable(engine.redrive(&running, None).await),
        "Execution is RUNNING and cannot be redriven"
    );

    // Refused redrives changed nothing.
    assert_eq!(status(&engine, &failed).await, ExecutionStatus::Failed);
    assert_eq!(status(&engine, &running).await, ExecutionStatus::Running);

    let missing = "arn:aws:states:local:000000000000:execution:redrive:nope";
    assert!(matches!(
        engine.redrive(missing, None).await,
        Err(Error::ExecutionDoesNotExist(_))
    ));
}

#[tokio::test]
async fn the_same_client_token_is_the_same_redrive_and_repairs_a_lost_send() {
    let engine: RedriveEngine<FaultyQueue> = engine_with(Flaky::failing(1));
    let arn = start(&engine, one_task(), json!({})).await;
    drain(&engine).await;
    assert_eq!(status(&engine, &arn).await, ExecutionStatus::Failed);

    // The redrive commits, then the send of its outbox fails (a crash in between).
    engine.queue().failures.store(1, Ordering::SeqCst);
    engine.clock().advance_to(T0 + 1_000);
    assert!(engine.redrive(&arn, Some("once")).await.is_err());
    assert_eq!(status(&engine, &arn).await, ExecutionStatus::Running);
    assert!(engine.queue().next().is_none(), "nothing was sent");

    // The caller retries with the same token: the same redrive, its outbox re-sent.
    engine.clock().advance_to(T0 + 2_000);
    let again = engine.redrive(&arn, Some("once")).await.expect("retried");
    assert_eq!(again.redrive_date, T0 + 1_000);
    assert_eq!(again.redrive_count, 1);
    drain(&engine).await;
    assert_eq!(status(&engine, &arn).await, ExecutionStatus::Succeeded);

    // Once more after the end: still that redrive, and nothing runs again.
    let late = engine
        .redrive(&arn, Some("once"))
        .await
        .expect("late retry");
    assert_eq!(late.redrive_date, T0 + 1_000);
    assert!(drain(&engine).await.is_empty());
    let history = engine.history(&arn).await.expect("history");
    assert_eq!(
        types(&history)
            .iter()
            .filter(|t| **t == "ExecutionRedriven")
            .count(),
        1
    );
    // Another token on the succeeded execution is refused.
    assert!(matches!(
        engine.redrive(&arn, Some("other")).await,
        Err(Error::ExecutionNotRedrivable { .. })
    ));
}

#[tokio::test]
async fn an_execution_aborted_during_a_wait_resumes_its_wait() {
    let engine: RedriveEngine = engine_with(Flaky::default());
    let machine = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 100, "Next": "After"},
        "After": {"Type": "Pass", "End": true}}});
    let arn = start(&engine, machine, json!({"x": 1})).await;
    engine.clock().advance_to(T0 + 10_000);
    engine.stop(&arn, None, None).await.expect("stop");
    assert_eq!(status(&engine, &arn).await, ExecutionStatus::Aborted);
    // The Wait's timer, held back; it comes after the redrive and finds itself stale.
    let timer = engine.queue().pop().expect("the Wait's timer");

    engine.clock().advance_to(T0 + 20_000);
    engine.redrive(&arn, None).await.expect("redrive");
    drain(&engine).await;
    assert_eq!(
        engine.handle(timer.message, 1).await.expect("old timer"),
        Handled::Ignored("execution ended")
    );
    let described = engine.describe(&arn).await.expect("describe");
    assert_eq!(described.status, ExecutionStatus::Succeeded);
    assert_eq!(described.output, Some(json!({"x": 1})));
    // The Wait slept on to its original time, without being entered again.
    assert_eq!(described.stop_time, Some(T0 + 100_000));
    let history = engine.history(&arn).await.expect("history");
    assert_eq!(
        types(&history),
        vec![
            "ExecutionStarted",
            "WaitStateEntered",
            "ExecutionAborted",
            "ExecutionRedriven",
            "WaitStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[tokio::test]
async fn a_redrive_restarts_the_execution_timeout() {
    let engine: RedriveEngine = engine_with(Flaky::default());
    let machine = json!({"TimeoutSeconds": 50, "StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 100, "End": true}}});
    let arn = start(&engine, machine, json!({})).await;
    // Only the timeout's message is due before the Wait's.
    let handled = drain(&engine).await;
    assert_eq!(handled[0], Handled::Advanced { transitions: 0 });
    assert_eq!(status(&engine, &arn).await, ExecutionStatus::TimedOut);

    engine.clock().advance_to(T0 + 120_000);
    engine.redrive(&arn, None).await.expect("redrive");
    drain(&engine).await;
    // The Wait's time had passed: it ends at once, within the new 50 seconds.
    let described = engine.describe(&arn).await.expect("describe");
    assert_eq!(described.status, ExecutionStatus::Succeeded);
    assert_eq!(described.stop_time, Some(T0 + 120_000));
}

#[tokio::test]
async fn the_timeout_of_the_run_before_a_redrive_is_void() {
    // The first run fails at once, its timeout still pending; the redriven run waits
    // 60 s under a fresh 50 s timeout.
    let engine: RedriveEngine = engine_with(Flaky::default());
    let machine = json!({"TimeoutSeconds": 50, "StartAt": "M", "States": {
        "M": {"Type": "Map", "Next": "W", "ItemProcessor": {"StartAt": "Check", "States": {
            "Check": {"Type": "Choice", "Choices": [
                {"Variable": "$$.Execution.RedriveCount", "NumericGreaterThan": 0, "Next": "Done"}],
                "Default": "Broken"},
            "Broken": {"Type": "Fail", "Error": "Broken"},
            "Done": {"Type": "Succeed"}}}},
        "W": {"Type": "Wait", "Seconds": 60, "End": true}}});
    let arn = start(&engine, machine, json!([1])).await;
    let mut handled = Vec::new();
    // Run the first attempt's iteration only (the old timeout stays queued).
    let mut held = Vec::new();
    while let Some(out) = engine.queue().pop() {
        if out.message.kind == stepwise_engine::MessageKind::Timeout {
            held.push(out);
        } else {
            handled.push(engine.handle(out.message, 1).await.expect("handle"));
            assert!(handled.len() < 100);
        }
    }
    assert_eq!(status(&engine, &arn).await, ExecutionStatus::Failed);
    engine.clock().advance_to(T0 + 10_000);
    engine.redrive(&arn, None).await.expect("redrive");
    let old = held.pop().expect("the first run's timeout");
    engine.clock().advance_to(T0 + 50_000);
    assert_eq!(
        engine.handle(old.message, 1).await.expect("old timeout"),
        Handled::Ignored("timeout of an earlier run")
    );
    assert_eq!(status(&engine, &arn).await, ExecutionStatus::Running);
    // The redriven run's own timeout ends it while it waits.
    drain(&engine).await;
    let history = engine.history(&arn).await.expect("history");
    assert_eq!(types(&history).last(), Some(&"ExecutionTimedOut"));
    assert_eq!(status(&engine, &arn).await, ExecutionStatus::TimedOut);
}

#[tokio::test]
async fn a_failed_map_runs_again_whole() {
    // Iteration 1 fails on the first run; on the redrive every iteration runs again.
    let engine: RedriveEngine = engine_with(Flaky::default());
    let machine = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "Check", "States": {
            "Check": {"Type": "Choice", "Choices": [
                {"And": [{"Variable": "$", "NumericEquals": 1},
                         {"Variable": "$$.Execution.RedriveCount", "NumericEquals": 0}],
                 "Next": "Broken"}], "Default": "Ok"},
            "Broken": {"Type": "Fail", "Error": "Broken"},
            "Ok": {"Type": "Pass", "End": true}}}}}});
    let arn = start(&engine, machine, json!([0, 1, 2])).await;
    drain(&engine).await;
    assert_eq!(status(&engine, &arn).await, ExecutionStatus::Failed);
    engine.clock().advance_to(T0 + 1_000);
    engine.redrive(&arn, None).await.expect("redrive");
    drain(&engine).await;
    let described = engine.describe(&arn).await.expect("describe");
    assert_eq!(described.status, ExecutionStatus::Succeeded);
    assert_eq!(described.output, Some(json!([0, 1, 2])));
    let history = engine.history(&arn).await.expect("history");
    let started = types(&history)
        .iter()
        .filter(|t| **t == "MapIterationStarted")
        .count();
    assert_eq!(started, 6, "three iterations, run twice");
}

#[tokio::test]
async fn a_redrive_without_a_token_is_not_stranded_by_a_lost_send() {
    let engine: RedriveEngine<FaultyQueue> = engine_with(Flaky::failing(1));
    let arn = start(&engine, one_task(), json!({})).await;
    drain(&engine).await;
    engine.queue().failures.store(1, Ordering::SeqCst);
    assert!(engine.redrive(&arn, None).await.is_err());
    assert_eq!(status(&engine, &arn).await, ExecutionStatus::Running);
    // A second call is refused (the execution runs), but re-sends what the first
    // redrive's commit promised.
    assert!(matches!(
        engine.redrive(&arn, None).await,
        Err(Error::ExecutionNotRedrivable { .. })
    ));
    drain(&engine).await;
    assert_eq!(status(&engine, &arn).await, ExecutionStatus::Succeeded);
}

#[tokio::test]
async fn an_execution_stopped_inside_a_task_runs_the_task_again_once() {
    let engine: RedriveEngine = engine_with(Flaky::default());
    let arn = start(&engine, one_task(), json!({"n": 1})).await;
    engine.stop(&arn, None, None).await.expect("stop");
    // The task's message, held back: after the redrive it belongs to a stale version.
    let task = engine.queue().pop().expect("the task's message");
    engine.clock().advance_to(T0 + 1_000);
    engine.redrive(&arn, None).await.expect("redrive");
    assert_eq!(
        engine
            .handle(task.message, 1)
            .await
            .expect("old task message"),
        Handled::Ignored("stale version")
    );
    drain(&engine).await;
    assert_eq!(status(&engine, &arn).await, ExecutionStatus::Succeeded);
    assert_eq!(engine.tasks().inputs(), vec![json!({"n": 1})]);
    let history = engine.history(&arn).await.expect("history");
    assert_eq!(
        types(&history),
        vec![
            "ExecutionStarted",
            "TaskStateEntered",
            "LambdaFunctionScheduled",
            "LambdaFunctionStarted",
            "ExecutionAborted",
            "ExecutionRedriven",
            "TaskStateEntered",
            "LambdaFunctionScheduled",
            "LambdaFunctionStarted",
            "LambdaFunctionSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[tokio::test]
async fn a_map_stopped_mid_way_runs_again_and_its_old_iterations_stand_down() {
    let engine: RedriveEngine = engine_with(Flaky::default());
    let machine = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "W", "States": {
            "W": {"Type": "Wait", "Seconds": 10, "End": true}}}}}});
    let arn = start(&engine, machine, json!([1, 2])).await;
    // The iterations enter their Waits; their timers stay queued.
    let runs: Vec<_> = std::iter::from_fn(|| engine.queue().pop()).collect();
    for out in runs {
        engine.handle(out.message, 1).await.expect("handle");
    }
    engine.stop(&arn, None, None).await.expect("stop");
    engine.clock().advance_to(T0 + 1_000);
    engine.redrive(&arn, None).await.expect("redrive");
    let handled = drain(&engine).await;
    assert_eq!(
        handled
            .iter()
            .filter(|h| **h == Handled::Ignored("join closed"))
            .count(),
        2,
        "{handled:?}"
    );
    let described = engine.describe(&arn).await.expect("describe");
    assert_eq!(described.status, ExecutionStatus::Succeeded);
    assert_eq!(described.output, Some(json!([1, 2])));
}
