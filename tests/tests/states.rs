//! Every non-Task state type through the start and advance functions on the emulator:
//! Pass, Choice, Wait, Succeed, Fail, Parallel (nested) and Map (1,000 items).

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use stepwise_engine::ExecutionStatus;
use stepwise_tests::harness::{event_counts, event_sequence, expect_succeeded, Harness};

const DEADLINE: Duration = Duration::from_secs(120);

/// Pass, Wait, Choice, then Fail or Parallel (with a Wait in a branch), Map and Succeed.
fn every_state() -> Value {
    json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Result": {"n": 0}, "ResultPath": "$.counter", "Next": "Nap"},
        "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Route"},
        "Route": {"Type": "Choice", "Choices": [
            {"Variable": "$.mode", "StringEquals": "fail", "Next": "Boom"}], "Default": "Fan"},
        "Boom": {"Type": "Fail", "Error": "Custom.Boom", "Cause": "asked to fail"},
        "Fan": {"Type": "Parallel", "ResultPath": "$.par", "Next": "Each", "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "a", "End": true}}},
            {"StartAt": "B", "States": {
                "B": {"Type": "Wait", "Seconds": 1, "Next": "B2"},
                "B2": {"Type": "Pass", "Result": "b", "End": true}}}]},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.mapped", "Next": "Done",
            "ItemProcessor": {"StartAt": "Dbl", "States": {"Dbl": {"Type": "Pass",
                "Parameters": {"v.$": "States.MathAdd($, $)"}, "End": true}}}},
        "Done": {"Type": "Succeed"}}})
}

#[tokio::test]
async fn every_state_type_succeeds() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("every").await? else {
        return Ok(());
    };
    let input = json!({"mode": "ok", "items": [1, 2, 3]});
    let arn = harness
        .start("every", &every_state(), Some("ok-1"), input)
        .await?;
    let (record, took) = harness.run(&arn, 2, DEADLINE).await?;
    println!("every state type: {took:?}");
    assert_eq!(
        expect_succeeded(&record)?,
        &json!({"mode": "ok", "items": [1, 2, 3], "counter": {"n": 0}, "par": ["a", "b"],
                "mapped": [{"v": 2}, {"v": 4}, {"v": 6}]})
    );
    let history = harness.history(&arn).await?;
    let counts = event_counts(&history);
    for kind in [
        "PassStateEntered",
        "WaitStateEntered",
        "ChoiceStateEntered",
        "ParallelStateEntered",
        "MapStateEntered",
        "SucceedStateEntered",
    ] {
        assert!(counts.contains_key(kind), "no {kind} in {counts:?}");
    }
    assert_eq!(counts.get("WaitStateEntered"), Some(&2), "{counts:?}");
    assert_eq!(counts.get("MapIterationSucceeded"), Some(&3), "{counts:?}");
    assert!(!counts.contains_key("FailStateEntered"), "{counts:?}");
    let sequence = event_sequence(&history);
    assert_eq!(
        sequence.first().map(String::as_str),
        Some("ExecutionStarted")
    );
    assert_eq!(
        sequence.last().map(String::as_str),
        Some("ExecutionSucceeded")
    );
    harness.clean_up().await;
    Ok(())
}

#[tokio::test]
async fn fail_state_fails_the_execution() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("fail").await? else {
        return Ok(());
    };
    let input = json!({"mode": "fail", "items": []});
    let arn = harness
        .start("every", &every_state(), Some("fail-1"), input)
        .await?;
    let (record, _) = harness.run(&arn, 2, DEADLINE).await?;
    assert_eq!(record.status, ExecutionStatus::Failed, "{record:?}");
    let failure = record.failure.clone().expect("a failure");
    assert_eq!(failure.error.as_deref(), Some("Custom.Boom"));
    assert_eq!(failure.cause.as_deref(), Some("asked to fail"));
    assert_eq!(record.output, None);
    let history = harness.history(&arn).await?;
    let sequence = event_sequence(&history);
    assert!(
        sequence.iter().any(|t| t == "FailStateEntered"),
        "{sequence:?}"
    );
    assert!(
        !sequence.iter().any(|t| t == "ParallelStateEntered"),
        "{sequence:?}"
    );
    assert_eq!(sequence.last().map(String::as_str), Some("ExecutionFailed"));
    let last = history.last().expect("events");
    assert_eq!(
        last["executionFailedEventDetails"]["error"], "Custom.Boom",
        "{last}"
    );
    harness.clean_up().await;
    Ok(())
}

