//! What the engine keeps in its store: plain data, serialisable as JSON.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use stepwise_core::failure::Failure;
use stepwise_core::interp::{
    ChildrenKind, ExecutionInfo, FailureTolerance, Feed, Frame, Outcome, TaskRequest,
};

use crate::ids::{FrameId, JoinKey};
use crate::message::Message;

/// Where an execution stands, as `DescribeExecution` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

impl ExecutionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::TimedOut => "TIMED_OUT",
            Self::Aborted => "ABORTED",
        }
    }
}

/// The execution header: one per execution, written at start and when it ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionRecord {
    pub info: ExecutionInfo,
    /// SHA-256 of the definition text, the key of the stored definition.
    pub definition_hash: String,
    pub status: ExecutionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_time: Option<i64>,
    /// The `clientToken` of the last redrive, so a retried `RedriveExecution` is
    /// recognised (the count and time are in `info`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redrive_token: Option<String>,
    /// The mock configuration's test case the execution runs (`stepwise serve
    /// --mock-config`, `StartExecution` on `…:stateMachine:name#TestCase`); stored here so
    /// that its tasks find it after a restart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_case: Option<String>,
    /// For a nested execution: the Task state that started it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentTask>,
}

/// The Task state (`states:startExecution…`) that started a nested execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentTask {
    /// The parent execution ARN and the key of the task message that started this one: a
    /// redelivered start from the same caller finds this execution instead of failing
    /// with `ExecutionAlreadyExists`, even after it ended.
    pub caller: String,
    /// Set when the parent waits for this execution's end (`.sync`, `.sync:2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<WaitingParent>,
}

/// What the end of a nested execution reports, and to which task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingParent {
    /// The token the parent's task waits on (a credential: never logged or described).
    pub token: String,
    /// `.sync:2`: the child's input and output as JSON values rather than JSON text.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub json_values: bool,
}

impl ExecutionRecord {
    pub fn arn(&self) -> &str {
        &self.info.id
    }

    pub fn is_running(&self) -> bool {
        self.status == ExecutionStatus::Running
    }

    /// Whether the execution ended unsuccessfully (the statuses a redrive resumes).
    pub fn is_unsuccessful(&self) -> bool {
        matches!(
            self.status,
            ExecutionStatus::Failed | ExecutionStatus::TimedOut | ExecutionStatus::Aborted
        )
    }

    /// This header, ended with `status`.
    pub fn ended(&self, status: ExecutionStatus, outcome: Option<&Outcome>, now: i64) -> Self {
        let mut ended = self.clone();
        ended.status = status;
        ended.stop_time = Some(now);
        match outcome {
            Some(Outcome::Succeeded(output)) => ended.output = Some(output.clone()),
            Some(Outcome::Failed(failure)) => ended.failure = Some(failure.clone()),
            None => {}
        }
        ended
    }
}

/// A frame as stored: the core's frame plus what the engine needs to resume it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameRecord {
    pub id: FrameId,
    /// Bumped by every commit; a commit is conditional on the version it read.
    pub version: u64,
    pub frame: Frame,
    /// The id of this frame's next history event.
    pub next_event_id: u64,
    /// The messages this version's commit promised to send.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outbox: Vec<Message>,
    /// The key of the message that produced this version ([`Message::key`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// For a version a chain wrote (see [`crate::Config::chain_budget_ms`]): the key of
    /// the queue message the chain began with, which looks for it when redelivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// The task the frame waits on, while it waits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<TaskRequest>,
    /// For a child frame: what it needs to report to its parent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentLink>,
    /// What the pending task has reported so far. Kept beside the version (a heartbeat
    /// is not a transition); the next commit starts it afresh.
    #[serde(default, skip_serializing_if = "TaskProgress::is_empty")]
    pub progress: TaskProgress,
}

/// A pending task's reports that do not end it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskProgress {
    /// The last `SendTaskHeartbeat` (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beat: Option<i64>,
    /// A callback task's call went through: history shows it as `TaskSubmitted`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted: Option<Submission>,
}

impl TaskProgress {
    pub fn is_empty(&self) -> bool {
        self.beat.is_none() && self.submitted.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    /// Epoch ms.
    pub at: i64,
    /// What the call returned.
    pub output: Value,
}

/// One report for [`crate::Store::note_task`].
#[derive(Debug, Clone, PartialEq)]
pub enum TaskNote {
    Beat(i64),
    Submitted(Submission),
}

impl TaskProgress {
    pub fn apply(&mut self, note: TaskNote) {
        match note {
            TaskNote::Beat(at) => self.beat = Some(at),
            TaskNote::Submitted(submission) => self.submitted = Some(submission),
        }
    }
}

/// A child frame's place in its parent's join.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParentLink {
    pub join: JoinKey,
    pub index: u32,
    pub kind: ChildrenKind,
    /// The Parallel or Map state's name (Map iteration events carry it).
    pub state: String,
    /// Children in the join; 0 when not known at the child's creation (a Distributed
    /// Map reading its items a page at a time): the join then starts its successor.
    pub total: u32,
    /// Child `index + max_concurrency` starts when this one ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<u32>,
    /// Items this child carries (an ItemBatcher's batch counts each), for failure
    /// tolerance.
    #[serde(default = "one")]
    pub items: u64,
    /// A Distributed Map child's input and first commit time (epoch ms), kept from its
    /// first commit to its last for its result record and its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<ChildStart>,
}

/// What a Distributed Map child's result needs from its start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChildStart {
    pub input: Value,
    pub at: i64,
}

fn one() -> u64 {
    1
}

/// A Parallel or Map state's join: counters that finishing children bump atomically, so
/// no single item is rewritten by every child with all the results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JoinRecord {
    pub key: JoinKey,
    pub kind: ChildrenKind,
    pub state: String,
    pub total: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<FailureTolerance>,
    #[serde(default)]
    pub succeeded: u32,
    #[serde(default)]
    pub failed: u32,
    /// Items in failed children (a batch counts each of its items).
    #[serde(default)]
    pub failed_items: u64,
    /// The parent has moved on (a child failed, or it was stopped): children still
    /// running stand down.
    #[serde(default)]
    pub closed: bool,
    /// The message that claimed the finished join to collect it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collector: Option<String>,
    /// A Distributed Map whose items are read a page at a time: where the next page
    /// starts (`None` once every item is read; `total` is final only then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed: Option<Feed>,
    /// A page could not be read or mapped: the Map fails with this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_failure: Option<Failure>,
    /// The children's MaxConcurrency, for children added by later pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<u32>,
    /// The children were read a page at a time: each `ChildDone` starts the ended child's
    /// successor under MaxConcurrency (the child could not: its total was not known).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paged: bool,
}

impl JoinRecord {
    pub fn finished(&self) -> u32 {
        self.succeeded + self.failed
    }

    /// Children written so far: all of them, or those of the pages read so far while a
    /// Distributed Map still reads its items.
    pub fn children_known(&self) -> u64 {
        self.feed
            .as_ref()
            .map_or(u64::from(self.total), |feed| feed.children)
    }
}

/// How one child ended, kept until the join reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChildResult {
    pub index: u32,
    pub outcome: Outcome,
    /// The child's next history event id: the join's events continue after the highest.
    #[serde(default)]
    pub next_event_id: u64,
    /// A Distributed Map child's input and first commit time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<ChildStart>,
    /// The time of the commit that ended the child (epoch ms; 0 if unknown).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub stopped: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// The history events of one commit, in AWS's `GetExecutionHistory` shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryItem {
    pub frame: FrameId,
    pub version: u64,
    pub events: Vec<Value>,
}
