//! The store port: where executions, frames, joins and history live.
//!
//! Every write that changes an execution is conditional: on a frame's version, on the
//! execution still running, or on a key not existing yet. Implementations map each
//! method to one round trip where the backend allows it (DynamoDB: one `BatchGetItem`
//! for [`Store::load`], one `TransactWriteItems` or conditional `PutItem` for
//! [`Store::commit`]).
//!
//! Frame versions are dense: a commit writes `expected_version + 1`, over the version it
//! read. A store may rely on that (DynamoDB's frame log does: the next version's key is
//! its lock).

use std::future::Future;

use crate::ids::{FrameId, JoinKey};
use crate::queue::Outgoing;
use crate::records::{
    ChildResult, ExecutionRecord, FrameRecord, HistoryItem, JoinRecord, TaskNote,
};

/// Faults of the store itself; never a workflow error. `Unavailable` is worth retrying
/// (throttling, network); `Corrupt` is not (an item that does not parse).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("corrupt store item {key}: {message}")]
    Corrupt { key: String, message: String },
    #[error("store item too large: {0}")]
    TooLarge(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What one step needs, read together.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadRequest {
    pub execution: String,
    pub frame: FrameId,
    /// Joins to read with it: the parent's (a child checks it was not closed) and the
    /// frame's own (a `ChildDone` message decides the join).
    pub joins: Vec<JoinKey>,
    /// Read the frame too. A `ChildDone` first reads only the join: most of them just
    /// find it still waiting, and a parent frame can be large (a Map's whole input).
    pub with_frame: bool,
    /// The frame version the caller expects to find (a message's `version`), a hint for
    /// stores that keep every version: they read it and the next instead of looking
    /// for the latest. The answer is the same with or without it: the latest version.
    pub version: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Loaded {
    pub execution: Option<ExecutionRecord>,
    pub frame: Option<FrameRecord>,
    /// In the order asked for; `None` where absent.
    pub joins: Vec<Option<JoinRecord>>,
}

/// One transition's writes, applied all or nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Commit {
    pub execution: String,
    /// The new version of the frame: `expected_version + 1`.
    pub frame: FrameRecord,
    /// The version the step read: the write fails if the stored frame is not at it.
    pub expected_version: u64,
    /// The commit's history events (may be empty).
    pub history: Option<HistoryItem>,
    /// A child frame ended: record its result and bump its join's counters.
    pub child_result: Option<ChildOutcome>,
    /// The root frame ended, or the join's failure ends the frame's wait: the execution
    /// header's new status (written only while it is still `Running`).
    pub finish: Option<ExecutionRecord>,
    /// Close this join (the frame moved on before every child ended).
    pub close_join: Option<JoinKey>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChildOutcome {
    pub join: JoinKey,
    pub result: ChildResult,
    /// Items the child carried, for a Distributed Map's failure tolerance.
    pub items: u64,
}

/// A redrive: the ended execution running again and its root frame's next version, written
/// all or nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Redrive {
    /// The header as it becomes: `Running`, its `redrive_count` one more than the stored
    /// header's. Written only if the stored header has ended unsuccessfully with
    /// `redrive_count - 1` redrives, so of two racing redrives one wins.
    pub execution: ExecutionRecord,
    /// The root frame's new version (conditional on `expected_version`), with the
    /// `ExecutionRedriven` event and the outbox that resumes it; `finish` and
    /// `child_result` are `None`, `close_join` closes a join the frame waited on.
    pub root: Commit,
}

/// The result of a conditional write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Done,
    /// A condition did not hold (another worker got there first, or the execution
    /// ended): nothing was written.
    Conflict,
}

/// The start of an execution, written all or nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Creation {
    pub execution: ExecutionRecord,
    pub definition: String,
    /// The root frame after its first step; its `expected_version` is ignored.
    pub root: Commit,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    Done,
    /// An execution with this ARN exists already (it is returned).
    Exists(Box<ExecutionRecord>),
}

/// One page of an execution's history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistoryPage {
    pub items: Vec<HistoryItem>,
    pub next: Option<String>,
}

/// The storage port. `Send + Sync` so one store serves concurrent handlers.
pub trait Store: Send + Sync {
    fn load(&self, request: &LoadRequest) -> impl Future<Output = Result<Loaded>> + Send;

    /// Creates the execution header, stores the definition and commits the root frame's
    /// first version, unless the ARN exists.
    fn create(&self, creation: Creation) -> impl Future<Output = Result<Created>> + Send;

