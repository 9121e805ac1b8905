//! A large fan-out, written chunk by chunk (see `crate::fan_out`).

use tracing::debug;

use super::{Engine, Handled};
use crate::clock::Clock;
use crate::error::Result;
use crate::fan_out::{self, FanOut};
use crate::ids::JoinKey;
use crate::message::{Message, MessageKind};
use crate::queue::Queue;
use crate::records::{ExecutionRecord, FrameRecord, JoinRecord};
use crate::store::{LoadRequest, Store};
use crate::tasks::TaskInvoker;

/// How long a message waits before it looks again for what another message is writing
/// (a chunk of children, the parent's commit).
const RECHECK_MS: i64 = 1_000;

impl<S: Store, Q: Queue, T: TaskInvoker, C: Clock> Engine<S, Q, T, C> {
    /// Writes the join and the first chunk of children, then sends the other chunks.
    /// Both before the parent's commit: after it, a crash would lose the chunks, which
    /// its outbox does not hold. A redelivered fan-out writes nothing twice (each write
    /// is conditional) and its chunks' messages are idempotent.
    pub(super) async fn fan_out(&self, arn: &str, fan_out: FanOut, now: i64) -> Result<()> {
        let FanOut {
            join,
            children,
            continuations,
        } = fan_out;
        self.store.open_join(arn, join, children).await?;
        self.send(continuations, now).await
    }

    /// One `OpenChildren` chunk: writes its children and starts those that may start.
    /// It waits for the parent's commit first: a child that ended before the parent
    /// waited on its join would report to a version not yet there, and be ignored.
    pub(super) async fn open_children(&self, message: Message, now: i64) -> Result<Handled> {
        let (_, join, frame) = match self.open_join_of(&message).await? {
            Ok(open) => open,
            Err(reason) => return Ok(Handled::Ignored(reason)),
        };
        match frame {
            None => return Ok(Handled::Ignored("unknown frame")),
            Some(parent) if parent.version < message.version => {
                return self.recheck(message, now).await;
            }
            Some(_) => {}
        }
        let MessageKind::OpenChildren { children } = message.kind else {
            return Ok(Handled::Ignored("nothing to do"));
        };
        let runs: Vec<Message> = children
            .iter()
            .filter(|child| fan_out::starts_at_once(child))
            .map(|child| Message::new(&message.execution, child.id.clone(), 0, MessageKind::Run))
            .collect();
        debug!(execution_id = %message.execution, frame = %message.frame, children = children.len(), "opening children");
        self.store
            .add_children(&message.execution, join, children)
            .await?;
        self.send(runs, now).await?;
        Ok(Handled::Advanced { transitions: 0 })
    }

    /// What a message about the join at its frame and version reads: the execution, the
    /// join and the frame (its latest version), or why the message has nothing to do
    /// (the execution ended, the join is unknown or closed).
    pub(super) async fn open_join_of(
        &self,
        message: &Message,
    ) -> Result<Result<(ExecutionRecord, JoinRecord, Option<FrameRecord>), &'static str>> {
        let key = JoinKey {
            parent: message.frame.clone(),
            version: message.version,
        };
        let loaded = self
            .store
            .load(&LoadRequest {
                execution: message.execution.clone(),
                frame: message.frame.clone(),
                joins: vec![key],
                with_frame: true,
                version: Some(message.version),
            })
            .await?;
        let Some(execution) = loaded.execution.filter(ExecutionRecord::is_running) else {
            return Ok(Err("execution ended"));
        };
        let Some(join) = loaded.joins.into_iter().next().flatten() else {
            return Ok(Err("unknown join"));
        };
        if join.closed {
            return Ok(Err("join closed"));
        }
        Ok(Ok((execution, join, loaded.frame)))
    }

    /// Sends `message` again to come back in a second: what it waits for (a chunk of
    /// children, the parent's commit) is being written by another message.
    pub(super) async fn recheck(&self, message: Message, now: i64) -> Result<Handled> {
        let later = Message {
            due: Some(now.saturating_add(RECHECK_MS)),
            resent: false,
            ..message
        };
        self.send(vec![later], now).await?;
        Ok(Handled::Delayed)
    }
}
