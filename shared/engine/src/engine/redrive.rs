//! `RedriveExecution`: an execution that ended unsuccessfully goes on from where it
//! stopped, under the same ARN, definition and history.
//!
//! One conditional write does it ([`Store::redrive`]): the header back to `Running` with
//! one more redrive (conditional on the ended header the redrive read), and the root
//! frame's next version (conditional on its version) carrying the `ExecutionRedriven`
//! event and, in its outbox, the message that resumes it. Two racing redrives make one;
//! a crash before the send is repaired by retrying the call with the same client token,
//! which re-sends the outbox while the redrive's commit is still the frame's current one.

use stepwise_core::definition::StateMachine;
use stepwise_core::interp::{iso8601, Details, HistoryEvent, Phase};
use tracing::info;

use super::Engine;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::ids::{FrameId, JoinKey};
use crate::message::{Message, MessageKind};
use crate::queue::Queue;
use crate::records::{ExecutionRecord, ExecutionStatus, FrameRecord, HistoryItem};
use crate::store::{Commit, Redrive, Store, Written};
use crate::tasks::TaskInvoker;

/// How long after its stop an execution may be redriven (Step Functions: 14 days).
pub const REDRIVABLE_PERIOD_MS: i64 = 14 * 24 * 60 * 60 * 1000;

/// A redrive that happened (now, or earlier under the same client token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redriven {
    /// Epoch ms.
    pub redrive_date: i64,
    pub redrive_count: u32,
}

impl<S: Store, Q: Queue, T: TaskInvoker, C: Clock> Engine<S, Q, T, C> {
    /// Resumes a `FAILED`, `TIMED_OUT` or `ABORTED` execution that stopped at most 14
    /// days ago: the failed state runs again with the input it had (a Task is invoked
    /// again, its retry counters fresh), a Wait or retry backoff sleeps on to its time,
    /// and a Parallel or Map state runs again whole. A call with the `client_token` of
    /// the execution's last redrive is that redrive, answered again.
    pub async fn redrive(&self, arn: &str, client_token: Option<&str>) -> Result<Redriven> {
        let now = self.clock.now();
        let execution = self.describe(arn).await?;
        if let Some(done) = self.redriven_before(&execution, client_token).await? {
            return Ok(done);
        }
        if let Some(reason) = not_redrivable(&execution, now) {
            return Err(not_redrivable_error(arn, reason));
        }
        let Some(root) = self.store.frame(arn, &FrameId::root()).await? else {
            return Err(not_redrivable_error(
                arn,
                "Execution has no state to resume",
            ));
        };
        let definition = self.definition(&execution.definition_hash).await?;
        let redrive = plan(&execution, &root, &definition, client_token, now);
        let outbox = redrive.root.frame.outbox.clone();
        let count = redrive.execution.info.redrive_count;
        match self.store.redrive(redrive).await? {
            Written::Done => {
                info!(execution_id = %arn, redrive_count = count, "execution redriven");
                self.send(outbox, now).await?;
                Ok(Redriven {
                    redrive_date: now,
                    redrive_count: count,
                })
            }
            // Another redrive won, or the frame moved: perhaps a twin of this very call.
            Written::Conflict => {
                let current = self.describe(arn).await?;
                if let Some(done) = self.redriven_before(&current, client_token).await? {
                    return Ok(done);
                }
                let reason = not_redrivable(&current, now)
                    .unwrap_or("Execution was redriven by another request");
                Err(not_redrivable_error(arn, reason))
            }
        }
    }

    /// The execution's last redrive, when it was made with `client_token`. When that
    /// redrive's commit is still the root frame's current version, its outbox is sent
    /// again (the first call may have died before sending it); a call without the token
    /// does that too while the execution runs, so even a redrive made without a token
    /// cannot be stranded by a crash, though that call is then refused.
    async fn redriven_before(
        &self,
        execution: &ExecutionRecord,
        client_token: Option<&str>,
    ) -> Result<Option<Redriven>> {
        let count = execution.info.redrive_count;
        let own = client_token.is_some() && execution.redrive_token.as_deref() == client_token;
        if count > 0 && (own || execution.is_running()) {
            if let Some(root) = self.store.frame(execution.arn(), &FrameId::root()).await? {
                if root.cause.as_deref() == Some(redrive_cause(count).as_str()) {
                    self.resend(root.outbox, self.clock.now()).await?;
                }
            }
        }
        Ok(match (own && count > 0, execution.info.redrive_time) {
            (true, Some(date)) => Some(Redriven {
                redrive_date: date,
                redrive_count: count,
            }),
            _ => None,
        })
    }
}

