//! The start handler: direct invokes and SQS batches.

use std::sync::Arc;

use serde_json::json;
use stepwise_api::Api;
use stepwise_engine::memory::{MemoryQueue, MemoryStore};
use stepwise_engine::{Config, Engine, ExecutionStatus, NoTasks, SystemClock};

type LocalApi = Api<MemoryStore, MemoryQueue, NoTasks, SystemClock>;

fn api() -> LocalApi {
    let config = Config::local();
    let engine = Engine::new(
        MemoryStore::default(),
        MemoryQueue::default(),
        config.clone(),
    );
    Api::new(Arc::new(engine), &config)
}

/// Creates a state machine through the API; its ARN.
async fn create(api: &LocalApi, name: &str, definition: &serde_json::Value) -> String {
    let body = json!({"name": name, "definition": definition.to_string(), "roleArn": "arn:aws:iam::000000000000:role/r"});
    let created = api
        .call(
            "AWSStepFunctions.CreateStateMachine",
            body.to_string().as_bytes(),
        )
        .await
        .expect("created");
    created["stateMachineArn"]
        .as_str()
        .expect("an ARN")
        .to_owned()
}

fn sqs_record(id: &str, body: &serde_json::Value) -> serde_json::Value {
    json!({"messageId": id, "body": body.to_string(), "attributes": {}, "messageAttributes": {}})
}

fn definition() -> serde_json::Value {
    json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "done", "End": true}}})
}

fn waiting() -> serde_json::Value {
    json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": true}}})
}

#[tokio::test]
async fn a_direct_invoke_answers_like_start_execution() {
    let api = api();
    let engine = api.engine();
    let payload = json!({"stateMachine": "orders", "definition": waiting(), "name": "o-1", "input": {"id": 1}});
    let answer = stepwise_start::handle(&api, payload.clone())
        .await
        .expect("started");
    let arn = answer["executionArn"].as_str().expect("arn").to_owned();
    assert_eq!(
        arn,
        "arn:aws:states:local:000000000000:execution:orders:o-1"
    );
    assert!(answer["startDate"].as_f64().expect("date") > 1.6e9);
    // Same name and input while running: the same execution.
    let again = stepwise_start::handle(&api, payload)
        .await
        .expect("idempotent");
    assert_eq!(again["executionArn"], answer["executionArn"]);
    let record = engine.describe(&arn).await.expect("describe");
    assert_eq!(record.status, ExecutionStatus::Running);
    assert_eq!(record.info.input, json!({"id": 1}));
}

#[tokio::test]
async fn bad_payloads_are_precise_errors() {
    let api = api();
    let missing = stepwise_start::handle(&api, json!({"definition": definition()})).await;
    assert!(missing.unwrap_err().to_string().contains("stateMachine"));
    let unknown = stepwise_start::handle(
        &api,
        json!({"stateMachine": "s", "definition": definition(), "inptu": {}}),
    )
    .await;
    assert!(unknown.unwrap_err().to_string().contains("inptu"));
    let invalid = stepwise_start::handle(
        &api,
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
    let api = api();
    let good = json!({"stateMachine": "s", "definition": definition().to_string(), "name": "a"});
    let conflicting = json!({"stateMachine": "s", "definition": definition(), "name": "a", "input": {"other": true}});
    let event = json!({"Records": [
        {"messageId": "1", "body": good.to_string(), "attributes": {}, "messageAttributes": {}},
        {"messageId": "2", "body": "nonsense", "attributes": {}, "messageAttributes": {}},
    ]});
    let answer = stepwise_start::handle(&api, event).await.expect("batch");
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": "2"}]})
    );
    let event = json!({"Records": [
        {"messageId": "3", "body": conflicting.to_string(), "attributes": {}, "messageAttributes": {}},
    ]});
    let answer = stepwise_start::handle(&api, event).await.expect("batch");
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": "3"}]})
    );
}

/// Step Functions' own `StartExecution` request starts a state machine created through
/// the API, from a direct invoke or the start queue, with the API's answers and errors.
#[tokio::test]
async fn start_execution_requests_start_state_machines_from_the_catalog() {
    let api = api();
    let arn = create(&api, "orders", &waiting()).await;
    let request = json!({"stateMachineArn": arn, "name": "o-7", "input": "{\"id\": 7}"});
    let answer = stepwise_start::handle(&api, request.clone())
        .await
        .expect("started");
    let execution = answer["executionArn"].as_str().expect("an ARN").to_owned();
    assert_eq!(
        execution,
        "arn:aws:states:local:000000000000:execution:orders:o-7"
    );
    let record = api.engine().describe(&execution).await.expect("describe");
    assert_eq!(record.status, ExecutionStatus::Running);
    assert_eq!(record.info.input, json!({"id": 7}));

    // From the queue: the same request is idempotent; an unknown machine and input that
    // is not JSON are reported (never retried into success, so the DLQ ends them).
    let missing = json!({"stateMachineArn": "arn:aws:states:local:000000000000:stateMachine:nope"});
    let not_json = json!({"stateMachineArn": arn, "input": "{oops"});
    let event = json!({"Records": [sqs_record("1", &request), sqs_record("2", &missing), sqs_record("3", &not_json)]});
    let answer = stepwise_start::handle(&api, event).await.expect("batch");
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": "2"}, {"itemIdentifier": "3"}]})
    );

    let refused = stepwise_start::handle(&api, missing)
        .await
        .expect_err("unknown state machine");
    let stepwise_start::Error::Api(error) = &refused else {
        panic!("an API error: {refused:?}");
    };
    assert_eq!(error.kind(), "StateMachineDoesNotExist");
    assert!(!refused.is_retryable());
    let refused = stepwise_start::handle(&api, not_json)
        .await
        .expect_err("input that is not JSON");
    assert!(
        matches!(&refused, stepwise_start::Error::Api(e) if e.kind() == "InvalidExecutionInput"),
        "{refused:?}"
    );
}
