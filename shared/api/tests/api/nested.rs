//! Nested executions through the API: a parent's `startExecution.sync:2` task runs the
//! version an alias routes to, and the child is listed under that alias.

use aws_sdk_sfn::types::RoutingConfigurationListItem;
use serde_json::{json, Value};

use crate::support::start;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parent_runs_a_child_through_an_alias_and_waits_for_it() {
    let server = start().await;
    let client = &server.client;
    let child = server
        .create(
            "child",
            &json!({"StartAt": "P", "States": {"P": {"Type": "Pass",
                "Parameters": {"got.$": "$.n"}, "End": true}}}),
        )
        .await;
    let version = client
        .publish_state_machine_version()
        .state_machine_arn(&child)
        .send()
        .await
        .unwrap()
        .state_machine_version_arn()
        .to_owned();
    let alias = client
        .create_state_machine_alias()
        .name("live")
        .routing_configuration(
            RoutingConfigurationListItem::builder()
                .state_machine_version_arn(version)
                .weight(100)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .state_machine_alias_arn()
        .to_owned();
    let parent = server
        .create(
            "parent",
            &json!({"StartAt": "Run", "States": {"Run": {"Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Parameters": {"StateMachineArn": alias, "Input": {"n": 3}, "Name": "kid"},
                "End": true}}}),
        )
        .await;
    let execution = client
        .start_execution()
        .state_machine_arn(&parent)
        .send()
        .await
        .unwrap()
        .execution_arn()
        .to_owned();
    assert_eq!(server.ended(&execution).await, "SUCCEEDED");
    let described = client
        .describe_execution()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap();
    let output: Value = serde_json::from_str(described.output().unwrap()).unwrap();
    assert_eq!(output["Status"], json!("SUCCEEDED"));
    assert_eq!(output["Output"], json!({"got": 3}));
    assert_eq!(output["Name"], json!("kid"));
    let listed = client
        .list_executions()
        .state_machine_arn(&alias)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = listed.executions().iter().map(|e| e.name()).collect();
    assert_eq!(names, ["kid"]);
}
