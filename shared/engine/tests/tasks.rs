//! Task states on the durable engine: results, failures, timeouts, heartbeats and
//! callbacks, over the in-memory store with a clock the test moves.

mod support;

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Mutex;

use serde_json::{json, Value};
use stepwise_core::failure::{Failure, HEARTBEAT_TIMEOUT_CAUSE};
use stepwise_core::interp::TaskRequest;
use stepwise_engine::memory::{MemoryQueue, MemoryStore};
use stepwise_engine::{
    tokens, Completion, Config, Engine, Error, ExecutionStatus, Handled, MessageKind, StartRequest,
    TaskInvoker,
};
use support::{drain, FaultyQueue, ManualClock, Source, T0};
use tokio::sync::Notify;

/// A task resource that answers from a script and remembers every call.
#[derive(Debug, Default)]
struct Scripted {
    answers: Mutex<VecDeque<Result<Value, Failure>>>,
    calls: Mutex<Vec<TaskRequest>>,
    /// When set, each call waits for a notification before answering (a slow task).
    gate: Option<Notify>,
}

impl Scripted {
    fn answering(answers: impl IntoIterator<Item = Result<Value, Failure>>) -> Self {
        Self {
            answers: Mutex::new(answers.into_iter().collect()),
            ..Self::default()
        }
    }

    fn calls(&self) -> Vec<TaskRequest> {
        self.calls.lock().expect("calls").clone()
    }

    fn token(&self) -> String {
        let calls = self.calls();
        let last = calls.last().expect("a task was called");
        last.task_token
            .clone()
            .expect("a callback task has a token")
    }
}

impl TaskInvoker for Scripted {
    async fn invoke(&self, _execution: &str, request: &TaskRequest) -> Result<Value, Failure> {
        self.calls.lock().expect("calls").push(request.clone());
        if let Some(gate) = &self.gate {
            gate.notified().await;
        }
        let next = self.answers.lock().expect("answers").pop_front();
        next.unwrap_or_else(|| Ok(json!({"answered": "by default"})))
    }
}

type TaskEngine<Q = MemoryQueue> = Engine<MemoryStore, Q, Scripted, ManualClock>;

fn engine_with(tasks: Scripted) -> TaskEngine {
    Engine::with(
        MemoryStore::default(),
        MemoryQueue::default(),
        tasks,
        ManualClock::at(T0),
        Config::local(),
    )
}

async fn start<Q: Source>(engine: &TaskEngine<Q>, definition: Value, input: Value) -> String {
    engine
        .start(StartRequest::new("tasks", &definition.to_string(), input))
        .await
        .expect("start")
        .execution_arn
}

