//! `SqliteStore`'s conditional writes, on records a real execution made: a Map whose
//! two iterations are parked in Waits (a root frame waiting on a join, two child frames).

mod support;

use std::time::Duration;

use serde_json::json;
use stepwise_core::interp::Outcome;
use stepwise_engine::store::{ChildOutcome, Commit, Created, LoadRequest, Store, Written};
use stepwise_engine::{
    ChildResult, ExecutionStatus, FrameId, FrameRecord, HistoryItem, JoinKey, StartRequest,
};
use stepwise_local::{SqliteQueue, SqliteStore};
use support::{sqlite_engine, ManualClock, SqliteEngine, TempDb, T0};

struct Parked {
    db: TempDb,
    engine: SqliteEngine,
    arn: String,
    root: FrameRecord,
    child: FrameRecord,
    join: JoinKey,
}

/// Starts the Map and handles every message due now, so both iterations wait.
async fn parked() -> Parked {
    let db = TempDb::new("store");
    let engine = sqlite_engine(&db, T0);
    let definition = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100, "End": true}}}}}});
    let arn = engine
        .start(StartRequest::new(
            "sm",
            &definition.to_string(),
            json!([1, 2]),
        ))
        .await
        .expect("parked")
        .execution_arn;
    loop {
        let batch = engine
            .queue()
            .receive(10, Duration::from_secs(30))
            .await
            .expect("parked");
        if batch.is_empty() {
            break;
        }
        for delivery in batch {
            engine
                .handle(delivery.message, delivery.receive_count)
                .await
                .expect("parked");
            engine.queue().ack(delivery.id).await.expect("parked");
        }
    }
    let frames = engine.store().frames(&arn).await.expect("parked");
    assert_eq!(frames.len(), 3, "the root and two iterations");
    let root = frames
        .iter()
        .find(|f| f.id.is_root())
        .expect("parked")
        .clone();
    let child = frames
        .iter()
        .find(|f| !f.id.is_root())
        .expect("parked")
        .clone();
    let join = child.parent.as_ref().expect("parked").join.clone();
    Parked {
        db,
        engine,
        arn,
        root,
        child,
        join,
    }
}

fn next_version(frame: &FrameRecord, marker: &str) -> Commit {
    let id = frame.id.clone();
    Commit {
        execution: String::new(),
        frame: FrameRecord {
            version: frame.version + 1,
            cause: Some(marker.to_owned()),
            origin: None,
            ..frame.clone()
        },
        expected_version: frame.version,
        history: Some(HistoryItem {
            frame: id,
            version: frame.version + 1,
            events: vec![json!({"marker": marker})],
        }),
        child_result: None,
        finish: None,
        close_join: None,
    }
}

async fn snapshot(p: &Parked) -> (Vec<FrameRecord>, Vec<serde_json::Value>, String) {
    let store = p.engine.store();
    let join = store
        .load(&LoadRequest {
            execution: p.arn.clone(),
            frame: FrameId::root(),
            joins: vec![p.join.clone()],
            with_frame: false,
            version: None,
        })
        .await
        .expect("snapshot")
        .joins;
    let results = store
        .child_results(&p.arn, &p.join)
        .await
        .expect("snapshot");
    (
        store.frames(&p.arn).await.expect("snapshot"),
        p.engine.history(&p.arn).await.expect("snapshot"),
        format!(
            "{join:?} {results:?} {:?}",
            store.execution(&p.arn).await.expect("snapshot")
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_commits_at_the_same_version_one_wins() {
    let p = parked().await;
    let store = p.engine.store().clone();
    let mut a = next_version(&p.root, "a");
    let mut b = next_version(&p.root, "b");
    a.execution.clone_from(&p.arn);
    b.execution.clone_from(&p.arn);
    let (wa, wb) = tokio::join!(
        tokio::spawn({
            let store = store.clone();
            async move { store.commit(a).await.unwrap() }
        }),
        tokio::spawn(async move { store.commit(b).await.unwrap() })
    );
    let mut outcomes = [wa.unwrap(), wb.unwrap()];
    outcomes.sort_by_key(|w| *w == Written::Conflict);
    assert_eq!(outcomes, [Written::Done, Written::Conflict]);
    let stored = p
        .engine
        .store()
        .frame(&p.arn, &FrameId::root())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.version, p.root.version + 1);
    let winner = stored.cause.unwrap();
    // Only the winner's history item exists, and it is the winner's.
    let markers: Vec<_> = p
        .engine
        .history(&p.arn)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| e.get("marker").cloned())
        .collect();
    assert_eq!(markers, vec![json!(winner)]);
}

#[tokio::test]
async fn a_failed_version_check_writes_nothing() {
    let p = parked().await;
    let before = snapshot(&p).await;
    // A stale child commit carrying every kind of write.
    let mut stale = next_version(&p.child, "stale");
    stale.execution.clone_from(&p.arn);
    stale.expected_version = p.child.version + 5;
    let header = p.engine.describe(&p.arn).await.unwrap();
    stale.finish = Some(header.ended(ExecutionStatus::Succeeded, None, T0));
    stale.close_join = Some(p.join.clone());
    stale.child_result = Some(ChildOutcome {
        join: p.join.clone(),
        result: ChildResult {
            index: 0,
            outcome: Outcome::Succeeded(json!("x")),
            next_event_id: 9,
            started: None,
            stopped: 0,
        },
        items: 1,
    });
    assert_eq!(
        p.engine.store().commit(stale.clone()).await.unwrap(),
        Written::Conflict
    );
    assert_eq!(
        snapshot(&p).await,
        before,
        "a conflicting commit changed the store"
    );

    // The same commit at the right version applies every part of it.
    stale.expected_version = p.child.version;
    stale.finish = None;
    assert_eq!(p.engine.store().commit(stale).await.unwrap(), Written::Done);
    let loaded = p
        .engine
        .store()
        .load(&LoadRequest {
            execution: p.arn.clone(),
            frame: p.child.id.clone(),
            joins: vec![p.join.clone()],
            with_frame: true,
            version: None,
        })
        .await
        .unwrap();
    let join = loaded.joins[0].clone().unwrap();
    assert_eq!((join.succeeded, join.failed, join.closed), (1, 0, true));
    assert_eq!(loaded.frame.unwrap().version, p.child.version + 1);
    let results = p
        .engine
        .store()
        .child_results(&p.arn, &p.join)
        .await
        .unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].outcome, Outcome::Succeeded(json!("x")));
}

