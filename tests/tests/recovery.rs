//! Errors and control from outside: Retry and Catch, idempotent starts, StopExecution,
//! and a poison message.

use std::time::{Duration, Instant};

use aws_sdk_sqs::types::MessageSystemAttributeName;
use serde_json::{json, Value};
use stepwise_engine::ExecutionStatus;
use stepwise_tests::harness::{
    event_counts, event_sequence, expect_succeeded, Harness, MAX_RECEIVE_COUNT,
};

const DEADLINE: Duration = Duration::from_secs(120);

/// A Fail state in a Parallel branch: the Parallel's Retry runs it twice more (1 s apart),
/// then its Catch takes over. The other branch waits 1 s so that the failing branch's
/// message is handled first: the other order hits an engine bug, pinned down by
/// `regressions::succeeding_sibling_handled_first_must_not_hide_a_branch_failure`.
#[tokio::test]
async fn retry_then_catch_a_fail_in_a_parallel_branch() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("retry").await? else {
        return Ok(());
    };
    let definition = json!({"StartAt": "Try", "States": {
        "Try": {"Type": "Parallel", "Next": "Never",
            "Branches": [
                {"StartAt": "Slow", "States": {
                    "Slow": {"Type": "Wait", "Seconds": 1, "Next": "Ok"},
                    "Ok": {"Type": "Pass", "End": true}}},
                {"StartAt": "Bad", "States": {"Bad": {"Type": "Fail",
                    "Error": "Custom.Flaky", "Cause": "always"}}}],
            "Retry": [{"ErrorEquals": ["Custom.Flaky"], "IntervalSeconds": 1,
                       "MaxAttempts": 2, "BackoffRate": 1.0}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recovered"}]},
        "Never": {"Type": "Fail", "Error": "Unexpected"},
        "Recovered": {"Type": "Pass", "End": true}}});
    let started = Instant::now();
    let arn = harness
        .start("retry", &definition, None, json!({"k": 1}))
        .await?;
    let (record, _) = harness.run(&arn, 2, DEADLINE).await?;
    let took = started.elapsed();
    println!("retry twice then catch: {took:?}");
    assert_eq!(
        expect_succeeded(&record)?,
        &json!({"k": 1, "error": {"Error": "Custom.Flaky", "Cause": "always"}})
    );
    // Two backoffs of 1 s.
    assert!(took >= Duration::from_secs(2), "{took:?}");
    let history = harness.history(&arn).await?;
    let counts = event_counts(&history);
    println!("retry history: {counts:?}");
    // The first attempt and two retries each ran the branch that fails.
    assert_eq!(counts.get("FailStateEntered"), Some(&3), "{counts:?}");
    assert_eq!(counts.get("ParallelStateEntered"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("ParallelStateStarted"), Some(&3), "{counts:?}");
    assert!(!counts.contains_key("ExecutionFailed"), "{counts:?}");
    let sequence = event_sequence(&history);
    let recovered = sequence
        .iter()
        .rposition(|t| t == "PassStateEntered")
        .expect("the catcher ran");
    let last_fail = sequence
        .iter()
        .rposition(|t| t == "FailStateEntered")
        .expect("the branch failed");
    assert!(last_fail < recovered, "{sequence:?}");
    harness.clean_up().await;
    Ok(())
}

/// Same name and input: the same execution; same name, other input: ExecutionAlreadyExists.
#[tokio::test]
async fn start_is_idempotent_by_name() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("idem").await? else {
        return Ok(());
    };
    let definition = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 2, "End": true}}});
    let payload = |input: Value| json!({"stateMachine": "idem", "definition": definition, "name": "order-42", "input": input});
    let first = harness.invoke_start(payload(json!({"a": 1}))).await?;
    let again = harness.invoke_start(payload(json!({"a": 1}))).await?;
    assert_eq!(first["executionArn"], again["executionArn"]);
    assert_eq!(first["startDate"], again["startDate"]);
    let arn = first["executionArn"].as_str().expect("an ARN").to_owned();
    assert!(arn.ends_with(":execution:idem:order-42"), "{arn}");
    let refused = harness
        .invoke_start(payload(json!({"a": 2})))
        .await
        .expect_err("another input under the same name");
    assert!(
        matches!(
            refused,
            stepwise_start::Error::Engine(stepwise_engine::Error::ExecutionAlreadyExists(_))
        ),
        "{refused:?}"
    );
    let (record, _) = harness.run(&arn, 2, DEADLINE).await?;
    assert_eq!(expect_succeeded(&record)?, &json!({"a": 1}));
    // One execution: one start in its history.
    let counts = event_counts(&harness.history(&arn).await?);
    assert_eq!(counts.get("ExecutionStarted"), Some(&1), "{counts:?}");
    // Once it has ended, the name is taken for good.
    let closed = harness.invoke_start(payload(json!({"a": 1}))).await;
    assert!(
        matches!(
            closed,
            Err(stepwise_start::Error::Engine(
                stepwise_engine::Error::ExecutionAlreadyExists(_)
            ))
        ),
        "{closed:?}"
    );
    harness.clean_up().await;
    Ok(())
}

