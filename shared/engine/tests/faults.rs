//! Crash points and at-least-once delivery: each execution must end once, with the
//! fault-free result.

mod support;

use std::sync::atomic::Ordering;

use serde_json::{json, Value};
use stepwise_engine::memory::MemoryStore;
use stepwise_engine::{Clock, Config, Engine, ExecutionStatus, Handled, NoTasks, StartRequest};
use support::{drain, engine, run, FaultyQueue, ManualClock, Source, T0};

/// A workflow with every kind of hand-off: a Wait, a Parallel, a Map, a Choice loop.
fn workflow() -> String {
    json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Result": 0, "ResultPath": "$.i", "Next": "Loop"},
        "Loop": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericGreaterThanEquals": 3, "Next": "Fan"}], "Default": "Inc"},
        "Inc": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)", "items.$": "$.items"}, "Next": "Nap"},
        "Nap": {"Type": "Wait", "Seconds": 30, "Next": "Loop"},
        "Fan": {"Type": "Parallel", "Next": "Each", "ResultPath": "$.par", "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 1, "End": true}}},
            {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": "b", "End": true}}}]},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "ResultPath": "$.mapped",
                 "ItemProcessor": {"StartAt": "Sq", "States": {"Sq": {"Type": "Pass",
                    "Parameters": {"n.$": "States.MathAdd($, 100)"}, "End": true}}}, "End": true}}})
    .to_string()
}

fn input() -> Value {
    json!({"items": [1, 2, 3, 4, 5]})
}

fn expected() -> Value {
    json!({"i": 3, "items": [1, 2, 3, 4, 5], "par": [{"i": 3, "items": [1, 2, 3, 4, 5]}, "b"],
           "mapped": [{"n": 101}, {"n": 102}, {"n": 103}, {"n": 104}, {"n": 105}]})
}

fn faulty_engine(queue: FaultyQueue) -> Engine<MemoryStore, FaultyQueue, NoTasks, ManualClock> {
    Engine::with(
        MemoryStore::default(),
        queue,
        NoTasks,
        ManualClock::at(T0),
        Config::local(),
    )
}

fn event_types(history: &[Value]) -> Vec<String> {
    let mut types: Vec<String> = history
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_owned())
        .collect();
    types.sort();
    types
}

#[tokio::test]
async fn fault_free_reference() {
    let engine = engine();
    let (arn, _) = run(&engine, &workflow(), input()).await;
    let record = engine.describe(&arn).await.unwrap();
    assert_eq!(record.output, Some(expected()));
}

#[tokio::test]
async fn every_message_delivered_twice() {
    let reference = engine();
    let (reference_arn, _) = run(&reference, &workflow(), input()).await;
    let engine = faulty_engine(FaultyQueue {
        duplicate: true,
        ..Default::default()
    });
    let started = engine
        .start(StartRequest::new("test", &workflow(), input()))
        .await
        .unwrap();
    let handled = drain(&engine).await;
    let record = engine.describe(&started.execution_arn).await.unwrap();
    assert_eq!(record.output, Some(expected()));
    assert!(handled
        .iter()
        .any(|h| matches!(h, Handled::Ignored(_) | Handled::Resent)));
    // Nothing was committed twice: the same events as the fault-free run.
    assert_eq!(
        event_types(&engine.history(&started.execution_arn).await.unwrap()),
        event_types(&reference.history(&reference_arn).await.unwrap())
    );
}

/// The handler dies after its commit and before its send (the send fails), at each
/// send in turn; the queue redelivers the message, which re-sends the outbox.
#[tokio::test]
async fn crash_between_commit_and_send_at_every_point() {
    let reference = engine();
    let (reference_arn, _) = run(&reference, &workflow(), input()).await;
    let reference_events = event_types(&reference.history(&reference_arn).await.unwrap());
    let mut resent_total = 0;
    for crash_at in 1..40 {
        let engine = faulty_engine(FaultyQueue::default());
        let started = engine
            .start(StartRequest::new("test", &workflow(), input()))
            .await
            .unwrap();
        let mut sends = 0;
        let mut resent = 0;
        while let Some(out) = engine.queue().next() {
            sends += 1;
            if sends == crash_at {
                engine.queue().failures.store(1, Ordering::SeqCst);
            }
            let now = engine.clock().now();
            engine
                .clock()
                .advance_to(now + i64::from(out.delay_seconds) * 1000);
            // Not acknowledged after a failure: the queue delivers it again.
            let mut receive_count = 1;
            loop {
                match engine.handle(out.message.clone(), receive_count).await {
                    Ok(Handled::Resent) => resent += 1,
                    Ok(_) => {}
                    Err(e) => {
                        assert!(e.is_retryable(), "{e}");
                        receive_count += 1;
                        continue;
                    }
                }
                break;
            }
        }
        let record = engine.describe(&started.execution_arn).await.unwrap();
        assert_eq!(record.output, Some(expected()), "crash at send {crash_at}");
        assert_eq!(
            event_types(&engine.history(&started.execution_arn).await.unwrap()),
            reference_events,
            "crash at send {crash_at}"
        );
        resent_total += resent;
    }
    assert!(resent_total >= 10, "outboxes re-sent {resent_total} times");
}

