//! A long execution: 30,000 state transitions, past Step Functions' 25,000-event cap.
//!
//! Regression: with the engine's default of 1,000 states per message, one commit's
//! history (~2,000 events) used to go into one DynamoDB item, over the 400 KB item limit;
//! DynamoStore reported the ValidationException as `States.DataLimitExceeded` and the
//! execution FAILED though no payload was large (found by this test; fixed in 2bee69f,
//! "history split into parts"). The test runs with the default configuration for that.

use std::time::{Duration, Instant};

use serde_json::json;
use stepwise_tests::harness::{event_counts, expect_succeeded, transitions, Harness};

#[tokio::test]
async fn thirty_thousand_transitions() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("long").await? else {
        return Ok(());
    };
    let definition = json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [
            {"Variable": "$.n", "NumericGreaterThanEquals": 15000, "Next": "Done"}], "Default": "Inc"},
        "Inc": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Check"},
        "Done": {"Type": "Succeed"}}});
    let started = Instant::now();
    let arn = harness
        .start("long", &definition, None, json!({"n": 0}))
        .await?;
    let (record, _) = harness.run(&arn, 2, Duration::from_secs(900)).await?;
    let took = started.elapsed();
    assert_eq!(expect_succeeded(&record)?, &json!({"n": 15000}));
    let history = harness.history(&arn).await?;
    let entered = transitions(&history);
    println!(
        "30,000 transitions: {took:?} ({} history events, {:?} requests, {:?})",
        history.len(),
        harness.counter().snapshot(),
        harness.poller().stats()
    );
    // 15,000 Incs, 15,001 Checks, one Succeed.
    assert_eq!(entered, 30_002, "{:?}", event_counts(&history));
    assert!(history.len() > 25_000, "{} events", history.len());
    let last = history.last().and_then(|e| e["type"].as_str());
    assert_eq!(last, Some("ExecutionSucceeded"));
    harness.clean_up().await;
    Ok(())
}
