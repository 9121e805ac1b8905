//! Nested executions (`states:startExecution`, `.sync`, `.sync:2`, `.waitForTaskToken`)
//! over the in-memory store, whose catalog holds the child state machines.

mod support;

use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use stepwise_engine::catalog::{Catalog, MachineSpec, MachineType, StateMachineRecord};
use stepwise_engine::memory::{MemoryQueue, MemoryStore};
use stepwise_engine::{
    Clock, Completion, Config, Engine, ExecutionRecord, ExecutionStatus, Handled, MessageKind,
    NoTasks, Queue, StartRequest, Started,
};

use support::{drain, FaultyQueue, ManualClock, Source, T0};

type NestedEngine = Engine<MemoryStore, MemoryQueue, NoTasks, ManualClock>;

const PREFIX: &str = "arn:aws:states:local:000000000000:stateMachine:";

fn engine() -> NestedEngine {
    Engine::with(
        MemoryStore::default(),
        MemoryQueue::default(),
        NoTasks,
        ManualClock::at(T0),
        Config::local(),
    )
    .with_catalog()
}

async fn create(engine: &NestedEngine, name: &str, definition: Value) {
    let record = StateMachineRecord {
        name: name.to_owned(),
        spec: MachineSpec {
            definition: definition.to_string(),
            role_arn: "arn:aws:iam::000000000000:role/r".to_owned(),
            kind: MachineType::Standard,
            revision_id: "r1".to_owned(),
        },
        description: None,
        created: T0,
        updated: T0,
    };
    engine
        .store()
        .create_state_machine(record)
        .await
        .expect("create state machine");
}

/// A parent with one Task state on `resource`, its parameters `parameters`, ending with
/// its result (or, on any failure, the error output under `caught`).
fn parent(resource: &str, parameters: Value) -> Value {
    json!({"StartAt": "Child", "States": {
        "Child": {"Type": "Task", "Resource": resource, "Parameters": parameters,
                  "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "Caught"}],
                  "End": true},
        "Caught": {"Type": "Pass", "End": true}}})
}

/// Starts the parent with input `{}`; it runs as far as it goes without a message.
async fn start_parent<Q: Queue, C: Clock>(
    engine: &Engine<MemoryStore, Q, NoTasks, C>,
    definition: &Value,
) -> Started {
    engine
        .start(StartRequest::new(
            "parent",
            &definition.to_string(),
            json!({}),
        ))
        .await
        .expect("start parent")
}

async fn run_parent(engine: &NestedEngine, definition: Value, input: Value) -> ExecutionRecord {
    let started = engine
        .start(StartRequest::new("parent", &definition.to_string(), input))
        .await
        .expect("start parent");
    drain(engine).await;
    engine
        .describe(&started.execution_arn)
        .await
        .expect("parent")
}

async fn executions_of(engine: &NestedEngine, machine: &str) -> Vec<ExecutionRecord> {
    engine
        .store()
        .list_executions(&format!("{PREFIX}{machine}"), None, None, 100)
        .await
        .expect("list")
        .items
}

fn succeeded_output(record: &ExecutionRecord) -> &Value {
    assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
    record.output.as_ref().expect("output")
}

fn doubling_child() -> Value {
    json!({"StartAt": "Double", "States": {"Double": {"Type": "Pass",
        "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"}, "End": true}}})
}

#[tokio::test]
async fn fire_and_forget_returns_the_child_arn_and_the_child_runs() {
    let engine = engine();
    create(&engine, "child", doubling_child()).await;
    let definition = parent(
        "arn:aws:states:::states:startExecution",
        json!({"StateMachineArn": format!("{PREFIX}child"), "Input": {"n.$": "$.n"}, "Name": "kid-1"}),
    );
    let done = run_parent(&engine, definition, json!({"n": 21})).await;
    let output = succeeded_output(&done);
    let child_arn = "arn:aws:states:local:000000000000:execution:child:kid-1";
    assert_eq!(output["ExecutionArn"], json!(child_arn));
    assert_eq!(output["StartDate"], json!(T0));
    assert_eq!(output["SdkHttpMetadata"]["HttpStatusCode"], json!(200));
    let child = engine.describe(child_arn).await.expect("child");
    assert_eq!(succeeded_output(&child), &json!({"doubled": 42}));
}

