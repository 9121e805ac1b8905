//! The durable engine's own cost, apart from any backend: whole executions through
//! `Engine` on the in-memory store and queue, with history recorded as the engine always
//! does. Each message is a load, a plan, a conditional commit and a send, so this is the
//! CPU a Lambda invocation spends besides its AWS requests.
//!
//! `cargo bench -p stepwise-engine --bench engine` prints the median of several runs in
//! transitions (states entered) per second and messages per second, against the
//! baseline: **1,000 messages per second per core**, ten times what a Lambda doing one
//! AWS round trip of ~10 ms per message could ask of it.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Value};
use stepwise_engine::memory::{MemoryQueue, MemoryStore};
use stepwise_engine::{Clock, Config, Engine, ExecutionStatus, NoTasks, StartRequest};

const BASELINE_MESSAGES_PER_SECOND: f64 = 1_000.0;
const SAMPLES: usize = 5;

struct Run {
    transitions: u64,
    messages: u64,
}

/// A clock that jumps to each delayed message's due time: the benchmark measures the
/// engine, not the waiting.
#[derive(Debug, Clone, Default)]
struct JumpClock(Arc<AtomicI64>);

impl Clock for JumpClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

async fn execute(definition: &str, input: Value) -> Run {
    let clock = JumpClock::default();
    clock.0.store(1_767_225_600_000, Ordering::SeqCst);
    let engine = Engine::with(
        MemoryStore::default(),
        MemoryQueue::default(),
        NoTasks,
        clock.clone(),
        Config::local(),
    );
    let started = engine
        .start(StartRequest::new("bench", definition, input))
        .await
        .expect("start");
    let mut messages = 0;
    while let Some(out) = engine.queue().pop() {
        if let Some(due) = out.message.due {
            clock.0.fetch_max(due, Ordering::SeqCst);
        }
        engine.handle(out.message, 1).await.expect("handle");
        messages += 1;
    }
    let record = engine
        .describe(&started.execution_arn)
        .await
        .expect("describe");
    assert_eq!(
        record.status,
        ExecutionStatus::Succeeded,
        "{:?}",
        record.failure
    );
    let history = engine
        .history(&started.execution_arn)
        .await
        .expect("history");
    let transitions = history
        .iter()
        .filter(|e| {
            e["type"]
                .as_str()
                .is_some_and(|t| t.ends_with("StateEntered"))
        })
        .count() as u64;
    Run {
        transitions,
        messages,
    }
}

fn wait_loop(turns: u64) -> Value {
    json!({"StartAt": "Work", "States": {
        "Work": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Nap"},
        "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericLessThan": turns, "Next": "Work"}], "Default": "Done"},
        "Done": {"Type": "Succeed"}}})
}

fn counting_loop(turns: u64) -> Value {
    json!({"StartAt": "Work", "States": {
        "Work": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericLessThan": turns, "Next": "Work"}], "Default": "Done"},
        "Done": {"Type": "Succeed"}}})
}

fn map(items: usize) -> (Value, Value) {
    let definition = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass",
            "Parameters": {"v.$": "States.MathAdd($.v, 1)"}, "End": true}}}}}});
    let input = Value::Array((0..items).map(|v| json!({"v": v})).collect());
    (definition, input)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let (map_definition, map_input) = map(1000);
    let workloads: Vec<(&str, Value, Value)> = vec![
        (
            "Wait loop (Pass, Wait 1 s, Choice), 1,000 turns: one message per turn",
            wait_loop(1000),
            json!({"i": 0}),
        ),
        (
            "Pass/Choice counting loop, 100,000 transitions: 1,000 states per message",
            counting_loop(50_000),
            json!({"i": 0}),
        ),
        (
            "Map over 1,000 items (child frames, join counters)",
            map_definition,
            map_input,
        ),
    ];
    println!("| workload | transitions | messages | median tr/s | median messages/s | vs baseline ({BASELINE_MESSAGES_PER_SECOND} msg/s) |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, definition, input) in workloads {
        let text = definition.to_string();
        let mut seconds = Vec::new();
        let mut last = None;
        for _ in 0..SAMPLES {
            let started = Instant::now();
            let run = runtime.block_on(execute(&text, input.clone()));
            seconds.push(started.elapsed().as_secs_f64());
            last = Some(run);
        }
        seconds.sort_by(f64::total_cmp);
        let median = seconds[SAMPLES / 2];
        let run = last.expect("ran");
        let messages_per_second = run.messages.max(1) as f64 / median;
        println!(
            "| {name} | {} | {} | {:.0} | {:.0} | {:.1}× |",
            run.transitions,
            run.messages,
            run.transitions as f64 / median,
            messages_per_second,
            messages_per_second / BASELINE_MESSAGES_PER_SECOND
        );
    }
}
