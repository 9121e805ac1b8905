//! The store contract: each scenario runs on the in-memory reference store and on
//! DynamoDB, checks its own expectations on both, and the two logs must be equal.

use serde_json::{json, Value};
use stepwise_engine::memory::MemoryStore;
use stepwise_engine::store::{ChildOutcome, Commit, Created, LoadRequest, Redrive, Store, Written};
use stepwise_engine::{ExecutionStatus, FrameId, FrameRecord, JoinKey, Submission, TaskNote};

use crate::support::{
    arn, child_result, commit, creation, ended, frame, history, join, Fixture, DEFINITION,
};

/// Runs `scenario` on both stores and compares what each saw. A macro because a
/// scenario is generic over the store: a function could not take it uninstantiated.
macro_rules! on_both_stores {
    ($tag:literal, $scenario:ident) => {{
        let Some(fixture) = Fixture::new($tag).await else {
            return;
        };
        let arn = arn($tag);
        let memory = $scenario(&MemoryStore::default(), &arn).await;
        let dynamo = $scenario(&fixture.store(), &arn).await;
        assert_eq!(memory, dynamo, "memory (left) and DynamoDB (right) differ");
        fixture.clean_up().await;
    }};
}

async fn create_twice<S: Store>(store: &S, arn: &str) -> Vec<String> {
    let mut log = Vec::new();
    let first = creation(arn, json!({"a": 1}));
    assert_eq!(store.create(first.clone()).await.unwrap(), Created::Done);
    let again = store.create(creation(arn, json!({"a": 2}))).await.unwrap();
    assert_eq!(again, Created::Exists(Box::new(first.execution.clone())));
    let loaded = store
        .load(&LoadRequest {
            execution: arn.to_owned(),
            frame: FrameId::root(),
            joins: vec![],
            with_frame: true,
            version: None,
        })
        .await
        .unwrap();
    assert_eq!(loaded.execution.as_ref(), Some(&first.execution));
    assert_eq!(loaded.frame.as_ref(), Some(&first.root.frame));
    let definition = store
        .definition(&first.execution.definition_hash)
        .await
        .unwrap();
    assert_eq!(definition.as_deref(), Some(DEFINITION));
    log.push(format!("{loaded:?}"));
    log.push(format!("{:?}", store.history(arn, None).await.unwrap()));
    log
}

async fn create_ended<S: Store>(store: &S, arn: &str) -> Vec<String> {
    // An execution that ends in its first step is written ended.
    let mut first = creation(arn, json!({}));
    first.root.finish = Some(ended(&first.execution, ExecutionStatus::Succeeded));
    assert_eq!(store.create(first).await.unwrap(), Created::Done);
    let record = store.execution(arn).await.unwrap().unwrap();
    assert_eq!(record.status, ExecutionStatus::Succeeded);
    vec![format!("{record:?}")]
}

async fn stale_versions_conflict<S: Store>(store: &S, arn: &str) -> Vec<String> {
    let mut log = Vec::new();
    store.create(creation(arn, json!({}))).await.unwrap();
    let v2 = frame(FrameId::root(), 2, json!({"v": 2}));
    // Over version 0, which the frame has left: its next version exists.
    let stale = commit(arn, frame(FrameId::root(), 1, json!({"v": 1})));
    assert_eq!(store.commit(stale).await.unwrap(), Written::Conflict);
    assert_eq!(
        store.commit(commit(arn, v2.clone())).await.unwrap(),
        Written::Done
    );
    // The same commit again: the frame has moved on.
    let again = Commit {
        history: Some(history(&FrameId::root(), 2, "Again")),
        ..commit(arn, v2.clone())
    };
    assert_eq!(store.commit(again).await.unwrap(), Written::Conflict);
    let stored = store.frame(arn, &FrameId::root()).await.unwrap();
    assert_eq!(stored.as_ref(), Some(&v2));
    // (A commit over a version never written is not a case: a commit writes the version
    // after one it read. DynamoDB's frame log relies on it, its lock being the next key.)
    log.push(format!("{stored:?}"));
    log.push(format!("{:?}", store.history(arn, None).await.unwrap()));
    log
}