#[tokio::test]
async fn nested_parallel() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("nested").await? else {
        return Ok(());
    };
    let definition = json!({"StartAt": "Outer", "States": {"Outer": {"Type": "Parallel", "End": true,
        "Branches": [
            {"StartAt": "Inner", "States": {"Inner": {"Type": "Parallel", "End": true, "Branches": [
                {"StartAt": "X", "States": {"X": {"Type": "Pass", "Result": "x", "End": true}}},
                {"StartAt": "Y", "States": {
                    "Y": {"Type": "Wait", "Seconds": 1, "Next": "YM"},
                    "YM": {"Type": "Map", "ItemsPath": "$.items", "End": true,
                        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass",
                            "Parameters": {"y.$": "$"}, "End": true}}}}}}]}}},
            {"StartAt": "Z", "States": {"Z": {"Type": "Pass", "InputPath": "$.tag", "End": true}}}]}}});
    let arn = harness
        .start(
            "nested",
            &definition,
            None,
            json!({"items": [1, 2], "tag": "z"}),
        )
        .await?;
    let (record, took) = harness.run(&arn, 2, DEADLINE).await?;
    println!("nested parallel: {took:?}");
    assert_eq!(
        expect_succeeded(&record)?,
        &json!([["x", [{"y": 1}, {"y": 2}]], "z"])
    );
    let counts = event_counts(&harness.history(&arn).await?);
    assert_eq!(counts.get("ParallelStateEntered"), Some(&2), "{counts:?}");
    assert_eq!(counts.get("ParallelStateSucceeded"), Some(&2), "{counts:?}");
    harness.clean_up().await;
    Ok(())
}

#[tokio::test]
async fn map_of_a_thousand_items_keeps_item_order() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("map1000").await? else {
        return Ok(());
    };
    let definition = json!({"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": true,
        "ItemsPath": "$.items",
        "ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value"},
        "ItemProcessor": {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass",
            "Parameters": {"i.$": "$.index", "v.$": "$.value"}, "End": true}}}}}});
    let items: Vec<Value> = (0..1000).map(|i| json!(format!("item-{i}"))).collect();
    let started = Instant::now();
    let arn = harness
        .start("map1000", &definition, None, json!({ "items": items }))
        .await?;
    let (record, _) = harness.run(&arn, 4, Duration::from_secs(600)).await?;
    let took = started.elapsed();
    println!("1,000-item Map with 4 pollers: {took:?}");
    let expected: Vec<Value> = (0..1000)
        .map(|i| json!({"i": i, "v": format!("item-{i}")}))
        .collect();
    assert_eq!(expect_succeeded(&record)?, &Value::Array(expected));
    let counts = event_counts(&harness.history(&arn).await?);
    assert_eq!(
        counts.get("MapIterationSucceeded"),
        Some(&1000),
        "{counts:?}"
    );
    assert_eq!(counts.get("PassStateEntered"), Some(&1000), "{counts:?}");
    harness.clean_up().await;
    Ok(())
}

#[tokio::test]
async fn wait_holds_the_execution_for_its_seconds() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("wait").await? else {
        return Ok(());
    };
    let definition = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 3, "Next": "P"},
        "P": {"Type": "Pass", "Result": "woke", "End": true}}});
    let started = Instant::now();
    let arn = harness.start("wait", &definition, None, json!({})).await?;
    let (record, _) = harness.run(&arn, 2, DEADLINE).await?;
    let wall = started.elapsed();
    println!("Wait 3 s: finished after {wall:?}");
    assert_eq!(expect_succeeded(&record)?, &json!("woke"));
    // Not before the wait elapsed, on the test's wall clock and on the engine's.
    assert!(wall >= Duration::from_secs(3), "finished after {wall:?}");
    let stop = record.stop_time.expect("a stop time");
    assert!(
        stop - record.info.start_time >= 3000,
        "ran {} ms",
        stop - record.info.start_time
    );
    let history = harness.history(&arn).await?;
    let time_of = |kind: &str| -> String {
        history
            .iter()
            .find(|e| e["type"] == kind)
            .and_then(|e| e["timestamp"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let (entered, exited) = (time_of("WaitStateEntered"), time_of("WaitStateExited"));
    assert!(!entered.is_empty() && !exited.is_empty(), "{history:?}");
    assert!(entered < exited, "{entered} {exited}");
    harness.clean_up().await;
    Ok(())
}