async fn event_types<Q: Source>(engine: &TaskEngine<Q>, arn: &str) -> Vec<String> {
    let history = engine.history(arn).await.expect("history");
    history
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

const CALLBACK: &str = "arn:aws:states:::sqs:sendMessage.waitForTaskToken";

fn callback_machine(extra: Value) -> Value {
    let mut task = json!({
        "Type": "Task",
        "Resource": CALLBACK,
        "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
        "ResultPath": "$.result",
        "Next": "Done"
    });
    if let (Some(task), Some(extra)) = (task.as_object_mut(), extra.as_object()) {
        task.extend(extra.clone());
    }
    let mut machine = json!({"StartAt": "Wait for it", "States": {
        "Wait for it": task,
        "Done": {"Type": "Pass", "End": true}
    }});
    if extra.get("Catch").is_some() {
        machine["States"]["Caught"] = json!({"Type": "Pass", "End": true});
    }
    machine
}

#[tokio::test]
async fn a_task_result_is_shaped_and_recorded_once() {
    let engine = engine_with(Scripted::answering([Ok(json!({"Payload": {"sum": 3}}))]));
    let definition = json!({"StartAt": "Add", "States": {"Add": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "add", "Payload.$": "$"},
        "ResultSelector": {"sum.$": "$.Payload.sum"}, "ResultPath": "$.out", "End": true}}});
    let arn = start(&engine, definition, json!({"a": 1, "b": 2})).await;
    drain(&engine).await;

    let execution = engine.describe(&arn).await.expect("describe");
    assert_eq!(execution.status, ExecutionStatus::Succeeded);
    assert_eq!(
        execution.output,
        Some(json!({"a": 1, "b": 2, "out": {"sum": 3}}))
    );
    let calls = engine.tasks().calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].parameters,
        json!({"FunctionName": "add", "Payload": {"a": 1, "b": 2}})
    );
    assert_eq!(
        event_types(&engine, &arn).await,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[tokio::test]
async fn a_failing_task_is_retried_then_caught() {
    let failure = || Err(Failure::new("CustomError", "{\"errorMessage\":\"no\"}"));
    let engine = engine_with(Scripted::answering([failure(), failure()]));
    let definition = json!({"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:f",
            "Retry": [{"ErrorEquals": ["CustomError"], "MaxAttempts": 1, "IntervalSeconds": 2}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
            "End": true},
        "Caught": {"Type": "Pass", "End": true}}});
    let arn = start(&engine, definition, json!({})).await;
    drain(&engine).await;

    let execution = engine.describe(&arn).await.expect("describe");
    assert_eq!(
        execution.output,
        Some(json!({"error": {"Error": "CustomError", "Cause": "{\"errorMessage\":\"no\"}"}}))
    );
    let attempts: Vec<u32> = engine.tasks().calls().iter().map(|c| c.attempt).collect();
    assert_eq!(attempts, [0, 1]);
    let types = event_types(&engine, &arn).await;
    let failed = types
        .iter()
        .filter(|t| *t == "LambdaFunctionFailed")
        .count();
    assert_eq!(failed, 2, "{types:?}");
}

#[tokio::test]
async fn a_task_that_outlives_its_timeout_fails_and_its_late_result_is_ignored() {
    let tasks = Scripted {
        gate: Some(Notify::new()),
        ..Scripted::answering([Ok(json!("too late"))])
    };
    let engine = engine_with(tasks);
    let definition = json!({"StartAt": "Slow", "States": {"Slow": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "slow"}, "TimeoutSeconds": 5, "End": true}}});
    let arn = start(&engine, definition, json!({})).await;
    let task = engine.queue().pop().expect("the task message");
    let timeout = engine.queue().pop().expect("the timeout check");
    assert_eq!(task.message.kind, MessageKind::Task);
    assert_eq!(timeout.message.kind, MessageKind::TaskTimeout);
    assert_eq!(timeout.delay_seconds, 5);

    // The task hangs while another worker handles the timeout check.
    let (late, timed_out) = tokio::join!(engine.handle(task.message, 1), async {
        tokio::task::yield_now().await;
        engine.clock().advance_to(T0 + 5_000);
        let handled = engine.handle(timeout.message, 1).await;
        engine.tasks().gate.as_ref().expect("gate").notify_one();
        handled
    });
    assert!(matches!(
        timed_out.expect("timeout"),
        Handled::Advanced { .. }
    ));
    assert_eq!(late.expect("late result"), Handled::Conflict);

    let execution = engine.describe(&arn).await.expect("describe");
    assert_eq!(execution.status, ExecutionStatus::Failed);
    let failure = execution.failure.expect("failure");
    assert_eq!(failure.error.as_deref(), Some("States.Timeout"));
    let types = event_types(&engine, &arn).await;
    assert!(types.contains(&"TaskTimedOut".to_owned()), "{types:?}");
    assert!(!types.contains(&"TaskSucceeded".to_owned()), "{types:?}");
}