async fn task_notes_sit_beside_the_version<S: Store>(store: &S, arn: &str) -> Vec<String> {
    let mut log = Vec::new();
    store.create(creation(arn, json!({}))).await.unwrap();
    let root = FrameId::root();
    let beat = TaskNote::Beat(42);
    assert_eq!(
        store.note_task(arn, &root, 0, beat.clone()).await.unwrap(),
        Written::Conflict,
        "a note for a version the frame has left"
    );
    let ghost = FrameId::child(&root, 9, 9);
    assert_eq!(
        store.note_task(arn, &ghost, 1, beat.clone()).await.unwrap(),
        Written::Conflict,
        "a note for a frame that does not exist"
    );
    assert_eq!(
        store.note_task(arn, &root, 1, beat).await.unwrap(),
        Written::Done
    );
    let submitted = TaskNote::Submitted(Submission {
        at: 43,
        output: json!({"MessageId": "m", "n": 1.5}),
    });
    assert_eq!(
        store.note_task(arn, &root, 1, submitted).await.unwrap(),
        Written::Done
    );
    let noted = store.frame(arn, &root).await.unwrap().expect("frame");
    assert_eq!(noted.version, 1, "a note is not a new version");
    assert_eq!(noted.progress.beat, Some(42));
    assert_eq!(
        noted
            .progress
            .submitted
            .as_ref()
            .map(|s| (s.at, s.output.clone())),
        Some((43, json!({"MessageId": "m", "n": 1.5})))
    );
    log.push(format!("{:?}", noted.progress));
    // The next commit starts the progress afresh.
    let v2 = frame(root.clone(), 2, json!({"v": 2}));
    assert_eq!(store.commit(commit(arn, v2)).await.unwrap(), Written::Done);
    let next = store.frame(arn, &root).await.unwrap().expect("frame");
    assert!(next.progress.is_empty(), "{:?}", next.progress);
    log.push(format!("{next:?}"));
    log
}

async fn commit_after_end_conflicts<S: Store>(store: &S, arn: &str) -> Vec<String> {
    let first = creation(arn, json!({}));
    store.create(first.clone()).await.unwrap();
    let aborted = ended(&first.execution, ExecutionStatus::Aborted);
    let stop = history(&FrameId::root(), u64::MAX, "ExecutionAborted");
    assert_eq!(
        store.end(aborted.clone(), stop.clone()).await.unwrap(),
        Written::Done
    );
    assert_eq!(
        store.end(aborted.clone(), stop).await.unwrap(),
        Written::Conflict
    );
    let finishing = Commit {
        history: Some(history(&FrameId::root(), 2, "ExecutionSucceeded")),
        finish: Some(ended(&first.execution, ExecutionStatus::Succeeded)),
        ..commit(arn, frame(FrameId::root(), 2, json!({})))
    };
    assert_eq!(store.commit(finishing).await.unwrap(), Written::Conflict);
    // All or nothing: neither the frame nor the history moved.
    let root = store.frame(arn, &FrameId::root()).await.unwrap().unwrap();
    assert_eq!(root.version, 1);
    assert_eq!(store.execution(arn).await.unwrap().as_ref(), Some(&aborted));
    vec![
        format!("{root:?}"),
        format!("{:?}", store.history(arn, None).await.unwrap()),
    ]
}

/// The header running again after `redrives` redrives, as a redrive writes it.
fn running_again(
    record: &stepwise_engine::ExecutionRecord,
    redrives: u32,
) -> stepwise_engine::ExecutionRecord {
    let mut running = record.clone();
    running.status = ExecutionStatus::Running;
    running.stop_time = None;
    running.output = None;
    running.info.redrive_count = redrives;
    running.info.redrive_time = Some(1_700_000_002_000);
    running.redrive_token = Some(format!("token-{redrives}"));
    running
}

