//! Workflows of Lambda tasks through the start and advance functions on the emulator,
//! calling real function binaries behind the local Lambda Invoke API: what a Lambda task
//! costs (requests and the advance function's GB-s, counted), and a Map of 100 Lambda
//! tasks that never has more than MaxConcurrency of them in flight.

use std::time::Duration;

use serde_json::{json, Map, Value};
use stepwise_aws::SqsQueue;
use stepwise_tests::harness::{expect_succeeded, Harness};
use stepwise_tests::lambda_api::LambdaApi;

const DEADLINE: Duration = Duration::from_secs(180);

/// The advance function's memory in the Terraform module's default (MB), for GB-s.
const ADVANCE_MEMORY_MB: f64 = 128.0;

async fn harness(api: &LambdaApi, tag: &str) -> anyhow::Result<Option<Harness>> {
    Harness::<SqsQueue>::build_with_lambda(tag, |queue| queue, |_| {}, Some(api.endpoint())).await
}

fn chain_of_tasks(length: usize) -> Value {
    let mut states = Map::new();
    for i in 0..length {
        let mut state = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "echo", "Payload": {"step": i, "n.$": "$.n"}},
            "ResultSelector": {"n.$": "$.Payload.n"}});
        if i + 1 == length {
            state["End"] = json!(true);
        } else {
            state["Next"] = json!(format!("T{}", i + 1));
        }
        states.insert(format!("T{i}"), state);
    }
    json!({"StartAt": "T0", "States": states})
}

#[tokio::test]
async fn a_lambda_task_costs_one_read_one_write_one_send_and_one_invoke() -> anyhow::Result<()> {
    let Some(api) = LambdaApi::start().await? else {
        return Ok(());
    };
    let Some(harness) = harness(&api, "lambda-cost").await? else {
        return Ok(());
    };
    const TASKS: usize = 10;
    let arn = harness
        .start("cost", &chain_of_tasks(TASKS), None, json!({"n": 5}))
        .await?;
    let (record, took) = harness.run(&arn, 1, DEADLINE).await?;
    assert_eq!(expect_succeeded(&record)?, &json!({"n": 5}));
    // Everything from the start on: the start function's commit schedules the first task.
    let counts = harness.counter().snapshot();
    let per_task = |operations: &[&str]| {
        operations
            .iter()
            .map(|op| counts.get(*op).copied().unwrap_or(0))
            .sum::<u64>() as f64
            / TASKS as f64
    };
    let invokes = per_task(&["Lambda.Invoke"]);
    let reads = per_task(&[
        "DynamoDB.BatchGetItem",
        "DynamoDB.GetItem",
        "DynamoDB.Query",
    ]);
    let writes = per_task(&[
        "DynamoDB.PutItem",
        "DynamoDB.UpdateItem",
        "DynamoDB.TransactWriteItems",
    ]);
    let sends = per_task(&["SQS.SendMessageBatch", "SQS.SendMessage"]);
    let seconds = took.as_secs_f64() / TASKS as f64;
    let gb_seconds = seconds * ADVANCE_MEMORY_MB / 1024.0;
    println!(
        "per Lambda task: {invokes} invoke, {reads} reads, {writes} writes, {sends} sends; \
         {:.1} ms of advance time = {gb_seconds:.6} GB-s at {ADVANCE_MEMORY_MB} MB \
         (upper bound: the whole run over the task count); operations: {counts:?}",
        seconds * 1000.0
    );
    assert_eq!(invokes, 1.0, "{counts:?}");
    assert!(reads <= 1.0, "{counts:?}");
    // One commit per task, plus the start's creation and its definition item.
    assert!(writes * TASKS as f64 <= TASKS as f64 + 2.0, "{counts:?}");
    assert!(sends <= 1.0, "{counts:?}");
    harness.clean_up().await;
    Ok(())
}

