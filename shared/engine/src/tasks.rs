//! The task port: how Task states reach their resources.

use std::future::Future;

use serde_json::Value;
use stepwise_core::failure::{names, Failure};
use stepwise_core::interp::TaskRequest;

/// Runs a Task state's resource. Invoked at least once per attempt (again after a crash),
/// so resources should be idempotent; the request's attempt number and the execution ARN
/// make a key for that.
pub trait TaskInvoker: Send + Sync {
    fn invoke(
        &self,
        execution: &str,
        request: &TaskRequest,
    ) -> impl Future<Output = Result<Value, Failure>> + Send;
}

/// No task integrations: every Task state fails with `States.Runtime`, naming the
/// resource, so a workflow that needs one says so instead of hanging.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTasks;

impl TaskInvoker for NoTasks {
    async fn invoke(&self, _execution: &str, request: &TaskRequest) -> Result<Value, Failure> {
        Err(Failure::new(
            names::RUNTIME,
            format!(
                "No task integration is configured for resource '{}' (state '{}').",
                request.resource, request.state
            ),
        ))
    }
}
