//! Chains: a handler that commits a step whose only next message is due now for the same
//! frame (a Task state after a Task state, or a `Run` after a long run of states) may
//! handle that message itself instead of sending it, while its time budget lasts
//! ([`super::Config::chain_budget_ms`]). Each step of a chain saves a queue send, a
//! receive and a read of the frame it has just written: a chain of Lambda tasks costs a
//! conditional write and a read of the execution's header per task.
//!
//! Crash safety rests on the frame log, as for one message: every step of a chain is
//! still one conditional commit, under the key of the message it stands for (so a copy
//! of that message that races it finds its own commit, as any redelivery does), and it
//! records the key of the queue message the chain began with as its `origin`. A handler
//! that dies mid-chain leaves that queue message undeleted: when it comes back it finds
//! the latest version made by its chain and sends that version's outbox again, which
//! carries the step the chain did not get to.

use crate::message::{Message, MessageKind};
use crate::queue::Outgoing;
use crate::records::FrameRecord;

/// The chain a handler may continue: the queue message it began with, and when.
#[derive(Debug)]
pub(super) struct Chain {
    /// [`Message::key`] of the queue message.
    pub origin: String,
    pub started: i64,
    pub budget_ms: u64,
}

impl Chain {
    /// Whether a step committed at `now` may hand its next message to this chain.
    pub fn open_at(&self, now: i64) -> bool {
        let spent = u64::try_from(now.saturating_sub(self.started)).unwrap_or(0);
        spent < self.budget_ms
    }
}

/// A message held back from the queue, and the frame version it runs from (the one the
/// chain has just written, so it is not read again).
#[derive(Debug)]
pub(super) struct Continuation {
    pub message: Message,
    pub record: FrameRecord,
}

/// Takes out of `outbox` the message the chain may handle next: the only one due now,
/// a `Task` or a `Run` of the frame just committed (`record`). Delayed messages (a
/// task's timeout, a heartbeat check) stay in the outbox and are sent as usual; an
/// outbox of several due messages (a fan-out) is sent whole, so its work runs in
/// parallel.
pub(super) fn take_next(outbox: &mut Vec<Outgoing>, record: &FrameRecord) -> Option<Message> {
    next_index(outbox, record).map(|index| outbox.remove(index).message)
}

/// Whether [`take_next`] would take a message out of `outbox`.
pub(super) fn continues(outbox: &[Outgoing], record: &FrameRecord) -> bool {
    next_index(outbox, record).is_some()
}

fn next_index(outbox: &[Outgoing], record: &FrameRecord) -> Option<usize> {
    let mut due = outbox
        .iter()
        .enumerate()
        .filter(|(_, o)| o.delay_seconds == 0);
    let (index, only) = due.next()?;
    if due.next().is_some() {
        return None;
    }
    let message = &only.message;
    let continues = matches!(message.kind, MessageKind::Task | MessageKind::Run)
        && message.due.is_none()
        && message.frame == record.id
        && message.version == record.version;
    continues.then_some(index)
}

/// Whether `record` (a frame's latest version) was made by the handling of `message`:
/// directly (the next version, under the message's key) or by a chain the message began
/// (a later version with the message's key as its origin).
pub(super) fn made_by(record: &FrameRecord, message: &Message) -> bool {
    let key = message.key();
    (record.version == message.version + 1 && record.cause.as_deref() == Some(key.as_str()))
        || (record.version > message.version + 1 && record.origin.as_deref() == Some(key.as_str()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use stepwise_core::definition;
    use stepwise_core::interp::Frame;

    use super::*;
    use crate::ids::FrameId;
    use crate::records::TaskProgress;

    fn record(version: u64, cause: Option<&str>, origin: Option<&str>) -> FrameRecord {
        let machine =
            definition::parse(r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#)
                .expect("parses");
        FrameRecord {
            id: FrameId::root(),
            version,
            frame: Frame::root(&machine, json!({}), 0),
            next_event_id: 1,
            outbox: Vec::new(),
            cause: cause.map(str::to_owned),
            origin: origin.map(str::to_owned),
            task: None,
            parent: None,
            progress: TaskProgress::default(),
        }
    }

    fn out(kind: MessageKind, version: u64, delay_seconds: u32) -> Outgoing {
        Outgoing {
            message: Message::new("arn:x", FrameId::root(), version, kind),
            delay_seconds,
        }
    }

    #[test]
    fn the_only_due_task_or_run_of_the_frame_is_taken_and_delayed_ones_stay() {
        let at = record(4, None, None);
        let mut outbox = vec![
            out(MessageKind::TaskTimeout, 4, 60),
            out(MessageKind::Task, 4, 0),
        ];
        let taken = take_next(&mut outbox, &at).expect("the task is taken");
        assert_eq!(taken.kind, MessageKind::Task);
        assert_eq!(outbox, vec![out(MessageKind::TaskTimeout, 4, 60)]);

        let mut run = vec![out(MessageKind::Run, 4, 0)];
        assert!(take_next(&mut run, &at).is_some());
    }

    #[test]
    fn fan_outs_timers_and_other_versions_go_through_the_queue() {
        let at = record(4, None, None);
        let keep = |mut outbox: Vec<Outgoing>| {
            let before = outbox.clone();
            assert!(!continues(&outbox, &at));
            assert!(take_next(&mut outbox, &at).is_none());
            assert_eq!(outbox, before);
        };
        keep(vec![
            out(MessageKind::Task, 4, 0),
            out(MessageKind::Run, 4, 0),
        ]);
        keep(vec![out(MessageKind::Timer, 4, 0)]);
        keep(vec![out(MessageKind::Task, 4, 3)]);
        keep(vec![out(MessageKind::Task, 5, 0)]);
        keep(Vec::new());
        let mut elsewhere = out(MessageKind::Task, 4, 0);
        elsewhere.message.frame = FrameId::child(&FrameId::root(), 3, 0);
        keep(vec![elsewhere]);
    }

    #[test]
    fn a_message_made_the_next_version_or_the_chain_that_followed_it() {
        let message = Message::new("arn:x", FrameId::root(), 4, MessageKind::Task);
        let key = message.key();
        assert!(made_by(&record(5, Some(&key), None), &message));
        assert!(made_by(&record(9, Some("0@8:task"), Some(&key)), &message));
        assert!(!made_by(&record(5, Some("0@4:timer"), None), &message));
        assert!(!made_by(
            &record(9, Some("0@8:task"), Some("0@2:task")),
            &message
        ));
        assert!(!made_by(&record(9, Some(&key), None), &message));
        assert!(!made_by(&record(4, None, None), &message));
    }
}
