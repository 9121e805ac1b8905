//! The durable Stepwise engine: ASL executions that survive crashes, driven by messages.
//!
//! An execution is a tree of frames (`stepwise_core::interp::Frame`): the root, and one
//! per Parallel branch or Map iteration. The [`Engine`] keeps each frame in a [`Store`]
//! under a version number and moves it forward when a [`Message`] arrives from a
//! [`Queue`]:
//!
//! 1. load the frame (and, in the same read, the execution header and any join it waits on);
//! 2. check the message's version against the frame's: an old message re-sends what its
//!    commit promised (the *outbox*) and does nothing else;
//! 3. run `stepwise_core::interp::step` as far as the frame can go without outside help;
//! 4. commit the new frame, its history events and its outbox in one conditional write;
//! 5. send the outbox.
//!
//! A crash anywhere leaves either the old version (the message is redelivered and the
//! step runs again) or the new one with its outbox (the redelivered message re-sends it),
//! so every transition commits exactly once while messages arrive at least once.
//!
//! The engine has no AWS types: `stepwise-aws` implements [`Store`] on DynamoDB and
//! [`Queue`] on SQS; [`memory`] implements both in process for tests and embedding.
//!
//! ```
//! use stepwise_engine::{memory::{MemoryQueue, MemoryStore}, Config, Engine, StartRequest};
//! # tokio_test(async {
//! let engine = Engine::new(MemoryStore::default(), MemoryQueue::default(), Config::local());
//! let started = engine
//!     .start(StartRequest::new("hello", r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#, serde_json::json!({"a": 1})))
//!     .await
//!     .unwrap();
//! let described = engine.describe(&started.execution_arn).await.unwrap();
//! assert_eq!(described.status, stepwise_engine::ExecutionStatus::Succeeded);
//! # });
//! # fn tokio_test(f: impl std::future::Future<Output = ()>) {
//! #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
//! # }
//! ```

pub mod catalog;
mod clock;
mod engine;
mod error;
mod fan_out;
mod history;
mod ids;
mod join;
mod machines;
pub mod memory;
mod memory_catalog;
mod message;
pub mod queue;
mod records;
pub mod store;
mod tasks;
pub mod tokens;
mod transition;

pub use catalog::Catalog;
pub use clock::{Clock, SystemClock};
pub use engine::{
    not_redrivable, Completion, Config, Engine, Handled, Redriven, StartRequest, Started,
    REDRIVABLE_PERIOD_MS,
};
pub use error::{Error, Result};
pub use ids::{FrameId, JoinKey};
pub use message::{Message, MessageKind};
pub use queue::Queue;
pub use records::{
    ChildResult, ChildStart, ExecutionRecord, ExecutionStatus, FrameRecord, HistoryItem,
    JoinRecord, ParentLink, ParentTask, Submission, TaskNote, TaskProgress, WaitingParent,
};
pub use store::Store;
pub use tasks::{Answer, NoTasks, TaskInvoker};