#[tokio::test]
async fn a_callback_task_waits_for_its_token() {
    let engine = engine_with(Scripted::answering([Ok(json!({"MessageId": "m-1"}))]));
    let arn = start(&engine, callback_machine(json!({})), json!({"n": 1})).await;
    let handled = drain(&engine).await;
    assert!(handled.contains(&Handled::Submitted), "{handled:?}");
    assert_eq!(
        engine.describe(&arn).await.expect("describe").status,
        ExecutionStatus::Running
    );
    let token = engine.tasks().token();
    let sent = &engine.tasks().calls()[0].parameters;
    assert_eq!(sent["MessageBody"]["token"], json!(token));
    assert_eq!(tokens::locate(&token).map(|(e, _)| e), Some(arn.clone()));

    // Bad tokens change nothing.
    let foreign = format!("{}.forged", token.rsplit_once('.').expect("dot").0);
    assert!(matches!(
        engine
            .complete(&foreign, Completion::Success(json!(1)))
            .await,
        Err(Error::TaskTimedOut(_))
    ));
    assert!(matches!(
        engine
            .complete("garbage", Completion::Success(json!(1)))
            .await,
        Err(Error::InvalidToken(_))
    ));
    assert_eq!(
        engine.describe(&arn).await.expect("describe").status,
        ExecutionStatus::Running
    );

    engine.clock().advance_to(T0 + 60_000);
    engine
        .complete(&token, Completion::Success(json!({"approved": true})))
        .await
        .expect("complete");
    drain(&engine).await;
    let execution = engine.describe(&arn).await.expect("describe");
    assert_eq!(execution.status, ExecutionStatus::Succeeded);
    assert_eq!(
        execution.output,
        Some(json!({"n": 1, "result": {"approved": true}}))
    );
    let history = engine.history(&arn).await.expect("history");
    let types: Vec<&str> = history.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(
        &types[2..7],
        [
            "TaskScheduled",
            "TaskStarted",
            "TaskSubmitted",
            "TaskSucceeded",
            "TaskStateExited"
        ]
    );
    let submitted = &history[4];
    assert_eq!(
        submitted["taskSubmittedEventDetails"]["output"],
        json!("{\"MessageId\":\"m-1\"}")
    );
    assert_eq!(
        submitted["timestamp"], history[3]["timestamp"],
        "stamped when submitted"
    );

    // A token works once.
    assert!(matches!(
        engine.complete(&token, Completion::Success(json!(2))).await,
        Err(Error::TaskTimedOut(_))
    ));
}

#[tokio::test]
async fn a_callback_failure_goes_through_catch() {
    let engine = engine_with(Scripted::default());
    let machine = callback_machine(json!({
        "Catch": [{"ErrorEquals": ["Rejected"], "ResultPath": "$.why", "Next": "Caught"}]
    }));
    let arn = start(&engine, machine, json!({})).await;
    drain(&engine).await;
    let failure = Failure::new("Rejected", "the reviewer said no");
    engine
        .complete(&engine.tasks().token(), Completion::Failure(failure))
        .await
        .expect("complete");
    drain(&engine).await;
    let execution = engine.describe(&arn).await.expect("describe");
    assert_eq!(
        execution.output,
        Some(json!({"why": {"Error": "Rejected", "Cause": "the reviewer said no"}}))
    );
}

