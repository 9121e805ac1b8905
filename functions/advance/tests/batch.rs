//! The handler on the SQS event JSON Lambda delivers, over the in-memory engine.

use aws_lambda_events::event::sqs::SqsEvent;
use serde_json::{json, Value};
use stepwise_engine::memory::{MemoryQueue, MemoryStore};
use stepwise_engine::{Config, Engine, ExecutionStatus, StartRequest};

/// AWS's sample SQS event, with the given bodies.
fn event(bodies: &[String]) -> SqsEvent {
    let mut event: Value =
        serde_json::from_slice(include_bytes!("fixtures/sqs-event.json")).expect("fixture");
    let records = event["Records"].as_array_mut().expect("records");
    let template = records[0].clone();
    *records = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let mut record = template.clone();
            record["messageId"] = json!(format!("m{i}"));
            record["body"] = json!(body);
            record
        })
        .collect();
    serde_json::from_value(event).expect("an SqsEvent")
}

#[tokio::test]
async fn a_batch_advances_and_reports_only_its_bad_messages() {
    let engine = Engine::new(
        MemoryStore::default(),
        MemoryQueue::default(),
        Config::local(),
    );
    let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
        "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
                     {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": 2, "End": true}}}]}}});
    let started = engine
        .start(StartRequest::new(
            "batch",
            &definition.to_string(),
            json!({"k": 1}),
        ))
        .await
        .expect("start");
    let mut rounds = 0;
    while !engine.queue().is_empty() {
        let mut bodies: Vec<String> = std::iter::from_fn(|| engine.queue().pop())
            .map(|out| out.message.to_json())
            .collect();
        bodies.push("{not a step message".to_owned());
        let response = stepwise_advance::handle(&engine, event(&bodies)).await;
        let failed: Vec<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        // Only the unreadable body is handed back for redelivery (and, in the end, the DLQ).
        assert_eq!(failed, vec![format!("m{}", bodies.len() - 1)]);
        rounds += 1;
        assert!(rounds < 10);
    }
    let record = engine
        .describe(&started.execution_arn)
        .await
        .expect("describe");
    assert_eq!(record.status, ExecutionStatus::Succeeded);
    assert_eq!(record.output, Some(json!([{"k": 1}, 2])));
}