/// A Map of Waits, stopped while every iteration waits: ABORTED, the frames stand down
/// at their next message, and the queue drains.
#[tokio::test]
async fn stop_mid_flight() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("stop").await? else {
        return Ok(());
    };
    let definition = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "W", "States": {
            "W": {"Type": "Wait", "Seconds": 4, "Next": "After"},
            "After": {"Type": "Pass", "End": true}}}}}});
    let arn = harness
        .start("stop", &definition, None, json!([1, 2, 3, 4, 5]))
        .await?;
    // Run until every iteration is parked in its Wait.
    stepwise_tests::poller::run_until(
        &harness.poller(),
        2,
        harness.advance(),
        DEADLINE,
        "all five iterations entered their Wait",
        || async {
            let history = harness.history(&arn).await?;
            Ok(event_counts(&history).get("WaitStateEntered") == Some(&5))
        },
    )
    .await?;
    let stopped = harness
        .engine()
        .stop(&arn, Some("Manual".into()), Some("operator".into()))
        .await?;
    assert_eq!(stopped.status, ExecutionStatus::Aborted);
    let at_stop = harness.history(&arn).await?.len();
    let drained = harness.drain(2, DEADLINE).await?;
    println!("stop: queue drained {drained:?} after the stop");
    let record = harness.describe(&arn).await?;
    assert_eq!(record.status, ExecutionStatus::Aborted);
    assert_eq!(record.stop_time, stopped.stop_time);
    let failure = record.failure.clone().expect("a failure");
    assert_eq!(failure.error.as_deref(), Some("Manual"));
    assert_eq!(failure.cause.as_deref(), Some("operator"));
    let history = harness.history(&arn).await?;
    let sequence = event_sequence(&history);
    // Nothing moved after the stop: no Wait ended, no iteration finished.
    assert_eq!(history.len(), at_stop, "{sequence:?}");
    assert_eq!(
        sequence.last().map(String::as_str),
        Some("ExecutionAborted")
    );
    assert!(
        !sequence.iter().any(|t| t == "WaitStateExited"),
        "{sequence:?}"
    );
    assert!(
        !sequence.iter().any(|t| t == "MapIterationSucceeded"),
        "{sequence:?}"
    );
    assert_eq!(harness.queue_depth().await?, 0);
    assert_eq!(harness.dlq_depth().await?, 0);
    harness.clean_up().await;
    Ok(())
}

/// A body that is no step message fails every delivery and lands in the dead-letter queue
/// after maxReceiveCount receives, while an execution on the same queue runs to its end.
#[tokio::test]
async fn poison_message_goes_to_the_dlq() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("poison").await? else {
        return Ok(());
    };
    let garbage = "this is not a step message {";
    harness
        .sqs()
        .send_message()
        .queue_url(harness.queue_url())
        .message_body(garbage)
        .send()
        .await?;
    let definition = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
        "P": {"Type": "Pass", "Result": "fine", "End": true}}});
    let arn = harness
        .start("poison", &definition, None, json!({}))
        .await?;
    let (record, took) = harness.run(&arn, 2, DEADLINE).await?;
    println!("execution beside a poison message: {took:?}");
    assert_eq!(expect_succeeded(&record)?, &json!("fine"));
    let to_dlq = harness.drain(2, DEADLINE).await?;
    println!("poison message dead-lettered {to_dlq:?} after the execution ended");
    assert_eq!(harness.dlq_depth().await?, 1);
    let dead = harness
        .sqs()
        .receive_message()
        .queue_url(harness.dlq_url())
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .wait_time_seconds(1)
        .send()
        .await?
        .messages
        .unwrap_or_default();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body.as_deref(), Some(garbage));
    let receives: u32 = dead[0]
        .attributes
        .as_ref()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .and_then(|n| n.parse().ok())
        .unwrap_or_default();
    assert!(receives >= MAX_RECEIVE_COUNT, "received {receives} times");
    harness.clean_up().await;
    Ok(())
}
