//! StartSyncExecution: an EXPRESS state machine run to its end within the request.
//!
//! The request starts the execution and waits while the queue's consumers (the advance
//! Lambda, or the embedded driver) move it on; it answers when the execution ends or
//! the timeout (AWS: 5 minutes) passes, when it stops the execution and reports it
//! `TIMED_OUT`.

use std::time::Duration;

use serde_json::{json, Value};
use stepwise_engine::catalog::MachineType;
use stepwise_engine::{Catalog, Clock, ExecutionRecord, Queue, Store, TaskInvoker};
use tokio::time::{sleep, Instant};

use crate::errors::{ApiError, Result};
use crate::protocol::{date, Input};
use crate::Api;

impl<S, Q, T, C> Api<S, Q, T, C>
where
    S: Store + Catalog,
    Q: Queue,
    T: TaskInvoker,
    C: Clock,
{
    pub(crate) async fn start_sync_execution(&self, input: &Input) -> Result<Value> {
        let arn = input.required("stateMachineArn")?;
        let target = self.target(arn).await?;
        if target.spec.kind != MachineType::Express {
            return Err(ApiError::new(
                "StateMachineTypeNotSupported",
                "This operation is not supported by this type of state machine",
            ));
        }
        let record = self.start(input, target, None).await?;
        let ended = self.wait_for_end(record).await?;
        Ok(sync_output(&ended))
    }

    /// Polls the execution until it ends, backing off from 5 ms to 200 ms between reads.
    async fn wait_for_end(&self, mut record: ExecutionRecord) -> Result<ExecutionRecord> {
        let deadline = Instant::now() + self.sync_timeout;
        let mut pause = Duration::from_millis(5);
        while record.is_running() {
            if Instant::now() >= deadline {
                let stopped = self
                    .engine
                    .stop(
                        record.arn(),
                        Some("States.Timeout".to_owned()),
                        Some(
                            "StartSyncExecution timed out waiting for the execution to end"
                                .to_owned(),
                        ),
                    )
                    .await?;
                return Ok(timed_out(stopped));
            }
            sleep(pause.min(deadline.saturating_duration_since(Instant::now()))).await;
            pause = (pause * 2).min(Duration::from_millis(200));
            record = self.engine.describe(record.arn()).await?;
        }
        Ok(record)
    }
}

/// A sync execution stopped at the timeout reports `TIMED_OUT`, as AWS's does; one that
/// ended meanwhile keeps its own status.
fn timed_out(mut record: ExecutionRecord) -> ExecutionRecord {
    if record.status == stepwise_engine::ExecutionStatus::Aborted {
        record.status = stepwise_engine::ExecutionStatus::TimedOut;
    }
    record
}

fn sync_output(record: &ExecutionRecord) -> Value {
    let mut output = json!({
        "executionArn": record.info.id,
        "stateMachineArn": record.info.state_machine_id,
        "name": record.info.name,
        "startDate": date(record.info.start_time),
        "stopDate": date(record.stop_time.unwrap_or(record.info.start_time)),
        "status": record.status.as_str(),
        "input": record.info.input.to_string(),
        "inputDetails": {"included": true},
    });
    if let Some(out) = &record.output {
        output["output"] = out.to_string().into();
        output["outputDetails"] = json!({"included": true});
    }
    if let Some(failure) = &record.failure {
        if let Some(error) = &failure.error {
            output["error"] = error.clone().into();
        }
        if let Some(cause) = &failure.cause {
            output["cause"] = cause.clone().into();
        }
    }
    output
}
