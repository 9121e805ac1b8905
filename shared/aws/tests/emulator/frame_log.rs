//! The frame log: a commit is one conditional `PutItem` of the frame's next version (the
//! fresh key is the lock), a message reads its version and the next, and a message that
//! is behind finds out from them.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;
use stepwise_aws::DynamoStore;
use stepwise_engine::memory::MemoryQueue;
use stepwise_engine::store::{Commit, LoadRequest, Store, Written};
use stepwise_engine::{Engine, FrameId, Handled, Message, MessageKind, StartRequest};

use crate::support::{arn, commit, creation, frame, history, Fixture};

/// A chain of Pass states, one message each (see [`engine`]).
fn chain(length: usize) -> String {
    let mut states = serde_json::Map::new();
    for i in 0..length {
        let mut state = json!({"Type": "Pass", "Result": i, "ResultPath": format!("$.s{i}")});
        if i + 1 == length {
            state["End"] = json!(true);
        } else {
            state["Next"] = json!(format!("S{}", i + 1));
        }
        states.insert(format!("S{i}"), state);
    }
    json!({"StartAt": "S0", "States": states}).to_string()
}

/// An engine on the fixture's table that runs one state per message, without chains,
/// so every Pass state is a message, a load and a commit; its queue is in memory for the
/// test to inspect.
fn engine(fixture: &Fixture) -> Engine<DynamoStore, MemoryQueue> {
    chaining(fixture, 0)
}

/// As [`engine`], with chains of steps in one handling for `budget_ms`.
fn chaining(fixture: &Fixture, budget_ms: u64) -> Engine<DynamoStore, MemoryQueue> {
    let mut config = fixture.config.engine_config().unwrap();
    config.max_transitions_per_message = 1;
    config.chain_budget_ms = budget_ms;
    Engine::new(fixture.store(), MemoryQueue::default(), config)
}

fn pop(engine: &Engine<DynamoStore, MemoryQueue>) -> Message {
    engine
        .queue()
        .pop()
        .expect("a message in the queue")
        .message
}