#[tokio::test]
async fn sync_returns_the_described_child_with_json_text() {
    let engine = engine();
    create(&engine, "child", doubling_child()).await;
    let definition = parent(
        "arn:aws:states:::states:startExecution.sync",
        json!({"StateMachineArn": format!("{PREFIX}child"), "Input": "{\"n\": 4}"}),
    );
    let done = run_parent(&engine, definition, json!({})).await;
    let output = succeeded_output(&done).clone();
    let children = executions_of(&engine, "child").await;
    assert_eq!(children.len(), 1);
    let child = &children[0];
    assert_eq!(
        output,
        json!({
            "ExecutionArn": child.info.id,
            "Input": "{\"n\":4}",
            "InputDetails": {"Included": true},
            "Name": child.info.name,
            "Output": "{\"doubled\":8}",
            "OutputDetails": {"Included": true},
            "StartDate": T0,
            "StateMachineArn": format!("{PREFIX}child"),
            "Status": "SUCCEEDED",
            "StopDate": T0,
        })
    );
    // The child's name is UUID-shaped when the task gives none.
    assert_eq!(child.info.name.len(), 36);
    // The parent's history shows the StartExecution response as TaskSubmitted.
    let history = engine.history(&done.info.id).await.expect("history");
    let types: Vec<&str> = history.iter().filter_map(|e| e["type"].as_str()).collect();
    let at = types
        .iter()
        .position(|t| *t == "TaskSubmitted")
        .expect("submitted");
    assert_eq!(types[at + 1], "TaskSucceeded", "{types:?}");
}

#[tokio::test]
async fn sync_2_returns_json_values_and_runs_a_published_version() {
    let engine = engine();
    create(&engine, "child", doubling_child()).await;
    engine
        .store()
        .publish_version("child", None, None, T0)
        .await
        .expect("publish");
    let definition = parent(
        "arn:aws:states:::states:startExecution.sync:2",
        json!({"StateMachineArn": format!("{PREFIX}child:1"), "Input": {"n": 5}}),
    );
    let done = run_parent(&engine, definition, json!({})).await;
    let output = succeeded_output(&done);
    assert_eq!(output["Input"], json!({"n": 5}));
    assert_eq!(output["Output"], json!({"doubled": 10}));
    let versioned = engine
        .store()
        .list_executions(&format!("{PREFIX}child:1"), None, None, 10)
        .await
        .expect("list");
    assert_eq!(
        versioned.items.len(),
        1,
        "the start is recorded as version 1's"
    );
}

#[tokio::test]
async fn a_failed_sync_child_fails_the_task_with_its_description() {
    let engine = engine();
    create(
        &engine,
        "child",
        json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "bad"}}}),
    )
    .await;
    let definition = parent(
        "arn:aws:states:::states:startExecution.sync",
        json!({"StateMachineArn": format!("{PREFIX}child"), "Input": {"k": 1}}),
    );
    let done = run_parent(&engine, definition, json!({})).await;
    let caught = &succeeded_output(&done)["caught"];
    assert_eq!(caught["Error"], json!("States.TaskFailed"));
    let cause: Value =
        serde_json::from_str(caught["Cause"].as_str().expect("cause")).expect("JSON cause");
    assert_eq!(cause["Status"], json!("FAILED"));
    assert_eq!(cause["Error"], json!("Boom"));
    assert_eq!(cause["Cause"], json!("bad"));
    assert_eq!(cause["Input"], json!("{\"k\":1}"));
    assert!(cause.get("Output").is_none());
}

#[tokio::test]
async fn a_stopped_child_fails_the_waiting_task() {
    let engine = engine();
    create(
        &engine,
        "child",
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}}),
    )
    .await;
    let definition = parent(
        "arn:aws:states:::states:startExecution.sync:2",
        json!({"StateMachineArn": format!("{PREFIX}child")}),
    );
    let started = start_parent(&engine, &definition).await;
    // Run the task message only: the child starts and waits.
    let task = engine.queue().next().expect("task message");
    assert_eq!(task.message.kind, MessageKind::Task);
    assert_eq!(
        engine.handle(task.message, 1).await.expect("task"),
        Handled::Submitted
    );
    let children = executions_of(&engine, "child").await;
    assert_eq!(children[0].status, ExecutionStatus::Running);
    engine
        .stop(
            &children[0].info.id,
            Some("Halt".into()),
            Some("by hand".into()),
        )
        .await
        .expect("stop");
    drain(&engine).await;
    let done = engine
        .describe(&started.execution_arn)
        .await
        .expect("parent");
    let caught = &succeeded_output(&done)["caught"];
    assert_eq!(caught["Error"], json!("States.TaskFailed"));
    let cause: Value =
        serde_json::from_str(caught["Cause"].as_str().expect("cause")).expect("JSON");
    assert_eq!(cause["Status"], json!("ABORTED"));
    assert_eq!(cause["Error"], json!("Halt"));
    // Stopping it again re-sends its end; the parent, already past the task, ignores it.
    engine
        .stop(&children[0].info.id, None, None)
        .await
        .expect("stop again");
    let again = drain(&engine).await;
    assert_eq!(again, vec![Handled::Ignored("the waiting task has ended")]);
}

