//! The API driven by the real Rust `aws-sdk-sfn` client over HTTP: typed outputs and
//! typed errors, as an unmodified application would see them.

mod support;

use aws_sdk_sfn::error::SdkError;
use aws_sdk_sfn::operation::create_state_machine::CreateStateMachineError;
use aws_sdk_sfn::operation::describe_execution::DescribeExecutionError;
use aws_sdk_sfn::operation::describe_state_machine::DescribeStateMachineError;
use aws_sdk_sfn::operation::list_executions::ListExecutionsError;
use aws_sdk_sfn::operation::redrive_execution::RedriveExecutionError;
use aws_sdk_sfn::operation::send_task_success::SendTaskSuccessError;
use aws_sdk_sfn::operation::start_execution::StartExecutionError;
use aws_sdk_sfn::operation::start_sync_execution::StartSyncExecutionError;
use aws_sdk_sfn::types::{
    ExecutionStatus, HistoryEventType, RoutingConfigurationListItem, StateMachineType,
    SyncExecutionStatus, ValidateStateMachineDefinitionResultCode,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

use support::{start, start_with, ROLE};

fn pass() -> Value {
    json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"v": 1}, "End": true}}})
}

fn waiting(seconds: u64) -> Value {
    json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": seconds, "Next": "P"},
        "P": {"Type": "Pass", "End": true}
    }})
}

fn callback() -> Value {
    json!({"StartAt": "T", "States": {"T": {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": "https://sqs/q", "MessageBody": {"token.$": "$$.Task.Token"}},
        "End": true
    }}})
}

