//! Whole executions on SQLite must be indistinguishable from the reference backend:
//! each scenario runs on `MemoryStore` and on `SqliteStore` + `SqliteQueue` with the same
//! clock and seed, and the two must agree on every handled message, the execution's end
//! and its whole history (event by event, through history paging).

mod support;

use serde_json::{json, Value};
use stepwise_engine::{ExecutionStatus, Handled, StartRequest};
use support::{drain, drain_memory, memory_engine, sqlite_engine, TempDb, T0};

const SEED: u64 = 7;

/// Runs `definition` on both backends and checks they agree; returns the SQLite run's
/// status and output for the scenario's own assertions.
async fn same_on_both(definition: &Value, input: Value) -> (ExecutionStatus, Option<Value>) {
    let text = definition.to_string();
    let memory = memory_engine(T0).with_seed(SEED);
    let expected = memory
        .start(StartRequest::new("sm", &text, input.clone()).named("x"))
        .await
        .expect("start on memory");
    let memory_handled = drain_memory(&memory).await;
    let db = TempDb::new("engine");
    let sqlite = sqlite_engine(&db, T0).with_seed(SEED);
    let started = sqlite
        .start(StartRequest::new("sm", &text, input).named("x"))
        .await
        .expect("start on SQLite");
    let handled = drain(&sqlite).await;
    assert_eq!(handled, memory_handled, "messages were handled differently");
    assert_eq!(started.execution_arn, expected.execution_arn);
    let want = memory
        .describe(&expected.execution_arn)
        .await
        .expect("same_on_both");
    let got = sqlite
        .describe(&started.execution_arn)
        .await
        .expect("same_on_both");
    assert_eq!(got, want, "execution headers differ");
    let want_history = memory
        .history(&expected.execution_arn)
        .await
        .expect("same_on_both");
    let got_history = sqlite
        .history(&started.execution_arn)
        .await
        .expect("same_on_both");
    assert_eq!(
        got_history.len(),
        want_history.len(),
        "history lengths differ"
    );
    for (got, want) in got_history.iter().zip(&want_history) {
        assert_eq!(got, want, "history events differ");
    }
    assert_eq!(
        sqlite.queue().len().await.expect("same_on_both"),
        0,
        "messages left behind"
    );
    (got.status, got.output)
}

#[tokio::test]
async fn a_pass_choice_loop_across_many_messages_and_history_pages() {
    let definition = json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 1500, "Next": "Done"}], "Default": "Inc"},
        "Inc": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Check"},
        "Done": {"Type": "Succeed"}}});
    let (status, output) = same_on_both(&definition, json!({"n": 0})).await;
    assert_eq!(status, ExecutionStatus::Succeeded);
    assert_eq!(output, Some(json!({"n": 1500})));
}

#[tokio::test]
async fn a_long_wait_hops_through_delayed_messages() {
    let definition = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 3600, "Next": "P"},
        "P": {"Type": "Pass", "Result": "late", "ResultPath": "$.p", "End": true}}});
    let (status, output) = same_on_both(&definition, json!({"k": 1})).await;
    assert_eq!(status, ExecutionStatus::Succeeded);
    assert_eq!(output, Some(json!({"k": 1, "p": "late"})));
}

#[tokio::test]
async fn retry_backoff_then_catch_inside_a_map() {
    let definition = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "Try", "States": {
            "Try": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:missing",
                    "Retry": [{"ErrorEquals": ["States.Runtime"], "IntervalSeconds": 5, "MaxAttempts": 2}],
                    "Catch": [{"ErrorEquals": ["States.Runtime"], "ResultPath": "$.caught", "Next": "Fallback"}],
                    "End": true},
            "Fallback": {"Type": "Pass", "OutputPath": "$.caught.Error", "End": true}}}}}});
    let (status, output) = same_on_both(&definition, json!([{"n": 1}, {"n": 2}])).await;
    assert_eq!(status, ExecutionStatus::Succeeded);
    assert_eq!(output, Some(json!(["States.Runtime", "States.Runtime"])));
}

#[tokio::test]
async fn a_failed_parallel_branch_is_caught() {
    let definition = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "Done",
              "Catch": [{"ErrorEquals": ["Oops"], "ResultPath": "$.error", "Next": "Caught"}],
              "Branches": [
                {"StartAt": "Slow", "States": {"Slow": {"Type": "Wait", "Seconds": 60, "End": true}}},
                {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Oops", "Cause": "bad"}}}]},
        "Caught": {"Type": "Pass", "End": true},
        "Done": {"Type": "Succeed"}}});
    let (status, output) = same_on_both(&definition, json!({"in": 1})).await;
    assert_eq!(status, ExecutionStatus::Succeeded);
    assert_eq!(
        output,
        Some(json!({"in": 1, "error": {"Error": "Oops", "Cause": "bad"}}))
    );
}