/// The most tasks pending at once, from history: scheduled opens one, a result closes
/// one. Within one millisecond results count first (a slot's next task is scheduled only
/// after its previous one ended, but may share its timestamp).
fn most_pending(history: &[Value]) -> usize {
    let mut by_time: std::collections::BTreeMap<&str, (i64, i64)> = Default::default();
    for event in history {
        let at = event["timestamp"].as_str().unwrap_or_default();
        let entry = by_time.entry(at).or_default();
        match event["type"].as_str() {
            Some("TaskScheduled") => entry.0 += 1,
            Some("TaskSucceeded" | "TaskFailed" | "TaskTimedOut") => entry.1 += 1,
            _ => {}
        }
    }
    let (mut open, mut most) = (0i64, 0i64);
    for (opened, closed) in by_time.values() {
        open -= closed;
        open += opened;
        most = most.max(open);
    }
    most as usize
}

#[tokio::test]
async fn a_map_of_100_lambda_tasks_keeps_to_max_concurrency() -> anyhow::Result<()> {
    let Some(api) = LambdaApi::start().await? else {
        return Ok(());
    };
    let Some(harness) = harness(&api, "lambda-map").await? else {
        return Ok(());
    };
    let definition = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "MaxConcurrency": 10, "ItemsPath": "$.items", "End": true,
        "ItemProcessor": {"StartAt": "Nap", "States": {"Nap": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "sleep", "Payload": {"seconds": 0.05}},
            "ResultSelector": {"slept.$": "$.Payload.slept"}, "End": true}}}}}});
    let items: Vec<u32> = (0..100).collect();
    let arn = harness
        .start("map", &definition, None, json!({"items": items}))
        .await?;
    // More pollers than the limit needs, so the limit is what holds the work back.
    let (record, took) = harness.run(&arn, 4, DEADLINE).await?;
    let output = expect_succeeded(&record)?;
    assert_eq!(output.as_array().map(Vec::len), Some(100));
    assert_eq!(output[99], json!({"slept": 0.05}));

    let history = harness.history(&arn).await?;
    let scheduled = history
        .iter()
        .filter(|e| e["type"] == "TaskScheduled")
        .count();
    assert_eq!(scheduled, 100);
    let most = most_pending(&history);
    println!(
        "Map of 100 Lambda tasks, MaxConcurrency 10: at most {most} pending at once; {took:?}"
    );
    assert!(most <= 10, "{most} tasks pending at once");
    assert!(most >= 2, "the iterations never overlapped: {most}");
    harness.clean_up().await;
    Ok(())
}

#[tokio::test]
async fn a_lambda_task_that_outlives_its_timeout_fails_the_state() -> anyhow::Result<()> {
    let Some(api) = LambdaApi::start().await? else {
        return Ok(());
    };
    let Some(harness) = harness(&api, "lambda-timeout").await? else {
        return Ok(());
    };
    let definition = json!({"StartAt": "Slow", "States": {
        "Slow": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "sleep", "Payload": {"seconds": 4}},
            "TimeoutSeconds": 1,
            "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "Late"}],
            "End": true},
        "Late": {"Type": "Pass", "End": true}}});
    let arn = harness.start("slow", &definition, None, json!({})).await?;
    // Two pollers: the timeout check may come while a handler waits on the call.
    let (record, took) = harness.run(&arn, 2, DEADLINE).await?;
    println!("Lambda task timed out after {took:?}");
    let output = expect_succeeded(&record)?;
    assert_eq!(output["error"]["Error"], json!("States.Timeout"));
    assert!(
        took < Duration::from_secs(4),
        "the call was not cut short: {took:?}"
    );
    let history = harness.history(&arn).await?;
    let types: Vec<&str> = history.iter().filter_map(|e| e["type"].as_str()).collect();
    assert!(types.contains(&"TaskTimedOut"), "{types:?}");
    assert!(!types.contains(&"TaskSucceeded"), "{types:?}");
    harness.clean_up().await;
    Ok(())
}
