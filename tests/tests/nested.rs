//! Nested executions on the AWS path: a parent's `states:startExecution.sync` task starts a
//! child from the DynamoDB catalog, and the child's end, through the steps queue,
//! completes the parent's task.

use std::time::Duration;

use anyhow::Context;
use serde_json::{json, Value};
use stepwise_tests::harness::{expect_succeeded, Harness};

const DEADLINE: Duration = Duration::from_secs(60);

/// Fails when its input says so, else doubles `n`.
fn child() -> Value {
    json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Choice",
            "Choices": [{"Variable": "$.fail", "BooleanEquals": true, "Next": "Fail"}],
            "Default": "Double"},
        "Fail": {"Type": "Fail", "Error": "Child.Failed", "Cause": "asked to"},
        "Double": {"Type": "Pass", "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"},
            "End": true}}})
}

fn parent(child_arn: &str) -> Value {
    json!({"StartAt": "Run", "States": {
        "Run": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
            "Parameters": {"StateMachineArn": child_arn, "Input.$": "$"},
            "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.caught",
                "Next": "Caught"}],
            "End": true},
        "Caught": {"Type": "Pass", "End": true}}})
}

#[tokio::test]
async fn a_sync_task_waits_for_its_child_and_sees_its_failure() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("nested").await? else {
        return Ok(());
    };
    let child_arn = harness.create_state_machine("child", &child()).await?;
    let definition = parent(&child_arn);

    harness.counter().reset();
    let arn = harness
        .start("parent", &definition, None, json!({"n": 21, "fail": false}))
        .await?;
    let (done, _) = harness.run(&arn, 1, DEADLINE).await?;
    // What one parent with one `.sync` child costs, for the record.
    println!(
        "requests for a .sync parent and its child: {:?}",
        harness.counter().snapshot()
    );
    let output = expect_succeeded(&done)?;
    assert_eq!(output["Status"], json!("SUCCEEDED"));
    assert_eq!(output["Output"], json!("{\"doubled\":42}"));
    let child_execution = output["ExecutionArn"].as_str().context("child ARN")?;
    assert!(
        child_execution.contains(":execution:child:"),
        "{child_execution}"
    );
    let child = harness.describe(child_execution).await?;
    assert_eq!(child.output, Some(json!({"doubled": 42})));

    let arn = harness
        .start("parent", &definition, None, json!({"n": 1, "fail": true}))
        .await?;
    let (done, _) = harness.run(&arn, 1, DEADLINE).await?;
    let caught = &expect_succeeded(&done)?["caught"];
    assert_eq!(caught["Error"], json!("States.TaskFailed"));
    let cause: Value = serde_json::from_str(caught["Cause"].as_str().context("cause")?)?;
    assert_eq!(cause["Status"], json!("FAILED"));
    assert_eq!(cause["Error"], json!("Child.Failed"));
    assert_eq!(cause["Cause"], json!("asked to"));

    harness.clean_up().await;
    Ok(())
}
