//! The interpreter: a pure step function over frames, and an in-memory execution driver.
//!
//! [`step`] is the seam every runtime uses: it takes a [`Frame`], an [`Event`], and an
//! [`Env`] (the time, the execution's facts, a source of randomness) and returns the effects
//! the caller must perform (run a task, set a timer, run child frames) and the history
//! events of the transition. It does no I/O. [`Execution`] drives a whole execution in
//! memory on top of it, for `stepwise run` and the tests.

mod choice;
mod context;
mod credentials;
mod event;
mod execution;
mod feed;
mod frame;
mod history;
mod in_place;
mod io;
mod item_reader;
mod jsonata;
mod map;
pub mod map_run;
mod map_run_events;
pub(crate) mod result_records;
mod result_writer;
mod retry;
mod states;
mod step;
#[cfg(test)]
mod tests;
mod wait;

pub use context::{iso8601, ExecutionInfo};
pub use event::{
    ChildEnd, ChildrenKind, ChildrenRequest, Effect, Event, FailureTolerance, Feed, Outcome, Step,
    TaskRequest,
};
pub use execution::{Execution, PendingTask, RecordedEvent, Status, TaskId};
pub use feed::{map_page, next_page_request, Page};
pub use frame::{Frame, Phase, Scope, ScopeStep};
pub use history::{Details, HistoryEvent, TaskEvent, TaskKind};
pub use io::{exceeds_payload_limit, MAX_PAYLOAD_BYTES};
pub use result_records::child_results;
pub use result_writer::{PUT_OBJECT as RESULT_WRITER_RESOURCE, RESULT_WRITER_FAILED};
pub use step::{step, Env, Error};
