//! One whole execution through `Engine<DynamoStore, SqsQueue>`: a Wait, a Parallel of
//! three and a Map of twenty, driven by a poller that stands in for the SQS event source
//! mapping. Prints the AWS requests it cost.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::MessageSystemAttributeName;
use serde_json::{json, Value};
use stepwise_aws::DynamoStore;
use stepwise_engine::store::Store;
use stepwise_engine::{Engine, ExecutionStatus, Handled, Message, StartRequest};

use crate::support::Fixture;

fn workflow() -> String {
    json!({"StartAt": "Nap", "States": {
        "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Fan"},
        "Fan": {"Type": "Parallel", "ResultPath": "$.par", "Next": "Each", "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "a", "End": true}}},
            {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": "b", "End": true}}},
            {"StartAt": "C", "States": {"C": {"Type": "Pass", "Result": "c", "End": true}}}]},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.mapped",
                 "ItemProcessor": {"StartAt": "Sq", "States": {"Sq": {"Type": "Pass",
                    "Parameters": {"n.$": "States.MathAdd($, 100)"}, "End": true}}},
                 "End": true}}})
    .to_string()
}

fn kind(handled: &Handled) -> String {
    match handled {
        Handled::Advanced { .. } => "Advanced".to_owned(),
        Handled::Ignored(why) => format!("Ignored({why})"),
        other => format!("{other:?}"),
    }
}

/// SQS's `ApproximateReceiveCount`, as the event source mapping passes it on.
fn receive_count(message: &aws_sdk_sqs::types::Message) -> u32 {
    message
        .attributes
        .as_ref()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
}

#[tokio::test]
async fn runs_a_workflow_end_to_end() {
    let Some(fixture) = Fixture::new("run").await else {
        return;
    };
    let items: Vec<u32> = (1..=20).collect();
    let input = json!({ "items": items });
    let engine = Engine::new(
        fixture.store(),
        fixture.queue(),
        fixture.config.engine_config().unwrap(),
    );
    // Reads for the test's own polling stay out of the counts.
    let observer = DynamoStore::new(fixture.config.dynamodb_client(None), &fixture.table);
    let sqs = fixture.sqs();

    let started = engine
        .start(StartRequest::new("fan", &workflow(), input.clone()).named("run-1"))
        .await
        .unwrap();
    let arn = started.execution_arn;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    let mut transitions = 1; // the start's own step
    let mut messages = 0;
    loop {
        let record = observer.execution(&arn).await.unwrap().unwrap();
        if !record.is_running() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still running after 60 s: {outcomes:?}"
        );
        let received = sqs
            .receive_message()
            .queue_url(&fixture.queues.url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            // A message whose handling failed comes back soon, not after 60 s.
            .visibility_timeout(5)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default();
        // Handled concurrently, as a Lambda batch would be: siblings race on the join.
        let results = futures::future::join_all(received.iter().map(|m| async {
            let body = m.body.as_deref().unwrap_or_default();
            let message = Message::from_json(body).expect("a message body");
            engine.handle(message, receive_count(m)).await
        }))
        .await;
        for (message, result) in received.iter().zip(results) {
            messages += 1;
            match result {
                Ok(handled) => {
                    if let Handled::Advanced { transitions: n } = handled {
                        transitions += n;
                    }
                    *outcomes.entry(kind(&handled)).or_default() += 1;
                    sqs.delete_message()
                        .queue_url(&fixture.queues.url)
                        .set_receipt_handle(message.receipt_handle.clone())
                        .send()
                        .await
                        .unwrap();
                }
                Err(e) => {
                    assert!(e.is_retryable(), "poison message: {e}");
                    *outcomes.entry(format!("Err({e})")).or_default() += 1;
                }
            }
        }
    }
    let counts = fixture.counter.snapshot();
    let record = observer.execution(&arn).await.unwrap().unwrap();
    assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
    let mapped: Vec<Value> = items.iter().map(|i| json!({"n": i + 100})).collect();
    assert_eq!(
        record.output,
        Some(json!({"items": items, "par": ["a", "b", "c"], "mapped": mapped}))
    );

    let count = |names: &[&str]| -> u64 {
        names
            .iter()
            .map(|n| counts.get(*n).copied().unwrap_or(0))
            .sum()
    };
    let reads = count(&[
        "DynamoDB.BatchGetItem",
        "DynamoDB.GetItem",
        "DynamoDB.Query",
    ]);
    let writes = count(&["DynamoDB.PutItem", "DynamoDB.TransactWriteItems"]);
    let sends = fixture.counter.total("SQS.");
    println!("messages handled: {messages}, outcomes: {outcomes:?}");
    println!("state transitions: {transitions} (the start's step and each Advanced message's)");
    println!("requests (operations): {counts:#?}");
    println!(
        "attempts (HTTP, retries included): {:?}",
        fixture.counter.attempts()
    );
    let per = |n: u64, d: u64| n as f64 / d.max(1) as f64;
    println!(
        "per transition: {:.2} reads, {:.2} writes, {:.2} sends; per message: {:.2} reads, {:.2} writes, {:.2} sends",
        per(reads, transitions),
        per(writes, transitions),
        per(sends, transitions),
        per(reads, messages),
        per(writes, messages),
        per(sends, messages),
    );

    let history = engine.history(&arn).await.unwrap();
    let types: Vec<&str> = history.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(types.first(), Some(&"ExecutionStarted"));
    assert_eq!(types.last(), Some(&"ExecutionSucceeded"));
    assert_eq!(
        types
            .iter()
            .filter(|t| **t == "MapIterationSucceeded")
            .count(),
        20,
        "{types:?}"
    );
    fixture.clean_up().await;
}
