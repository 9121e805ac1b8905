//! The API over HTTP on 127.0.0.1, driven as applications drive Step Functions: the real
//! Rust `aws-sdk-sfn` client (typed outputs and typed errors), raw HTTP for requests no
//! SDK would send, and the `aws` CLI.

mod aliases;
mod callbacks;
mod cli;
mod executions;
mod history;
mod map_runs;
mod nested;
mod protocol;
mod state_machines;
mod support;
mod sync;

use aws_sdk_sfn::error::{ProvideErrorMetadata, SdkError};
use serde_json::{json, Value};

pub fn pass() -> Value {
    json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"v": 1}, "End": true}}})
}

pub fn waiting(seconds: u64) -> Value {
    json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": seconds, "Next": "P"},
        "P": {"Type": "Pass", "End": true}
    }})
}

pub fn callback() -> Value {
    json!({"StartAt": "T", "States": {"T": {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": "https://sqs/q", "MessageBody": {"token.$": "$$.Task.Token"}},
        "End": true
    }}})
}

pub fn service_code<E: ProvideErrorMetadata>(error: &SdkError<E>) -> Option<&str> {
    error.as_service_error().and_then(|e| e.code())
}
