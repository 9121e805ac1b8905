//! A Map too large for one message to fan out: the join and the first chunk of children
//! are written by the message that fans out, the rest by `OpenChildren` messages.

mod support;

use serde_json::{json, Value};
use stepwise_engine::{Clock, Handled, MessageKind, StartRequest};
use support::{engine, Scheduled, TestEngine};

/// Children one message may write (`fan_out::CHUNK_CHILDREN`).
const CHUNK: usize = 64;

fn map(max_concurrency: u64, items: usize) -> (String, Value) {
    let definition = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": true, "MaxConcurrency": max_concurrency,
        "ItemProcessor": {"StartAt": "Double", "States": {
            "Double": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($.v, $.v)"}, "End": true}}}}}});
    let input: Vec<Value> = (0..items).map(|v| json!({"v": v})).collect();
    (definition.to_string(), Value::Array(input))
}

fn doubled(items: usize) -> Option<Value> {
    Some(Value::Array(
        (0..items).map(|v| json!({"v": 2 * v})).collect(),
    ))
}

fn iterations_started(history: &[Value]) -> usize {
    history
        .iter()
        .filter(|e| e["type"] == "MapIterationStarted")
        .count()
}

async fn start(engine: &TestEngine, definition: &str, input: Value) -> String {
    engine
        .start(StartRequest::new("m", definition, input))
        .await
        .expect("start")
        .execution_arn
}

#[tokio::test]
async fn every_message_writes_at_most_a_chunk_and_a_redelivery_writes_nothing_twice() {
    let engine = engine();
    let items = 300;
    let (definition, input) = map(0, items);
    let arn = start(&engine, &definition, input).await;
    let mut scheduled = Scheduled::default();
    let mut chunks = 0;
    let mut handled = 0;
    loop {
        scheduled.take(engine.queue(), engine.clock().now());
        let Some((at, out)) = scheduled.pop() else {
            break;
        };
        engine.clock().advance_to(at);
        let message = out.message;
        if matches!(message.kind, MessageKind::OpenChildren { .. }) {
            chunks += 1;
        }
        let before = engine.store().frames(&arn).len();
        engine.handle(message.clone(), 1).await.expect("handle");
        let written = engine.store().frames(&arn).len() - before;
        assert!(written <= CHUNK, "one message wrote {written} frames");
        // Every first delivery comes again, as if its handler outlived the visibility
        // timeout; a copy of a copy is not redelivered, so the run ends.
        if !message.resent {
            let before = engine.store().frames(&arn).len();
            engine.handle(message, 2).await.expect("redelivery");
            assert_eq!(engine.store().frames(&arn).len(), before);
        }
        handled += 1;
        assert!(handled < 100_000, "runaway message loop");
    }
    assert_eq!(chunks, items.div_ceil(CHUNK) - 1);
    let record = engine.describe(&arn).await.expect("describe");
    assert_eq!(record.output, doubled(items));
    assert_eq!(engine.store().frames(&arn).len(), items + 1);
    let history = engine.history(&arn).await.expect("history");
    assert_eq!(iterations_started(&history), items);
}

#[tokio::test]
async fn a_successor_whose_chunk_is_not_written_yet_waits_for_it() {
    let engine = engine();
    let items = 300;
    let (definition, input) = map(3, items);
    let arn = start(&engine, &definition, input).await;
    let mut scheduled = Scheduled::default();
    let mut held = Vec::new();
    let mut waited = false;
    let mut handled = 0;
    loop {
        scheduled.take(engine.queue(), engine.clock().now());
        let Some((at, out)) = scheduled.pop() else {
            break;
        };
        engine.clock().advance_to(at);
        // The chunks stay on the queue until a child's successor has come for its frame.
        if matches!(out.message.kind, MessageKind::OpenChildren { .. }) && !waited {
            held.push(out);
            continue;
        }
        let outcome = engine.handle(out.message, 1).await.expect("handle");
        if outcome == Handled::Delayed && !waited {
            waited = true;
            for out in held.drain(..) {
                engine.handle(out.message, 1).await.expect("chunk");
            }
        }
        handled += 1;
        assert!(handled < 100_000, "runaway message loop");
    }
    assert!(waited, "no successor came before its chunk");
    let record = engine.describe(&arn).await.expect("describe");
    assert_eq!(record.output, doubled(items));
    let history = engine.history(&arn).await.expect("history");
    assert_eq!(iterations_started(&history), items);
}
