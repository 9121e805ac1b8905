//! The worker on real time: concurrent executions, poison messages, shutdown.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use stepwise_core::failure::Failure;
use stepwise_core::interp::TaskRequest;
use stepwise_engine::{
    Config, Engine, ExecutionStatus, NoTasks, StartRequest, SystemClock, TaskInvoker,
};
use stepwise_local::{run_to_completion, LocalEngine, Worker, WorkerOptions};
use support::TempDb;
use tokio::sync::watch;

fn engine(db: &TempDb) -> Arc<LocalEngine> {
    let (store, queue) =
        stepwise_local::open(db.path(), support::options(), SystemClock).expect("engine");
    Arc::new(Engine::with(
        store,
        queue,
        NoTasks,
        SystemClock,
        Config::local(),
    ))
}

fn quick() -> WorkerOptions {
    WorkerOptions {
        concurrency: 4,
        ..WorkerOptions::default()
    }
}

/// Waits for `done` with a deadline, checking every 10 ms.
async fn eventually(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_runs_many_executions_to_their_end() {
    let db = TempDb::new("worker-many");
    let engine = engine(&db);
    let definition = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 1, "Next": "M"},
        "M": {"Type": "Map", "MaxConcurrency": 2, "End": true,
              "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass",
                "Parameters": {"n.$": "States.MathAdd($, 1)"}, "End": true}}}}}})
    .to_string();
    let mut arns = Vec::new();
    for i in 0..20 {
        let started = engine
            .start(
                StartRequest::new("sm", &definition, json!([i, i + 1, i + 2]))
                    .named(&format!("e{i}")),
            )
            .await
            .unwrap();
        arns.push(started.execution_arn);
    }
    let began = Instant::now();
    for arn in &arns {
        let record = run_to_completion(Arc::clone(&engine), arn, quick())
            .await
            .unwrap();
        assert_eq!(record.status, ExecutionStatus::Succeeded);
    }
    // Every Wait is one second long: the worker slept until they were due, not longer.
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "{:?}",
        began.elapsed()
    );
    for (i, arn) in arns.iter().enumerate() {
        let record = engine.describe(arn).await.unwrap();
        let i = i as i64;
        assert_eq!(
            record.output,
            Some(json!([{"n": i + 1}, {"n": i + 2}, {"n": i + 3}])),
            "{arn}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_message_is_dead_lettered_once() {
    let db = TempDb::new("worker-poison");
    let engine = engine(&db);
    let definition =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}});
    let arn = engine
        .start(StartRequest::new("sm", &definition.to_string(), json!({})))
        .await
        .unwrap()
        .execution_arn;
    // A frame that no longer parses: `Corrupt` is not worth retrying.
    let conn = rusqlite::Connection::open(db.path()).unwrap();
    let corrupted = conn
        .execute(
            "UPDATE frames SET record = '{\"broken\": true}' WHERE execution = ?1",
            [&arn],
        )
        .unwrap();
    assert_eq!(corrupted, 1);
    let worker = Worker::new(Arc::clone(&engine), quick());
    let (stop, shutdown) = watch::channel(false);
    let running = tokio::spawn({
        let worker = worker.clone();
        async move { worker.run(shutdown).await }
    });
    eventually("the dead letter", async || {
        !engine.queue().dead_letters().await.unwrap().is_empty()
    })
    .await;
    stop.send(true).unwrap();
    running.await.unwrap();
    let dead = engine.queue().dead_letters().await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].receive_count, 1);
    assert!(dead[0].reason.contains("corrupt"), "{}", dead[0].reason);
    assert_eq!(worker.stats().dead_lettered(), 1);
    assert!(engine.queue().is_empty().await.unwrap());
    assert!(engine.describe(&arn).await.unwrap().is_running());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_worker_stops_at_once_and_wakes_for_a_new_message() {
    let db = TempDb::new("worker-idle");
    let engine = engine(&db);
    let options = WorkerOptions {
        // Longer than the test: only a send or the shutdown can wake the worker.
        idle_poll: Duration::from_secs(600),
        ..quick()
    };
    let worker = Worker::new(Arc::clone(&engine), options);
    let (stop, shutdown) = watch::channel(false);
    let running = tokio::spawn({
        let worker = worker.clone();
        async move { worker.run(shutdown).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let definition =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}});
    let arn = engine
        .start(StartRequest::new("sm", &definition.to_string(), json!({})))
        .await
        .unwrap()
        .execution_arn;
    eventually("the execution to end", async || {
        !engine.describe(&arn).await.unwrap().is_running()
    })
    .await;
    let asked = Instant::now();
    stop.send(true).unwrap();
    running.await.unwrap();
    assert!(
        asked.elapsed() < Duration::from_millis(500),
        "{:?}",
        asked.elapsed()
    );
    assert!(worker.stats().handled() >= 1);
}

