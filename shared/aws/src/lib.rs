//! Stepwise's engine ports on AWS: [`DynamoStore`] keeps executions in one DynamoDB
//! table, [`SqsQueue`] carries step messages on SQS, and [`config`] builds both from the
//! environment.
//!
//! Every write of execution state is conditional (a frame's `version`, the header's
//! `status`, or the key not existing yet), so two workers racing on one frame cannot both
//! commit; a commit that writes more than the frame is one `TransactWriteItems`. The
//! semantics are those of `stepwise_engine::memory`, the reference implementation, and
//! the integration tests in `tests/` run the same contract against an emulator.
//!
//! [`metrics::RequestCounter`] counts the SDK operations the engine makes, which is how
//! the cost per transition is measured; [`bootstrap`] creates the table and queues, named as [`names`] (shared with the
//! Terraform module) says.
//!
//! ```no_run
//! use stepwise_aws::{config::Config, metrics::RequestCounter};
//! use stepwise_engine::{Engine, StartRequest};
//!
//! # async fn run() -> anyhow::Result<()> {
//! let config = Config::from_env().await?;
//! let counter = RequestCounter::new();
//! let engine = Engine::new(
//!     config.store(Some(&counter)),
//!     config.queue(Some(&counter))?,
//!     config.engine_config()?,
//! );
//! let definition = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;
//! engine
//!     .start(StartRequest::new("hello", definition, serde_json::json!({})))
//!     .await?;
//! println!("{:?}", counter.snapshot()); // {"DynamoDB.TransactWriteItems": 1}
//! # Ok(())
//! # }
//! ```

pub mod bootstrap;
pub mod config;
mod dynamo;
pub mod emf;
pub mod lambda;
pub mod metrics;
pub mod names;
mod sqs;
pub mod tasks;

pub use dynamo::DynamoStore;
pub use sqs::SqsQueue;
