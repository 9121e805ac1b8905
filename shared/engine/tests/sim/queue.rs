//! A simulated SQS standard queue behind the engine's `Queue` port.
//!
//! What it models, as SQS documents it: `DelaySeconds`; a visibility timeout after each
//! receive (a message not deleted in time is delivered again, with a higher
//! `ApproximateReceiveCount`); at-least-once delivery (a message may arrive twice);
//! no ordering (the scheduler receives any visible message); deletes that need the
//! latest receipt handle; and a redrive policy that moves a message to the dead-letter
//! queue once it has been received more than `MAX_RECEIVES` times. Bodies travel as JSON
//! text, as over the wire.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use stepwise_engine::queue::{self, Outgoing, Queue};
use stepwise_engine::{Clock, Message};

use super::clock::VirtualClock;
use super::executor::pause;
use super::faults::{Fault, Faults};

/// Seconds a received message stays hidden from other workers.
pub const VISIBILITY_TIMEOUT_MS: i64 = 30_000;

/// The redrive policy's `maxReceiveCount`.
pub const MAX_RECEIVES: u32 = 25;

#[derive(Debug, Clone)]
struct Stored {
    body: String,
    visible_at: i64,
    receive_count: u32,
    /// Bumped by every receive: only the latest receipt deletes the message.
    receipt: u64,
}

/// One delivery of a message to a worker.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: u64,
    pub receipt: u64,
    pub receive_count: u32,
    pub message: Message,
}

#[derive(Debug, Default)]
struct Sqs {
    messages: BTreeMap<u64, Stored>,
    next_id: u64,
    dead: Vec<String>,
}

#[derive(Debug)]
pub struct SimQueue {
    sqs: Mutex<Sqs>,
    clock: VirtualClock,
    faults: Arc<Faults>,
}

impl SimQueue {
    pub fn new(clock: VirtualClock, faults: Arc<Faults>) -> Self {
        Self {
            sqs: Mutex::new(Sqs::default()),
            clock,
            faults,
        }
    }

    fn sqs(&self) -> MutexGuard<'_, Sqs> {
        self.sqs.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn enqueue(&self, out: &Outgoing) {
        let now = self.clock.now();
        let mut visible_at = now + i64::from(out.delay_seconds) * 1000;
        let at = || format!("send {}", out.message.key());
        if self.faults.roll(Fault::Delayed, |p| p.delay, &at()) {
            visible_at += 1 + self.faults.below(5_000) as i64;
        }
        let copies = if self.faults.roll(Fault::Duplicated, |p| p.duplicate, &at()) {
            2
        } else {
            1
        };
        let body = out.message.to_json();
        let mut sqs = self.sqs();
        for copy in 0..copies {
            let id = sqs.next_id;
            sqs.next_id += 1;
            sqs.messages.insert(
                id,
                Stored {
                    body: body.clone(),
                    // The copy of a duplicate trails the original a little.
                    visible_at: visible_at + copy * 1_000,
                    receive_count: 0,
                    receipt: 0,
                },
            );
        }
    }

    /// Ids of the messages visible now, oldest first.
    pub fn visible(&self) -> Vec<u64> {
        let now = self.clock.now();
        self.sqs()
            .messages
            .iter()
            .filter(|(_, m)| m.visible_at <= now)
            .map(|(&id, _)| id)
            .collect()
    }

    /// When the next hidden message becomes visible.
    pub fn next_visible_at(&self) -> Option<i64> {
        self.sqs().messages.values().map(|m| m.visible_at).min()
    }

    /// Receives message `id`: hides it for the visibility timeout, counts the receive,
    /// and dead-letters it instead once it has been received too often.
    pub fn receive(&self, id: u64) -> Option<Delivery> {
        let now = self.clock.now();
        let mut sqs = self.sqs();
        let stored = sqs.messages.get_mut(&id)?;
        stored.receive_count += 1;
        stored.receipt += 1;
        stored.visible_at = now + VISIBILITY_TIMEOUT_MS;
        let delivery = Delivery {
            id,
            receipt: stored.receipt,
            receive_count: stored.receive_count,
            message: Message::from_json(&stored.body).ok()?,
        };
        if delivery.receive_count > MAX_RECEIVES {
            if let Some(dead) = sqs.messages.remove(&id) {
                sqs.dead.push(dead.body);
            }
            return None;
        }
        Some(delivery)
    }

