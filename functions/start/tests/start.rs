//! The start handler: direct invokes and SQS batches.

use serde_json::json;
use stepwise_engine::memory::{MemoryQueue, MemoryStore};
use stepwise_engine::{Config, Engine, ExecutionStatus};

fn engine() -> Engine<MemoryStore, MemoryQueue> {
    Engine::new(
        MemoryStore::default(),
        MemoryQueue::default(),
        Config::local(),
    )
}

fn definition() -> serde_json::Value {
    json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "done", "End": true}}})
}

fn waiting() -> serde_json::Value {
    json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": true}}})
}

#[tokio::test]
async fn a_direct_invoke_answers_like_start_execution() {
    let engine = engine();
    let payload = json!({"stateMachine": "orders", "definition": waiting(), "name": "o-1", "input": {"id": 1}});
    let answer = stepwise_start::handle(&engine, payload.clone())
        .await
        .expect("started");
    let arn = answer["executionArn"].as_str().expect("arn").to_owned();
    assert_eq!(
        arn,
        "arn:aws:states:local:000000000000:execution:orders:o-1"
    );
    assert!(answer["startDate"].as_f64().expect("date") > 1.6e9);
    // Same name and input while running: the same execution.
    let again = stepwise_start::handle(&engine, payload)
        .await
        .expect("idempotent");
    assert_eq!(again["executionArn"], answer["executionArn"]);
    let record = engine.describe(&arn).await.expect("describe");
    assert_eq!(record.status, ExecutionStatus::Running);
    assert_eq!(record.info.input, json!({"id": 1}));
}

#[tokio::test]
async fn bad_payloads_are_precise_errors() {
    let engine = engine();
    let missing = stepwise_start::handle(&engine, json!({"definition": definition()})).await;
    assert!(missing.unwrap_err().to_string().contains("stateMachine"));
    let unknown = stepwise_start::handle(
        &engine,
        json!({"stateMachine": "s", "definition": definition(), "inptu": {}}),
    )
    .await;
    assert!(unknown.unwrap_err().to_string().contains("inptu"));
    let invalid = stepwise_start::handle(
        &engine,
        json!({"stateMachine": "s", "definition": {"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "Q"}}}}),
    )
    .await;
    let message = invalid.unwrap_err().to_string();
    assert!(
        message.contains("/States/P/Next"),
        "names the JSON path: {message}"
    );
}

#[tokio::test]
async fn an_sqs_batch_reports_the_messages_that_cannot_start() {
    let engine = engine();
    let good = json!({"stateMachine": "s", "definition": definition().to_string(), "name": "a"});
    let conflicting = json!({"stateMachine": "s", "definition": definition(), "name": "a", "input": {"other": true}});
    let event = json!({"Records": [
        {"messageId": "1", "body": good.to_string(), "attributes": {}, "messageAttributes": {}},
        {"messageId": "2", "body": "nonsense", "attributes": {}, "messageAttributes": {}},
    ]});
    let answer = stepwise_start::handle(&engine, event).await.expect("batch");
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": "2"}]})
    );
    let event = json!({"Records": [
        {"messageId": "3", "body": conflicting.to_string(), "attributes": {}, "messageAttributes": {}},
    ]});
    let answer = stepwise_start::handle(&engine, event).await.expect("batch");
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": "3"}]})
    );
}
