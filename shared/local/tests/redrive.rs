//! `RedriveExecution` on the embedded store: a Task that failed runs again after the
//! redrive, once, and the execution's history goes on from where it stopped.

mod support;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::{json, Value};
use stepwise_core::failure::Failure;
use stepwise_core::interp::TaskRequest;
use stepwise_engine::{Config, Engine, Error, ExecutionStatus, StartRequest, TaskInvoker};
use stepwise_local::{SqliteQueue, SqliteStore};
use support::{options, ManualClock, TempDb, T0};

/// A task resource that fails while `down` calls remain (an outage), then answers.
#[derive(Debug, Default)]
struct Flaky {
    down: AtomicU32,
    calls: AtomicU32,
}

impl TaskInvoker for Flaky {
    async fn invoke(&self, _execution: &str, _request: &TaskRequest) -> Result<Value, Failure> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let failing = self
            .down
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            return Err(Failure::new("Outage", "the service is down"));
        }
        Ok(json!({"ok": true}))
    }
}

type FlakyEngine = Engine<SqliteStore, SqliteQueue<ManualClock>, Flaky, ManualClock>;

fn engine(db: &TempDb, down: u32) -> FlakyEngine {
    let clock = ManualClock::at(T0);
    let (store, queue) = stepwise_local::open(db.path(), options(), clock.clone()).expect("open");
    let tasks = Flaky {
        down: AtomicU32::new(down),
        ..Flaky::default()
    };
    Engine::with(store, queue, tasks, clock, Config::local())
}

/// Handles queued messages in due order on the test's clock until none is left.
async fn drain(engine: &FlakyEngine) {
    let queue = engine.queue();
    for _ in 0..10_000 {
        let batch = queue
            .receive(1, Duration::from_secs(30))
            .await
            .expect("receive");
        if let Some(delivery) = batch.into_iter().next() {
            engine
                .handle(delivery.message, delivery.receive_count)
                .await
                .expect("handle");
            queue.ack(delivery.id).await.expect("ack");
            continue;
        }
        match queue.next_visible_at().await.expect("peek") {
            Some(at) => engine.clock().advance_to(at),
            None => return,
        }
    }
    panic!("runaway message loop");
}

fn machine() -> String {
    json!({"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Result": 7, "ResultPath": "$.prepared", "Next": "Charge"},
        "Charge": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:charge",
                   "ResultPath": "$.charged", "Next": "Count"},
        "Count": {"Type": "Pass", "Parameters": {"redriveCount.$": "$$.Execution.RedriveCount",
                                                  "prepared.$": "$.prepared"}, "End": true}
    }})
    .to_string()
}

fn count(history: &[Value], kind: &str) -> usize {
    history.iter().filter(|e| e["type"] == kind).count()
}

#[tokio::test]
async fn a_failed_task_runs_again_after_a_redrive() {
    let db = TempDb::new("redrive");
    let engine = engine(&db, 1);
    let arn = engine
        .start(StartRequest::new("sm", &machine(), json!({})))
        .await
        .expect("start")
        .execution_arn;
    drain(&engine).await;
    let failed = engine.describe(&arn).await.expect("describe");
    assert_eq!(failed.status, ExecutionStatus::Failed);
    let before = engine.history(&arn).await.expect("history");

    engine.clock().advance_to(T0 + 5_000);
    let redriven = engine.redrive(&arn, Some("t")).await.expect("redrive");
    assert_eq!(redriven.redrive_date, T0 + 5_000);
    drain(&engine).await;

    let done = engine.describe(&arn).await.expect("describe");
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    assert_eq!(done.info.redrive_count, 1);
    assert_eq!(done.output, Some(json!({"redriveCount": 1, "prepared": 7})));
    assert_eq!(engine.tasks().calls.load(Ordering::SeqCst), 2);
    let after = engine.history(&arn).await.expect("history");
    assert_eq!(after[..before.len()], before[..]);
    assert_eq!(after[before.len()]["type"], "ExecutionRedriven");
    assert_eq!(after[before.len()]["id"], json!(before.len() + 1));
    assert_eq!(count(&after, "ExecutionRedriven"), 1);
    // Prepare ran once, before the failure.
    assert_eq!(count(&after, "PassStateEntered"), 2);

    // The same token again is the same redrive; the ended execution stays ended.
    let again = engine.redrive(&arn, Some("t")).await.expect("retry");
    assert_eq!(again, redriven);
    assert!(matches!(
        engine.redrive(&arn, Some("other")).await,
        Err(Error::ExecutionNotRedrivable { .. })
    ));
}

#[tokio::test]
async fn two_racing_redrives_make_one() {
    let db = TempDb::new("redrive-race");
    let engine = engine(&db, 1);
    let arn = engine
        .start(StartRequest::new("sm", &machine(), json!({})))
        .await
        .expect("start")
        .execution_arn;
    drain(&engine).await;
    // A second engine on the same file, as a second process would be.
    let other = self::engine(&db, 0);
    let (a, b) = tokio::join!(
        engine.redrive(&arn, Some("a")),
        other.redrive(&arn, Some("b"))
    );
    let refused = |r: &Result<_, Error>| matches!(r, Err(Error::ExecutionNotRedrivable { .. }));
    assert!(
        (a.is_ok() && refused(&b)) || (b.is_ok() && refused(&a)),
        "{a:?} {b:?}"
    );
    drain(&engine).await;
    let done = engine.describe(&arn).await.expect("describe");
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    assert_eq!(done.info.redrive_count, 1);
    let history = engine.history(&arn).await.expect("history");
    assert_eq!(count(&history, "ExecutionRedriven"), 1);
}
