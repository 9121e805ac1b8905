//! Ending an execution from outside its steps: `StopExecution`, the execution's
//! `TimeoutSeconds`, and a state grown past the store's limits.

use stepwise_core::failure::Failure;
use stepwise_core::interp::{Details, HistoryEvent, Outcome};
use tracing::info;

use super::Engine;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::ids::FrameId;
use crate::queue::Queue;
use crate::records::{ExecutionRecord, ExecutionStatus, HistoryItem};
use crate::store::{Store, Written};
use crate::tasks::TaskInvoker;
use crate::Handled;

impl<S: Store, Q: Queue, T: TaskInvoker, C: Clock> Engine<S, Q, T, C> {
    /// `StopExecution`: ends a running execution as `ABORTED`. Its frames stand down at
    /// their next message.
    pub async fn stop(
        &self,
        arn: &str,
        error: Option<String>,
        cause: Option<String>,
    ) -> Result<ExecutionRecord> {
        let failure = Failure { error, cause };
        self.end(arn, ExecutionStatus::Aborted, failure).await
    }

    /// Times the execution out. `run` is the redrive count of the run the timeout was
    /// set for (its message's version): a redrive restarts the timeout, so an earlier
    /// run's is void.
    pub(super) async fn time_out(&self, arn: &str, run: u64) -> Result<Handled> {
        let current = self.store.execution(arn).await?;
        if current.is_some_and(|e| u64::from(e.info.redrive_count) != run) {
            return Ok(Handled::Ignored("timeout of an earlier run"));
        }
        let failure = Failure::execution_timeout();
        match self.end(arn, ExecutionStatus::TimedOut, failure).await {
            Ok(_) => Ok(Handled::Advanced { transitions: 0 }),
            Err(Error::ExecutionDoesNotExist(_)) => Ok(Handled::Ignored("unknown execution")),
            Err(e) => Err(e),
        }
    }

    pub(super) async fn end(
        &self,
        arn: &str,
        status: ExecutionStatus,
        failure: Failure,
    ) -> Result<ExecutionRecord> {
        let now = self.clock.now();
        let execution = self.describe(arn).await?;
        if !execution.is_running() {
            // Its end may not have reached a waiting parent (a crash after the commit).
            self.notify_parent(&execution).await?;
            return Ok(execution);
        }
        let (kind, details) = match status {
            ExecutionStatus::TimedOut => (
                "ExecutionTimedOut",
                Details::ExecutionTimedOut(failure.clone()),
            ),
            ExecutionStatus::Failed => {
                ("ExecutionFailed", Details::ExecutionFailed(failure.clone()))
            }
            _ => (
                "ExecutionAborted",
                Details::ExecutionAborted(failure.clone()),
            ),
        };
        let ended = execution.ended(status, Some(&Outcome::Failed(failure)), now);
        // Ids are renumbered when read back; the highest sorts this after everything
        // else that happened in the same millisecond. Each run of a redriven execution
        // ends under its own key.
        let key = u64::MAX - u64::from(execution.info.redrive_count);
        let event = HistoryEvent::new(kind, details).to_aws_json(
            key,
            0,
            &stepwise_core::interp::iso8601(now),
        );
        let item = HistoryItem {
            frame: FrameId::root(),
            version: key,
            events: vec![event],
        };
        match self.store.end(ended.clone(), item).await? {
            Written::Done => {
                info!(execution_id = %arn, status = status.as_str(), "execution ended from outside");
                self.notify_parent(&ended).await?;
                Ok(ended)
            }
            Written::Conflict => {
                let current = self.describe(arn).await?;
                self.notify_parent(&current).await?;
                Ok(current)
            }
        }
    }
}
