//! What the embedded backend's tests share: a fresh database file, a clock the test
//! moves, and a driver that drains the SQLite queue in due order on that clock.
#![allow(dead_code, unused_imports)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use stepwise_engine::memory::{MemoryQueue, MemoryStore};
use stepwise_engine::{Config, Engine, Handled, NoTasks};
use stepwise_local::{Durability, LocalEngine, Options};

#[path = "../../../engine/tests/support/mod.rs"]
mod engine_support;

pub use engine_support::{ManualClock, T0};

/// A database path no other test (or developer) uses; the folder is removed when the
/// returned guard drops.
pub struct TempDb {
    dir: PathBuf,
}

impl TempDb {
    pub fn new(label: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "stepwise-local-{label}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self { dir }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join("stepwise.db")
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `synchronous=NORMAL` keeps the many small test databases quick; the semantics are
/// the same as `FULL` (only a power cut tells them apart).
pub fn options() -> Options {
    Options {
        durability: Durability::Normal,
        ..Options::default()
    }
}

pub type SqliteEngine = LocalEngine<NoTasks, ManualClock>;

pub fn sqlite_engine(db: &TempDb, now: i64) -> SqliteEngine {
    let clock = ManualClock::at(now);
    let (store, queue) = stepwise_local::open(db.path(), options(), clock.clone()).expect("open");
    Engine::with(store, queue, NoTasks, clock, Config::local())
}

pub fn memory_engine(now: i64) -> Engine<MemoryStore, MemoryQueue, NoTasks, ManualClock> {
    engine_support::engine_at(now)
}

pub async fn drain_memory(
    engine: &Engine<MemoryStore, MemoryQueue, NoTasks, ManualClock>,
) -> Vec<Handled> {
    engine_support::drain(engine).await
}

const VISIBILITY: Duration = Duration::from_secs(30);

/// Handles queued messages one at a time until none is left, moving the clock to each
/// message's `visible_at` as the real queue would have made the test wait for it.
pub async fn drain(engine: &SqliteEngine) -> Vec<Handled> {
    let queue = engine.queue();
    let mut handled = Vec::new();
    loop {
        let batch = queue.receive(1, VISIBILITY).await.expect("receive");
        if let Some(delivery) = batch.into_iter().next() {
            handled.push(
                engine
                    .handle(delivery.message, delivery.receive_count)
                    .await
                    .expect("handle"),
            );
            queue.ack(delivery.id).await.expect("ack");
            assert!(handled.len() < 1_000_000, "runaway message loop");
            continue;
        }
        match queue.next_visible_at().await.expect("peek") {
            Some(at) => engine.clock().advance_to(at),
            None => return handled,
        }
    }
}
