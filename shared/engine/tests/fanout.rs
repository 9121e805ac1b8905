//! Parallel and Map on the engine: child frames, joins, order, concurrency, failures.

mod support;

use serde_json::{json, Value};
use stepwise_engine::{ExecutionStatus, FrameId, Handled};
use support::{engine, run};

#[tokio::test]
async fn nested_parallel_keeps_branch_order() {
    let engine = engine();
    let definition = json!({"StartAt": "Outer", "States": {"Outer": {
        "Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "a", "End": true}}},
            {"StartAt": "Inner", "States": {"Inner": {"Type": "Parallel", "End": true, "Branches": [
                {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 2, "Next": "B"},
                                            "B": {"Type": "Pass", "Result": "b", "End": true}}},
                {"StartAt": "C", "States": {"C": {"Type": "Pass", "Result": "c", "End": true}}}]}}},
            {"StartAt": "D", "States": {"D": {"Type": "Pass", "InputPath": "$.x", "End": true}}}]}}});
    let (arn, _) = run(&engine, &definition.to_string(), json!({"x": 7})).await;
    let record = engine.describe(&arn).await.unwrap();
    assert_eq!(record.status, ExecutionStatus::Succeeded);
    assert_eq!(record.output, Some(json!(["a", ["b", "c"], 7])));
}

fn map(max_concurrency: u64, items: usize) -> (String, Value) {
    let definition = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": true, "MaxConcurrency": max_concurrency,
        "ItemProcessor": {"StartAt": "Double", "States": {
            "Double": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($.v, $.v)"}, "End": true}}}}}});
    let input: Vec<Value> = (0..items).map(|v| json!({"v": v})).collect();
    (definition.to_string(), Value::Array(input))
}

#[tokio::test]
async fn a_thousand_item_map_keeps_item_order() {
    let engine = engine();
    let (definition, input) = map(0, 1000);
    let (arn, _) = run(&engine, &definition, input).await;
    let record = engine.describe(&arn).await.unwrap();
    let expected: Vec<Value> = (0..1000).map(|v| json!({"v": 2 * v})).collect();
    assert_eq!(record.output, Some(Value::Array(expected)));
    // One frame per item plus the root: no single record holds every result.
    assert_eq!(engine.store().frames(&arn).len(), 1001);
    let history = engine.history(&arn).await.unwrap();
    let started = history
        .iter()
        .filter(|e| e["type"] == "MapIterationStarted")
        .count();
    let succeeded = history
        .iter()
        .filter(|e| e["type"] == "MapIterationSucceeded")
        .count();
    assert_eq!((started, succeeded), (1000, 1000));
}

#[tokio::test]
async fn max_concurrency_bounds_running_children() {
    let engine = engine();
    let (definition, input) = map(3, 10);
    let started = engine
        .start(stepwise_engine::StartRequest::new("m", &definition, input))
        .await
        .unwrap();
    // Only the first three children are sent; each one's end starts the next in its slot.
    let mut running_peak = 0;
    while let Some(out) = engine.queue().pop() {
        let running = engine
            .store()
            .frames(&started.execution_arn)
            .iter()
            .filter(|f| !f.id.is_root() && f.version > 0 && !f.frame.is_done())
            .count();
        running_peak = running_peak.max(running);
        let queued_runs = engine.queue().len() + 1;
        assert!(queued_runs <= 2 * 3 + 1, "queue holds {queued_runs}");
        engine.handle(out.message, 1).await.unwrap();
    }
    assert!(running_peak <= 3);
    let record = engine.describe(&started.execution_arn).await.unwrap();
    let expected: Vec<Value> = (0..10).map(|v| json!({"v": 2 * v})).collect();
    assert_eq!(record.output, Some(Value::Array(expected)));
}

#[tokio::test]
async fn a_failed_branch_is_caught_and_the_others_stand_down() {
    let engine = engine();
    let definition = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "Done",
              "Catch": [{"ErrorEquals": ["Oops"], "ResultPath": "$.error", "Next": "Caught"}],
              "Branches": [
                {"StartAt": "Slow", "States": {"Slow": {"Type": "Wait", "Seconds": 60, "End": true}}},
                {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Oops", "Cause": "bad"}}}]},
        "Caught": {"Type": "Pass", "End": true},
        "Done": {"Type": "Succeed"}}});
    let (arn, handled) = run(&engine, &definition.to_string(), json!({"in": 1})).await;
    let record = engine.describe(&arn).await.unwrap();
    assert_eq!(record.status, ExecutionStatus::Succeeded);
    assert_eq!(
        record.output,
        Some(json!({"in": 1, "error": {"Error": "Oops", "Cause": "bad"}}))
    );
    // The slow branch's timer arrived after the join closed (or the execution ended).
    assert!(
        handled.iter().any(|h| matches!(h, Handled::Ignored(_))),
        "{handled:?}"
    );
}

#[tokio::test]
async fn retry_backoff_then_catch_inside_a_map() {
    let engine = engine();
    let definition = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "Try", "States": {
            "Try": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:missing",
                    "Retry": [{"ErrorEquals": ["States.Runtime"], "IntervalSeconds": 5, "MaxAttempts": 2}],
                    "Catch": [{"ErrorEquals": ["States.Runtime"], "ResultPath": "$.caught", "Next": "Fallback"}],
                    "End": true},
            "Fallback": {"Type": "Pass", "OutputPath": "$.caught.Error", "End": true}}}}}});
    let (arn, _) = run(
        &engine,
        &definition.to_string(),
        json!([{"n": 1}, {"n": 2}]),
    )
    .await;
    let record = engine.describe(&arn).await.unwrap();
    assert_eq!(
        record.status,
        ExecutionStatus::Succeeded,
        "{:?}",
        record.failure
    );
    assert_eq!(
        record.output,
        Some(json!(["States.Runtime", "States.Runtime"]))
    );
    let history = engine.history(&arn).await.unwrap();
    // Each item: the first attempt and two retries.
    let scheduled = history
        .iter()
        .filter(|e| e["type"] == "LambdaFunctionScheduled")
        .count();
    assert_eq!(scheduled, 6);
}

#[tokio::test]
async fn child_frames_are_named_after_their_join() {
    let engine = engine();
    let (definition, input) = map(0, 2);
    let (arn, _) = run(&engine, &definition, input).await;
    let ids: Vec<String> = engine
        .store()
        .frames(&arn)
        .iter()
        .map(|f| f.id.to_string())
        .collect();
    assert_eq!(ids, vec!["0", "0/1/0", "0/1/1"]);
    assert_eq!(FrameId::parse("0/1/1").unwrap().join().unwrap().1, 1);
}
