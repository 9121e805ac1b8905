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

    /// What the engine calls: [`TaskInvoker::invoke`], with its answer placed. A callback
    /// task's answer is the call's acknowledgement and its result comes with the token,
    /// unless an invoker settles it at once: Step Functions Local's mocked responses do
    /// (a mocked `.waitForTaskToken` state ends with the mocked `Return`).
    fn call(
        &self,
        execution: &str,
        request: &TaskRequest,
    ) -> impl Future<Output = Result<Answer, Failure>> + Send {
        async move {
            let output = self.invoke(execution, request).await?;
            Ok(match request.task_token {
                Some(_) => Answer::Submitted(output),
                None => Answer::Result(output),
            })
        }
    }
}

/// A task call's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The task's result.
    Result(Value),
    /// A callback task's call went through; its result comes with its token.
    Submitted(Value),
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
