//! StartExecution, DescribeExecution, ListExecutions, StopExecution and
//! DescribeStateMachineForExecution.

use aws_sdk_sfn::operation::describe_execution::DescribeExecutionError;
use aws_sdk_sfn::operation::list_executions::ListExecutionsError;
use aws_sdk_sfn::operation::start_execution::StartExecutionError;
use aws_sdk_sfn::types::ExecutionStatus;

use crate::support::{start, ROLE};
use crate::{service_code, waiting};

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
