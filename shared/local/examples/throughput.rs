//! Transitions per second on the embedded backend against the in-memory baseline.
//!
//! `cargo run --release -p stepwise-local --example throughput` runs two workloads on
//! `MemoryStore` + `MemoryQueue`, then on SQLite with `synchronous=FULL` and `NORMAL`,
//! one message at a time (receive, `Engine::handle`, ack), and prints the ratios:
//! - a Pass/Choice loop: 1,000 states per message, so it measures the engine's CPU with
//!   a commit every 1,000 transitions;
//! - a Wait loop: every iteration waits 1 s (the clock jumps over it), so every two
//!   transitions cost a message: load, commit, send, receive and ack, each a SQLite
//!   transaction. (A `Wait` of 0 s does not yield to the queue: the engine runs it in
//!   the same step, so it costs what a Pass costs.)
//!
//! `STEPWISE_BENCH_DIR` picks the folder for the database files (default: the temp dir).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use serde_json::{json, Value};
use stepwise_engine::memory::{MemoryQueue, MemoryStore};
use stepwise_engine::{Clock, Config, Engine, ExecutionStatus, NoTasks, StartRequest};
use stepwise_local::{Durability, Options};

/// A clock that jumps to each delayed message's due time: the benchmark measures the
/// backend, not the waiting.
#[derive(Debug, Clone)]
struct JumpClock(Arc<AtomicI64>);

impl JumpClock {
    fn new() -> Self {
        Self(Arc::new(AtomicI64::new(1_767_225_600_000)))
    }
    fn jump(&self, to: i64) {
        self.0.fetch_max(to, Ordering::SeqCst);
    }
}

impl Clock for JumpClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

fn choice_loop(n: u64) -> (String, Value) {
    let definition = json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": n, "Next": "Done"}], "Default": "Inc"},
        "Inc": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Check"},
        "Done": {"Type": "Succeed"}}});
    (definition.to_string(), json!({"n": 0}))
}

fn wait_loop(n: u64) -> (String, Value) {
    let definition = json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": n, "Next": "Done"}], "Default": "Nap"},
        "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Inc"},
        "Inc": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Check"},
        "Done": {"Type": "Succeed"}}});
    (definition.to_string(), json!({"n": 0}))
}

/// States entered, messages handled, seconds.
struct Run {
    transitions: usize,
    messages: u64,
    seconds: f64,
}

impl Run {
    fn per_second(&self) -> f64 {
        self.transitions as f64 / self.seconds
    }
}

fn entered(history: &[Value]) -> usize {
    history
        .iter()
        .filter(|e| {
            e["type"]
                .as_str()
                .is_some_and(|t| t.ends_with("StateEntered"))
        })
        .count()
}

async fn on_memory((definition, input): (String, Value)) -> Result<Run> {
    let clock = JumpClock::new();
    let engine = Engine::with(
        MemoryStore::default(),
        MemoryQueue::default(),
        NoTasks,
        clock.clone(),
        Config::local(),
    );
    let began = Instant::now();
    let arn = engine
        .start(StartRequest::new("bench", &definition, input))
        .await?
        .execution_arn;
    let mut messages = 0;
    while let Some(out) = engine.queue().pop() {
        if let Some(due) = out.message.due {
            clock.jump(due);
        }
        engine.handle(out.message, 1).await?;
        messages += 1;
    }
    let seconds = began.elapsed().as_secs_f64();
    ensure!(engine.describe(&arn).await?.status == ExecutionStatus::Succeeded);
    Ok(Run {
        transitions: entered(&engine.history(&arn).await?),
        messages,
        seconds,
    })
}

async fn on_sqlite((definition, input): (String, Value), durability: Durability) -> Result<Run> {
    let dir = std::env::var_os("STEPWISE_BENCH_DIR")
        .map_or_else(std::env::temp_dir, Into::into)
        .join(format!("stepwise-throughput-{}", std::process::id()));
    std::fs::create_dir_all(&dir).context("bench folder")?;
    let path = dir.join(format!("{durability:?}.db"));
    let _ = std::fs::remove_file(&path);
    let clock = JumpClock::new();
    let options = Options {
        durability,
        ..Options::default()
    };
    let (store, queue) = stepwise_local::open(&path, options, clock.clone())?;
    let engine = Engine::with(store, queue, NoTasks, clock.clone(), Config::local());
    let queue = engine.queue();
    let began = Instant::now();
    let arn = engine
        .start(StartRequest::new("bench", &definition, input))
        .await?
        .execution_arn;
    let mut messages = 0;
    loop {
        let Some(delivery) = queue.receive(1, Duration::from_secs(30)).await?.pop() else {
            match queue.next_visible_at().await? {
                Some(at) => {
                    clock.jump(at);
                    continue;
                }
                None => break,
            }
        };
        engine
            .handle(delivery.message, delivery.receive_count)
            .await?;
        queue.ack(delivery.id).await?;
        messages += 1;
    }
    let seconds = began.elapsed().as_secs_f64();
    ensure!(engine.describe(&arn).await?.status == ExecutionStatus::Succeeded);
    let run = Run {
        transitions: entered(&engine.history(&arn).await?),
        messages,
        seconds,
    };
    drop(engine);
    std::fs::remove_dir_all(&dir).ok();
    Ok(run)
}

fn report(workload: &str, backend: &str, run: &Run, baseline: &Run) {
    println!(
        "{workload:<18} {backend:<16} {:>9} transitions {:>6} messages {:>8.3} s {:>12.0} transitions/s  {:>6.3}x memory",
        run.transitions,
        run.messages,
        run.seconds,
        run.per_second(),
        run.per_second() / baseline.per_second()
    );
}

/// A name and the (definition, input) it runs.
type Workload = (&'static str, fn() -> (String, Value));

/// Runs of each case; the median is reported (the first run also warms caches).
const SAMPLES: usize = 3;

fn median(mut runs: Vec<Run>) -> Run {
    runs.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    runs.swap_remove(runs.len() / 2)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let workloads: [Workload; 2] = [
        ("pass/choice loop", || choice_loop(50_000)),
        ("wait loop", || wait_loop(1_000)),
    ];
    for (name, workload) in workloads {
        let mut runs = Vec::new();
        for _ in 0..SAMPLES {
            runs.push(on_memory(workload()).await?);
        }
        let memory = median(runs);
        report(name, "memory", &memory, &memory);
        for durability in [Durability::Full, Durability::Normal] {
            let mut runs = Vec::new();
            for _ in 0..SAMPLES {
                runs.push(on_sqlite(workload(), durability).await?);
            }
            report(
                name,
                &format!("sqlite {durability:?}"),
                &median(runs),
                &memory,
            );
        }
    }
    Ok(())
}
