//! The embedded Stepwise backend: the engine's [`Store`](stepwise_engine::Store) and
//! [`Queue`](stepwise_engine::Queue) in one SQLite file, and a [`Worker`] that drains the
//! queue, so the same [`Engine`](stepwise_engine::Engine) that runs on DynamoDB and SQS
//! runs in one process, durably.
//!
//! - [`SqliteStore`]: executions, frames, joins, child results and history as rows whose
//!   `record` column is the engine's serde JSON. `UPDATE … WHERE version = ?` inside one
//!   transaction is the conditional write.
//! - The engine's [`Catalog`](stepwise_engine::Catalog) on the same store (state
//!   machines, versions, aliases, `ListExecutions` by start time), so `stepwise-api`
//!   serves the Step Functions API over this file (`stepwise serve`).
//! - [`SqliteQueue`]: a `messages` table with `visible_at` (SQS's delay and visibility
//!   timeout), a receive count and a `dead_letters` table.
//! - [`Worker`] / [`run_to_completion`]: receive, `Engine::handle`, ack / retry /
//!   dead-letter, with bounded concurrency; sleeps until the next message is due.
//!
//! The file is in WAL mode with `synchronous=FULL` by default ([`Durability`]): a process
//! killed with SIGKILL, at any instruction, reopens with every committed transition and
//! every queued message, and carries on (see `docs/embedded.md`). Writes from concurrent
//! handlers are group-committed: one transaction and one fsync for the writes that queued
//! while the previous group was on its way to the disk, each write in its own savepoint
//! with its own conditions. [`bench`](mod@bench) measures what that buys.
//!
//! ```
//! use std::sync::Arc;
//! use stepwise_engine::{Config, Engine, ExecutionStatus, NoTasks, StartRequest, SystemClock};
//! use stepwise_local::{open, run_to_completion, Options, WorkerOptions};
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! # let dir = std::env::temp_dir().join(format!("stepwise-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! let (store, queue) = open(dir.join("stepwise.db"), Options::default(), SystemClock).unwrap();
//! let engine = Arc::new(Engine::with(store, queue, NoTasks, SystemClock, Config::local()));
//! let definition = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":0,"End":true}}}"#;
//! let started = engine
//!     .start(StartRequest::new("hello", definition, serde_json::json!({"a": 1})))
//!     .await
//!     .unwrap();
//! let record = run_to_completion(engine, &started.execution_arn, WorkerOptions::default())
//!     .await
//!     .unwrap();
//! assert_eq!(record.status, ExecutionStatus::Succeeded);
//! # std::fs::remove_dir_all(&dir).ok();
//! # });
//! ```

pub mod bench;
mod catalog;
mod db;
mod error;
mod group;
pub mod queue;
mod read;
mod schema;
mod store;
mod worker;

use std::path::Path;

pub use db::{Durability, Options};
pub use error::{Error, Result};
pub use queue::{DeadLetter, Delivery, SqliteQueue};
pub use store::SqliteStore;
pub use worker::{run_to_completion, LocalEngine, Stats, Worker, WorkerOptions};

/// Opens the database at `path` (creating and migrating it if needed) as a store and a
/// queue that share its connections.
pub fn open<C: stepwise_engine::Clock>(
    path: impl AsRef<Path>,
    options: Options,
    clock: C,
) -> Result<(SqliteStore, SqliteQueue<C>)> {
    let db = db::Db::open(path.as_ref(), options)?;
    Ok((
        SqliteStore::from_db(std::sync::Arc::clone(&db), true),
        SqliteQueue::from_db(db, clock),
    ))
}
