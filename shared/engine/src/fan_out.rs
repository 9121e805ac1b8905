//! Splitting a large fan-out so no single message does unbounded work: the message that
//! fans out writes the join and the first chunk of children, and sends the other chunks
//! as `OpenChildren` messages that write theirs (see `Engine::open_children`). A fan-out
//! of 10,000 children written by one message outlived the queue's visibility timeout and
//! was run again in full by the redelivered copy.

use crate::ids::FrameId;
use crate::message::{Message, MessageKind};
use crate::records::{FrameRecord, JoinRecord};

/// Children one message writes (one DynamoDB transaction of conditional puts). A Lambda
/// batch handles its ten messages at once and is redelivered whole when its slowest one
/// outlives the visibility timeout, so each message's share stays small.
pub(crate) const CHUNK_CHILDREN: usize = 64;

/// JSON bytes of children one `OpenChildren` message carries: SQS takes at most 256 KiB
/// per message, and the envelope needs a little room.
pub(crate) const CHUNK_BYTES: usize = 192 * 1024;

/// A join and its children, as the message that fans out writes and sends them.
#[derive(Debug)]
pub(crate) struct FanOut {
    pub join: JoinRecord,
    /// Written by the message that fans out, before its commit.
    pub children: Vec<FrameRecord>,
    /// `OpenChildren` messages for the rest, sent before that commit (a crash after it
    /// would lose them: they are not in its outbox).
    pub continuations: Vec<Message>,
}

/// Cuts `children` (in index order) into the first chunk and `OpenChildren` messages to
/// the parent frame at the join's version. A child too large for a message of its own
/// stays with the first chunk, which no message carries.
pub(crate) fn split(arn: &str, join: JoinRecord, children: Vec<FrameRecord>) -> FanOut {
    let parent: &FrameId = &join.key.parent;
    let message = |children: Vec<FrameRecord>| {
        Message::new(
            arn,
            parent.clone(),
            join.key.version,
            MessageKind::OpenChildren { children },
        )
    };
    let mut first = Vec::new();
    let mut continuations = Vec::new();
    let mut chunk = Vec::new();
    let mut bytes = 0;
    for child in children {
        if first.len() < CHUNK_CHILDREN && continuations.is_empty() && chunk.is_empty() {
            first.push(child);
            continue;
        }
        let size = serde_json::to_vec(&child).map_or(usize::MAX, |json| json.len());
        if size > CHUNK_BYTES {
            first.push(child);
            continue;
        }
        if !chunk.is_empty() && (chunk.len() >= CHUNK_CHILDREN || bytes + size > CHUNK_BYTES) {
            continuations.push(message(std::mem::take(&mut chunk)));
            bytes = 0;
        }
        bytes += size;
        chunk.push(child);
    }
    if !chunk.is_empty() {
        continuations.push(message(chunk));
    }
    FanOut {
        join,
        children: first,
        continuations,
    }
}

/// Whether `child` starts as soon as it exists: under MaxConcurrency N only the first N
/// do; the others are started by the child N places before them when it ends.
pub(crate) fn starts_at_once(child: &FrameRecord) -> bool {
    child.parent.as_ref().is_some_and(|link| {
        link.max_concurrency
            .filter(|&n| n > 0)
            .is_none_or(|n| link.index < n)
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};
    use stepwise_core::definition;
    use stepwise_core::interp::{ChildrenKind, Frame};

    use super::*;
    use crate::ids::JoinKey;
    use crate::records::{ParentLink, TaskProgress};

    fn children(total: u32, input: impl Fn(u32) -> Value) -> (JoinRecord, Vec<FrameRecord>) {
        let key = JoinKey {
            parent: FrameId::root(),
            version: 3,
        };
        let machine =
            definition::parse(r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#)
                .expect("parses");
        let records = (0..total)
            .map(|index| FrameRecord {
                id: FrameId::child(&key.parent, key.version, index),
                version: 0,
                frame: Frame::root(&machine, input(index), 0),
                next_event_id: 1,
                outbox: Vec::new(),
                cause: None,
                origin: None,
                task: None,
                progress: TaskProgress::default(),
                parent: Some(ParentLink {
                    join: key.clone(),
                    index,
                    kind: ChildrenKind::Map,
                    state: "M".into(),
                    total,
                    max_concurrency: Some(300),
                    items: 1,
                    started: None,
                }),
            })
            .collect();
        let join = JoinRecord {
            key,
            kind: ChildrenKind::Map,
            state: "M".into(),
            total,
            tolerance: None,
            succeeded: 0,
            failed: 0,
            failed_items: 0,
            closed: false,
            collector: None,
            feed: None,
            feed_failure: None,
            max_concurrency: None,
            paged: false,
        };
        (join, records)
    }

    fn carried(message: &Message) -> Vec<u32> {
        match &message.kind {
            MessageKind::OpenChildren { children } => children
                .iter()
                .map(|c| c.parent.as_ref().map_or(u32::MAX, |l| l.index))
                .collect(),
            other => panic!("not a continuation: {other:?}"),
        }
    }

    #[test]
    fn a_small_fan_out_stays_in_one_message() {
        let (join, records) = children(10, |i| json!(i));
        let fan_out = split("arn", join, records);
        assert_eq!(fan_out.children.len(), 10);
        assert!(fan_out.continuations.is_empty());
    }

    #[test]
    fn every_child_is_written_once_in_index_order() {
        let (join, records) = children(1000, |i| json!(i));
        let fan_out = split("arn", join, records);
        assert_eq!(fan_out.children.len(), CHUNK_CHILDREN);
        let mut indices: Vec<u32> = fan_out
            .children
            .iter()
            .filter_map(|c| c.parent.as_ref().map(|l| l.index))
            .collect();
        for message in &fan_out.continuations {
            assert_eq!((message.frame.as_str(), message.version), ("0", 3));
            let chunk = carried(message);
            assert!(chunk.len() <= CHUNK_CHILDREN);
            indices.extend(chunk);
        }
        assert_eq!(indices, (0..1000).collect::<Vec<u32>>());
        // Distinct keys: a redelivered chunk is never taken for another.
        let keys: std::collections::HashSet<String> =
            fan_out.continuations.iter().map(Message::key).collect();
        assert_eq!(keys.len(), fan_out.continuations.len());
    }

    #[test]
    fn messages_stay_under_the_queue_size_limit() {
        let big = "x".repeat(10_000);
        let (join, records) = children(CHUNK_CHILDREN as u32 + 100, |_| json!(big));
        let fan_out = split("arn", join, records);
        assert!(
            fan_out.continuations.len() >= 5,
            "{}",
            fan_out.continuations.len()
        );
        for message in &fan_out.continuations {
            assert!(message.to_json().len() <= 200 * 1024);
        }
        // A child too large for any message is written by the fan-out itself.
        let huge = "x".repeat(CHUNK_BYTES + 1);
        let (join, records) = children(CHUNK_CHILDREN as u32 + 2, |i| {
            if i == CHUNK_CHILDREN as u32 {
                json!(huge)
            } else {
                json!(i)
            }
        });
        let fan_out = split("arn", join, records);
        assert_eq!(fan_out.children.len(), CHUNK_CHILDREN + 1);
        assert_eq!(
            carried(&fan_out.continuations[0]),
            vec![CHUNK_CHILDREN as u32 + 1]
        );
    }

    #[test]
    fn only_the_first_max_concurrency_children_start_at_once() {
        let (_, records) = children(400, |i| json!(i));
        let starting = records.iter().filter(|c| starts_at_once(c)).count();
        assert_eq!(starting, 300);
    }
}