#[tokio::test]
async fn a_map_with_max_concurrency_keeps_item_order() {
    let definition = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "MaxConcurrency": 2, "End": true,
        "ItemProcessor": {"StartAt": "W", "States": {
            "W": {"Type": "Wait", "SecondsPath": "$.s", "Next": "P"},
            "P": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($.s, 100)"}, "End": true}}}}}});
    let items: Vec<Value> = [5, 1, 4, 2, 3, 1, 2]
        .iter()
        .map(|s| json!({"s": s}))
        .collect();
    let (status, output) = same_on_both(&definition, Value::Array(items)).await;
    assert_eq!(status, ExecutionStatus::Succeeded);
    let expected: Vec<Value> = [105, 101, 104, 102, 103, 101, 102]
        .iter()
        .map(|v| json!({"v": v}))
        .collect();
    assert_eq!(output, Some(Value::Array(expected)));
}

#[tokio::test]
async fn a_fail_state_fails_the_execution() {
    let definition = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 1, "Next": "F"},
        "F": {"Type": "Fail", "Error": "Custom.Error", "Cause": "it broke"}}});
    let (status, output) = same_on_both(&definition, json!({})).await;
    assert_eq!(status, ExecutionStatus::Failed);
    assert_eq!(output, None);
}

#[tokio::test]
async fn the_execution_timeout_fires_from_a_delayed_message() {
    let definition = json!({"TimeoutSeconds": 10, "StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    let (status, _) = same_on_both(&definition, json!({})).await;
    assert_eq!(status, ExecutionStatus::TimedOut);
}

#[tokio::test]
async fn every_kind_of_hand_off_in_one_workflow() {
    let definition = json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Result": 0, "ResultPath": "$.i", "Next": "Loop"},
        "Loop": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericGreaterThanEquals": 3, "Next": "Fan"}], "Default": "Inc"},
        "Inc": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)", "items.$": "$.items"}, "Next": "Nap"},
        "Nap": {"Type": "Wait", "Seconds": 30, "Next": "Loop"},
        "Fan": {"Type": "Parallel", "Next": "Each", "ResultPath": "$.par", "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 1, "End": true}}},
            {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": "b", "End": true}}}]},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "ResultPath": "$.mapped",
                 "ItemProcessor": {"StartAt": "Sq", "States": {"Sq": {"Type": "Pass",
                    "Parameters": {"n.$": "States.MathAdd($, 100)"}, "End": true}}}, "End": true}}});
    let (status, output) = same_on_both(&definition, json!({"items": [1, 2, 3, 4, 5]})).await;
    assert_eq!(status, ExecutionStatus::Succeeded);
    assert_eq!(
        output.unwrap()["mapped"],
        json!([{"n": 101}, {"n": 102}, {"n": 103}, {"n": 104}, {"n": 105}])
    );
}

#[tokio::test]
async fn stop_mid_flight_ends_every_frame() {
    let db = TempDb::new("stop");
    let engine = sqlite_engine(&db, T0);
    let definition = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100, "End": true}}}}}});
    let started = engine
        .start(StartRequest::new(
            "sm",
            &definition.to_string(),
            json!([1, 2, 3]),
        ))
        .await
        .unwrap();
    // Let the iterations start and park in their Waits.
    let queue = engine.queue();
    for delivery in queue
        .receive(3, std::time::Duration::from_secs(30))
        .await
        .unwrap()
    {
        let handled = engine
            .handle(delivery.message, delivery.receive_count)
            .await
            .unwrap();
        assert!(matches!(handled, Handled::Advanced { .. }), "{handled:?}");
        queue.ack(delivery.id).await.unwrap();
    }
    let stopped = engine
        .stop(&started.execution_arn, Some("Manual".into()), None)
        .await
        .unwrap();
    assert_eq!(stopped.status, ExecutionStatus::Aborted);
    let handled = drain(&engine).await;
    assert!(!handled.is_empty());
    assert!(
        handled
            .iter()
            .all(|h| matches!(h, Handled::Ignored(_) | Handled::Delayed)),
        "{handled:?}"
    );
    let history = engine.history(&started.execution_arn).await.unwrap();
    assert_eq!(history.last().unwrap()["type"], "ExecutionAborted");
    let again = engine
        .stop(&started.execution_arn, None, None)
        .await
        .unwrap();
    assert_eq!(again.stop_time, stopped.stop_time);
}
