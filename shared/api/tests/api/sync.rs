//! StartSyncExecution.

use aws_sdk_sfn::operation::start_sync_execution::StartSyncExecutionError;
use aws_sdk_sfn::types::{ExecutionStatus, SyncExecutionStatus};
use serde_json::json;
use std::time::Duration;

use crate::support::{start, start_with};
use crate::{pass, waiting};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn express_machines_run_synchronously() {
    let server = start().await;
    let client = &server.client;
    let express = server.create_express("quick", &waiting(1)).await;
    let ran = client
        .start_sync_execution()
        .state_machine_arn(&express)
        .input(r#"{"k": "v"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(ran.status(), &SyncExecutionStatus::Succeeded);
    assert_eq!(ran.output(), Some(r#"{"k":"v"}"#));
    assert!(
        ran.stop_date().as_secs_f64() - ran.start_date().as_secs_f64() >= 1.0,
        "waited the Wait state"
    );

    let failing = server.create_express("quick-fail", &json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Nope", "Cause": "because"}}})).await;
    let failed = client
        .start_sync_execution()
        .state_machine_arn(&failing)
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), &SyncExecutionStatus::Failed);
    assert_eq!(
        (failed.error(), failed.cause()),
        (Some("Nope"), Some("because"))
    );

    let standard = server.create("slow", &pass()).await;
    let refused = client
        .start_sync_execution()
        .state_machine_arn(&standard)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        refused.as_service_error(),
        Some(StartSyncExecutionError::StateMachineTypeNotSupported(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_execution_past_the_timeout_is_stopped_and_reported_timed_out() {
    let server = start_with(Duration::from_millis(300)).await;
    let client = &server.client;
    let slow = server.create_express("slow-express", &waiting(30)).await;
    let ran = client
        .start_sync_execution()
        .state_machine_arn(&slow)
        .send()
        .await
        .unwrap();
    assert_eq!(ran.status(), &SyncExecutionStatus::TimedOut);
    assert_eq!(ran.error(), Some("States.Timeout"));
    // The execution does not run on after the caller was told it timed out.
    let described = client
        .describe_execution()
        .execution_arn(ran.execution_arn())
        .send()
        .await
        .unwrap();
    assert_ne!(described.status(), &ExecutionStatus::Running);
}