#[tokio::test]
async fn a_plain_commit_is_one_put_item_of_frame_and_events() {
    let Some(fixture) = Fixture::new("log-put").await else {
        return;
    };
    let store = fixture.store();
    let arn = arn("log-put");
    store.create(creation(&arn, json!({}))).await.unwrap();
    fixture.counter.reset();
    let next = Commit {
        history: Some(history(&FrameId::root(), 2, "PassStateEntered")),
        ..commit(&arn, frame(FrameId::root(), 2, json!({"v": 2})))
    };
    assert_eq!(store.commit(next).await.unwrap(), Written::Done);
    let counts = fixture.counter.snapshot();
    assert_eq!(counts.get("DynamoDB.PutItem"), Some(&1), "{counts:?}");
    assert_eq!(counts.len(), 1, "{counts:?}");
    let item = fixture
        .config
        .dynamodb_client(None)
        .get_item()
        .table_name(&fixture.table)
        .key("pk", AttributeValue::S(format!("EX#{arn}")))
        .key(
            "sk",
            AttributeValue::S("F#0#00000000000000000002".to_owned()),
        )
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .expect("the new version's item");
    assert!(
        item.contains_key("events") || item.contains_key("commit_z"),
        "{:?}",
        item.keys()
    );

    // Through the engine: a step's message is one read and one write.
    let engine = engine(&fixture);
    let started = engine
        .start(StartRequest::new("sm", &chain(3), json!({})).named("put"))
        .await
        .unwrap();
    let message = pop(&engine);
    assert_eq!(message.version, 1);
    fixture.counter.reset();
    let handled = engine.handle(message, 1).await.unwrap();
    assert_eq!(handled, Handled::Advanced { transitions: 1 });
    let counts = fixture.counter.snapshot();
    assert_eq!(counts.get("DynamoDB.BatchGetItem"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("DynamoDB.PutItem"), Some(&1), "{counts:?}");
    for absent in ["DynamoDB.TransactWriteItems", "DynamoDB.Query"] {
        assert_eq!(counts.get(absent), None, "{counts:?}");
    }
    let root = store
        .frame(&started.execution_arn, &FrameId::root())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(root.version, 2);
    fixture.clean_up().await;
}

#[tokio::test]
async fn two_commits_of_one_version_race_and_one_wins() {
    let Some(fixture) = Fixture::new("log-race").await else {
        return;
    };
    let store = fixture.store();
    let arn = arn("log-race");
    store.create(creation(&arn, json!({}))).await.unwrap();
    let racer = |name: &str| Commit {
        history: Some(history(&FrameId::root(), 2, name)),
        ..commit(&arn, frame(FrameId::root(), 2, json!({ "racer": name })))
    };
    let (a, b) = futures::join!(store.commit(racer("A")), store.commit(racer("B")));
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut outcomes = [a, b];
    outcomes.sort_by_key(|w| *w == Written::Conflict);
    assert_eq!(outcomes, [Written::Done, Written::Conflict]);
    let winner = if a == Written::Done { "A" } else { "B" };
    let stored = store.frame(&arn, &FrameId::root()).await.unwrap().unwrap();
    assert_eq!(stored.frame.input(), &json!({ "racer": winner }));
    // Only the winner's events are in the history.
    let page = store.history(&arn, None).await.unwrap();
    let types: Vec<&str> = page
        .items
        .iter()
        .flat_map(|i| i.events.iter())
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(types, ["ExecutionStarted", winner]);
    // The loser, redelivered, reads the version it expected and the winner's after it.
    let loaded = store
        .load(&LoadRequest {
            execution: arn.clone(),
            frame: FrameId::root(),
            joins: vec![],
            with_frame: true,
            version: Some(1),
        })
        .await
        .unwrap();
    assert_eq!(loaded.frame.as_ref(), Some(&stored));
    fixture.clean_up().await;
}

#[tokio::test]
async fn a_redelivered_message_resends_its_commits_outbox_and_a_stale_one_is_dropped() {
    let Some(fixture) = Fixture::new("log-redeliver").await else {
        return;
    };
    let engine = engine(&fixture);
    let started = engine
        .start(StartRequest::new("sm", &chain(5), json!({})).named("redeliver"))
        .await
        .unwrap();
    let first = pop(&engine);
    assert_eq!((first.version, &first.kind), (1, &MessageKind::Run));
    assert_eq!(
        engine.handle(first.clone(), 1).await.unwrap(),
        Handled::Advanced { transitions: 1 }
    );
    let second = pop(&engine);
    assert_eq!(second.version, 2);
    assert!(engine.queue().is_empty());

    // The handler that committed died before its send reached SQS: the message comes
    // back, finds its own commit at the next version, and sends that commit's outbox.
    assert_eq!(
        engine.handle(first.clone(), 2).await.unwrap(),
        Handled::Resent
    );
    let resent = pop(&engine);
    assert_eq!(
        resent,
        Message {
            resent: true,
            ..second.clone()
        }
    );
    assert!(engine.queue().is_empty());

    // Two versions behind: the message is stale, nothing is sent, nothing written.
    assert_eq!(
        engine.handle(second, 1).await.unwrap(),
        Handled::Advanced { transitions: 1 }
    );
    let third = pop(&engine);
    fixture.counter.reset();
    assert_eq!(
        engine.handle(first, 3).await.unwrap(),
        Handled::Ignored("stale version")
    );
    assert!(engine.queue().is_empty());
    let counts = fixture.counter.snapshot();
    assert_eq!(counts.get("DynamoDB.PutItem"), None, "{counts:?}");
    // The resent copy of the second message, on its first delivery, finds its commit
    // done by the original and does not send again.
    assert_eq!(
        engine.handle(resent, 1).await.unwrap(),
        Handled::Ignored("stale version")
    );
    assert!(engine.queue().is_empty());

    // The execution still runs to its end from the current message.
    let mut next = Some(third);
    while let Some(message) = next.take() {
        engine.handle(message, 1).await.unwrap();
        next = engine.queue().pop().map(|o| o.message);
    }
    let record = engine.describe(&started.execution_arn).await.unwrap();
    assert!(!record.is_running(), "{record:?}");
    let history = engine.history(&started.execution_arn).await.unwrap();
    let entered = history
        .iter()
        .filter(|e| e["type"] == "PassStateEntered")
        .count();
    assert_eq!(entered, 5, "{history:?}");
    fixture.clean_up().await;
}

#[tokio::test]
async fn a_chained_step_reads_the_header_alone() {
    let Some(fixture) = Fixture::new("log-chain").await else {
        return;
    };
    let engine = chaining(&fixture, 60_000);
    let started = engine
        .start(StartRequest::new("sm", &chain(4), json!({})).named("chain"))
        .await
        .unwrap();
    let first = pop(&engine);
    fixture.counter.reset();
    // The start entered S0 and ran it; the message runs S1, S2 and S3 in one handling.
    assert_eq!(
        engine.handle(first, 1).await.unwrap(),
        Handled::Advanced { transitions: 3 }
    );
    assert!(engine.queue().is_empty());
    let record = engine.describe(&started.execution_arn).await.unwrap();
    assert!(!record.is_running(), "{record:?}");
    let usage = fixture.counter.usage();
    let reads = &usage["DynamoDB.BatchGetItem"];
    // The message's own step reads the header, its version and the next (3 units); the
    // two chained steps read the header only (1 unit each).
    assert_eq!((reads.requests, reads.read_units), (3, 5.0), "{usage:?}");
    assert!(!usage.contains_key("DynamoDB.Query"), "{usage:?}");
    // The definition, once for the process.
    assert_eq!(usage["DynamoDB.GetItem"].requests, 1, "{usage:?}");
    fixture.clean_up().await;
}
