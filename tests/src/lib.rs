//! Test support for whole executions on an AWS emulator (LocalStack's DynamoDB and SQS).
//!
//! - [`poller`]: a local stand-in for Lambda's SQS event source mapping: it receives from
//!   the real queue, builds the real `SqsEvent`, calls a handler (the advance function)
//!   and deletes what the handler did not report as failed (`ReportBatchItemFailures`).
//! - [`harness`]: a fresh table, steps queue and dead-letter queue per test, an engine on
//!   them whose SDK requests are counted ([`stepwise_aws::metrics::RequestCounter`]),
//!   starts through the start function and runs to the end through the advance function.
//! - [`faults`]: queue wrappers and handler wrappers that inject the crash points.
//! - [`s3`]: a fresh bucket per test, objects put into it, the bucket dropped at the end.
//! - [`lambda_api`]: a local Lambda Invoke API (`cargo lambda watch`) serving the real
//!   test functions of `tests/lambdas`, stopped when its guard drops.
//!
//! Without `AWS_ENDPOINT_URL`, [`harness::Harness::new`] prints
//! "skipped: AWS_ENDPOINT_URL not set" and returns `None`, and the tests pass.
//!
//! ```no_run
//! # async fn run() -> anyhow::Result<()> {
//! use std::time::Duration;
//! use stepwise_tests::harness::Harness;
//! let Some(harness) = Harness::new("doc").await? else { return Ok(()) };
//! let definition = serde_json::json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
//! let arn = harness.start("doc", &definition, None, serde_json::json!({})).await?;
//! let (record, took) = harness.run(&arn, 2, Duration::from_secs(60)).await?;
//! println!("{} in {took:?}", record.status.as_str());
//! # Ok(())
//! # }
//! ```

pub mod faults;
pub mod harness;
pub mod lambda_api;
pub mod poller;
pub mod s3;