/// A redrive of the root frame from `version - 1` to `version`, as run `redrives`.
fn redrive(
    arn: &str,
    header: &stepwise_engine::ExecutionRecord,
    redrives: u32,
    version: u64,
) -> Redrive {
    Redrive {
        execution: running_again(header, redrives),
        root: Commit {
            history: Some(history(&FrameId::root(), version, "ExecutionRedriven")),
            ..commit(
                arn,
                frame(FrameId::root(), version, json!({"redrive": redrives})),
            )
        },
    }
}

async fn redrives_are_conditional<S: Store>(store: &S, arn: &str) -> Vec<String> {
    let first = creation(arn, json!({}));
    store.create(first.clone()).await.unwrap();
    // Running: nothing to redrive.
    let early = redrive(arn, &first.execution, 1, 2);
    assert_eq!(store.redrive(early).await.unwrap(), Written::Conflict);
    let failed = ended(&first.execution, ExecutionStatus::Failed);
    let stop = history(&FrameId::root(), u64::MAX, "ExecutionFailed");
    assert_eq!(
        store.end(failed.clone(), stop).await.unwrap(),
        Written::Done
    );
    // A stale frame version (over 0, which the root has left), or a count that skips
    // one, changes nothing.
    let stale = redrive(arn, &failed, 1, 1);
    assert_eq!(store.redrive(stale).await.unwrap(), Written::Conflict);
    let skipping = redrive(arn, &failed, 2, 2);
    assert_eq!(store.redrive(skipping).await.unwrap(), Written::Conflict);
    assert_eq!(store.execution(arn).await.unwrap().as_ref(), Some(&failed));
    // The first of two identical redrives wins; the second finds it running.
    let once = redrive(arn, &failed, 1, 2);
    assert_eq!(store.redrive(once.clone()).await.unwrap(), Written::Done);
    assert_eq!(store.redrive(once).await.unwrap(), Written::Conflict);
    let running = store.execution(arn).await.unwrap().unwrap();
    assert_eq!(running, running_again(&failed, 1));
    // Stopped again, it redrives again with the next count only.
    let aborted = ended(&running, ExecutionStatus::Aborted);
    let abort = history(&FrameId::root(), u64::MAX - 1, "ExecutionAborted");
    assert_eq!(
        store.end(aborted.clone(), abort).await.unwrap(),
        Written::Done
    );
    let replay = redrive(arn, &aborted, 1, 3);
    assert_eq!(store.redrive(replay).await.unwrap(), Written::Conflict);
    let second = redrive(arn, &aborted, 2, 3);
    assert_eq!(store.redrive(second).await.unwrap(), Written::Done);
    vec![
        format!("{:?}", store.execution(arn).await.unwrap()),
        format!("{:?}", store.frame(arn, &FrameId::root()).await.unwrap()),
        format!("{:?}", store.history(arn, None).await.unwrap()),
    ]
}

