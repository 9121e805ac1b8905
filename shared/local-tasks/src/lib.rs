//! Task states on a laptop, for `stepwise run` and `stepwise serve`: both build the same
//! task port from this crate.
//!
//! - [`Registry`] / [`LocalTasks`] (`--tasks FILE`): each Task resource (an exact ARN, or
//!   `function:<name>` for every call of a Lambda function) runs as an HTTP POST, a
//!   process, or a call to a local Lambda Invoke API through the AWS integrations
//!   themselves; `--aws-endpoint` sends every other resource the AWS integrations support
//!   (Lambda, SQS, DynamoDB) to an emulator such as LocalStack.
//! - [`MockConfig`] / [`Mocked`] (`--mock-config FILE`): Step Functions Local's mock
//!   configuration, in its own format: a test case answers named Task states from canned
//!   `Return`s and `Throw`s, and leaves the rest to the task port it wraps.
//!
//! Why a crate of its own rather than a module of `stepwise-local`: the registry's
//! `lambda` targets use `stepwise-aws` (the AWS SDK) and an HTTP client; the SQLite
//! backend, which embedders use on its own, stays free of both.
//!
//! ```
//! use stepwise_local_tasks::{MockConfig, Registry};
//! let registry = Registry::parse(r#"{"function:greet": {"command": ["cat"]}}"#).unwrap();
//! assert!(!registry.is_empty());
//! let err = MockConfig::parse(r#"{"MockedResponses": {"R": {}}}"#).unwrap_err();
//! assert_eq!(err.to_string(), "$.MockedResponses.R: defines no invocation");
//! ```

mod answer;
mod command;
mod error;
mod http;
mod invoker;
mod mock;
mod mocked;
mod registry;

pub use error::{Error, Result};
pub use invoker::LocalTasks;
pub use mock::MockConfig;
pub use mocked::{Fixed, Mocked, Stored, TestCase, TestCases};
pub use registry::{Registry, Shape, Target};
