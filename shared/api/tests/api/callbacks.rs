//! SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat, and RedriveExecution of a failed
//! callback task.

use aws_sdk_sfn::operation::redrive_execution::RedriveExecutionError;
use aws_sdk_sfn::operation::send_task_success::SendTaskSuccessError;
use aws_sdk_sfn::types::{ExecutionRedriveStatus as RedriveStatus, ExecutionStatus};

use crate::callback;
use crate::support::start;

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

    assert_eq!(failed.redrive_status(), Some(&RedriveStatus::Redrivable));

    // Redriven, the failed callback task runs again with a new token; the same client
    // token is the same redrive.
    let redriven = client
        .redrive_execution()
        .execution_arn(second.execution_arn())
        .client_token("redrive-1")
        .send()
        .await
        .unwrap();
    let again = client
        .redrive_execution()
        .execution_arn(second.execution_arn())
        .client_token("redrive-1")
        .send()
        .await
        .unwrap();
    assert_eq!(again.redrive_date(), redriven.redrive_date());
    let running = client
        .describe_execution()
        .execution_arn(second.execution_arn())
        .send()
        .await
        .unwrap();
    assert_eq!(running.status().as_str(), "RUNNING");
    assert_eq!(running.redrive_count(), Some(1));
    assert_eq!(running.redrive_date(), Some(redriven.redrive_date()));
    assert_eq!(
        running.redrive_status(),
        Some(&RedriveStatus::NotRedrivable)
    );
    assert_eq!(
        running.redrive_status_reason(),
        Some("Execution is RUNNING and cannot be redriven")
    );
    let token = server.token(2).await;
    client
        .send_task_success()
        .task_token(&token)
        .output(r#"{"approved": true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(server.ended(second.execution_arn()).await, "SUCCEEDED");
    let history = client
        .get_execution_history()
        .execution_arn(second.execution_arn())
        .send()
        .await
        .unwrap();
    let redrives: Vec<_> = history
        .events()
        .iter()
        .filter_map(|e| e.execution_redriven_event_details())
        .collect();
    assert_eq!(redrives.len(), 1);
    assert_eq!(redrives[0].redrive_count(), Some(1));
    let listed = client
        .list_executions()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    let item = listed
        .executions()
        .iter()
        .find(|e| e.execution_arn() == second.execution_arn())
        .expect("listed");
    assert_eq!(item.redrive_count(), Some(1));
    assert_eq!(item.redrive_date(), Some(redriven.redrive_date()));
    let pending = client
        .list_executions()
        .state_machine_arn(&arn)
        .status_filter(ExecutionStatus::PendingRedrive)
        .send()
        .await
        .unwrap();
    assert!(pending.executions().is_empty());

    // A succeeded execution is not redrivable; nor is one that does not exist.
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
        .contains("Execution is SUCCEEDED and cannot be redriven"));
    let missing = client
        .redrive_execution()
        .execution_arn(format!("{}-nope", second.execution_arn()))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        missing.as_service_error(),
        Some(RedriveExecutionError::ExecutionDoesNotExist(_))
    ));
    let bad_token = client
        .redrive_execution()
        .execution_arn(second.execution_arn())
        .client_token("has space")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        bad_token.as_service_error(),
        Some(RedriveExecutionError::ValidationException(_))
    ));
}