fn service_code<E: aws_sdk_sfn::error::ProvideErrorMetadata>(error: &SdkError<E>) -> Option<&str> {
    error.as_service_error().and_then(|e| e.code())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_machines_are_created_described_listed_updated_and_deleted() {
    let server = start().await;
    let client = &server.client;
    let arn = server.create("orders", &pass()).await;
    assert_eq!(arn, server.machine_arn("orders"));

    // The same request again is idempotent; a different definition conflicts.
    let again = server.create("orders", &pass()).await;
    assert_eq!(again, arn);
    let clash = client
        .create_state_machine()
        .name("orders")
        .definition(waiting(1).to_string())
        .role_arn(ROLE)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        clash.as_service_error(),
        Some(CreateStateMachineError::StateMachineAlreadyExists(_))
    ));

    let invalid = client
        .create_state_machine()
        .name("broken")
        .definition(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nowhere"}}}"#)
        .role_arn(ROLE)
        .send()
        .await
        .unwrap_err();
    let Some(CreateStateMachineError::InvalidDefinition(e)) = invalid.as_service_error() else {
        panic!("expected InvalidDefinition, got {invalid:?}");
    };
    assert!(
        e.message().unwrap_or_default().contains("/States/A/Next"),
        "{e:?}"
    );

    let bad_name = client
        .create_state_machine()
        .name("has space")
        .definition(pass().to_string())
        .role_arn(ROLE)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        bad_name.as_service_error(),
        Some(CreateStateMachineError::InvalidName(_))
    ));

    let described = client
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(described.name(), "orders");
    assert_eq!(described.definition(), pass().to_string());
    assert_eq!(described.role_arn(), ROLE);
    assert_eq!(described.r#type(), &StateMachineType::Standard);
    let first_revision = described.revision_id().unwrap().to_owned();

    server.create("billing", &pass()).await;
    server.create("audit", &pass()).await;
    let page = client
        .list_state_machines()
        .max_results(2)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = page.state_machines().iter().map(|m| m.name()).collect();
    assert_eq!(names, ["audit", "billing"]);
    let rest = client
        .list_state_machines()
        .next_token(page.next_token().unwrap())
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = rest.state_machines().iter().map(|m| m.name()).collect();
    assert_eq!((names, rest.next_token()), (vec!["orders"], None));

    let updated = client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(waiting(1).to_string())
        .send()
        .await
        .unwrap();
    assert_ne!(updated.revision_id(), Some(first_revision.as_str()));
    let described = client
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(described.definition(), waiting(1).to_string());

    client
        .delete_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    let gone = client
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        gone.as_service_error(),
        Some(DescribeStateMachineError::StateMachineDoesNotExist(_))
    ));
    let malformed = client
        .describe_state_machine()
        .state_machine_arn("arn:aws:lambda:us-east-1:1:function:f")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        malformed.as_service_error(),
        Some(DescribeStateMachineError::InvalidArn(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executions_run_and_are_described_listed_and_stopped() {
    let server = start().await;
    let client = &server.client;
    let arn = server.create("flow", &waiting(1)).await;

    let started = client
        .start_execution()
        .state_machine_arn(&arn)
        .name("first")
        .input(r#"{"order": 7}"#)
        .send()
        .await
        .unwrap();
    let execution = started.execution_arn().to_owned();
    assert_eq!(
        execution,
        "arn:aws:states:us-east-1:123456789012:execution:flow:first"
    );
    let running = client
        .describe_execution()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap();
    assert_eq!(running.status(), &ExecutionStatus::Running);
    assert_eq!(running.input(), Some(r#"{"order":7}"#));

    // The same name with other input is another execution: refused.
    let clash = client
        .start_execution()
        .state_machine_arn(&arn)
        .name("first")
        .input(r#"{"order": 8}"#)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        clash.as_service_error(),
        Some(StartExecutionError::ExecutionAlreadyExists(_))
    ));
    let bad_input = client
        .start_execution()
        .state_machine_arn(&arn)
        .input("{not json")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        bad_input.as_service_error(),
        Some(StartExecutionError::InvalidExecutionInput(_))
    ));
    let oversize = client
        .start_execution()
        .state_machine_arn(&arn)
        .input(format!("\"{}\"", "x".repeat(262_144)))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        oversize.as_service_error(),
        Some(StartExecutionError::ValidationException(_))
    ));
    let bad_name = client
        .start_execution()
        .state_machine_arn(&arn)
        .name("no/slashes")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        bad_name.as_service_error(),
        Some(StartExecutionError::InvalidName(_))
    ));
    let unknown_machine = client
        .start_execution()
        .state_machine_arn(server.machine_arn("nope"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        unknown_machine.as_service_error(),
        Some(StartExecutionError::StateMachineDoesNotExist(_))
    ));

    let stopped = client
        .start_execution()
        .state_machine_arn(&arn)
        .name("second")
        .send()
        .await
        .unwrap()
        .execution_arn()
        .to_owned();
    client
        .stop_execution()
        .execution_arn(&stopped)
        .error("Operator")
        .cause("changed my mind")
        .send()
        .await
        .unwrap();

    assert_eq!(server.ended(&execution).await, "SUCCEEDED");
    let done = client
        .describe_execution()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap();
    assert_eq!(done.output(), Some(r#"{"order":7}"#));
    assert!(done.stop_date().unwrap() >= done.start_date());
    let aborted = client
        .describe_execution()
        .execution_arn(&stopped)
        .send()
        .await
        .unwrap();
    assert_eq!(aborted.status(), &ExecutionStatus::Aborted);
    assert_eq!(
        (aborted.error(), aborted.cause()),
        (Some("Operator"), Some("changed my mind"))
    );

    let all = client
        .list_executions()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = all.executions().iter().map(|e| e.name()).collect();
    assert_eq!(names, ["second", "first"], "newest first");
    let succeeded = client
        .list_executions()
        .state_machine_arn(&arn)
        .status_filter(ExecutionStatus::Succeeded)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = succeeded.executions().iter().map(|e| e.name()).collect();
    assert_eq!(names, ["first"]);
    let paged = client
        .list_executions()
        .state_machine_arn(&arn)
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(paged.executions().len(), 1);
    let next = client
        .list_executions()
        .state_machine_arn(&arn)
        .max_results(1)
        .next_token(paged.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(next.executions()[0].name(), "first");
    let missing = client
        .list_executions()
        .state_machine_arn(server.machine_arn("nope"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        missing.as_service_error(),
        Some(ListExecutionsError::StateMachineDoesNotExist(_))
    ));

    let unknown = client
        .describe_execution()
        .execution_arn("arn:aws:states:us-east-1:123456789012:execution:flow:nobody")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        unknown.as_service_error(),
        Some(DescribeExecutionError::ExecutionDoesNotExist(_))
    ));

    let stop_unknown = client
        .stop_execution()
        .execution_arn("arn:aws:states:us-east-1:123456789012:execution:flow:nobody")
        .send()
        .await
        .unwrap_err();
    assert_eq!(service_code(&stop_unknown), Some("ExecutionDoesNotExist"));

    let for_execution = client
        .describe_state_machine_for_execution()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap();
    assert_eq!(for_execution.definition(), waiting(1).to_string());
    assert_eq!(for_execution.role_arn(), ROLE);
    assert_eq!(for_execution.state_machine_arn(), arn);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_pages_in_either_order() {
    let server = start().await;
    let client = &server.client;
    let arn = server.create("history", &waiting(0)).await;
    let execution = client
        .start_execution()
        .state_machine_arn(&arn)
        .input(r#"{"a": 1}"#)
        .send()
        .await
        .unwrap()
        .execution_arn()
        .to_owned();
    assert_eq!(server.ended(&execution).await, "SUCCEEDED");

    let all = client
        .get_execution_history()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap();
    let kinds: Vec<&HistoryEventType> = all.events().iter().map(|e| e.r#type()).collect();
    assert_eq!(kinds.first(), Some(&&HistoryEventType::ExecutionStarted));
    assert_eq!(kinds.last(), Some(&&HistoryEventType::ExecutionSucceeded));
    let ids: Vec<i64> = all.events().iter().map(|e| e.id()).collect();
    assert_eq!(ids, (1..=ids.len() as i64).collect::<Vec<_>>());
    let started = all.events()[0].execution_started_event_details().unwrap();
    assert_eq!(started.input(), Some(r#"{"a":1}"#));
    let secs = all.events()[0].timestamp().secs();
    assert!(
        (secs - chrono_now()).abs() < 60,
        "timestamp {secs} is epoch seconds"
    );

    let reversed = client
        .get_execution_history()
        .execution_arn(&execution)
        .reverse_order(true)
        .max_results(2)
        .include_execution_data(false)
        .send()
        .await
        .unwrap();
    let ids: Vec<i64> = reversed.events().iter().map(|e| e.id()).collect();
    let last = all.events().len() as i64;
    assert_eq!(ids, [last, last - 1]);
    let succeeded = reversed.events()[0]
        .execution_succeeded_event_details()
        .unwrap();
    assert_eq!(succeeded.output(), None, "no execution data when asked");
    let mut token = reversed.next_token().map(str::to_owned);
    let mut seen = 2;
    while let Some(next) = token {
        let page = client
            .get_execution_history()
            .execution_arn(&execution)
            .reverse_order(true)
            .max_results(2)
            .next_token(next)
            .send()
            .await
            .unwrap();
        seen += page.events().len();
        token = page.next_token().map(str::to_owned);
    }
    assert_eq!(seen, all.events().len());
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_complete_tasks_once() {
    let server = start().await;
    let client = &server.client;
    let arn = server.create("callback", &callback()).await;
    let first = client
        .start_execution()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    let token = server.token(0).await;
    client
        .send_task_heartbeat()
        .task_token(&token)
        .send()
        .await
        .unwrap();
    client
        .send_task_success()
        .task_token(&token)
        .output(r#"{"approved": true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(server.ended(first.execution_arn()).await, "SUCCEEDED");
    let done = client
        .describe_execution()
        .execution_arn(first.execution_arn())
        .send()
        .await
        .unwrap();
    assert_eq!(done.output(), Some(r#"{"approved":true}"#));

    let reused = client
        .send_task_success()
        .task_token(&token)
        .output("{}")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        reused.as_service_error(),
        Some(SendTaskSuccessError::TaskTimedOut(_))
    ));
    let forged = client
        .send_task_success()
        .task_token("not-a-stepwise-token")
        .output("{}")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        forged.as_service_error(),
        Some(SendTaskSuccessError::InvalidToken(_))
    ));

    let second = client
        .start_execution()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    let token = server.token(1).await;
    let bad_output = client
        .send_task_success()
        .task_token(&token)
        .output("{oops")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        bad_output.as_service_error(),
        Some(SendTaskSuccessError::InvalidOutput(_))
    ));
    client
        .send_task_failure()
        .task_token(&token)
        .error("Rejected")
        .cause("no stock")
        .send()
        .await
        .unwrap();
    assert_eq!(server.ended(second.execution_arn()).await, "FAILED");
    let failed = client
        .describe_execution()
        .execution_arn(second.execution_arn())
        .send()
        .await
        .unwrap();
    assert_eq!(
        (failed.error(), failed.cause()),
        (Some("Rejected"), Some("no stock"))
    );

    // Stepwise cannot resume a failed execution yet, and says so.
    let redrive = client
        .redrive_execution()
        .execution_arn(second.execution_arn())
        .send()
        .await
        .unwrap_err();
    let Some(RedriveExecutionError::ExecutionNotRedrivable(e)) = redrive.as_service_error() else {
        panic!("expected ExecutionNotRedrivable, got {redrive:?}");
    };
    assert!(e
        .message()
        .unwrap_or_default()
        .contains("does not support redriving"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn definitions_are_validated_with_paths() {
    let server = start().await;
    let ok = server
        .client
        .validate_state_machine_definition()
        .definition(pass().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(ok.result(), &ValidateStateMachineDefinitionResultCode::Ok);
    assert!(ok.diagnostics().is_empty());
    let failed = server
        .client
        .validate_state_machine_definition()
        .definition(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        failed.result(),
        &ValidateStateMachineDefinitionResultCode::Fail
    );
    let diagnostic = &failed.diagnostics()[0];
    assert_eq!(diagnostic.code(), "SCHEMA_VALIDATION_FAILED");
    assert_eq!(diagnostic.location(), Some("/States/A/Next"));
    assert_eq!(diagnostic.severity().as_str(), "ERROR");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_and_aliases_route_starts() {
    let server = start().await;
    let client = &server.client;
    let v1_definition =
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "v1", "End": true}}});
    let v2_definition =
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "v2", "End": true}}});
    let created = client
        .create_state_machine()
        .name("versioned")
        .definition(v1_definition.to_string())
        .role_arn(ROLE)
        .publish(true)
        .version_description("first")
        .send()
        .await
        .unwrap();
    let arn = created.state_machine_arn().to_owned();
    let v1 = created.state_machine_version_arn().unwrap().to_owned();
    assert_eq!(v1, format!("{arn}:1"));
    // Publishing an unchanged revision gives the same version back.
    let same = client
        .publish_state_machine_version()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(same.state_machine_version_arn(), v1);
    let updated = client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(v2_definition.to_string())
        .publish(true)
        .send()
        .await
        .unwrap();
    let v2 = updated.state_machine_version_arn().unwrap().to_owned();
    assert_eq!(v2, format!("{arn}:2"));
    let versions = client
        .list_state_machine_versions()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    let listed: Vec<&str> = versions
        .state_machine_versions()
        .iter()
        .map(|v| v.state_machine_version_arn())
        .collect();
    assert_eq!(listed, [v2.as_str(), v1.as_str()]);
    let described = client
        .describe_state_machine()
        .state_machine_arn(&v1)
        .send()
        .await
        .unwrap();
    assert_eq!(described.definition(), v1_definition.to_string());
    assert_eq!(described.description(), Some("first"));

    let route = |version: &str, weight: i32| {
        RoutingConfigurationListItem::builder()
            .state_machine_version_arn(version)
            .weight(weight)
            .build()
            .unwrap()
    };
    let alias = client
        .create_state_machine_alias()
        .name("live")
        .routing_configuration(route(&v1, 100))
        .send()
        .await
        .unwrap()
        .state_machine_alias_arn()
        .to_owned();
    assert_eq!(alias, format!("{arn}:live"));
    let bad = client
        .create_state_machine_alias()
        .name("half")
        .routing_configuration(route(&v1, 50))
        .routing_configuration(route(&v2, 40))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        bad.as_service_error().and_then(|e| e.meta().code()),
        Some("ValidationException")
    );

    let through_alias = client
        .start_execution()
        .state_machine_arn(&alias)
        .send()
        .await
        .unwrap();
    assert_eq!(
        server.ended(through_alias.execution_arn()).await,
        "SUCCEEDED"
    );
    let ran = client
        .describe_execution()
        .execution_arn(through_alias.execution_arn())
        .send()
        .await
        .unwrap();
    assert_eq!(ran.output(), Some(r#""v1""#));
    assert_eq!(ran.state_machine_version_arn(), Some(v1.as_str()));
    assert_eq!(ran.state_machine_alias_arn(), Some(alias.as_str()));

    client
        .update_state_machine_alias()
        .state_machine_alias_arn(&alias)
        .routing_configuration(route(&v2, 100))
        .description("all on v2")
        .send()
        .await
        .unwrap();
    let described = client
        .describe_state_machine_alias()
        .state_machine_alias_arn(&alias)
        .send()
        .await
        .unwrap();
    assert_eq!(described.description(), Some("all on v2"));
    assert_eq!(
        described.routing_configuration()[0].state_machine_version_arn(),
        v2
    );
    let through_v2 = client
        .start_execution()
        .state_machine_arn(&alias)
        .send()
        .await
        .unwrap();
    assert_eq!(server.ended(through_v2.execution_arn()).await, "SUCCEEDED");
    let ran = client
        .describe_execution()
        .execution_arn(through_v2.execution_arn())
        .send()
        .await
        .unwrap();
    assert_eq!(ran.output(), Some(r#""v2""#));
    let by_version = client
        .start_execution()
        .state_machine_arn(&v1)
        .send()
        .await
        .unwrap();
    assert_eq!(server.ended(by_version.execution_arn()).await, "SUCCEEDED");

    let aliases = client
        .list_state_machine_aliases()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(aliases.state_machine_aliases().len(), 1);
    client
        .delete_state_machine_alias()
        .state_machine_alias_arn(&alias)
        .send()
        .await
        .unwrap();
    let gone = client
        .describe_state_machine_alias()
        .state_machine_alias_arn(&alias)
        .send()
        .await
        .unwrap_err();
    assert_eq!(service_code(&gone), Some("ResourceNotFound"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn express_machines_run_synchronously() {
    let server = start().await;
    let client = &server.client;
    let express = client
        .create_state_machine()
        .name("quick")
        .definition(waiting(1).to_string())
        .role_arn(ROLE)
        .r#type(StateMachineType::Express)
        .send()
        .await
        .unwrap()
        .state_machine_arn()
        .to_owned();
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

    let failing = client
        .create_state_machine()
        .name("quick-fail")
        .definition(json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Nope", "Cause": "because"}}}).to_string())
        .role_arn(ROLE)
        .r#type(StateMachineType::Express)
        .send()
        .await
        .unwrap()
        .state_machine_arn()
        .to_owned();
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
    let slow = client
        .create_state_machine()
        .name("slow-express")
        .definition(waiting(30).to_string())
        .role_arn(ROLE)
        .r#type(StateMachineType::Express)
        .send()
        .await
        .unwrap()
        .state_machine_arn()
        .to_owned();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alias_splits_starts_between_its_versions_by_weight() {
    let server = start().await;
    let client = &server.client;
    let created = client
        .create_state_machine()
        .name("split")
        .definition(pass().to_string())
        .role_arn(ROLE)
        .publish(true)
        .send()
        .await
        .unwrap();
    let arn = created.state_machine_arn().to_owned();
    let v1 = created.state_machine_version_arn().unwrap().to_owned();
    let v2 = client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(waiting(0).to_string())
        .publish(true)
        .send()
        .await
        .unwrap()
        .state_machine_version_arn()
        .unwrap()
        .to_owned();
    let route = |version: &str, weight: i32| {
        RoutingConfigurationListItem::builder()
            .state_machine_version_arn(version)
            .weight(weight)
            .build()
            .unwrap()
    };
    let alias = client
        .create_state_machine_alias()
        .name("canary")
        .routing_configuration(route(&v1, 80))
        .routing_configuration(route(&v2, 20))
        .send()
        .await
        .unwrap()
        .state_machine_alias_arn()
        .to_owned();
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    for _ in 0..200 {
        let started = client
            .start_execution()
            .state_machine_arn(&alias)
            .send()
            .await
            .unwrap();
        let described = client
            .describe_execution()
            .execution_arn(started.execution_arn())
            .send()
            .await
            .unwrap();
        *counts
            .entry(described.state_machine_version_arn().unwrap().to_owned())
            .or_default() += 1;
    }
    // 200 draws at 20 %: 40 expected; below 10 or above 75 has odds under one in ten
    // million.
    let canary = counts.get(&v2).copied().unwrap_or_default();
    assert!((10..=75).contains(&canary), "{counts:?}");
    assert_eq!(counts.values().sum::<u32>(), 200);
}