    /// Deletes a handled message; a stale receipt (the message was received again since)
    /// leaves it in the queue, as SQS may.
    pub fn delete(&self, delivery: &Delivery) -> bool {
        let mut sqs = self.sqs();
        let current = sqs
            .messages
            .get(&delivery.id)
            .is_some_and(|m| m.receipt == delivery.receipt);
        if current {
            sqs.messages.remove(&delivery.id);
        }
        current
    }

    pub fn len(&self) -> usize {
        self.sqs().messages.len()
    }

    pub fn dead_letters(&self) -> Vec<String> {
        self.sqs().dead.clone()
    }
}

impl Queue for SimQueue {
    /// `SendMessageBatch`, one entry at a time with an await point between entries, so a
    /// worker can die halfway through an outbox; or refused before, or cut short.
    async fn send(&self, messages: Vec<Outgoing>) -> queue::Result<()> {
        pause().await;
        if self
            .faults
            .roll(Fault::SendFailed, |p| p.send_fail, "queue.send")
        {
            return Err(queue::Error::Unavailable("simulated send failure".into()));
        }
        let cut = if messages.len() > 1
            && self.faults.roll(
                Fault::SendFailedHalfway,
                |p| p.send_fail_halfway,
                "queue.send",
            ) {
            Some(1 + self.faults.below(messages.len() as u64 - 1) as usize)
        } else {
            None
        };
        for (i, out) in messages.iter().enumerate() {
            if Some(i) == cut {
                return Err(queue::Error::Unavailable(format!(
                    "simulated send failure after {i} of {} messages",
                    messages.len()
                )));
            }
            if i > 0 {
                pause().await;
            }
            self.enqueue(out);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::clock::T0;
    use super::super::executor::block_on;
    use super::super::faults::Profile;
    use super::super::rng::{Rng, Stream};
    use super::*;
    use stepwise_engine::{FrameId, MessageKind};

    fn queue() -> SimQueue {
        let clock = VirtualClock::at(T0);
        let faults = Faults::new(
            Rng::new(1, Stream::Faults),
            Profile::none(),
            clock.clone(),
            false,
        );
        SimQueue::new(clock, Arc::new(faults))
    }

    fn send(queue: &SimQueue, delay_seconds: u32) {
        let message = Message::new("arn", FrameId::root(), 1, MessageKind::Run);
        block_on(queue.send(vec![Outgoing {
            message,
            delay_seconds,
        }]))
        .expect("send");
    }

    #[test]
    fn delayed_messages_wait_and_unacknowledged_ones_come_back() {
        let queue = queue();
        send(&queue, 10);
        assert!(queue.visible().is_empty());
        assert_eq!(queue.next_visible_at(), Some(T0 + 10_000));
        queue.clock.advance_to(T0 + 10_000);
        let first = queue.receive(queue.visible()[0]).expect("delivery");
        assert_eq!(first.receive_count, 1);
        assert!(queue.visible().is_empty());
        queue
            .clock
            .advance_to(queue.clock.now() + VISIBILITY_TIMEOUT_MS);
        let second = queue.receive(first.id).expect("redelivery");
        assert_eq!(second.receive_count, 2);
        // The first receipt is stale now.
        assert!(!queue.delete(&first));
        assert!(queue.delete(&second));
        assert_eq!(queue.len(), 0);
    }

    #[test]
    fn a_message_received_too_often_is_dead_lettered() {
        let queue = queue();
        send(&queue, 0);
        let id = queue.visible()[0];
        for _ in 0..MAX_RECEIVES {
            assert!(queue.receive(id).is_some());
            queue
                .clock
                .advance_to(queue.clock.now() + VISIBILITY_TIMEOUT_MS);
        }
        assert!(queue.receive(id).is_none());
        assert_eq!(queue.len(), 0);
        assert_eq!(queue.dead_letters().len(), 1);
    }
}
