//! StartExecution, DescribeExecution, ListExecutions, StopExecution and
//! DescribeStateMachineForExecution.

use aws_sdk_sfn::operation::describe_execution::DescribeExecutionError;
use aws_sdk_sfn::operation::list_executions::ListExecutionsError;
use aws_sdk_sfn::operation::start_execution::StartExecutionError;
use aws_sdk_sfn::types::{ExecutionRedriveFilter, ExecutionStatus};

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

/// Every page of a listing filtered by `redrive` (and `status`), `max` per page: the
/// execution ARNs of each page.
async fn redrive_pages(
    client: &aws_sdk_sfn::Client,
    arn: &str,
    redrive: ExecutionRedriveFilter,
    status: Option<ExecutionStatus>,
    max: i32,
) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .list_executions()
            .state_machine_arn(arn)
            .redrive_filter(redrive.clone())
            .set_status_filter(status.clone())
            .max_results(max)
            .set_next_token(token)
            .send()
            .await
            .expect("list executions");
        pages.push(
            page.executions()
                .iter()
                .map(|e| e.execution_arn().to_owned())
                .collect(),
        );
        match page.next_token() {
            Some(next) => token = Some(next.to_owned()),
            None => return pages,
        }
        assert!(pages.len() < 50, "endless paging");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executions_are_listed_by_whether_they_were_redriven() {
    let server = start().await;
    let client = &server.client;
    let fails =
        serde_json::json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom"}}});
    let arn = server.create("redrive-filter", &fails).await;
    let mut started = Vec::new();
    for _ in 0..7 {
        let execution = client
            .start_execution()
            .state_machine_arn(&arn)
            .send()
            .await
            .unwrap();
        let execution = execution.execution_arn().to_owned();
        assert_eq!(server.ended(&execution).await, "FAILED");
        started.push(execution);
    }
    // Redriven: the first, third, fourth and sixth; each fails again.
    for at in [0, 2, 3, 5] {
        client
            .redrive_execution()
            .execution_arn(&started[at])
            .send()
            .await
            .unwrap();
        assert_eq!(server.ended(&started[at]).await, "FAILED");
    }
    let everything = client
        .list_executions()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    let order: Vec<(String, i32)> = everything
        .executions()
        .iter()
        .map(|e| (e.execution_arn().to_owned(), e.redrive_count().unwrap_or(0)))
        .collect();
    assert_eq!(order.len(), 7);
    let expect = |redriven: bool, max: usize| -> Vec<Vec<String>> {
        let kept: Vec<String> = order
            .iter()
            .filter(|(_, count)| (*count > 0) == redriven)
            .map(|(arn, _)| arn.clone())
            .collect();
        kept.chunks(max).map(<[String]>::to_vec).collect()
    };

    // Full pages in listing order, and no token after the last (4 = 3 + 1, 3 = 2 + 1).
    for max in [1, 2, 3, 4, 10] {
        let redriven =
            redrive_pages(client, &arn, ExecutionRedriveFilter::Redriven, None, max).await;
        assert_eq!(redriven, expect(true, max as usize), "REDRIVEN by {max}");
        let not = redrive_pages(client, &arn, ExecutionRedriveFilter::NotRedriven, None, max).await;
        assert_eq!(not, expect(false, max as usize), "NOT_REDRIVEN by {max}");
    }
    // With statusFilter: both must hold.
    let failed = redrive_pages(
        client,
        &arn,
        ExecutionRedriveFilter::Redriven,
        Some(ExecutionStatus::Failed),
        2,
    )
    .await;
    assert_eq!(failed, expect(true, 2));
    let succeeded = redrive_pages(
        client,
        &arn,
        ExecutionRedriveFilter::Redriven,
        Some(ExecutionStatus::Succeeded),
        2,
    )
    .await;
    assert_eq!(succeeded, [Vec::<String>::new()]);

    let bad = client
        .list_executions()
        .state_machine_arn(&arn)
        .redrive_filter(ExecutionRedriveFilter::from("SOMETIMES"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(service_code(&bad), Some("ValidationException"));
}

/// More executions than one read of the filter takes (100): a page fills in one batch
/// and its token holds only if another match follows in a later one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redrive_filtered_listing_pages_across_reads() {
    let server = start().await;
    let client = &server.client;
    let fails =
        serde_json::json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom"}}});
    let arn = server.create("redrive-many", &fails).await;
    let mut started = Vec::new();
    for _ in 0..103 {
        let execution = client
            .start_execution()
            .state_machine_arn(&arn)
            .send()
            .await
            .unwrap();
        started.push(execution.execution_arn().to_owned());
    }
    for execution in &started {
        assert_eq!(server.ended(execution).await, "FAILED");
    }
    for at in [0, 1, 60] {
        client
            .redrive_execution()
            .execution_arn(&started[at])
            .send()
            .await
            .unwrap();
        assert_eq!(server.ended(&started[at]).await, "FAILED");
    }
    let everything = client
        .list_executions()
        .state_machine_arn(&arn)
        .max_results(1000)
        .send()
        .await
        .unwrap();
    let order: Vec<(String, i32)> = everything
        .executions()
        .iter()
        .map(|e| (e.execution_arn().to_owned(), e.redrive_count().unwrap_or(0)))
        .collect();
    assert_eq!(order.len(), 103);
    let redriven: Vec<Vec<String>> = order
        .iter()
        .filter(|(_, count)| *count > 0)
        .map(|(arn, _)| vec![arn.clone()])
        .collect();
    assert_eq!(redriven.len(), 3);
    let by_one = redrive_pages(client, &arn, ExecutionRedriveFilter::Redriven, None, 1).await;
    assert_eq!(by_one, redriven);
    let not = redrive_pages(client, &arn, ExecutionRedriveFilter::NotRedriven, None, 100).await;
    assert_eq!(not.len(), 1, "one full page, no token after it");
    assert_eq!(not[0].len(), 100);
}