    /// Writes a join and its children, each only if absent: a retried fan-out finds them
    /// there and leaves them as they are.
    fn open_join(
        &self,
        execution: &str,
        join: JoinRecord,
        children: Vec<FrameRecord>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Writes more children of a join that [`Store::open_join`] wrote (a later chunk of a
    /// large fan-out), each only if absent. The default writes the join again too, which
    /// finds it there; a store that pays for that refused write skips it.
    fn add_children(
        &self,
        execution: &str,
        join: JoinRecord,
        children: Vec<FrameRecord>,
    ) -> impl Future<Output = Result<()>> + Send {
        self.open_join(execution, join, children)
    }

    /// Records that page `page` of a join's items was read (its children are written
    /// already): the join's `total`, `tolerance`, `feed` and `feed_failure` become
    /// `update`'s, only if the stored join still waits for that page (`feed.page ==
    /// page`); `Conflict` otherwise. The counters that children bump are left alone.
    fn feed_join(
        &self,
        execution: &str,
        page: u64,
        update: &JoinRecord,
    ) -> impl Future<Output = Result<Written>> + Send;

    fn commit(&self, commit: Commit) -> impl Future<Output = Result<Written>> + Send;

    /// [`Store::commit`], then the commit's outbox. A store that holds the queue too
    /// (the embedded backend: one SQLite file) enqueues `outbox` in the commit's own
    /// transaction, only if it is `Done`, and returns `None`: the messages are sent, and
    /// atomically with the commit, so the dual write cannot half-happen. Any other store
    /// hands `outbox` back for the caller to send with its queue (the default).
    fn commit_sending(
        &self,
        commit: Commit,
        outbox: Vec<Outgoing>,
        now: i64,
    ) -> impl Future<Output = Result<(Written, Option<Vec<Outgoing>>)>> + Send {
        let _ = now;
        async move { Ok((self.commit(commit).await?, Some(outbox))) }
    }

    /// Records a report of the task frame `frame` waits on at `version`, beside the frame
    /// and without a new version; `Conflict` when the frame has moved on (the task ended).
    fn note_task(
        &self,
        execution: &str,
        frame: &FrameId,
        version: u64,
        note: TaskNote,
    ) -> impl Future<Output = Result<Written>> + Send;

    /// Ends a running execution from outside its frames (stop, timeout); `Conflict` when
    /// it had ended already.
    fn end(
        &self,
        record: ExecutionRecord,
        history: HistoryItem,
    ) -> impl Future<Output = Result<Written>> + Send;

    /// Resumes an execution that ended unsuccessfully (`RedriveExecution`); `Conflict`
    /// when the header is not the ended one the redrive read (it is running, or another
    /// redrive won) or the root frame moved.
    fn redrive(&self, redrive: Redrive) -> impl Future<Output = Result<Written>> + Send;

    /// Claims a finished join for the message that collects it (`claimant`: its key), so
    /// that of several late `ChildDone` messages only one reads every result and
    /// commits. `Done` again for the same claimant (a redelivery), `Conflict` for others.
    fn claim_join(
        &self,
        execution: &str,
        join: &JoinKey,
        claimant: &str,
    ) -> impl Future<Output = Result<Written>> + Send;

    /// The results of a join's children, by index.
    fn child_results(
        &self,
        execution: &str,
        join: &JoinKey,
    ) -> impl Future<Output = Result<Vec<ChildResult>>> + Send;

    /// At most `limit` results of a join's children, by index, from the one after
    /// `after` (`None`: the first): a caller that goes through a large join a page at a
    /// time. The default reads them all and keeps the page; a store that can read only
    /// the page does.
    fn child_results_page(
        &self,
        execution: &str,
        join: &JoinKey,
        after: Option<u32>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<ChildResult>>> + Send {
        async move {
            let results = self.child_results(execution, join).await?;
            Ok(results
                .into_iter()
                .filter(|r| after.is_none_or(|after| r.index > after))
                .take(limit as usize)
                .collect())
        }
    }

    fn execution(&self, arn: &str) -> impl Future<Output = Result<Option<ExecutionRecord>>> + Send;

    fn frame(
        &self,
        execution: &str,
        frame: &FrameId,
    ) -> impl Future<Output = Result<Option<FrameRecord>>> + Send;

    fn definition(&self, hash: &str) -> impl Future<Output = Result<Option<String>>> + Send;

    /// History items in key order, a page at a time (`page`: the previous page's `next`).
    /// A large commit may come back as several consecutive items with the same frame and
    /// version (a page can end inside it).
    fn history(
        &self,
        execution: &str,
        page: Option<String>,
    ) -> impl Future<Output = Result<HistoryPage>> + Send;
}

impl Creation {
    /// The key the definition is stored under.
    pub fn execution_hash(&self) -> String {
        self.execution.definition_hash.clone()
    }
}
