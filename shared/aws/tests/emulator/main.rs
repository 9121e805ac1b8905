//! Integration tests against an AWS emulator (LocalStack): set `AWS_ENDPOINT_URL`
//! (`localstack/start.sh` prints it); without it every test prints
//! "skipped: AWS_ENDPOINT_URL not set" and passes. Each test makes its own table and
//! queues, so they run in parallel.

// The scenarios are helpers called by `#[test]` functions, which clippy's
// `allow-unwrap-in-tests` does not reach; in them an unwrap is the assertion.
#![allow(clippy::unwrap_used)]

mod catalog;
mod dynamo;
mod execution;
mod frame_log;
mod large;
mod queue;
mod redrive;
mod store;
mod support;
mod tasks;