#[tokio::test]
async fn a_redelivered_task_message_starts_one_child() {
    let engine = engine();
    create(&engine, "child", doubling_child()).await;
    let definition = parent(
        "arn:aws:states:::states:startExecution.sync",
        json!({"StateMachineArn": format!("{PREFIX}child"), "Input": {"n": 1}}),
    );
    let started = start_parent(&engine, &definition).await;
    let task = engine.queue().next().expect("task message");
    assert_eq!(
        engine.handle(task.message.clone(), 1).await.expect("first"),
        Handled::Submitted
    );
    // The child (one Pass state) has ended by now; the same message again must find it,
    // not fail with ExecutionAlreadyExists nor start another.
    assert_eq!(
        engine.handle(task.message, 2).await.expect("again"),
        Handled::Submitted
    );
    drain(&engine).await;
    assert_eq!(executions_of(&engine, "child").await.len(), 1);
    let done = engine
        .describe(&started.execution_arn)
        .await
        .expect("parent");
    assert_eq!(succeeded_output(&done)["Status"], json!("SUCCEEDED"));
}

#[tokio::test]
async fn wait_for_task_token_children_complete_the_parent_with_the_token() {
    let engine = engine();
    create(
        &engine,
        "child",
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": true}}}),
    )
    .await;
    let definition = parent(
        "arn:aws:states:::states:startExecution.waitForTaskToken",
        json!({"StateMachineArn": format!("{PREFIX}child"),
               "Input": {"token.$": "$$.Task.Token"}}),
    );
    let started = start_parent(&engine, &definition).await;
    drain(&engine).await;
    // The child ended without calling back: the parent still waits.
    let parent_record = engine
        .describe(&started.execution_arn)
        .await
        .expect("parent");
    assert_eq!(parent_record.status, ExecutionStatus::Running);
    let children = executions_of(&engine, "child").await;
    let token = children[0].info.input["token"].as_str().expect("token");
    engine
        .complete(token, Completion::Success(json!({"from": "child"})))
        .await
        .expect("complete");
    drain(&engine).await;
    let done = engine
        .describe(&started.execution_arn)
        .await
        .expect("parent");
    assert_eq!(succeeded_output(&done), &json!({"from": "child"}));
}

#[tokio::test]
async fn unknown_machines_and_reused_names_fail_as_aws_does() {
    let engine = engine();
    let definition = parent(
        "arn:aws:states:::states:startExecution.sync",
        json!({"StateMachineArn": format!("{PREFIX}missing")}),
    );
    let done = run_parent(&engine, definition, json!({})).await;
    let caught = &succeeded_output(&done)["caught"];
    assert_eq!(
        caught["Error"],
        json!("StepFunctions.StateMachineDoesNotExistException")
    );
    let cause = caught["Cause"].as_str().expect("cause");
    assert!(
        cause.starts_with(&format!("State Machine Does Not Exist: '{PREFIX}missing' (Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist; Request ID: ")),
        "{cause}"
    );

    create(&engine, "child", doubling_child()).await;
    let first = parent(
        "arn:aws:states:::states:startExecution",
        json!({"StateMachineArn": format!("{PREFIX}child"), "Name": "same", "Input.$": "$"}),
    );
    let done = run_parent(&engine, first.clone(), json!({"n": 1})).await;
    assert!(succeeded_output(&done).get("caught").is_none());
    let done = run_parent(&engine, first, json!({"n": 2})).await;
    assert_eq!(
        succeeded_output(&done)["caught"]["Error"],
        json!("StepFunctions.ExecutionAlreadyExistsException")
    );
}

#[tokio::test]
async fn without_a_catalog_the_task_names_what_is_missing() {
    let engine: NestedEngine = Engine::with(
        MemoryStore::default(),
        MemoryQueue::default(),
        NoTasks,
        ManualClock::at(T0),
        Config::local(),
    );
    let definition = parent(
        "arn:aws:states:::states:startExecution.sync",
        json!({"StateMachineArn": format!("{PREFIX}child")}),
    );
    // States.Runtime is not caught by States.ALL: the execution fails.
    let done = run_parent(&engine, definition, json!({})).await;
    assert_eq!(done.status, ExecutionStatus::Failed);
    let failure = done.failure.expect("failure");
    assert_eq!(failure.error.as_deref(), Some("States.Runtime"));
    assert!(failure.cause.expect("cause").contains("catalog"));
}

