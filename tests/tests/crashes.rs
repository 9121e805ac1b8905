//! Crash points on the emulator. Each faulty run must end once, with the output and the
//! multiset of history event types of a fault-free run of the same workflow:
//! (a) the dual write: a handler dies after its commit and before its send;
//! (b) a duplicated message;
//! (c) two workers racing on the same messages.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};

use serde_json::{json, Value};
use stepwise_engine::{Handled, Message};
use stepwise_tests::faults::{duplicating, racing, FailingSends};
use stepwise_tests::harness::{event_types, expect_succeeded, Harness};

const DEADLINE: Duration = Duration::from_secs(180);

/// Every kind of hand-off: a Choice loop through a Wait, a Parallel with a Wait, a Map.
fn workflow() -> Value {
    json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Result": 0, "ResultPath": "$.i", "Next": "Loop"},
        "Loop": {"Type": "Choice", "Choices": [
            {"Variable": "$.i", "NumericGreaterThanEquals": 2, "Next": "Fan"}], "Default": "Inc"},
        "Inc": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)", "items.$": "$.items"},
                "Next": "Nap"},
        "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Loop"},
        "Fan": {"Type": "Parallel", "Next": "Each", "ResultPath": "$.par", "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 1, "End": true}}},
            {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": "b", "End": true}}}]},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "ResultPath": "$.mapped",
            "ItemProcessor": {"StartAt": "Sq", "States": {"Sq": {"Type": "Pass",
                "Parameters": {"n.$": "States.MathAdd($, 100)"}, "End": true}}}, "End": true}}})
}

fn input() -> Value {
    json!({"items": [1, 2, 3, 4, 5]})
}

fn expected() -> Value {
    json!({"i": 2, "items": [1, 2, 3, 4, 5], "par": [{"i": 2, "items": [1, 2, 3, 4, 5]}, "b"],
           "mapped": [{"n": 101}, {"n": 102}, {"n": 103}, {"n": 104}, {"n": 105}]})
}

/// The fault-free run: its output and sorted event types.
async fn reference() -> anyhow::Result<Option<(Value, Vec<String>)>> {
    let Some(harness) = Harness::new("reference").await? else {
        return Ok(None);
    };
    let arn = harness.start("crash", &workflow(), None, input()).await?;
    let (record, took) = harness.run(&arn, 2, DEADLINE).await?;
    println!("fault-free run: {took:?}");
    let output = expect_succeeded(&record)?.clone();
    assert_eq!(output, expected());
    let types = event_types(&harness.history(&arn).await?);
    harness.clean_up().await;
    Ok(Some((output, types)))
}

async fn same_as_reference<Q: stepwise_engine::Queue + 'static>(
    harness: &Harness<Q>,
    arn: &str,
    record: &stepwise_engine::ExecutionRecord,
    reference: &(Value, Vec<String>),
) -> anyhow::Result<()> {
    assert_eq!(expect_succeeded(record)?, &reference.0);
    let types = event_types(&harness.history(arn).await?);
    assert_eq!(
        types, reference.1,
        "history differs from the fault-free run"
    );
    Ok(())
}

/// (a) Sends 2, 4 and 7 fail after their commits (the start's send is send 1); the
/// handler reports the record failed, SQS redelivers it after the visibility timeout,
/// and the redelivery re-sends the commit's outbox.
#[tokio::test]
async fn crash_between_commit_and_send() -> anyhow::Result<()> {
    let (reference, faulty) = tokio::join!(
        reference(),
        Harness::with_queue("dualwrite", |q| FailingSends::new(q, vec![2, 4, 7]))
    );
    let (Some(reference), Some(harness)) = (reference?, faulty?) else {
        return Ok(());
    };
    let arn = harness.start("crash", &workflow(), None, input()).await?;
    let poller = harness.poller();
    let (record, took) = harness.run(&arn, 2, DEADLINE).await?;
    println!(
        "three crashes between commit and send: {took:?}, {:?}",
        poller.stats()
    );
    let queue = harness.engine().queue();
    assert_eq!(queue.injected(), 3, "{} sends", queue.sends());
    same_as_reference(&harness, &arn, &record, &reference).await?;
    // Every crash came back as a failed record.
    assert!(poller.stats().failed >= 3, "{:?}", poller.stats());
    harness.clean_up().await;
    Ok(())
}