#[tokio::test]
async fn finishing_an_ended_execution_is_a_conflict() {
    let p = parked().await;
    let stopped = p.engine.stop(&p.arn, None, None).await.unwrap();
    let before = snapshot(&p).await;
    let mut commit = next_version(&p.root, "late");
    commit.execution.clone_from(&p.arn);
    commit.finish = Some(stopped.ended(ExecutionStatus::Succeeded, None, T0));
    assert_eq!(
        p.engine.store().commit(commit).await.unwrap(),
        Written::Conflict
    );
    assert_eq!(snapshot(&p).await, before);
    // And `end` on an ended execution too.
    let history = HistoryItem {
        frame: FrameId::root(),
        version: 99,
        events: vec![json!({"marker": "end"})],
    };
    assert_eq!(
        p.engine
            .store()
            .end(stopped.clone(), history)
            .await
            .unwrap(),
        Written::Conflict
    );
    assert_eq!(snapshot(&p).await, before);
}

#[tokio::test]
async fn create_open_join_and_claim_join_write_only_once() {
    let p = parked().await;
    let store = p.engine.store();
    // Starting the same name again finds the execution (the engine asks `create`).
    let header = p.engine.describe(&p.arn).await.unwrap();
    let creation = stepwise_engine::store::Creation {
        execution: header.clone(),
        definition: "{}".to_owned(),
        root: Commit {
            execution: p.arn.clone(),
            ..next_version(&p.root, "again")
        },
    };
    assert_eq!(
        store.create(creation).await.unwrap(),
        Created::Exists(Box::new(header))
    );

    // A retried fan-out leaves the join and the children as they are.
    let before = snapshot(&p).await;
    let loaded = store
        .load(&LoadRequest {
            execution: p.arn.clone(),
            frame: FrameId::root(),
            joins: vec![p.join.clone()],
            with_frame: false,
            version: None,
        })
        .await
        .unwrap();
    let mut join = loaded.joins[0].clone().unwrap();
    join.succeeded = 42;
    let mut child = p.child.clone();
    child.version = 77;
    store.open_join(&p.arn, join, vec![child]).await.unwrap();
    assert_eq!(snapshot(&p).await, before);

    assert_eq!(
        store.claim_join(&p.arn, &p.join, "m1").await.unwrap(),
        Written::Done
    );
    assert_eq!(
        store.claim_join(&p.arn, &p.join, "m1").await.unwrap(),
        Written::Done
    );
    assert_eq!(
        store.claim_join(&p.arn, &p.join, "m2").await.unwrap(),
        Written::Conflict
    );
    let missing = JoinKey {
        parent: FrameId::root(),
        version: 1234,
    };
    assert_eq!(
        store.claim_join(&p.arn, &missing, "m1").await.unwrap(),
        Written::Conflict
    );
}

#[tokio::test]
async fn everything_is_there_after_reopening_the_file() {
    let p = parked().await;
    let before = snapshot(&p).await;
    let Parked {
        db, engine, arn, ..
    } = p;
    drop(engine);
    let store = SqliteStore::open(db.path(), support::options()).unwrap();
    let queue = SqliteQueue::open(db.path(), support::options(), ManualClock::at(T0)).unwrap();
    assert_eq!(store.frames(&arn).await.unwrap(), before.0);
    assert!(store.execution(&arn).await.unwrap().unwrap().is_running());
    assert_eq!(
        queue.len().await.unwrap(),
        2,
        "the two iterations' Wait timers"
    );
}
