//! Crashes of the embedded backend's consumer, staged deterministically on a clock the
//! test moves: the execution must end once, with the fault-free result.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use stepwise_engine::{ExecutionStatus, Handled, StartRequest};
use support::{drain, sqlite_engine, SqliteEngine, TempDb, T0};

const VISIBILITY: Duration = Duration::from_secs(30);

fn workflow() -> String {
    json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 5, "Next": "P"},
        "P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 1, "End": true}}},
            {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": "b", "End": true}}}]}}})
    .to_string()
}

fn expected() -> Value {
    json!([{"in": 1}, "b"])
}

async fn start(engine: &SqliteEngine) -> String {
    engine
        .start(StartRequest::new("sm", &workflow(), json!({"in": 1})))
        .await
        .expect("start")
        .execution_arn
}

/// The newest message id so far (ids only grow).
fn last_message_id(db: &TempDb) -> i64 {
    let conn = rusqlite::Connection::open(db.path()).expect("last_message_id");
    conn.query_row(
        "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'messages'",
        [],
        |r| r.get(0),
    )
    .expect("last_message_id")
}

/// Deletes the messages sent after `id`: what a crash right after the store commit,
/// before the queue insert, would have left.
fn forget_sends_after(db: &TempDb, id: i64) -> usize {
    let conn = rusqlite::Connection::open(db.path()).expect("forget_sends_after");
    conn.execute("DELETE FROM messages WHERE id > ?1", [id])
        .expect("forget_sends_after")
}

fn transition_events(history: &[Value]) -> Vec<(String, String)> {
    let mut events: Vec<(String, String)> = history
        .iter()
        .map(|e| {
            let name = e
                .as_object()
                .and_then(|o| o.values().find_map(|v| v.get("name")))
                .and_then(Value::as_str)
                .unwrap_or_default();
            (
                e["type"].as_str().unwrap_or_default().to_owned(),
                name.to_owned(),
            )
        })
        .collect();
    events.sort();
    events
}

async fn reference_history() -> Vec<Value> {
    let db = TempDb::new("faults-reference");
    let engine = sqlite_engine(&db, T0);
    let arn = start(&engine).await;
    drain(&engine).await;
    engine.history(&arn).await.expect("reference_history")
}

/// The dual write: the commit landed, the messages it promised did not. The message
/// that made the commit is not acked, so it comes back after its visibility timeout and
/// re-sends the frame's outbox.
#[tokio::test]
async fn crash_between_commit_and_send_at_every_message() {
    let reference = transition_events(&reference_history().await);
    let mut crash_points = 0;
    for crash_at in 0.. {
        let db = TempDb::new("dual-write");
        let engine = sqlite_engine(&db, T0);
        let arn = start(&engine).await;
        let queue = engine.queue();
        let mut handled = Vec::new();
        let mut crashed = false;
        loop {
            let Some(delivery) = queue.receive(1, VISIBILITY).await.unwrap().pop() else {
                match queue.next_visible_at().await.unwrap() {
                    Some(at) => {
                        engine.clock().advance_to(at);
                        continue;
                    }
                    None => break,
                }
            };
            let id = delivery.id;
            let sent_before = last_message_id(&db);
            handled.push(
                engine
                    .handle(delivery.message, delivery.receive_count)
                    .await
                    .unwrap(),
            );
            if handled.len() == crash_at + 1 {
                crashed = true;
                forget_sends_after(&db, sent_before);
                continue; // no ack: the worker died
            }
            queue.ack(id).await.unwrap();
        }
        if !crashed {
            break;
        }
        crash_points += 1;
        let record = engine.describe(&arn).await.unwrap();
        assert_eq!(
            record.status,
            ExecutionStatus::Succeeded,
            "crash at {crash_at}"
        );
        assert_eq!(record.output, Some(expected()), "crash at {crash_at}");
        let history = engine.history(&arn).await.unwrap();
        assert_eq!(
            transition_events(&history),
            reference,
            "crash at {crash_at}"
        );
        assert!(
            handled
                .iter()
                .any(|h| matches!(h, Handled::Resent | Handled::Ignored(_))),
            "crash at {crash_at}: the redelivery was not recognised: {handled:?}"
        );
    }
    // Start's own sends aside: the Wait's timer, the fan-out, two children's ends.
    assert!(crash_points >= 4, "only {crash_points} crash points");
}

/// A worker that dies after handling but before acking: the message comes back with a
/// higher receive count and changes nothing twice.
#[tokio::test]
async fn every_message_redelivered_after_its_visibility_timeout() {
    let reference = transition_events(&reference_history().await);
    let db = TempDb::new("redeliver");
    let engine = sqlite_engine(&db, T0);
    let arn = start(&engine).await;
    let queue = engine.queue();
    let mut counts = Vec::new();
    loop {
        let Some(delivery) = queue.receive(1, VISIBILITY).await.unwrap().pop() else {
            match queue.next_visible_at().await.unwrap() {
                Some(at) => {
                    engine.clock().advance_to(at);
                    continue;
                }
                None => break,
            }
        };
        counts.push(delivery.receive_count);
        engine
            .handle(delivery.message, delivery.receive_count)
            .await
            .unwrap();
        if delivery.receive_count > 1 {
            queue.ack(delivery.id).await.unwrap();
        }
    }
    assert!(counts.contains(&2), "{counts:?}");
    let record = engine.describe(&arn).await.unwrap();
    assert_eq!(record.output, Some(expected()));
    let history = engine.history(&arn).await.unwrap();
    assert_eq!(transition_events(&history), reference);
}
