//! Two workers handling the same message at once: one commits, the other stands down.

mod support;

use serde_json::json;
use stepwise_engine::memory::{MemoryQueue, MemoryStore};
use stepwise_engine::store::{
    self, Commit, Created, Creation, HistoryPage, LoadRequest, Loaded, Redrive, Store, Written,
};
use stepwise_engine::Clock;
use stepwise_engine::{
    ChildResult, Config, Engine, Error, ExecutionRecord, ExecutionStatus, FrameId, FrameRecord,
    Handled, HistoryItem, JoinKey, JoinRecord, NoTasks, StartRequest, TaskNote,
};
use support::{ManualClock, T0};

/// The in-memory store, giving way to other tasks before every request, as a remote
/// store would: concurrent handlers interleave between their read and their write.
#[derive(Debug, Default)]
struct Interleaving(MemoryStore);

impl Store for Interleaving {
    async fn load(&self, request: &LoadRequest) -> store::Result<Loaded> {
        tokio::task::yield_now().await;
        self.0.load(request).await
    }
    async fn create(&self, creation: Creation) -> store::Result<Created> {
        tokio::task::yield_now().await;
        self.0.create(creation).await
    }
    async fn open_join(
        &self,
        execution: &str,
        join: JoinRecord,
        children: Vec<FrameRecord>,
    ) -> store::Result<()> {
        tokio::task::yield_now().await;
        self.0.open_join(execution, join, children).await
    }
    async fn feed_join(
        &self,
        execution: &str,
        page: u64,
        update: &JoinRecord,
    ) -> store::Result<Written> {
        tokio::task::yield_now().await;
        self.0.feed_join(execution, page, update).await
    }
    async fn commit(&self, commit: Commit) -> store::Result<Written> {
        tokio::task::yield_now().await;
        self.0.commit(commit).await
    }
    async fn note_task(
        &self,
        execution: &str,
        frame: &FrameId,
        version: u64,
        note: TaskNote,
    ) -> store::Result<Written> {
        tokio::task::yield_now().await;
        self.0.note_task(execution, frame, version, note).await
    }
    async fn end(&self, record: ExecutionRecord, history: HistoryItem) -> store::Result<Written> {
        tokio::task::yield_now().await;
        self.0.end(record, history).await
    }
    async fn redrive(&self, redrive: Redrive) -> store::Result<Written> {
        tokio::task::yield_now().await;
        self.0.redrive(redrive).await
    }
    async fn claim_join(
        &self,
        execution: &str,
        join: &JoinKey,
        claimant: &str,
    ) -> store::Result<Written> {
        tokio::task::yield_now().await;
        self.0.claim_join(execution, join, claimant).await
    }
    async fn child_results(
        &self,
        execution: &str,
        join: &JoinKey,
    ) -> store::Result<Vec<ChildResult>> {
        tokio::task::yield_now().await;
        self.0.child_results(execution, join).await
    }
    async fn execution(&self, arn: &str) -> store::Result<Option<ExecutionRecord>> {
        self.0.execution(arn).await
    }
    async fn frame(&self, execution: &str, frame: &FrameId) -> store::Result<Option<FrameRecord>> {
        self.0.frame(execution, frame).await
    }
    async fn definition(&self, hash: &str) -> store::Result<Option<String>> {
        self.0.definition(hash).await
    }
    async fn history(&self, execution: &str, page: Option<String>) -> store::Result<HistoryPage> {
        self.0.history(execution, page).await
    }
}

#[tokio::test]
async fn two_workers_race_on_every_message() {
    let engine = Engine::with(
        Interleaving::default(),
        MemoryQueue::default(),
        NoTasks,
        ManualClock::at(T0),
        Config::local(),
    );
    let definition = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
        "P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 1, "End": true}}},
            {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 1, "End": true}}}]}}});
    let started = engine
        .start(StartRequest::new(
            "race",
            &definition.to_string(),
            json!({"v": 1}),
        ))
        .await
        .expect("start");
    let mut outcomes = Vec::new();
    let mut scheduled = support::Scheduled::default();
    loop {
        scheduled.take(engine.queue(), engine.clock().now());
        let Some((visible_at, out)) = scheduled.pop() else {
            break;
        };
        engine.clock().advance_to(visible_at);
        let (a, b) = tokio::join!(
            engine.handle(out.message.clone(), 1),
            engine.handle(out.message.clone(), 1)
        );
        outcomes.push((a.expect("first worker"), b.expect("second worker")));
        assert!(outcomes.len() < 200, "runaway message loop: {outcomes:?}");
    }
    let advanced = |h: &Handled| matches!(h, Handled::Advanced { .. } | Handled::Waiting);
    for (a, b) in &outcomes {
        // Exactly one of the two did the work (or both found nothing to do).
        assert!(
            !(advanced(a) && advanced(b)) || (a == &Handled::Waiting && b == &Handled::Waiting),
            "{a:?} {b:?}"
        );
    }
    // The loser of a race against its own message's twin re-sends the winner's outbox
    // (the winner may have died before sending it).
    let lost = |h: &Handled| matches!(h, Handled::Conflict | Handled::Resent);
    assert!(
        outcomes.iter().any(|(a, b)| lost(a) || lost(b)),
        "the workers never collided: {outcomes:?}"
    );
    let record = engine
        .describe(&started.execution_arn)
        .await
        .expect("describe");
    assert_eq!(record.status, ExecutionStatus::Succeeded);
    assert_eq!(record.output, Some(json!([1, {"v": 1}])));
}

#[tokio::test]
async fn two_racing_redrives_make_one() {
    let engine = Engine::with(
        Interleaving::default(),
        MemoryQueue::default(),
        NoTasks,
        ManualClock::at(T0),
        Config::local(),
    );
    // Fails on its first run; a redrive runs the Map again and it succeeds.
    let definition = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "Check", "States": {
            "Check": {"Type": "Choice", "Choices": [
                {"Variable": "$$.Execution.RedriveCount", "NumericGreaterThan": 0, "Next": "Done"}],
                "Default": "Broken"},
            "Broken": {"Type": "Fail", "Error": "Broken"},
            "Done": {"Type": "Succeed"}}}}}});
    let arn = engine
        .start(StartRequest::new(
            "race",
            &definition.to_string(),
            json!([1]),
        ))
        .await
        .expect("start")
        .execution_arn;
    while let Some(out) = engine.queue().pop() {
        engine.handle(out.message, 1).await.expect("handle");
    }
    assert_eq!(
        engine.describe(&arn).await.expect("describe").status,
        ExecutionStatus::Failed
    );
    let (a, b) = tokio::join!(
        engine.redrive(&arn, Some("first")),
        engine.redrive(&arn, Some("second"))
    );
    let refused = |r: &Result<_, Error>| matches!(r, Err(Error::ExecutionNotRedrivable { .. }));
    assert!(
        (a.is_ok() && refused(&b)) || (b.is_ok() && refused(&a)),
        "{a:?} {b:?}"
    );
    while let Some(out) = engine.queue().pop() {
        engine.handle(out.message, 1).await.expect("handle");
    }
    let described = engine.describe(&arn).await.expect("describe");
    assert_eq!(described.status, ExecutionStatus::Succeeded);
    assert_eq!(described.info.redrive_count, 1);
    let history = engine.history(&arn).await.expect("history");
    let redriven = history
        .iter()
        .filter(|e| e["type"] == "ExecutionRedriven")
        .count();
    assert_eq!(redriven, 1);
}