/// (b) Every distinct message body is put on the queue a second time.
#[tokio::test]
async fn every_message_duplicated() -> anyhow::Result<()> {
    let (reference, faulty) = tokio::join!(reference(), Harness::new("duplicate"));
    let (Some(reference), Some(harness)) = (reference?, faulty?) else {
        return Ok(());
    };
    let arn = harness.start("crash", &workflow(), None, input()).await?;
    let (handler, copies) = duplicating(
        harness.advance(),
        harness.sqs(),
        harness.queue_url().to_owned(),
    );
    let (record, took) = harness.run_with(&arn, 2, DEADLINE, handler).await?;
    let copies = copies.load(Ordering::SeqCst);
    println!("every message duplicated ({copies} copies): {took:?}");
    assert!(copies >= 10, "only {copies} copies sent");
    same_as_reference(&harness, &arn, &record, &reference).await?;
    harness.clean_up().await;
    Ok(())
}

/// (c) Each batch is handled by two concurrent calls of the advance function, with two
/// pollers: the same frames at the same versions, at the same time.
#[tokio::test]
async fn two_workers_race_on_every_batch() -> anyhow::Result<()> {
    let (reference, faulty) = tokio::join!(reference(), Harness::new("race"));
    let (Some(reference), Some(harness)) = (reference?, faulty?) else {
        return Ok(());
    };
    let arn = harness.start("crash", &workflow(), None, input()).await?;
    let (record, took) = harness
        .run_with(&arn, 2, DEADLINE, racing(harness.advance()))
        .await?;
    println!("two workers per batch: {took:?}");
    same_as_reference(&harness, &arn, &record, &reference).await?;
    harness.clean_up().await;
    Ok(())
}

/// (c, seen from the engine) Each record of each batch goes to `Engine::handle` twice at
/// once; the outcomes show the conditional writes deciding: never two commits of the
/// same message.
#[tokio::test]
async fn racing_handlers_never_both_commit() -> anyhow::Result<()> {
    let (reference, racing_run) = tokio::join!(reference(), Harness::new("race-engine"));
    let (Some(reference), Some(harness)) = (reference?, racing_run?) else {
        return Ok(());
    };
    let arn = harness.start("crash", &workflow(), None, input()).await?;
    let outcomes: Arc<Mutex<Vec<(Handled, Handled)>>> = Arc::default();
    let engine = harness.engine().clone();
    let seen = outcomes.clone();
    let handler = move |event: SqsEvent| {
        let engine = engine.clone();
        let seen = seen.clone();
        async move {
            let mut response = SqsBatchResponse::default();
            for record in event.records {
                let body = record.body.clone().unwrap_or_default();
                let Ok(message) = Message::from_json(&body) else {
                    continue;
                };
                let count = record
                    .attributes
                    .get("ApproximateReceiveCount")
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1);
                let (a, b) = tokio::join!(
                    engine.handle(message.clone(), count),
                    engine.handle(message, count)
                );
                match (a, b) {
                    (Ok(a), Ok(b)) => seen.lock().expect("outcomes").push((a, b)),
                    _ => {
                        let mut failure = BatchItemFailure::default();
                        failure.item_identifier = record.message_id.unwrap_or_default();
                        response.batch_item_failures.push(failure);
                    }
                }
            }
            response
        }
    };
    let (record, took) = harness.run_with(&arn, 2, DEADLINE, handler).await?;
    same_as_reference(&harness, &arn, &record, &reference).await?;
    let outcomes = outcomes.lock().expect("outcomes").clone();
    let committed = |h: &Handled| matches!(h, Handled::Advanced { .. });
    let both = outcomes
        .iter()
        .filter(|(a, b)| committed(a) && committed(b))
        .count();
    // The loser of a race against its twin re-sends the winner's outbox (the winner may
    // have died before sending it), so it reports `Resent` rather than `Conflict`.
    let lost = |h: &Handled| matches!(h, Handled::Conflict | Handled::Resent);
    let conflicts = outcomes
        .iter()
        .filter(|(a, b)| (committed(a) && lost(b)) || (lost(a) && committed(b)))
        .count();
    println!(
        "racing handlers: {took:?}, {} pairs, {conflicts} lost a conditional write: {outcomes:?}",
        outcomes.len()
    );
    assert_eq!(both, 0, "a message was committed twice: {outcomes:?}");
    // The two calls did meet on DynamoDB (else this test proves nothing).
    assert!(conflicts >= 1, "the handlers never collided: {outcomes:?}");
    harness.clean_up().await;
    Ok(())
}