#[tokio::test]
async fn stop_mid_flight_ends_every_frame() {
    let engine = engine();
    let definition = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100, "End": true}}}}}});
    let started = engine
        .start(StartRequest::new(
            "test",
            &definition.to_string(),
            json!([1, 2, 3]),
        ))
        .await
        .unwrap();
    // Let the iterations start and park in their Waits.
    for _ in 0..3 {
        let out = engine.queue().pop().unwrap();
        assert!(matches!(
            engine.handle(out.message, 1).await.unwrap(),
            Handled::Advanced { .. }
        ));
    }
    let stopped = engine
        .stop(
            &started.execution_arn,
            Some("Manual".into()),
            Some("operator".into()),
        )
        .await
        .unwrap();
    assert_eq!(stopped.status, ExecutionStatus::Aborted);
    let handled = drain(&engine).await;
    assert!(
        handled
            .iter()
            .all(|h| matches!(h, Handled::Ignored(_) | Handled::Delayed)),
        "{handled:?}"
    );
    let record = engine.describe(&started.execution_arn).await.unwrap();
    assert_eq!(record.status, ExecutionStatus::Aborted);
    assert_eq!(record.failure.unwrap().error.as_deref(), Some("Manual"));
    let history = engine.history(&started.execution_arn).await.unwrap();
    assert_eq!(history.last().unwrap()["type"], "ExecutionAborted");
    // Stopping again changes nothing.
    let again = engine
        .stop(&started.execution_arn, None, None)
        .await
        .unwrap();
    assert_eq!(again.stop_time, record.stop_time);
}

#[tokio::test]
async fn execution_timeout_fires_from_a_delayed_message() {
    let engine = engine();
    let definition = json!({"TimeoutSeconds": 10, "StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    let (arn, _) = run(&engine, &definition.to_string(), json!({})).await;
    let record = engine.describe(&arn).await.unwrap();
    assert_eq!(record.status, ExecutionStatus::TimedOut);
    assert_eq!(
        record.failure.unwrap().error.as_deref(),
        Some("States.Timeout")
    );
    assert_eq!(record.stop_time, Some(T0 + 10_000));
}

#[tokio::test]
async fn thirty_thousand_transitions_past_the_step_functions_cap() {
    let engine = engine();
    let definition = json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 15000, "Next": "Done"}], "Default": "Inc"},
        "Inc": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Check"},
        "Done": {"Type": "Succeed"}}});
    let (arn, handled) = run(&engine, &definition.to_string(), json!({"n": 0})).await;
    let record = engine.describe(&arn).await.unwrap();
    assert_eq!(record.output, Some(json!({"n": 15000})));
    let transitions: u64 = handled
        .iter()
        .map(|h| match h {
            Handled::Advanced { transitions } => *transitions,
            _ => 0,
        })
        .sum();
    // The start ran the first 1,000 states; the rest came in 1,000-state messages.
    assert!(transitions >= 29_000, "{transitions}");
    let history = engine.history(&arn).await.unwrap();
    assert!(history.len() > 25_000 * 2, "{} events", history.len());
}

#[tokio::test]
async fn a_state_too_large_to_store_fails_the_execution() {
    let engine = Engine::with(
        MemoryStore::with_item_limit(20_000),
        stepwise_engine::memory::MemoryQueue::default(),
        NoTasks,
        ManualClock::at(T0),
        Config::local(),
    );
    // Each turn doubles the payload; a Wait makes every turn its own commit.
    let definition = json!({"StartAt": "Grow", "States": {
        "Grow": {"Type": "Pass", "Parameters": {"s.$": "States.Format('{}{}', $.s, $.s)"}, "Next": "Nap"},
        "Nap": {"Type": "Wait", "Seconds": 1, "Next": "More"},
        "More": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": true, "Next": "Done"}], "Default": "Grow"},
        "Done": {"Type": "Succeed"}}});
    let started = engine
        .start(StartRequest::new(
            "big",
            &definition.to_string(),
            json!({"s": "x".repeat(100)}),
        ))
        .await
        .unwrap();
    let handled = drain(&engine).await;
    assert!(handled.len() < 20, "{handled:?}");
    let record = engine.describe(&started.execution_arn).await.unwrap();
    assert_eq!(record.status, ExecutionStatus::Failed);
    let failure = record.failure.unwrap();
    assert_eq!(failure.error.as_deref(), Some("States.DataLimitExceeded"));
    assert!(failure.cause.unwrap().contains("storage limit"));
    let history = engine.history(&started.execution_arn).await.unwrap();
    assert_eq!(history.last().unwrap()["type"], "ExecutionFailed");
}
