//! Drives the engine over the in-memory store and queue with a clock the test controls.
#![allow(dead_code)]

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use serde_json::Value;
use stepwise_engine::memory::{MemoryQueue, MemoryStore};
use stepwise_engine::queue::{self, Outgoing, Queue};
use stepwise_engine::{Clock, Config, Engine, Handled, NoTasks, StartRequest, TaskInvoker};

/// A clock that moves only when told to.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn at(now: i64) -> Self {
        Self(Arc::new(AtomicI64::new(now)))
    }

    pub fn advance_to(&self, at: i64) {
        self.0.fetch_max(at, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

pub type TestEngine = Engine<MemoryStore, MemoryQueue, NoTasks, ManualClock>;

/// 2024-01-01T00:00:00Z.
pub const T0: i64 = 1_704_067_200_000;

pub fn engine() -> TestEngine {
    engine_at(T0)
}

pub fn engine_at(now: i64) -> TestEngine {
    Engine::with(
        MemoryStore::default(),
        MemoryQueue::default(),
        NoTasks,
        ManualClock::at(now),
        Config::local(),
    )
}

/// Handles queued messages until none are left, moving the clock on by each message's
/// queue delay (as if the queue had held it back). Returns what each did.
pub async fn drain<Q: Source, T: TaskInvoker>(
    engine: &Engine<MemoryStore, Q, T, ManualClock>,
) -> Vec<Handled> {
    let mut handled = Vec::new();
    let mut scheduled = Scheduled::default();
    loop {
        scheduled.take(engine.queue(), engine.clock().now());
        let Some((visible_at, out)) = scheduled.pop() else {
            return handled;
        };
        engine.clock().advance_to(visible_at);
        handled.push(engine.handle(out.message, 1).await.expect("handle"));
        assert!(handled.len() < 1_000_000, "runaway message loop");
    }
}

/// Messages ordered by when the queue makes them visible (send time + delay), as SQS
/// would deliver them; ties in send order.
#[derive(Debug, Default)]
pub struct Scheduled {
    heap: BinaryHeap<Reverse<(i64, u64)>>,
    messages: HashMap<u64, Outgoing>,
    sequence: u64,
}

impl Scheduled {
    pub fn take<Q: Source>(&mut self, queue: &Q, now: i64) {
        while let Some(out) = queue.next() {
            let visible_at = now + i64::from(out.delay_seconds) * 1000;
            self.sequence += 1;
            self.heap.push(Reverse((visible_at, self.sequence)));
            self.messages.insert(self.sequence, out);
        }
    }

    pub fn pop(&mut self) -> Option<(i64, Outgoing)> {
        let Reverse((at, sequence)) = self.heap.pop()?;
        Some((at, self.messages.remove(&sequence)?))
    }
}

/// A queue a test can pop from.
pub trait Source: Queue {
    fn next(&self) -> Option<Outgoing>;
}

impl Source for MemoryQueue {
    fn next(&self) -> Option<Outgoing> {
        self.pop()
    }
}

pub async fn run(engine: &TestEngine, definition: &str, input: Value) -> (String, Vec<Handled>) {
    let started = engine
        .start(StartRequest::new("test", definition, input))
        .await
        .expect("start");
    let handled = drain(engine).await;
    (started.execution_arn, handled)
}

/// A queue that fails its next `failures` sends (a crash between commit and send) and
/// can deliver every message twice.
#[derive(Debug, Default)]
pub struct FaultyQueue {
    pub inner: MemoryQueue,
    pub failures: AtomicI64,
    pub duplicate: bool,
}

impl Queue for FaultyQueue {
    async fn send(&self, messages: Vec<Outgoing>) -> queue::Result<()> {
        if self.failures.fetch_sub(1, Ordering::SeqCst) > 0 {
            return Err(queue::Error::Unavailable("injected send failure".into()));
        }
        if self.duplicate {
            self.inner.send(messages.clone()).await?;
        }
        self.inner.send(messages).await
    }
}

impl Source for FaultyQueue {
    fn next(&self) -> Option<Outgoing> {
        self.inner.pop()
    }
}
