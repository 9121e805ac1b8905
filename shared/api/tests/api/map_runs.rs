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
