//! What goes into a step (events) and what comes out (effects, outcome).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::frame::Frame;
use super::history::HistoryEvent;
use crate::failure::{names, Failure};

/// Something that happened to a frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Run a frame that is ready (new, created as a child, or yielded with
    /// [`Effect::Continue`]).
    Run,
    /// A timer the frame asked for is due (or the caller checks early: the frame re-arms).
    Timer,
    TaskSucceeded {
        output: Value,
    },
    TaskFailed {
        failure: Failure,
    },
    /// The task outlived its `TimeoutSeconds` or missed a heartbeat (`States.Timeout`).
    TaskTimedOut {
        failure: Failure,
    },
    /// Every child of a Parallel or Map succeeded, or failed within a Distributed Map's
    /// tolerance; outputs in branch/item order (a failed child's is its error output).
    ChildrenSucceeded {
        outputs: Vec<Value>,
        /// How each child ended, in the same order, when the caller knows: a
        /// `ResultWriter` writes a record per child from it. Empty: every child
        /// succeeded and nothing more is known of them.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        children: Vec<ChildEnd>,
        /// The results stayed in the caller's store (`outputs` is then empty), which this
        /// value identifies to it: a `ResultWriter` with a `Resource` asks the caller to
        /// write them from there (its request carries `"InStore": {"Results": stored,
        /// "Transformation"}` instead of `Results`), so no step holds every result.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stored: Option<Value>,
    },
    /// A child failed; the caller stops the others.
    ChildFailed {
        failure: Failure,
    },
}

/// How one child of a Distributed Map ended, beyond its output: what its result record
/// (`ResultWriter`) and its description as an execution need. The core has no clock, so
/// the dates are the caller's (epoch ms).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChildEnd {
    /// The child failed (within the tolerance): its output is its error output.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub failed: bool,
    /// The child's input, as its first state received it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_date: Option<i64>,
}

/// Work the caller must do on the frame's behalf.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    /// Deliver [`Event::Timer`] at `until` (epoch ms).
    Timer { until: i64 },
    /// Run a task and deliver `TaskSucceeded` or `TaskFailed`.
    InvokeTask(TaskRequest),
    /// Run these frames and deliver `ChildrenSucceeded` (outputs in order) or `ChildFailed`.
    RunChildren(ChildrenRequest),
    /// The step stopped after `Env::max_transitions` states: deliver [`Event::Run`] again.
    Continue,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRequest {
    pub state: String,
    pub resource: String,
    /// The task's input after InputPath and Parameters.
    pub parameters: Value,
    pub timeout_seconds: Option<u64>,
    pub heartbeat_seconds: Option<u64>,
    /// The task's `Credentials`, resolved: `{"RoleArn": "arn:aws:iam::…:role/…"}` (the
    /// RoleArn always a string); the runner calls the resource as that role.
    pub credentials: Option<Value>,
    /// 0 for the first attempt; idempotency keys combine it with the frame and state.
    pub attempt: u32,
    /// For `.waitForTaskToken` resources: the token (`$$.Task.Token`) that
    /// SendTaskSuccess/Failure must present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_token: Option<String>,
}

impl TaskRequest {
    /// A first attempt at `resource` with no timeouts, credentials or token: what tools
    /// and tests that call a task port directly start from.
    pub fn new(state: &str, resource: &str, parameters: Value) -> Self {
        Self {
            state: state.to_owned(),
            resource: resource.to_owned(),
            parameters,
            timeout_seconds: None,
            heartbeat_seconds: None,
            credentials: None,
            attempt: 0,
            task_token: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChildrenRequest {
    pub state: String,
    pub kind: ChildrenKind,
    /// New frames, each ready for [`Event::Run`].
    pub children: Vec<Frame>,
    /// At most this many children run at once; `None` means no limit.
    pub max_concurrency: Option<u64>,
    /// A Distributed Map's tolerated failures; `None` (Parallel, inline Map): the first
    /// failed child fails the state with its own error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<FailureTolerance>,
    /// More items are to be read: the caller reads them a page at a time
    /// ([`crate::interp::next_page_request`], [`crate::interp::map_page`]) and adds
    /// their children to the same join. `children` are then the first page's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed: Option<Feed>,
}

/// Where a Distributed Map's ItemReader goes on: the next page's place in the source and
/// what the pages before it left. Small (no items but a held-back batch), since the
/// caller keeps it in its join and its messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feed {
    /// Pages read so far: the next page's number (the first page is 0).
    pub page: u64,
    /// The reader's cursor for the next page, as it returned it.
    pub cursor: Value,
    /// Items read so far: the next item's `$$.Map.Item.Index`.
    pub items: u64,
    /// Children made so far: the next child's index.
    pub children: u64,
    /// An ItemBatcher batch the last page ended in the middle of (its items after
    /// ItemSelector): it is completed from the next page, so batches come out as they
    /// would from one read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub carry: Vec<Value>,
}

/// `ToleratedFailureCount` / `ToleratedFailurePercentage`, resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureTolerance {
    pub count: Option<u64>,
    pub percentage: Option<f64>,
    /// Items each child carries when an ItemBatcher grouped them (else one each).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items_per_child: Vec<u64>,
    pub total_items: u64,
}

impl FailureTolerance {
    pub fn items_of(&self, child: usize) -> u64 {
        self.items_per_child.get(child).copied().unwrap_or(1)
    }

    /// AWS fails the Map Run when failures *exceed* either threshold; with neither set the
    /// tolerance is zero, so one failure is enough.
    pub fn exceeded(&self, failed_items: u64) -> bool {
        self.exceeded_so_far(failed_items, true)
    }

    /// [`FailureTolerance::exceeded`] while items may still be read (`all_read` false):
    /// `total_items` is then only a lower bound, so the percentage is not judged yet (an
    /// early run of failures must not fail a Map whose later items succeed); the count is.
    pub fn exceeded_so_far(&self, failed_items: u64, all_read: bool) -> bool {
        let over_count = self.count.is_some_and(|c| failed_items > c);
        let over_percentage = self.percentage.is_some_and(|p| {
            all_read
                && self.total_items > 0
                && failed_items as f64 * 100.0 / self.total_items as f64 > p
        });
        match (self.count, self.percentage) {
            (None, None) => failed_items > 0,
            _ => over_count || over_percentage,
        }
    }

    pub fn exceeded_failure() -> Failure {
        Failure::new(
            names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
            "The specified tolerated failure threshold was exceeded",
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChildrenKind {
    Parallel,
    Map,
}

/// How a frame ended, when it did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    Succeeded(Value),
    Failed(Failure),
}

/// The result of one [`super::step`] call.
#[derive(Debug, Default)]
pub struct Step {
    pub effects: Vec<Effect>,
    pub history: Vec<HistoryEvent>,
    /// How many history events this step produced (counted even when not recorded).
    pub event_count: u64,
    pub outcome: Option<Outcome>,
    /// States entered in this step (transitions, as Step Functions bills them).
    pub transitions: u64,
}