/// Why `execution` cannot be redriven at `now` (AWS's `redriveStatusReason`), or `None`.
pub fn not_redrivable(execution: &ExecutionRecord, now: i64) -> Option<&'static str> {
    match execution.status {
        ExecutionStatus::Running => Some("Execution is RUNNING and cannot be redriven"),
        ExecutionStatus::Succeeded => Some("Execution is SUCCEEDED and cannot be redriven"),
        ExecutionStatus::Failed | ExecutionStatus::TimedOut | ExecutionStatus::Aborted => {
            let stopped = execution.stop_time.unwrap_or(execution.info.start_time);
            (now.saturating_sub(stopped) > REDRIVABLE_PERIOD_MS)
                .then_some("Execution redrivable period exceeded")
        }
    }
}

fn not_redrivable_error(arn: &str, reason: &str) -> Error {
    Error::ExecutionNotRedrivable {
        arn: arn.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Names the commit a redrive made, so a retried call can tell it is still current.
fn redrive_cause(count: u32) -> String {
    format!("redrive:{count}")
}

/// The redrive's writes: the header running again and the root frame's next version.
fn plan(
    execution: &ExecutionRecord,
    root: &FrameRecord,
    definition: &StateMachine,
    client_token: Option<&str>,
    now: i64,
) -> Redrive {
    let arn = execution.arn();
    let count = execution.info.redrive_count.saturating_add(1);
    let mut header = execution.clone();
    header.status = ExecutionStatus::Running;
    header.output = None;
    header.failure = None;
    header.stop_time = None;
    header.info.redrive_count = count;
    header.info.redrive_time = Some(now);
    header.redrive_token = client_token.map(str::to_owned);

    let version = root.version + 1;
    // A root stopped while its Parallel or Map children ran runs that state again: its
    // old children stand down when they find their join closed.
    let close_join = matches!(root.frame.phase(), Phase::Children).then(|| JoinKey {
        parent: root.id.clone(),
        version: root.version,
    });
    let mut frame = root.frame.clone();
    frame.redrive();
    let resume = match frame.phase() {
        Phase::Waiting { until } | Phase::Backoff { until } => {
            Message::new(arn, root.id.clone(), version, MessageKind::Timer).due(*until)
        }
        _ => Message::new(arn, root.id.clone(), version, MessageKind::Run),
    };
    let mut outbox = vec![resume];
    // The execution's timeout starts again at the redrive; the timeout message names the
    // run it belongs to by its redrive count, so an earlier run's is void.
    if let Some(seconds) = definition.timeout_seconds {
        let due = now.saturating_add((seconds as i64).saturating_mul(1000));
        let timeout = Message::new(arn, FrameId::root(), u64::from(count), MessageKind::Timeout);
        outbox.push(timeout.due(due));
    }
    let id = root.next_event_id;
    let event = HistoryEvent::new(
        "ExecutionRedriven",
        Details::ExecutionRedriven {
            redrive_count: count,
        },
    )
    .to_aws_json(id, id.saturating_sub(1), &iso8601(now));
    Redrive {
        execution: header,
        root: Commit {
            execution: arn.to_owned(),
            frame: FrameRecord {
                id: root.id.clone(),
                version,
                frame,
                next_event_id: id + 1,
                outbox,
                cause: Some(redrive_cause(count)),
                origin: None,
                task: None,
                parent: None,
                progress: Default::default(),
            },
            expected_version: root.version,
            history: Some(HistoryItem {
                frame: root.id.clone(),
                version,
                events: vec![event],
            }),
            child_result: None,
            finish: None,
            close_join,
        },
    }
}
