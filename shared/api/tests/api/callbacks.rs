//! SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat, and RedriveExecution refused.

use aws_sdk_sfn::operation::redrive_execution::RedriveExecutionError;
use aws_sdk_sfn::operation::send_task_success::SendTaskSuccessError;

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
