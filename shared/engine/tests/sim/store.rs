//! The in-memory store behind a flaky network: every call is an await point where the
//! worker may be abandoned, and the seeded RNG throttles calls before they apply or
//! loses the response of a write that did apply (a crash right after the commit).

use std::sync::Arc;

use stepwise_engine::memory::MemoryStore;
use stepwise_engine::store::{
    self, Commit, Created, Creation, HistoryPage, LoadRequest, Loaded, Redrive, Store, Written,
};
use stepwise_engine::{
    ChildResult, ExecutionRecord, FrameId, FrameRecord, HistoryItem, JoinKey, JoinRecord, TaskNote,
};

use super::executor::pause;
use super::faults::{Fault, Faults};

#[derive(Debug)]
pub struct SimStore {
    inner: MemoryStore,
    faults: Arc<Faults>,
}

impl SimStore {
    pub fn new(faults: Arc<Faults>) -> Self {
        Self {
            inner: MemoryStore::default(),
            faults,
        }
    }

    /// The store without faults, for the invariants.
    pub fn inner(&self) -> &MemoryStore {
        &self.inner
    }

    /// The request goes out: another worker may run meanwhile, this one may die, or the
    /// store may refuse.
    async fn before(&self, op: &str) -> store::Result<()> {
        pause().await;
        if self
            .faults
            .roll(Fault::StoreThrottled, |p| p.store_throttle, op)
        {
            return Err(store::Error::Unavailable(format!(
                "simulated throttling on {op}"
            )));
        }
        Ok(())
    }

    /// A write has applied; its response may still be lost, or the worker die before
    /// it reads it.
    async fn after<T>(&self, op: &str, result: store::Result<T>) -> store::Result<T> {
        pause().await;
        if result.is_ok()
            && self.faults.roll(
                Fault::StoreFailedAfterWrite,
                |p| p.store_fail_after_write,
                op,
            )
        {
            return Err(store::Error::Unavailable(format!(
                "simulated lost response after {op} applied"
            )));
        }
        result
    }
}

impl Store for SimStore {
    async fn load(&self, request: &LoadRequest) -> store::Result<Loaded> {
        self.before("store.load").await?;
        self.inner.load(request).await
    }

    async fn create(&self, creation: Creation) -> store::Result<Created> {
        self.before("store.create").await?;
        let result = self.inner.create(creation).await;
        self.after("store.create", result).await
    }

    async fn open_join(
        &self,
        execution: &str,
        join: JoinRecord,
        children: Vec<FrameRecord>,
    ) -> store::Result<()> {
        self.before("store.open_join").await?;
        let result = self.inner.open_join(execution, join, children).await;
        self.after("store.open_join", result).await
    }

    async fn feed_join(
        &self,
        execution: &str,
        page: u64,
        update: &JoinRecord,
    ) -> store::Result<Written> {
        self.before("store.feed_join").await?;
        let result = self.inner.feed_join(execution, page, update).await;
        self.after("store.feed_join", result).await
    }

    async fn commit(&self, commit: Commit) -> store::Result<Written> {
        self.before("store.commit").await?;
        let result = self.inner.commit(commit).await;
        self.after("store.commit", result).await
    }

    async fn note_task(
        &self,
        execution: &str,
        frame: &FrameId,
        version: u64,
        note: TaskNote,
    ) -> store::Result<Written> {
        self.before("store.note_task").await?;
        let result = self.inner.note_task(execution, frame, version, note).await;
        self.after("store.note_task", result).await
    }

    async fn end(&self, record: ExecutionRecord, history: HistoryItem) -> store::Result<Written> {
        self.before("store.end").await?;
        let result = self.inner.end(record, history).await;
        self.after("store.end", result).await
    }

    async fn redrive(&self, redrive: Redrive) -> store::Result<Written> {
        self.before("store.redrive").await?;
        let result = self.inner.redrive(redrive).await;
        self.after("store.redrive", result).await
    }

    async fn claim_join(
        &self,
        execution: &str,
        join: &JoinKey,
        claimant: &str,
    ) -> store::Result<Written> {
        self.before("store.claim_join").await?;
        let result = self.inner.claim_join(execution, join, claimant).await;
        self.after("store.claim_join", result).await
    }

    async fn child_results(
        &self,
        execution: &str,
        join: &JoinKey,
    ) -> store::Result<Vec<ChildResult>> {
        self.before("store.child_results").await?;
        self.inner.child_results(execution, join).await
    }

    async fn execution(&self, arn: &str) -> store::Result<Option<ExecutionRecord>> {
        self.before("store.execution").await?;
        self.inner.execution(arn).await
    }

    async fn frame(&self, execution: &str, frame: &FrameId) -> store::Result<Option<FrameRecord>> {
        self.before("store.frame").await?;
        self.inner.frame(execution, frame).await
    }

    async fn definition(&self, hash: &str) -> store::Result<Option<String>> {
        self.before("store.definition").await?;
        self.inner.definition(hash).await
    }

    async fn history(&self, execution: &str, page: Option<String>) -> store::Result<HistoryPage> {
        self.before("store.history").await?;
        self.inner.history(execution, page).await
    }
}