async fn joins_count_and_close<S: Store>(store: &S, arn: &str) -> Vec<String> {
    let mut log = Vec::new();
    store.create(creation(arn, json!({}))).await.unwrap();
    let root = FrameId::root();
    let key = JoinKey {
        parent: root.clone(),
        version: 1,
    };
    let children = |input: Value| -> Vec<FrameRecord> {
        (0..3)
            .map(|i| frame(FrameId::child(&root, 1, i), 1, input.clone()))
            .collect()
    };
    store
        .open_join(arn, join(root.clone(), 1, 3), children(json!("first")))
        .await
        .unwrap();
    // A retried fan-out keeps what the first wrote.
    store
        .open_join(arn, join(root.clone(), 1, 99), children(json!("second")))
        .await
        .unwrap();
    for (i, child) in children(json!("first")).into_iter().enumerate() {
        let stored = store.frame(arn, &child.id).await.unwrap();
        assert_eq!(stored.as_ref(), Some(&child), "child {i}");
    }
    let read_join = || async {
        store
            .load(&LoadRequest {
                execution: arn.to_owned(),
                frame: FrameId::child(&root, 1, 0),
                joins: vec![key.clone(), key.clone()],
                with_frame: true,
                version: None,
            })
            .await
            .unwrap()
            .joins
    };
    assert_eq!(read_join().await[0].as_ref().unwrap().total, 3);

    // Child 1 fails carrying two items, child 0 succeeds: out of order, as SQS may.
    let done = |index: u32, outcome: Value, items: u64| Commit {
        child_result: Some(ChildOutcome {
            join: key.clone(),
            result: child_result(index, outcome),
            items,
        }),
        history: Some(history(&FrameId::child(&root, 1, index), 2, "Done")),
        ..commit(
            arn,
            frame(FrameId::child(&root, 1, index), 2, json!("done")),
        )
    };
    let failed = json!({"Failed": {"error": "E", "cause": "C"}});
    assert_eq!(
        store.commit(done(1, failed, 2)).await.unwrap(),
        Written::Done
    );
    assert_eq!(
        store
            .commit(done(0, json!({"Succeeded": {"n": 0}}), 1))
            .await
            .unwrap(),
        Written::Done
    );
    // A redelivered child commit conflicts and counts nothing.
    assert_eq!(
        store
            .commit(done(0, json!({"Succeeded": {"n": 0}}), 1))
            .await
            .unwrap(),
        Written::Conflict
    );
    let joins = read_join().await;
    let counted = joins[0].clone().unwrap();
    assert_eq!(joins[0], joins[1]);
    assert_eq!(
        (
            counted.succeeded,
            counted.failed,
            counted.failed_items,
            counted.closed
        ),
        (1, 1, 2, false)
    );
    let results = store.child_results(arn, &key).await.unwrap();
    assert_eq!(results.iter().map(|r| r.index).collect::<Vec<_>>(), [0, 1]);
    log.push(format!("{counted:?}"));
    log.push(format!("{results:?}"));

    // The parent moves on and closes the join; the last child's result and the close
    // in one commit (one update of the join item).
    let close = Commit {
        close_join: Some(key.clone()),
        ..commit(arn, frame(root.clone(), 2, json!({})))
    };
    assert_eq!(store.commit(close).await.unwrap(), Written::Done);
    let both = Commit {
        close_join: Some(key.clone()),
        ..done(2, json!({"Succeeded": 2}), 1)
    };
    assert_eq!(store.commit(both).await.unwrap(), Written::Done);
    let closed = read_join().await[0].clone().unwrap();
    assert_eq!((closed.succeeded, closed.closed), (2, true));
    log.push(format!("{closed:?}"));

    // A result for a join never opened: counted nowhere visible, kept as a result.
    let orphan_key = JoinKey {
        parent: root.clone(),
        version: 7,
    };
    let orphan = Commit {
        child_result: Some(ChildOutcome {
            join: orphan_key.clone(),
            result: child_result(0, json!({"Succeeded": 1})),
            items: 1,
        }),
        ..commit(arn, frame(root.clone(), 3, json!({})))
    };
    assert_eq!(store.commit(orphan).await.unwrap(), Written::Done);
    let loaded = store
        .load(&LoadRequest {
            execution: arn.to_owned(),
            frame: root.clone(),
            joins: vec![orphan_key.clone()],
            with_frame: true,
            version: None,
        })
        .await
        .unwrap();
    assert_eq!(loaded.joins, [None]);
    log.push(format!(
        "{:?}",
        store.child_results(arn, &orphan_key).await.unwrap()
    ));
    log.push(format!("{:?}", store.history(arn, None).await.unwrap()));
    log
}

