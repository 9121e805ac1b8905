//! ListMapRuns and DescribeMapRun through the SDK, over Distributed Maps that really ran.

use aws_sdk_sfn::types::MapRunStatus;
use serde_json::json;

use crate::service_code;
use crate::support::start;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_distributed_map_run_is_listed_and_described() {
    let server = start().await;
    let client = &server.client;
    let child =
        |state: &str| json!({"StartAt": state, "States": {state: {"Type": "Pass", "End": true}}});
    let definition = json!({"StartAt": "Items", "States": {
        "Items": {"Type": "Map", "MaxConcurrency": 2, "ToleratedFailureCount": 1,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
            "Next": "Inline"},
        "Inline": {"Type": "Map", "ItemProcessor": child("Q"), "Next": "Labelled"},
        "Labelled": {"Type": "Map", "Label": "Second",
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"},
                "StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "E"}}},
            "End": true}
    }});
    let machine = server.create("map-runs", &definition).await;
    let execution = client
        .start_execution()
        .state_machine_arn(&machine)
        .input("[1, 2, 3]")
        .send()
        .await
        .unwrap()
        .execution_arn()
        .to_owned();
    assert_eq!(server.ended(&execution).await, "FAILED");

    let listed = client
        .list_map_runs()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap();
    let runs = listed.map_runs();
    assert_eq!(runs.len(), 2, "the inline Map is no Map Run: {runs:?}");
    let prefix = format!(
        "arn:aws:states:us-east-1:{}:mapRun:map-runs/",
        crate::support::ACCOUNT
    );
    assert!(
        runs[0]
            .map_run_arn()
            .starts_with(&format!("{prefix}Items:")),
        "{runs:?}"
    );
    assert!(
        runs[1]
            .map_run_arn()
            .starts_with(&format!("{prefix}Second:")),
        "{runs:?}"
    );
    for run in runs {
        assert_eq!(run.execution_arn(), execution);
        assert_eq!(run.state_machine_arn(), machine);
        assert!(run.stop_date().unwrap() >= run.start_date());
    }

    let first = client
        .describe_map_run()
        .map_run_arn(runs[0].map_run_arn())
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), &MapRunStatus::Succeeded);
    assert_eq!(first.execution_arn(), execution);
    assert_eq!(first.max_concurrency(), 2);
    assert_eq!(first.tolerated_failure_count(), 1);
    let items = first.item_counts().unwrap();
    assert_eq!(
        (
            items.total(),
            items.succeeded(),
            items.failed(),
            items.pending(),
            items.running()
        ),
        (3, 3, 0, 0, 0)
    );
    assert_eq!(first.execution_counts().unwrap().succeeded(), 3);

    let second = client
        .describe_map_run()
        .map_run_arn(runs[1].map_run_arn())
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), &MapRunStatus::Failed);
    let items = second.item_counts().unwrap();
    assert_eq!(items.total(), 3);
    assert!(items.failed() >= 1, "{items:?}");
    assert_eq!(
        items.failed() + items.aborted() + items.succeeded(),
        3,
        "{items:?}"
    );

    let paged = client
        .list_map_runs()
        .execution_arn(&execution)
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(paged.map_runs().len(), 1);
    let rest = client
        .list_map_runs()
        .execution_arn(&execution)
        .next_token(paged.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.map_runs()[0].map_run_arn(), runs[1].map_run_arn());
    assert_eq!(rest.next_token(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_map_runs_are_refused_precisely() {
    let server = start().await;
    let client = &server.client;
    let prefix = format!("arn:aws:states:us-east-1:{}:", crate::support::ACCOUNT);
    let absent = format!("{prefix}mapRun:none/Items:00000000-0000-0000-0000-000000000000");
    let error = client
        .describe_map_run()
        .map_run_arn(&absent)
        .send()
        .await
        .unwrap_err();
    assert_eq!(service_code(&error), Some("ResourceNotFound"));
    let malformed = format!("{prefix}mapRun:none");
    let error = client
        .describe_map_run()
        .map_run_arn(&malformed)
        .send()
        .await
        .unwrap_err();
    assert_eq!(service_code(&error), Some("InvalidArn"));
    let error = client
        .list_map_runs()
        .execution_arn(format!("{prefix}execution:none:nothing"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(service_code(&error), Some("ExecutionDoesNotExist"));
}

/// A batched run counts items in `itemCounts` and children in `executionCounts`; its
/// children are listed (with their items) and described as executions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_map_runs_children_are_executions_and_batches_count_items() {
    let server = start().await;
    let client = &server.client;
    let definition = json!({"StartAt": "Items", "States": {
        "Items": {"Type": "Map", "ToleratedFailureCount": 5,
            "ItemBatcher": {"MaxItemsPerBatch": 2},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"},
                "StartAt": "Check", "States": {
                    "Check": {"Type": "Choice",
                        "Choices": [{"Variable": "$.Items[0]", "NumericEquals": 5, "Next": "Boom"}],
                        "Default": "Count"},
                    "Boom": {"Type": "Fail", "Error": "Five", "Cause": "batch of 5"},
                    "Count": {"Type": "Pass", "Parameters": {"n.$": "States.ArrayLength($.Items)"}, "End": true}
                }},
            "End": true}
    }});
    let machine = server.create("map-children", &definition).await;
    let execution = client
        .start_execution()
        .state_machine_arn(&machine)
        .input("[1, 2, 3, 4, 5]")
        .send()
        .await
        .unwrap()
        .execution_arn()
        .to_owned();
    assert_eq!(server.ended(&execution).await, "SUCCEEDED");
    let runs = client
        .list_map_runs()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap();
    let map_run = runs.map_runs()[0].map_run_arn().to_owned();
    let described = client
        .describe_map_run()
        .map_run_arn(&map_run)
        .send()
        .await
        .unwrap();
    let items = described.item_counts().unwrap();
    assert_eq!(
        (items.total(), items.succeeded(), items.failed()),
        (5, 4, 1)
    );
    let children = described.execution_counts().unwrap();
    assert_eq!(
        (children.total(), children.succeeded(), children.failed()),
        (3, 2, 1)
    );

    let listed = client
        .list_executions()
        .map_run_arn(&map_run)
        .send()
        .await
        .unwrap();
    let executions = listed.executions();
    assert_eq!(executions.len(), 3, "{executions:?}");
    let counts: Vec<i32> = executions
        .iter()
        .map(|e| e.item_count().unwrap_or(0))
        .collect();
    assert_eq!(counts, [1, 2, 2], "latest (highest index) first");
    for e in executions {
        assert_eq!(e.map_run_arn(), Some(map_run.as_str()));
        assert!(e.stop_date().unwrap() >= e.start_date());
    }
    let failed = client
        .list_executions()
        .map_run_arn(&map_run)
        .status_filter(aws_sdk_sfn::types::ExecutionStatus::Failed)
        .send()
        .await
        .unwrap();
    assert_eq!(failed.executions().len(), 1);
    let child = failed.executions()[0].execution_arn().to_owned();

    let described = client
        .describe_execution()
        .execution_arn(&child)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.status(),
        &aws_sdk_sfn::types::ExecutionStatus::Failed
    );
    assert_eq!(described.map_run_arn(), Some(map_run.as_str()));
    assert_eq!(described.input(), Some(r#"{"Items":[5]}"#));
    assert_eq!(described.error(), Some("Five"));
    assert_eq!(described.cause(), Some("batch of 5"));
    assert!(described.stop_date().unwrap() >= described.start_date());

    let first = executions[2].execution_arn();
    let described = client
        .describe_execution()
        .execution_arn(first)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.status(),
        &aws_sdk_sfn::types::ExecutionStatus::Succeeded
    );
    assert_eq!(described.input(), Some(r#"{"Items":[1,2]}"#));
    assert_eq!(described.output(), Some(r#"{"n":2}"#));

    let absent = format!("{}9", first.trim_end_matches(char::is_numeric));
    let error = client
        .describe_execution()
        .execution_arn(absent)
        .send()
        .await
        .unwrap_err();
    assert_eq!(service_code(&error), Some("ExecutionDoesNotExist"));
}
