//! What the advance function writes to CloudWatch Logs: the real subscriber configuration
//! (`json_subscriber`), capturing its output while a real message is handled.

use std::io::Write;
use std::sync::{Arc, Mutex};

use aws_lambda_events::event::sqs::SqsEvent;
use serde_json::{json, Value};
use stepwise_engine::memory::{MemoryQueue, MemoryStore};
use stepwise_engine::{Config, Engine, StartRequest};

/// A writer the subscriber appends to, readable by the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn event(body: String) -> SqsEvent {
    let mut event: Value =
        serde_json::from_slice(include_bytes!("fixtures/sqs-event.json")).expect("fixture");
    let records = event["Records"].as_array_mut().expect("records");
    records.truncate(1);
    records[0]["messageId"] = json!("m0");
    records[0]["body"] = json!(body);
    serde_json::from_value(event).expect("an SqsEvent")
}

// A current-thread runtime: the subscriber set as this thread's default sees all of it.
#[tokio::test]
async fn every_line_of_a_handled_message_names_execution_frame_and_state() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = stepwise_aws::lambda::json_subscriber(
        move || writer.clone(),
        tracing_subscriber::EnvFilter::new("debug"),
    );
    let _default = tracing::subscriber::set_default(subscriber);

    let engine = Engine::new(
        MemoryStore::default(),
        MemoryQueue::default(),
        Config::local(),
    );
    // A Parallel: the start runs the top level inline, the branches come as messages.
    let definition = json!({"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": true,
        "Branches": [{"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "End": true}}}]}}});
    let started = engine
        .start(StartRequest::new(
            "logs",
            &definition.to_string(),
            json!({}),
        ))
        .await
        .expect("start");
    let message = engine.queue().pop().expect("a step message").message;
    let frame = message.frame.to_string();
    // Only the lines of the message's handling count (the start logs outside any).
    captured.0.lock().expect("lock").clear();
    let response = stepwise_advance::handle(&engine, event(message.to_json())).await;
    assert!(response.batch_item_failures.is_empty());

    let text = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect();
    let handled: Vec<&Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "handled")
        .collect();
    assert_eq!(handled.len(), 1, "{text}");
    assert!(frame.starts_with("0/"), "a branch frame: {frame}");
    for line in &lines {
        let span = &line["span"];
        assert_eq!(span["execution_id"], json!(started.execution_arn), "{line}");
        assert_eq!(span["frame"], json!(frame), "{line}");
        assert_eq!(span["state"], json!("Hello"), "{line}");
    }
}

#[test]
fn a_batch_reports_transitions_failures_and_latency() {
    let doc = stepwise_advance::batch_metrics(5, 3, 1, 4.5).to_json(1_000);
    assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Stepwise");
    assert_eq!(doc["Function"], "advance");
    assert_eq!(doc["Messages"], json!(5.0));
    assert_eq!(
        (
            doc["Transitions"].clone(),
            doc["Failures"].clone(),
            doc["Latency"].clone()
        ),
        (json!(3.0), json!(1.0), json!(4.5))
    );
}
