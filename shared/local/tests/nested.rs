//! Nested executions on the SQLite store (what `stepwise serve` runs): the child comes
//! from the file's catalog and its end, through the file's queue, completes the parent.

mod support;

use std::sync::Arc;

use serde_json::json;
use stepwise_engine::catalog::{Catalog, MachineSpec, MachineType, StateMachineRecord};
use stepwise_engine::{Config, Engine, ExecutionStatus, NoTasks, StartRequest, SystemClock};
use stepwise_local::{run_to_completion, WorkerOptions};
use support::TempDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_task_waits_for_its_child_in_the_same_file() {
    let db = TempDb::new("nested");
    let (store, queue) =
        stepwise_local::open(db.path(), support::options(), SystemClock).expect("open");
    let engine =
        Arc::new(Engine::with(store, queue, NoTasks, SystemClock, Config::local()).with_catalog());
    let child = StateMachineRecord {
        name: "child".to_owned(),
        spec: MachineSpec {
            definition: json!({"StartAt": "W", "States": {
                "W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
                "P": {"Type": "Pass", "Parameters": {"got.$": "$.n"}, "End": true}}})
            .to_string(),
            role_arn: "arn:aws:iam::000000000000:role/r".to_owned(),
            kind: MachineType::Standard,
            revision_id: "1".to_owned(),
        },
        description: None,
        created: 0,
        updated: 0,
    };
    engine
        .store()
        .create_state_machine(child)
        .await
        .expect("create");
    let parent = json!({"StartAt": "Run", "States": {"Run": {"Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {
            "StateMachineArn": "arn:aws:states:local:000000000000:stateMachine:child",
            "Input": {"n.$": "$.n"}},
        "OutputPath": "$.Output", "End": true}}});
    let started = engine
        .start(StartRequest::new(
            "parent",
            &parent.to_string(),
            json!({"n": 9}),
        ))
        .await
        .expect("start");
    let record = run_to_completion(engine, &started.execution_arn, WorkerOptions::default())
        .await
        .expect("run");
    assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
    assert_eq!(record.output, Some(json!({"got": 9})));
}
