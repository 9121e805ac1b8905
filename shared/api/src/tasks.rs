//! SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat: callbacks for the task a
//! token names.

use serde_json::{json, Value};
use stepwise_core::failure::Failure;
use stepwise_engine::{Catalog, Clock, Completion, Queue, Store, TaskInvoker};

use crate::errors::{ApiError, Result};
use crate::protocol::Input;
use crate::Api;

/// AWS's limits on a task token, a failure's error and its cause.
const TOKEN_LIMIT: usize = 2048;
const ERROR_LIMIT: usize = 256;
const CAUSE_LIMIT: usize = 32_768;

impl<S, Q, T, C> Api<S, Q, T, C>
where
    S: Store + Catalog,
    Q: Queue,
    T: TaskInvoker,
    C: Clock,
{
    pub(crate) async fn send_task_success(&self, input: &Input) -> Result<Value> {
        let token = token(input)?;
        input.required("output")?;
        let output = input.document("output", "InvalidOutput", "null")?;
        self.engine
            .complete(token, Completion::Success(output))
            .await?;
        Ok(json!({}))
    }

    pub(crate) async fn send_task_failure(&self, input: &Input) -> Result<Value> {
        let token = token(input)?;
        let failure = Failure {
            error: input.bounded("error", ERROR_LIMIT)?.map(str::to_owned),
            cause: input.bounded("cause", CAUSE_LIMIT)?.map(str::to_owned),
        };
        self.engine
            .complete(token, Completion::Failure(failure))
            .await?;
        Ok(json!({}))
    }

    pub(crate) async fn send_task_heartbeat(&self, input: &Input) -> Result<Value> {
        let token = token(input)?;
        self.engine.complete(token, Completion::Heartbeat).await?;
        Ok(json!({}))
    }
}

fn token(input: &Input) -> Result<&str> {
    let token = input.required("taskToken")?;
    if token.is_empty() || token.len() > TOKEN_LIMIT {
        return Err(ApiError::validation(
            "taskToken",
            &format!("Member must have length between 1 and {TOKEN_LIMIT}"),
        ));
    }
    Ok(token)
}
