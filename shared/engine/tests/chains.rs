//! Chains of steps in one handling (`Config::chain_budget_ms`): a Task after a Task runs
//! in the handler that committed the first, within the budget, and a handler that dies
//! mid-chain is repaired by its queue message's redelivery.

mod support;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};
use stepwise_core::failure::Failure;
use stepwise_core::interp::TaskRequest;
use stepwise_engine::memory::{MemoryQueue, MemoryStore};
use stepwise_engine::{Clock, Config, Engine, ExecutionStatus, Handled, StartRequest, TaskInvoker};
use support::{drain, FaultyQueue, ManualClock, Source, T0};
use tokio::sync::Notify;

/// Adds one to `$.n`; each call moves the clock on by `step_ms`, and the call numbered
/// `die_at` (1-based, once) panics: the handler's process dies in the middle of a chain.
/// The call numbered `hold_at` says it has begun (`held`) and waits for `release`.
#[derive(Debug)]
struct Counter {
    calls: AtomicU32,
    clock: ManualClock,
    step_ms: i64,
    die_at: AtomicU32,
    hold_at: AtomicU32,
    held: Notify,
    release: Notify,
}

impl TaskInvoker for Counter {
    async fn invoke(&self, _execution: &str, request: &TaskRequest) -> Result<Value, Failure> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        self.clock.advance_to(self.clock.now() + self.step_ms);
        if self
            .die_at
            .compare_exchange(call, 0, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            panic!("the handler's process dies during task call {call}");
        }
        if self.hold_at.load(Ordering::SeqCst) == call {
            self.held.notify_one();
            self.release.notified().await;
        }
        let n = request.parameters["Payload"]["n"].as_i64().unwrap_or(0);
        Ok(json!({"Payload": {"n": n + 1}}))
    }
}

type ChainEngine<Q = MemoryQueue> = Engine<MemoryStore, Q, Counter, ManualClock>;

fn engine(budget_ms: u64, step_ms: i64, die_at: u32) -> Arc<ChainEngine> {
    engine_on(MemoryQueue::default(), budget_ms, step_ms, die_at)
}

fn engine_on<Q: Source>(
    queue: Q,
    budget_ms: u64,
    step_ms: i64,
    die_at: u32,
) -> Arc<ChainEngine<Q>> {
    let clock = ManualClock::at(T0);
    let tasks = Counter {
        calls: AtomicU32::new(0),
        clock: clock.clone(),
        step_ms,
        die_at: AtomicU32::new(die_at),
        hold_at: AtomicU32::new(0),
        held: Notify::new(),
        release: Notify::new(),
    };
    let config = Config {
        chain_budget_ms: budget_ms,
        ..Config::local()
    };
    Arc::new(Engine::with(
        MemoryStore::default(),
        queue,
        tasks,
        clock,
        config,
    ))
}

/// `tasks` Lambda tasks in a row, each adding one to `$.n`.
fn task_chain(tasks: usize) -> String {
    let mut states = serde_json::Map::new();
    for i in 0..tasks {
        let mut state = json!({
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "add", "Payload.$": "$"},
            "OutputPath": "$.Payload"
        });
        match i + 1 < tasks {
            true => state["Next"] = json!(format!("T{}", i + 1)),
            false => state["End"] = json!(true),
        }
        states.insert(format!("T{i}"), state);
    }
    json!({"StartAt": "T0", "States": states}).to_string()
}

async fn start<Q: Source>(engine: &ChainEngine<Q>, definition: &str) -> String {
    engine
        .start(StartRequest::new("chain", definition, json!({"n": 0})))
        .await
        .expect("start")
        .execution_arn
}

async fn outcome<Q: Source>(
    engine: &ChainEngine<Q>,
    arn: &str,
) -> (ExecutionStatus, Option<Value>) {
    let record = engine.describe(arn).await.expect("describe");
    (record.status, record.output)
}