async fn history_in_order<S: Store>(store: &S, arn: &str) -> Vec<String> {
    store.create(creation(arn, json!({}))).await.unwrap();
    let root = FrameId::root();
    // Root commits 2..=130, and children whose ids sort between and after the root's.
    for version in 2..=130 {
        let next = Commit {
            history: Some(history(&root, version, "Root")),
            ..commit(arn, frame(root.clone(), version, json!({})))
        };
        assert_eq!(store.commit(next).await.unwrap(), Written::Done);
    }
    let children: Vec<FrameRecord> = [1, 2, 10]
        .iter()
        .map(|&i| frame(FrameId::child(&root, 5, i), 1, json!({})))
        .collect();
    store
        .open_join(arn, join(root.clone(), 5, 3), children.clone())
        .await
        .unwrap();
    // Versions 2..=11: 11 must sort after 2 and 3, not between them. Version 1, written
    // by the fan-out, has no history.
    for child in &children {
        for version in 2..=11 {
            let next = Commit {
                history: Some(history(&child.id, version, "Child")),
                ..commit(arn, frame(child.id.clone(), version, json!({})))
            };
            assert_eq!(store.commit(next).await.unwrap(), Written::Done);
        }
    }
    let record = store.execution(arn).await.unwrap().unwrap();
    let stop = history(&root, u64::MAX, "ExecutionAborted");
    store
        .end(ended(&record, ExecutionStatus::Aborted), stop)
        .await
        .unwrap();

    let mut items = Vec::new();
    let mut page = None;
    let mut pages = 0;
    loop {
        let next = store.history(arn, page).await.unwrap();
        pages += 1;
        assert!(next.items.len() <= 100);
        items.extend(next.items);
        match next.next {
            Some(token) => page = Some(token),
            None => break,
        }
    }
    assert!(pages >= 2, "{pages} pages");
    assert_eq!(items.len(), 130 + 30 + 1);
    // Execution-level events sort right after the root's own commits.
    assert_eq!(items[130].version, u64::MAX);
    assert!(items[131..].iter().all(|i| !i.frame.is_root()));
    items
        .iter()
        .map(|i| format!("{}#{}", i.frame, i.version))
        .collect()
}

async fn unknown_execution<S: Store>(store: &S, arn: &str) -> Vec<String> {
    let key = JoinKey {
        parent: FrameId::root(),
        version: 1,
    };
    let loaded = store
        .load(&LoadRequest {
            execution: arn.to_owned(),
            frame: FrameId::root(),
            joins: vec![key.clone()],
            with_frame: true,
            version: None,
        })
        .await
        .unwrap();
    assert!(loaded.execution.is_none() && loaded.frame.is_none());
    vec![
        format!("{loaded:?}"),
        format!("{:?}", store.child_results(arn, &key).await.unwrap()),
        format!("{:?}", store.history(arn, None).await.unwrap()),
        format!("{:?}", store.definition("nope").await.unwrap()),
    ]
}

#[tokio::test]
async fn create_twice_returns_the_first() {
    on_both_stores!("create", create_twice);
}

#[tokio::test]
async fn an_execution_may_end_at_creation() {
    on_both_stores!("ended", create_ended);
}

#[tokio::test]
async fn stale_commits_conflict() {
    on_both_stores!("stale", stale_versions_conflict);
}

#[tokio::test]
async fn task_notes_do_not_make_versions() {
    on_both_stores!("task-notes", task_notes_sit_beside_the_version);
}

#[tokio::test]
async fn a_commit_after_end_conflicts() {
    on_both_stores!("end", commit_after_end_conflicts);
}

#[tokio::test]
async fn joins_count_children_and_close() {
    on_both_stores!("join", joins_count_and_close);
}

#[tokio::test]
async fn history_pages_come_back_in_order() {
    on_both_stores!("history", history_in_order);
}

#[tokio::test]
async fn unknown_executions_read_as_absent() {
    on_both_stores!("unknown", unknown_execution);
}

#[tokio::test]
async fn redrives_write_once_on_an_ended_header() {
    on_both_stores!("redrive", redrives_are_conditional);
}
