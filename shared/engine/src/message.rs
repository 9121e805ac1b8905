//! The messages that move executions forward.

use serde::{Deserialize, Serialize};
use stepwise_core::failure::Failure;

use crate::ids::FrameId;
use crate::records::FrameRecord;

/// One unit of work for a frame at a version. Sent through the [`crate::Queue`], kept in
/// a commit's outbox until it is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// The execution ARN.
    pub execution: String,
    pub frame: FrameId,
    /// The frame version this message applies to.
    pub version: u64,
    #[serde(flatten)]
    pub kind: MessageKind,
    /// Not before this time (epoch ms): Waits, retry backoff, timeouts. The queue delays
    /// delivery by up to 15 minutes at a time; an early message is sent again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<i64>,
    /// A copy sent again by a redelivered message (see [`crate::Engine::handle`]).
    #[serde(default, skip_serializing_if = "is_false")]
    pub resent: bool,
}

fn is_false(b: &bool) -> bool {
    !b
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MessageKind {
    /// Run a ready frame.
    Run,
    /// A Wait or a retry backoff is due.
    Timer,
    /// Invoke the frame's pending task and record its result.
    Task,
    /// A child of the frame's join finished (`failure` set when it failed).
    ChildDone {
        index: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failure: Option<Failure>,
    },
    /// The execution's `TimeoutSeconds` is due (frame: the root).
    Timeout,
    /// The pending task's `TimeoutSeconds` is due.
    TaskTimeout,
    /// The pending task's `HeartbeatSeconds` since its last heartbeat may be due.
    Heartbeat,
    /// A nested execution ended (frame: its root): complete the parent's waiting task.
    ExecutionEnded,
    /// Write these children of the frame's join (at the message's version) and start
    /// those that may: one chunk of a large fan-out (see `fan_out`).
    OpenChildren { children: Vec<FrameRecord> },
    /// Read page `page` of the items of the frame's join (at the message's version), a
    /// Distributed Map reading its ItemReader a page at a time, and add its children.
    ReadPage { page: u64 },
}

impl Message {
    pub fn new(execution: &str, frame: FrameId, version: u64, kind: MessageKind) -> Self {
        Self {
            execution: execution.to_owned(),
            frame,
            version,
            kind,
            due: None,
            resent: false,
        }
    }

    pub fn due(mut self, at: i64) -> Self {
        self.due = Some(at);
        self
    }

    /// Identifies what the message asks for, so a frame can tell a redelivery of the
    /// message that made its current version from some other stale message.
    pub fn key(&self) -> String {
        let kind = match &self.kind {
            MessageKind::Run => "run".to_owned(),
            MessageKind::Timer => "timer".to_owned(),
            MessageKind::Task => "task".to_owned(),
            MessageKind::ChildDone { index, .. } => format!("child:{index}"),
            MessageKind::Timeout => "timeout".to_owned(),
            MessageKind::TaskTimeout => "task_timeout".to_owned(),
            MessageKind::Heartbeat => "heartbeat".to_owned(),
            MessageKind::ExecutionEnded => "execution_ended".to_owned(),
            MessageKind::OpenChildren { children } => format!(
                "open:{}",
                children
                    .first()
                    .and_then(|c| c.parent.as_ref())
                    .map_or(0, |link| link.index)
            ),
            MessageKind::ReadPage { page } => format!("page:{page}"),
        };
        format!("{}@{}:{kind}", self.frame, self.version)
    }

    pub fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_as_flat_json() {
        let message = Message::new(
            "arn:x",
            FrameId::root(),
            4,
            MessageKind::ChildDone {
                index: 2,
                failure: Some(Failure::new("E", "C")),
            },
        )
        .due(99);
        let text = message.to_json();
        assert_eq!(
            text,
            r#"{"execution":"arn:x","frame":"0","version":4,"kind":"child_done","index":2,"failure":{"error":"E","cause":"C"},"due":99}"#
        );
        assert_eq!(Message::from_json(&text).unwrap(), message);
    }

    #[test]
    fn keys_tell_children_apart() {
        let a = Message::new(
            "x",
            FrameId::root(),
            1,
            MessageKind::ChildDone {
                index: 0,
                failure: None,
            },
        );
        let b = Message::new(
            "x",
            FrameId::root(),
            1,
            MessageKind::ChildDone {
                index: 1,
                failure: None,
            },
        );
        assert_ne!(a.key(), b.key());
        assert_eq!(a.key(), a.clone().due(5).key());
    }
}