#[tokio::test]
async fn a_timed_out_child_fails_the_task_and_a_task_timeout_outlives_the_child() {
    let engine = engine();
    create(
        &engine,
        "slow",
        json!({"TimeoutSeconds": 5, "StartAt": "W",
               "States": {"W": {"Type": "Wait", "Seconds": 60, "End": true}}}),
    )
    .await;
    let definition = parent(
        "arn:aws:states:::states:startExecution.sync",
        json!({"StateMachineArn": format!("{PREFIX}slow")}),
    );
    let done = run_parent(&engine, definition, json!({})).await;
    let caught = &succeeded_output(&done)["caught"];
    assert_eq!(caught["Error"], json!("States.TaskFailed"));
    let cause: Value =
        serde_json::from_str(caught["Cause"].as_str().expect("cause")).expect("JSON");
    assert_eq!(cause["Status"], json!("TIMED_OUT"));

    // The parent's own TimeoutSeconds ends the task first; the child's later end is
    // ignored.
    let definition = json!({"StartAt": "Child", "States": {"Child": {"Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution.sync",
        "Parameters": {"StateMachineArn": format!("{PREFIX}slow")},
        "TimeoutSeconds": 2, "End": true}}});
    let done = run_parent(&engine, definition, json!({})).await;
    assert_eq!(done.status, ExecutionStatus::Failed);
    assert_eq!(
        done.failure.and_then(|f| f.error).as_deref(),
        Some("States.Timeout")
    );
    let children = executions_of(&engine, "slow").await;
    assert_eq!(children.len(), 2);
    assert!(children
        .iter()
        .all(|c| c.status == ExecutionStatus::TimedOut));
}

fn faulty_engine(duplicate: bool) -> Engine<MemoryStore, FaultyQueue, NoTasks, ManualClock> {
    let queue = FaultyQueue {
        duplicate,
        ..FaultyQueue::default()
    };
    Engine::with(
        MemoryStore::default(),
        queue,
        NoTasks,
        ManualClock::at(T0),
        Config::local(),
    )
    .with_catalog()
}

#[tokio::test]
async fn every_message_delivered_twice_starts_each_child_once() {
    let engine = faulty_engine(true);
    let record = StateMachineRecord {
        name: "child".to_owned(),
        spec: MachineSpec {
            definition: doubling_child().to_string(),
            role_arn: "arn:aws:iam::000000000000:role/r".to_owned(),
            kind: MachineType::Standard,
            revision_id: "r1".to_owned(),
        },
        description: None,
        created: T0,
        updated: T0,
    };
    engine
        .store()
        .create_state_machine(record)
        .await
        .expect("create");
    for (resource, expected) in [
        ("arn:aws:states:::states:startExecution", "ExecutionArn"),
        ("arn:aws:states:::states:startExecution.sync", "Output"),
        ("arn:aws:states:::states:startExecution.sync:2", "Output"),
    ] {
        let definition = parent(
            resource,
            json!({"StateMachineArn": format!("{PREFIX}child"), "Input": {"n": 2}}),
        );
        let started = start_parent(&engine, &definition).await;
        drain(&engine).await;
        let done = engine
            .describe(&started.execution_arn)
            .await
            .expect("parent");
        let output = succeeded_output(&done);
        assert!(output.get(expected).is_some(), "{resource}: {output}");
    }
    let children = engine
        .store()
        .list_executions(&format!("{PREFIX}child"), None, None, 100)
        .await
        .expect("list")
        .items;
    assert_eq!(children.len(), 3, "one child per parent");
}

#[tokio::test]
async fn a_child_whose_end_was_not_sent_completes_the_parent_when_redelivered() {
    let engine = faulty_engine(false);
    let record = StateMachineRecord {
        name: "child".to_owned(),
        spec: MachineSpec {
            definition: json!({"StartAt": "W", "States": {"W": {"Type": "Wait",
                "Seconds": 10, "End": true}}})
            .to_string(),
            role_arn: "arn:aws:iam::000000000000:role/r".to_owned(),
            kind: MachineType::Standard,
            revision_id: "r1".to_owned(),
        },
        description: None,
        created: T0,
        updated: T0,
    };
    engine
        .store()
        .create_state_machine(record)
        .await
        .expect("create");
    let definition = parent(
        "arn:aws:states:::states:startExecution.sync",
        json!({"StateMachineArn": format!("{PREFIX}child")}),
    );
    let started = start_parent(&engine, &definition).await;
    let task = engine.queue().next().expect("task");
    assert_eq!(
        engine.handle(task.message, 1).await.expect("task"),
        Handled::Submitted
    );
    let timer = engine.queue().next().expect("the child's timer").message;
    assert_eq!(timer.kind, MessageKind::Timer);
    engine.clock().advance_to(timer.due.expect("due"));
    // The child's end commits, then its sends fail (a crash before the outbox left).
    engine.queue().failures.store(1, Ordering::SeqCst);
    assert!(engine.handle(timer.clone(), 1).await.is_err());
    assert!(engine.queue().next().is_none(), "nothing was sent");
    assert_eq!(
        engine.handle(timer, 2).await.expect("redelivered"),
        Handled::Resent
    );
    drain(&engine).await;
    let done = engine
        .describe(&started.execution_arn)
        .await
        .expect("parent");
    assert_eq!(succeeded_output(&done)["Status"], json!("SUCCEEDED"));
}