async fn event_types(engine: &ChainEngine, arn: &str) -> Vec<String> {
    let history = engine.history(arn).await.expect("history");
    history
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_chain_of_tasks_runs_in_the_handling_of_one_message() {
    let chained = engine(60_000, 10, 0);
    let arn = start(&chained, &task_chain(5)).await;
    let handled = drain(&chained).await;
    // The start entered the first task; the chain entered the other four (the last
    // step ends the execution and enters no state).
    assert_eq!(handled, vec![Handled::Advanced { transitions: 4 }]);
    assert_eq!(
        outcome(&chained, &arn).await,
        (ExecutionStatus::Succeeded, Some(json!({"n": 5})))
    );
    assert_eq!(chained.tasks().calls.load(Ordering::SeqCst), 5);

    // The same execution without chains: a message per task, the same history.
    let unchained = engine(0, 10, 0);
    let plain = start(&unchained, &task_chain(5)).await;
    let handled = drain(&unchained).await;
    let one = Handled::Advanced { transitions: 1 };
    let last = Handled::Advanced { transitions: 0 };
    assert_eq!(
        handled,
        vec![one.clone(), one.clone(), one.clone(), one, last]
    );
    assert_eq!(
        outcome(&unchained, &plain).await,
        outcome(&chained, &arn).await
    );
    assert_eq!(
        event_types(&unchained, &plain).await,
        event_types(&chained, &arn).await
    );
}

#[tokio::test]
async fn the_budget_ends_a_chain_and_the_queue_carries_the_rest() {
    // Each task takes 400 ms of the 1,000 ms budget: the steps committed at 400 and
    // 800 ms go on, the one at 1,200 ms sends its next message, whose handling begins a
    // budget of its own and runs the last three tasks.
    let chained = engine(1_000, 400, 0);
    let arn = start(&chained, &task_chain(6)).await;
    let handled = drain(&chained).await;
    assert_eq!(
        handled,
        vec![
            Handled::Advanced { transitions: 3 },
            Handled::Advanced { transitions: 2 }
        ]
    );
    assert_eq!(
        outcome(&chained, &arn).await,
        (ExecutionStatus::Succeeded, Some(json!({"n": 6})))
    );
}

#[tokio::test]
async fn a_handler_that_dies_mid_chain_is_repaired_by_the_redelivery_of_its_message() {
    // The process dies in the third task call: two versions are committed after the
    // start, the second of them by the chain, and no message is in the queue.
    let engine = engine(60_000, 10, 3);
    let arn = start(&engine, &task_chain(5)).await;
    let first = engine.queue().next().expect("the start's message");
    let dying = {
        let engine = engine.clone();
        let message = first.message.clone();
        tokio::spawn(async move { engine.handle(message, 1).await })
    };
    assert!(dying.await.expect_err("the handler died").is_panic());
    assert!(engine.queue().next().is_none(), "the chain sent nothing");
    assert_eq!(outcome(&engine, &arn).await.0, ExecutionStatus::Running);

    // The queue delivers the message again: it finds its chain's latest version and
    // sends that version's outbox, which carries the step the chain did not finish.
    let again = engine.handle(first.message, 2).await.expect("redelivery");
    assert_eq!(again, Handled::Resent);
    drain(&engine).await;
    assert_eq!(
        outcome(&engine, &arn).await,
        (ExecutionStatus::Succeeded, Some(json!({"n": 5})))
    );
    // The task whose call died is called again (at least once); no other is.
    assert_eq!(engine.tasks().calls.load(Ordering::SeqCst), 6);
}

#[tokio::test]
async fn a_fan_out_is_sent_whole_and_each_branch_chains_on_its_own() {
    let chain = |name: &str| {
        json!({"StartAt": format!("{name}1"), "States": {
            format!("{name}1"): {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "add", "Payload.$": "$"},
                "OutputPath": "$.Payload", "Next": format!("{name}2")},
            format!("{name}2"): {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "add", "Payload.$": "$"},
                "OutputPath": "$.Payload", "End": true}
        }})
    };
    let definition = json!({"StartAt": "Both", "States": {"Both": {
        "Type": "Parallel", "Branches": [chain("A"), chain("B")], "End": true}}});
    let engine = engine(60_000, 10, 0);
    let arn = start(&engine, &definition.to_string()).await;
    let handled = drain(&engine).await;
    let chained = handled
        .iter()
        .filter(|h| **h == Handled::Advanced { transitions: 2 })
        .count();
    assert_eq!(
        chained, 2,
        "each branch's two tasks in one handling: {handled:?}"
    );
    assert_eq!(
        outcome(&engine, &arn).await,
        (
            ExecutionStatus::Succeeded,
            Some(json!([{"n": 2}, {"n": 2}]))
        )
    );
}

#[tokio::test]
async fn a_chain_step_that_outlasts_the_budget_is_still_found_by_the_redelivery() {
    // Tasks of 600 ms in a budget of 1,000 ms: the second task's step commits at
    // 1,200 ms, after the budget, and its send fails. The queue message the chain began
    // with must still find that commit as its chain's.
    let engine = engine_on(FaultyQueue::default(), 1_000, 600, 0);
    let arn = start(&engine, &task_chain(4)).await;
    let first = engine.queue().next().expect("the start's message");
    engine.queue().failures.store(1, Ordering::SeqCst);
    engine
        .handle(first.message.clone(), 1)
        .await
        .expect_err("the send after the chain's second step fails");
    assert!(engine.queue().next().is_none(), "nothing was sent");

    assert_eq!(
        engine.handle(first.message, 2).await.expect("redelivery"),
        Handled::Resent
    );
    drain(&engine).await;
    assert_eq!(
        outcome(&engine, &arn).await,
        (ExecutionStatus::Succeeded, Some(json!({"n": 4})))
    );
    assert_eq!(engine.tasks().calls.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_stop_ends_a_chain_at_its_next_step() {
    // The chain's second task is running when the execution is stopped: that step still
    // commits (as any message in flight does), and the next step reads the stopped
    // header and calls nothing more.
    let engine = engine(60_000, 10, 0);
    engine.tasks().hold_at.store(2, Ordering::SeqCst);
    let arn = start(&engine, &task_chain(5)).await;
    let first = engine.queue().next().expect("the start's message");
    let chain = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.handle(first.message, 1).await })
    };
    engine.tasks().held.notified().await;
    engine.stop(&arn, None, None).await.expect("stop");
    engine.tasks().release.notify_one();
    let handled = chain.await.expect("the chain ends").expect("handled");
    assert_eq!(handled, Handled::Advanced { transitions: 2 });
    assert_eq!(engine.tasks().calls.load(Ordering::SeqCst), 2);
    assert!(engine.queue().next().is_none(), "nothing was sent");
    assert_eq!(outcome(&engine, &arn).await.0, ExecutionStatus::Aborted);
}