/// How many tasks run at once, the most that ever did, and how many ran in all.
#[derive(Debug, Default)]
struct InFlight {
    running: AtomicUsize,
    most: AtomicUsize,
    calls: AtomicUsize,
    millis: u64,
}

/// A task that takes a while and counts how many run at once.
#[derive(Debug, Clone)]
struct SlowTask(Arc<InFlight>);

impl SlowTask {
    fn taking(millis: u64) -> Self {
        Self(Arc::new(InFlight {
            millis,
            ..InFlight::default()
        }))
    }
}

impl TaskInvoker for SlowTask {
    async fn invoke(&self, _execution: &str, request: &TaskRequest) -> Result<Value, Failure> {
        let counts = &self.0;
        counts.calls.fetch_add(1, Ordering::SeqCst);
        let now = counts.running.fetch_add(1, Ordering::SeqCst) + 1;
        counts.most.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(counts.millis)).await;
        counts.running.fetch_sub(1, Ordering::SeqCst);
        Ok(json!({"done": request.parameters}))
    }
}

fn task_engine(db: &TempDb, tasks: &SlowTask) -> Arc<LocalEngine<SlowTask>> {
    let (store, queue) =
        stepwise_local::open(db.path(), support::options(), SystemClock).expect("open");
    Arc::new(Engine::with(
        store,
        queue,
        tasks.clone(),
        SystemClock,
        Config::local(),
    ))
}

fn task_definition() -> String {
    json!({"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:lambda:us-east-1:000000000000:function:slow", "End": true}}})
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_longer_than_the_visibility_timeout_runs_once() {
    let db = TempDb::new("worker-slow");
    let tasks = SlowTask::taking(1_500);
    let engine = task_engine(&db, &tasks);
    let arn = engine
        .start(StartRequest::new("sm", &task_definition(), json!("slow")))
        .await
        .unwrap()
        .execution_arn;
    let options = WorkerOptions {
        concurrency: 4,
        visibility: Duration::from_millis(400),
        ..WorkerOptions::default()
    };
    let record = run_to_completion(Arc::clone(&engine), &arn, options)
        .await
        .unwrap();
    assert_eq!(record.output, Some(json!({"done": "slow"})));
    // Without the keep-alive the message would be delivered again after 400 ms and a
    // second handler would invoke the task while the first still waits on it.
    assert_eq!(tasks.0.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_is_bounded_by_the_worker() {
    let db = TempDb::new("worker-bounded");
    let tasks = SlowTask::taking(100);
    let engine = task_engine(&db, &tasks);
    let definition = task_definition();
    let mut arns = Vec::new();
    for i in 0..8 {
        let request = StartRequest::new("sm", &definition, json!(i)).named(&format!("t{i}"));
        arns.push(engine.start(request).await.unwrap().execution_arn);
    }
    let options = WorkerOptions {
        concurrency: 3,
        ..WorkerOptions::default()
    };
    for (i, arn) in arns.iter().enumerate() {
        let record = run_to_completion(Arc::clone(&engine), arn, options.clone())
            .await
            .unwrap();
        assert_eq!(record.output, Some(json!({"done": i})));
    }
    // Eight 100 ms tasks: several ran together, never more than three.
    assert_eq!(tasks.0.most.load(Ordering::SeqCst), 3);
}