#[tokio::test]
async fn heartbeats_keep_a_task_alive_until_they_stop() {
    let engine = engine_with(Scripted::default());
    let machine = callback_machine(json!({
        "HeartbeatSeconds": 10, "TimeoutSeconds": 100,
        "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "ResultPath": "$.error", "Next": "Caught"}]
    }));
    let arn = start(&engine, machine, json!({})).await;
    let mut pending: Vec<_> = std::iter::from_fn(|| engine.queue().pop()).collect();
    assert_eq!(pending.len(), 3, "task, heartbeat check, timeout check");
    let task = pending.remove(0);
    assert_eq!(
        engine.handle(task.message, 1).await.expect("task"),
        Handled::Submitted
    );
    let token = engine.tasks().token();

    engine.clock().advance_to(T0 + 5_000);
    engine
        .complete(&token, Completion::Heartbeat)
        .await
        .expect("heartbeat");
    engine.clock().advance_to(T0 + 10_000);
    let check = pending.remove(1).message;
    assert_eq!(check.kind, MessageKind::Heartbeat);
    assert_eq!(
        engine.handle(check, 1).await.expect("check"),
        Handled::Delayed
    );
    let again = engine.queue().pop().expect("the check, again");
    assert_eq!(again.message.due, Some(T0 + 15_000));

    engine.clock().advance_to(T0 + 15_000);
    assert!(matches!(
        engine.handle(again.message, 1).await.expect("check"),
        Handled::Advanced { .. }
    ));
    drain(&engine).await;
    let execution = engine.describe(&arn).await.expect("describe");
    assert_eq!(execution.status, ExecutionStatus::Succeeded);
    assert_eq!(
        execution.output,
        Some(json!({"error": {"Error": "States.Timeout", "Cause": HEARTBEAT_TIMEOUT_CAUSE}}))
    );
    assert!(matches!(
        engine.complete(&token, Completion::Heartbeat).await,
        Err(Error::TaskTimedOut(_))
    ));
    // The timeout check found the task ended and did nothing.
    let timeout = pending.remove(0).message;
    assert_eq!(timeout.kind, MessageKind::TaskTimeout);
    engine.clock().advance_to(T0 + 100_000);
    assert!(matches!(
        engine.handle(timeout, 1).await.expect("timeout"),
        Handled::Ignored(_)
    ));
}

#[tokio::test]
async fn a_callback_retried_after_a_lost_send_repairs_the_execution() {
    let engine: TaskEngine<FaultyQueue> = Engine::with(
        MemoryStore::default(),
        FaultyQueue::default(),
        Scripted::default(),
        ManualClock::at(T0),
        Config::local(),
    );
    let definition = json!({"StartAt": "Wait for it", "States": {
        "Wait for it": {"Type": "Task", "Resource": CALLBACK,
            "Parameters": {"token.$": "$$.Task.Token"}, "Next": "Later"},
        "Later": {"Type": "Wait", "Seconds": 1, "End": true}}});
    let arn = start(&engine, definition, json!({})).await;
    drain(&engine).await;
    let token = engine.tasks().token();

    engine.queue().failures.store(1, Ordering::SeqCst);
    let crashed = engine
        .complete(&token, Completion::Success(json!("ok")))
        .await;
    assert!(matches!(crashed, Err(Error::Queue(_))), "{crashed:?}");
    assert!(
        drain(&engine).await.is_empty(),
        "the Wait's timer was never sent"
    );

    let retried = engine
        .complete(&token, Completion::Success(json!("ok")))
        .await;
    assert!(
        matches!(retried, Err(Error::TaskTimedOut(_))),
        "{retried:?}"
    );
    drain(&engine).await;
    let execution = engine.describe(&arn).await.expect("describe");
    assert_eq!(execution.status, ExecutionStatus::Succeeded);
    assert_eq!(execution.output, Some(json!("ok")));
}

/// Log lines written through `tracing`, kept for the test to read.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn info_logs_carry_neither_payloads_nor_tokens() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let engine = engine_with(Scripted::answering([Ok(
        json!({"MessageId": "m-secret-id"}),
    )]));
    let secret = "hunter2-in-the-input";
    let arn = start(
        &engine,
        callback_machine(json!({})),
        json!({"password": secret}),
    )
    .await;
    drain(&engine).await;
    let token = engine.tasks().token();
    engine
        .complete(
            &token,
            Completion::Success(json!({"answer": "result-secret"})),
        )
        .await
        .expect("complete");
    drain(&engine).await;
    assert_eq!(
        engine.describe(&arn).await.expect("describe").status,
        ExecutionStatus::Succeeded
    );

    let logs = String::from_utf8(captured.0.lock().expect("log").clone()).expect("utf-8");
    assert!(
        logs.contains(&arn),
        "the test saw the engine's logs: {logs}"
    );
    for secret in [secret, token.as_str(), "result-secret", "m-secret-id"] {
        assert!(
            !logs.contains(secret),
            "{secret:?} reached the logs:\n{logs}"
        );
    }
}
