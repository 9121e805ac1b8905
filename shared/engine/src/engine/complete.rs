//! Callbacks: `SendTaskSuccess`, `SendTaskFailure` and `SendTaskHeartbeat` for the task a
//! token names.

use serde_json::Value;
use sha2::{Digest, Sha256};
use stepwise_core::failure::Failure;
use stepwise_core::interp::Event;
use tracing::{debug, info};

use super::{Engine, Step};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::ids::FrameId;
use crate::queue::Queue;
use crate::records::{FrameRecord, TaskNote};
use crate::store::{LoadRequest, Store, Written};
use crate::tasks::TaskInvoker;
use crate::tokens;
use crate::Handled;

/// What a callback reports about its task.
#[derive(Debug, Clone, PartialEq)]
pub enum Completion {
    Success(Value),
    Failure(Failure),
    Heartbeat,
}

/// Commits lost to concurrent writers before a callback gives up (each loss means the
/// frame moved; the next read usually shows the task ended).
const ATTEMPTS: usize = 5;

impl<S: Store, Q: Queue, T: TaskInvoker, C: Clock> Engine<S, Q, T, C> {
    /// Delivers a callback. Idempotent: a completion retried after its commit (the caller
    /// saw an error, or the queue redelivered it) sends that commit's outbox again and
    /// succeeds; any other use of a token whose task has ended is `TaskTimedOut`.
    pub async fn complete(&self, token: &str, completion: Completion) -> Result<()> {
        let (arn, frame) = tokens::locate(token).ok_or(Error::InvalidToken(
            "the token is malformed or not from Stepwise",
        ))?;
        for _ in 0..ATTEMPTS {
            let loaded = self
                .store
                .load(&LoadRequest {
                    execution: arn.clone(),
                    frame: frame.clone(),
                    joins: frame.join().map(|(join, _)| join).into_iter().collect(),
                    with_frame: true,
                    version: None,
                })
                .await?;
            let (Some(execution), Some(record)) = (loaded.execution, loaded.frame) else {
                return Err(Error::InvalidToken("no task has this token"));
            };
            if !execution.is_running() {
                return Err(Error::TaskTimedOut("the execution has ended"));
            }
            if loaded.joins.into_iter().flatten().any(|join| join.closed) {
                return Err(Error::TaskTimedOut("the task's branch has ended"));
            }
            let pending = record
                .task
                .as_ref()
                .and_then(|task| task.task_token.as_deref())
                .is_some_and(|pending| tokens::same(pending, token));
            if !pending {
                return self.completed_before(&record, token).await;
            }
            let event = match completion.clone() {
                Completion::Heartbeat => {
                    let now = self.clock.now();
                    let beat = TaskNote::Beat(now);
                    match self
                        .store
                        .note_task(&arn, &frame, record.version, beat)
                        .await?
                    {
                        Written::Done => return Ok(()),
                        Written::Conflict => continue,
                    }
                }
                Completion::Success(output) => Event::TaskSucceeded { output },
                Completion::Failure(failure) => Event::TaskFailed { failure },
            };
            let definition = self.definition(&execution.definition_hash).await?;
            let handled = self
                .advance(Step {
                    execution: &execution,
                    record: &record,
                    definition: &definition,
                    event,
                    cause: callback_cause(&frame, record.version, token),
                    close_join: None,
                    now: self.clock.now(),
                    // A callback's next step goes through the queue.
                    origin: None,
                    chain: None,
                    next: &mut None,
                })
                .await?;
            match handled {
                Handled::Conflict => continue,
                _ => {
                    info!(execution_id = %arn, frame = %frame, "task completed by callback");
                    return Ok(());
                }
            }
        }
        Err(Error::TaskTimedOut("the task kept changing; try again"))
    }

    /// The token's task is not pending: the token is spent. When its own completion made
    /// the frame's current version, that commit's outbox is sent again first: a caller
    /// retrying after a crash between commit and send repairs the execution, and still
    /// hears `TaskTimedOut`, as AWS answers any second use of a token.
    async fn completed_before(&self, record: &FrameRecord, token: &str) -> Result<()> {
        let own = record
            .version
            .checked_sub(1)
            .map(|previous| callback_cause(&record.id, previous, token));
        if own.is_some() && record.cause == own {
            debug!(frame = %record.id, "callback retried: sending its outbox again");
            self.resend(record.outbox.clone(), self.clock.now()).await?;
        }
        Err(Error::TaskTimedOut("the task has already ended"))
    }
}

/// Names the callback that made a version, without keeping the token itself (it is a
/// credential; a digest tells a retry of the same callback from any other).
fn callback_cause(frame: &FrameId, version: u64, token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let short: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{frame}@{version}:callback:{short}")
}
