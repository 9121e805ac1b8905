//! Records near and over DynamoDB's 400 KB item limit: history split into parts,
//! compressed execution headers and frames, and a whole execution with large payloads.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};
use stepwise_aws::{DynamoStore, SqsQueue};
use stepwise_core::interp::TaskRequest;
use stepwise_engine::memory::{MemoryQueue, MemoryStore};
use stepwise_engine::store::{Commit, LoadRequest, Store, Written};
use stepwise_engine::{
    Config, Engine, ExecutionStatus, FrameId, HistoryItem, Message, StartRequest,
};

use crate::support::{arn, commit, creation, ended, frame, history, Fixture};

/// Text that compresses about as well as real payloads (hex: 2:1), unlike a repeated
/// letter. Deterministic, so a failure repeats.
fn noise(bytes: usize, seed: u64) -> String {
    let mut state = seed | 1;
    (0..bytes)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(b"0123456789abcdef"[(state % 16) as usize])
        })
        .collect()
}

/// The table's raw item, outside the counted client.
async fn raw_item(fixture: &Fixture, pk: &str, sk: &str) -> BTreeMap<String, AttributeValue> {
    fixture
        .config
        .dynamodb_client(None)
        .get_item()
        .table_name(&fixture.table)
        .key("pk", AttributeValue::S(pk.to_owned()))
        .key("sk", AttributeValue::S(sk.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap()
        .into_iter()
        .collect()
}

/// The sort keys of an execution's frame log (its history).
async fn history_keys(fixture: &Fixture, arn: &str) -> Vec<String> {
    let client = fixture.config.dynamodb_client(None);
    let mut keys = Vec::new();
    let mut start = None;
    loop {
        let output = client
            .query()
            .table_name(&fixture.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :h)")
            .expression_attribute_values(":pk", AttributeValue::S(format!("EX#{arn}")))
            .expression_attribute_values(":h", AttributeValue::S("F#".to_owned()))
            .projection_expression("sk")
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        for item in output.items.unwrap_or_default() {
            if let Some(AttributeValue::S(sk)) = item.get("sk") {
                keys.push(sk.clone());
            }
        }
        start = output.last_evaluated_key;
        if start.is_none() {
            return keys;
        }
    }
}

/// Every page of `store.history`, checking each page is in key order.
async fn all_history<S: Store>(store: &S, arn: &str) -> (Vec<HistoryItem>, usize) {
    let mut items = Vec::new();
    let mut page = None;
    let mut pages = 0;
    loop {
        let next = store.history(arn, page).await.unwrap();
        pages += 1;
        items.extend(next.items);
        match next.next {
            Some(token) => page = Some(token),
            None => return (items, pages),
        }
    }
}

#[tokio::test]
async fn a_commit_of_a_thousand_events_is_split_and_read_back_in_order() {
    let Some(fixture) = Fixture::new("split").await else {
        return;
    };
    let store = fixture.store();
    let arn = arn("split");
    store.create(creation(&arn, json!({}))).await.unwrap();
    let events: Vec<Value> = (0..1000)
        .map(|n| {
            json!({"type": "PassStateEntered", "timestamp": "2024-01-01T00:00:00.000Z",
                   "n": n, "pad": noise(1024, n + 1)})
        })
        .collect();
    let big = Commit {
        history: Some(HistoryItem {
            frame: FrameId::root(),
            version: 2,
            events: events.clone(),
        }),
        ..commit(&arn, frame(FrameId::root(), 2, json!({})))
    };
    fixture.counter.reset();
    assert_eq!(store.commit(big).await.unwrap(), Written::Done);
    // One transaction, however many parts.
    let counts = fixture.counter.snapshot();
    assert_eq!(
        counts.get("DynamoDB.TransactWriteItems"),
        Some(&1),
        "{counts:?}"
    );
    assert_eq!(counts.len(), 1, "{counts:?}");

    // A later commit and an execution-level event sort after every part.
    let after = Commit {
        history: Some(history(&FrameId::root(), 3, "After")),
        ..commit(&arn, frame(FrameId::root(), 3, json!({})))
    };
    assert_eq!(store.commit(after).await.unwrap(), Written::Done);
    let record = store.execution(&arn).await.unwrap().unwrap();
    let stop = history(&FrameId::root(), u64::MAX, "ExecutionAborted");
    assert_eq!(
        store
            .end(ended(&record, ExecutionStatus::Aborted), stop)
            .await
            .unwrap(),
        Written::Done
    );

    let keys = history_keys(&fixture, &arn).await;
    let parts = keys
        .iter()
        .filter(|k| k.starts_with("F#0#00000000000000000002"))
        .count();
    assert!(parts >= 3, "{keys:?}");
    assert_eq!(keys.len(), 1 + parts + 2, "{keys:?}");

    let (items, pages) = all_history(&store, &arn).await;
    println!(
        "{} history items over {pages} pages for {parts} parts",
        items.len()
    );
    // DynamoDB returns at most 1 MB per Query page: the commit spans pages, its parts
    // come back as consecutive items of the same frame and version.
    let labels: Vec<(u64, usize)> = items.iter().map(|i| (i.version, i.events.len())).collect();
    assert!(
        items.windows(2).all(|w| w[0].version <= w[1].version),
        "{labels:?}"
    );
    let read: Vec<Value> = items
        .iter()
        .filter(|i| i.version == 2)
        .flat_map(|i| i.events.clone())
        .collect();
    assert_eq!(read.len(), 1000);
    assert!(read == events, "events differ or are out of order");
    let types: Vec<&str> = items
        .iter()
        .flat_map(|i| i.events.iter())
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(types.first(), Some(&"ExecutionStarted"));
    assert_eq!(types[types.len() - 2..], ["After", "ExecutionAborted"]);
    fixture.clean_up().await;
}

#[tokio::test]
async fn an_execution_with_large_input_and_output_is_compressed() {
    let Some(fixture) = Fixture::new("header").await else {
        return;
    };
    let store = fixture.store();
    let arn = arn("header");
    let input = json!({"blob": noise(250 * 1024, 7)});
    let started = creation(&arn, input.clone());
    fixture.counter.reset();
    store.create(started.clone()).await.unwrap();
    // The definition's put, then the creation's transaction: as for a small input.
    let counts = fixture.counter.snapshot();
    assert_eq!(
        counts.get("DynamoDB.TransactWriteItems"),
        Some(&1),
        "{counts:?}"
    );
    let pk = format!("EX#{arn}");
    // 250 KB of hex input would fit as readable JSON, but compressed it costs half the
    // write units.
    let raw = raw_item(&fixture, &pk, "META").await;
    assert!(raw.contains_key("record_z") && !raw.contains_key("record"));

    let mut done = ended(&started.execution, ExecutionStatus::Succeeded);
    done.output = Some(json!({"blob": noise(250 * 1024, 8)}));
    let finishing = Commit {
        history: Some(history(&FrameId::root(), 2, "ExecutionSucceeded")),
        finish: Some(done.clone()),
        ..commit(&arn, frame(FrameId::root(), 2, json!({})))
    };
    assert_eq!(store.commit(finishing).await.unwrap(), Written::Done);
    let raw = raw_item(&fixture, &pk, "META").await;
    assert!(
        raw.contains_key("record_z") && !raw.contains_key("record"),
        "{:?}",
        raw.keys()
    );
    assert_eq!(raw["status"], AttributeValue::S("SUCCEEDED".to_owned()));
    assert_eq!(store.execution(&arn).await.unwrap().as_ref(), Some(&done));
    let loaded = store
        .load(&LoadRequest {
            execution: arn.clone(),
            frame: FrameId::root(),
            joins: vec![],
            with_frame: true,
            version: None,
        })
        .await
        .unwrap();
    assert_eq!(loaded.execution.as_ref(), Some(&done));
    // The status condition still works on a compressed header: a second finish conflicts.
    let again = Commit {
        finish: Some(done.clone()),
        ..commit(&arn, frame(FrameId::root(), 3, json!({})))
    };
    assert_eq!(store.commit(again).await.unwrap(), Written::Conflict);
    fixture.clean_up().await;
}

#[tokio::test]
async fn a_frame_with_large_input_and_task_is_compressed() {
    let Some(fixture) = Fixture::new("frame").await else {
        return;
    };
    let store = fixture.store();
    let arn = arn("frame");
    store.create(creation(&arn, json!({}))).await.unwrap();
    let mut waiting = frame(FrameId::root(), 2, json!({"blob": noise(250 * 1024, 11)}));
    waiting.task = Some(TaskRequest {
        state: "P".to_owned(),
        resource: "arn:aws:states:::lambda:invoke".to_owned(),
        parameters: json!({"Payload": noise(250 * 1024, 12)}),
        timeout_seconds: Some(60),
        heartbeat_seconds: None,
        credentials: None,
        attempt: 0,
        task_token: None,
    });
    fixture.counter.reset();
    // The frame alone: still one conditional PutItem.
    assert_eq!(
        store.commit(commit(&arn, waiting.clone())).await.unwrap(),
        Written::Done
    );
    assert_eq!(fixture.counter.snapshot().get("DynamoDB.PutItem"), Some(&1));
    let raw = raw_item(&fixture, &format!("EX#{arn}"), "F#0#00000000000000000002").await;
    assert!(raw.contains_key("record_z"), "{:?}", raw.keys());
    assert_eq!(raw["version"], AttributeValue::N("2".to_owned()));
    assert_eq!(
        store.frame(&arn, &FrameId::root()).await.unwrap().as_ref(),
        Some(&waiting)
    );
    // The version condition still works on a compressed frame.
    assert_eq!(
        store.commit(commit(&arn, waiting.clone())).await.unwrap(),
        Written::Conflict
    );
    let mut next = waiting.clone();
    next.version = 3;
    next.task = None;
    assert_eq!(
        store.commit(commit(&arn, next.clone())).await.unwrap(),
        Written::Done
    );
    let loaded = store
        .load(&LoadRequest {
            execution: arn.clone(),
            frame: FrameId::root(),
            joins: vec![],
            with_frame: true,
            version: None,
        })
        .await
        .unwrap();
    assert_eq!(loaded.frame.as_ref(), Some(&next));
    fixture.clean_up().await;
}

/// Five Passes carry a ~200 KB payload; a Map hands each of three iterations ~100 KB.
/// Every payload stays under Step Functions' 256 KiB, but commits hold several.
fn large_workflow() -> String {
    let mut states = serde_json::Map::new();
    for i in 1..=5 {
        let next = if i == 5 {
            "Each".to_owned()
        } else {
            format!("P{}", i + 1)
        };
        states.insert(format!("P{i}"), json!({"Type": "Pass", "Next": next}));
    }
    states.insert(
        "Each".to_owned(),
        json!({"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.mapped", "End": true,
               "ItemSelector": {"half.$": "$.half", "i.$": "$$.Map.Item.Value"},
               "ItemProcessor": {"StartAt": "Q1", "States": {
                   "Q1": {"Type": "Pass", "Next": "Q2"},
                   "Q2": {"Type": "Pass", "OutputPath": "$.i", "End": true}}}}),
    );
    json!({"StartAt": "P1", "States": states}).to_string()
}

fn large_input() -> Value {
    json!({"half": noise(100 * 1024, 21), "rest": noise(100 * 1024, 22), "items": [0, 1, 2]})
}

/// Drives an execution on the emulator's queue until it ends, as the event source
/// mapping would.
async fn drive(fixture: &Fixture, engine: &Engine<DynamoStore, SqsQueue>, arn: &str) {
    let sqs = fixture.sqs();
    let deadline = Instant::now() + Duration::from_secs(60);
    while engine.describe(arn).await.unwrap().is_running() {
        assert!(Instant::now() < deadline, "still running after 60 s");
        let received = sqs
            .receive_message()
            .queue_url(&fixture.queues.url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .visibility_timeout(5)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default();
        let results = futures::future::join_all(received.iter().map(|m| async {
            let message = Message::from_json(m.body.as_deref().unwrap_or_default()).unwrap();
            engine.handle(message, 1).await
        }))
        .await;
        for (message, result) in received.iter().zip(results) {
            let handled = result.unwrap();
            println!("handled: {handled:?}");
            sqs.delete_message()
                .queue_url(&fixture.queues.url)
                .set_receipt_handle(message.receipt_handle.clone())
                .send()
                .await
                .unwrap();
        }
    }
}

/// The same workflow on the in-memory store, as the reference history.
async fn reference_history(definition: &str, input: Value) -> Vec<Value> {
    let engine = Engine::new(
        MemoryStore::default(),
        MemoryQueue::default(),
        Config::local(),
    );
    let started = engine
        .start(StartRequest::new("big", definition, input))
        .await
        .unwrap();
    while let Some(out) = engine.queue().pop() {
        engine.handle(out.message, 1).await.unwrap();
    }
    engine.history(&started.execution_arn).await.unwrap()
}

fn described(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            let name = e
                .as_object()
                .and_then(|o| o.values().find_map(|v| v.get("name")))
                .and_then(Value::as_str)
                .unwrap_or("");
            format!("{} {name}", e["type"].as_str().unwrap_or("?"))
        })
        .collect()
}

#[tokio::test]
async fn an_execution_with_large_payloads_succeeds_with_its_whole_history() {
    let Some(fixture) = Fixture::new("bigrun").await else {
        return;
    };
    let engine = Engine::new(
        fixture.store(),
        fixture.queue(),
        fixture.config.engine_config().unwrap(),
    );
    let definition = large_workflow();
    let input = large_input();
    let started = engine
        .start(StartRequest::new("big", &definition, input.clone()))
        .await
        .unwrap();
    let arn = started.execution_arn;
    drive(&fixture, &engine, &arn).await;
    let record = engine.describe(&arn).await.unwrap();
    assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
    let mut output = input.clone();
    output["mapped"] = json!([0, 1, 2]);
    assert_eq!(record.output, Some(output));
    println!("requests: {:#?}", fixture.counter.snapshot());

    let history = engine.history(&arn).await.unwrap();
    let ids: Vec<u64> = history.iter().filter_map(|e| e["id"].as_u64()).collect();
    assert_eq!(ids, (1..=history.len() as u64).collect::<Vec<_>>());
    let seen = described(&history);
    // The root's own events, in order; the Map's iterations interleave by time.
    let root: Vec<&str> = seen
        .iter()
        .map(String::as_str)
        .filter(|e| !e.contains(" Q") && !e.starts_with("MapIteration"))
        .collect();
    let mut expected = vec!["ExecutionStarted ".to_owned()];
    for i in 1..=5 {
        expected.push(format!("PassStateEntered P{i}"));
        expected.push(format!("PassStateExited P{i}"));
    }
    assert_eq!(root[..11], expected[..], "{seen:#?}");
    assert_eq!(root.last(), Some(&"ExecutionSucceeded "), "{seen:#?}");
    // Every event is there: the same as on the in-memory store, in any interleaving.
    let mut reference = described(&reference_history(&definition, input.clone()).await);
    let mut sorted = seen.clone();
    reference.sort();
    sorted.sort();
    assert_eq!(sorted, reference);
    // The payloads came back whole.
    let exited = history
        .iter()
        .find(|e| e["type"] == "PassStateExited")
        .unwrap();
    let output: Value = serde_json::from_str(
        exited["stateExitedEventDetails"]["output"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(output, input);
    let keys = history_keys(&fixture, &arn).await;
    assert!(
        keys.iter().any(|k| k.matches('#').count() == 3),
        "no commit was split: {keys:?}"
    );
    fixture.clean_up().await;
}
