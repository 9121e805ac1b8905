//! `stepwise worker` on LocalStack: the real binary consuming the queues of a test's table
//! beside the Lambda-style poller (`stepwise_tests::poller`, the event source mapping's
//! stand-in calling `functions/advance`), stopped with SIGTERM.
//!
//! Without `AWS_ENDPOINT_URL` every test prints "skipped" and passes (as in `tests/`).
#![cfg(unix)]

#[path = "worker/lambda.rs"]
mod lambda;
#[path = "worker/process.rs"]
mod process;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_sqs::types::QueueAttributeName;
use lambda::SlowLambda;
use process::WorkerProcess;
use serde_json::{json, Value};
use stepwise_engine::{ExecutionStatus, Handled};
use stepwise_tests::harness::{event_types, expect_succeeded, transitions, Harness};
use stepwise_tests::poller::run_until;

const DEADLINE: Duration = Duration::from_secs(240);

/// Task-free, with every hand-off: a Choice loop through a Wait, a Parallel with a Wait
/// branch, a Map.
fn workflow() -> Value {
    json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Result": 0, "ResultPath": "$.i", "Next": "Loop"},
        "Loop": {"Type": "Choice", "Choices": [
            {"Variable": "$.i", "NumericGreaterThanEquals": 1, "Next": "Fan"}], "Default": "Inc"},
        "Inc": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)", "items.$": "$.items"},
                "Next": "Nap"},
        "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Loop"},
        "Fan": {"Type": "Parallel", "Next": "Each", "ResultPath": "$.par", "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 1, "End": true}}},
            {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": "b", "End": true}}}]},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "ResultPath": "$.mapped",
            "ItemProcessor": {"StartAt": "Sq", "States": {"Sq": {"Type": "Pass",
                "Parameters": {"n.$": "States.MathAdd($, 100)"}, "End": true}}}, "End": true}}})
}

fn input() -> Value {
    json!({"items": [1, 2, 3]})
}

fn expected() -> Value {
    json!({"i": 1, "items": [1, 2, 3], "par": [{"i": 1, "items": [1, 2, 3]}, "b"],
           "mapped": [{"n": 101}, {"n": 102}, {"n": 103}]})
}

/// `functions/advance` as the poller's handler, adding the transitions it commits to
/// `count`.
fn counted_advance(
    harness: &Harness,
    count: Arc<AtomicU64>,
) -> impl Fn(SqsEvent) -> futures::future::BoxFuture<'static, SqsBatchResponse> + Send + Sync + 'static
{
    let engine = harness.engine().clone();
    move |event| {
        let engine = engine.clone();
        let count = count.clone();
        Box::pin(async move {
            stepwise_advance::handle_observed(engine.as_ref(), event, |handled| {
                if let Handled::Advanced { transitions } = handled {
                    count.fetch_add(*transitions, Ordering::SeqCst);
                }
            })
            .await
        })
    }
}

/// The environment the Lambda functions read, for this test's table and queues.
fn worker_env(harness: &Harness, start_queue: Option<&str>) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("STEPWISE_TABLE", harness.table().to_owned()),
        ("STEPWISE_STEPS_QUEUE_URL", harness.queue_url().to_owned()),
    ];
    if let Some(url) = start_queue {
        env.push(("STEPWISE_START_QUEUE_URL", url.to_owned()));
    }
    env
}

/// Two worker processes and the Lambda-style poller on one workload of 50 executions (25
/// started through the start queue, which only the workers read). Every execution ends
/// as a single-consumer run does, and the transitions the three consumers report
/// committing add up to the histories': none was committed twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_and_the_lambda_poller_commit_each_transition_once() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("worker-shared").await? else {
        return Ok(());
    };
    // The reference: one execution, one poller.
    let reference_arn = harness
        .start("load", &workflow(), Some("ref"), input())
        .await?;
    let started_with = transitions(&harness.history(&reference_arn).await?) as u64;
    let reference_count = Arc::new(AtomicU64::new(0));
    harness
        .run_with(
            &reference_arn,
            1,
            DEADLINE,
            counted_advance(&harness, reference_count.clone()),
        )
        .await?;
    let history = harness.history(&reference_arn).await?;
    let reference_types = event_types(&history);
    let advanced_per_execution = reference_count.load(Ordering::SeqCst);
    // The accounting the shared run relies on: a start's transitions plus the advance
    // function's are the history's.
    assert_eq!(
        started_with + advanced_per_execution,
        transitions(&history) as u64
    );

    let (start_queue, _) = harness.extra_queue("worker-start").await?;
    let env = worker_env(&harness, Some(&start_queue));
    let args = ["--advance-concurrency", "2", "--start-concurrency", "1"];
    let mut workers = [
        WorkerProcess::start("shared-a", &env, &args)?,
        WorkerProcess::start("shared-b", &env, &args)?,
    ];
    let prefix = reference_arn
        .rsplit_once(':')
        .map(|(prefix, _)| prefix.to_owned())
        .context("an execution ARN")?;
    let sqs = harness.sqs();
    let mut arns = Vec::new();
    for i in 0..25 {
        let name = format!("queued-{i}");
        let body = json!({"stateMachine": "load", "definition": workflow(), "name": name,
                          "input": input()});
        sqs.send_message()
            .queue_url(&start_queue)
            .message_body(body.to_string())
            .send()
            .await
            .context("sending a start message")?;
        arns.push(format!("{prefix}:{name}"));
    }
    for i in 0..25 {
        let name = format!("direct-{i}");
        arns.push(
            harness
                .start("load", &workflow(), Some(&name), input())
                .await?,
        );
    }

    let poller_count = Arc::new(AtomicU64::new(0));
    let pending = std::sync::Mutex::new(arns.iter().cloned().collect::<BTreeSet<_>>());
    let took = run_until(
        &harness.poller(),
        2,
        counted_advance(&harness, poller_count.clone()),
        DEADLINE,
        "50 executions ended",
        || async {
            let waiting: Vec<String> = pending.lock().expect("pending").iter().cloned().collect();
            for arn in waiting {
                // A queued start not taken yet does not exist yet.
                match harness.describe(&arn).await {
                    Ok(record) if record.status != ExecutionStatus::Running => {
                        pending.lock().expect("pending").remove(&arn);
                    }
                    _ => return Ok(false),
                }
            }
            Ok(true)
        },
    )
    .await?;
    println!("50 executions on two workers and the poller: {took:?}");

    let mut in_histories = 0;
    for arn in &arns {
        let record = harness.describe(arn).await?;
        assert_eq!(expect_succeeded(&record)?, &expected(), "{arn}");
        let history = harness.history(arn).await?;
        assert_eq!(
            event_types(&history),
            reference_types,
            "{arn}: history differs from the single-consumer run"
        );
        in_histories += transitions(&history) as u64;
    }
    assert_eq!(in_histories, 50 * (started_with + advanced_per_execution));

    let sample = |worker: &WorkerProcess, name: &str| worker.metric(name);
    let mut worker_transitions = 0.0;
    let mut started_by_workers = 0.0;
    for worker in &workers {
        let advanced = sample(
            worker,
            "stepwise_worker_messages_deleted_total{queue=\"advance\"}",
        )?;
        assert!(advanced > 0.0, "a worker handled no step message");
        worker_transitions += sample(worker, "stepwise_worker_transitions_total")?;
        started_by_workers += sample(
            worker,
            "stepwise_worker_messages_deleted_total{queue=\"start\"}",
        )?;
        // Everything received was deleted (nothing failed, nothing is in flight).
        for queue in ["start", "advance"] {
            let received = sample(
                worker,
                &format!("stepwise_worker_messages_received_total{{queue=\"{queue}\"}}"),
            )?;
            let deleted = sample(
                worker,
                &format!("stepwise_worker_messages_deleted_total{{queue=\"{queue}\"}}"),
            )?;
            assert_eq!(received, deleted, "{queue}: {}", worker.get("/metrics")?.1);
        }
    }
    assert_eq!(started_by_workers, 25.0);
    let poller_transitions = poller_count.load(Ordering::SeqCst);
    assert!(poller_transitions > 0, "the poller committed nothing");
    // Each execution's advance transitions were committed by exactly one consumer.
    assert_eq!(
        worker_transitions as u64 + poller_transitions,
        50 * advanced_per_execution,
        "workers {worker_transitions}, poller {poller_transitions}"
    );
    assert_eq!(harness.queue_depth().await?, 0);
    assert_eq!(harness.dlq_depth().await?, 0);
    for worker in &mut workers {
        let status = worker.terminate(Duration::from_secs(15))?;
        assert!(status.success(), "{status}: {}", worker.log_text());
    }
    harness.clean_up().await;
    Ok(())
}

/// A one-Task workflow whose task is the slow stand-in Lambda.
fn slow_task() -> Value {
    json!({"StartAt": "Slow", "States": {"Slow": {"Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "slow", "Payload": {}},
        "OutputPath": "$.Payload", "End": true}}})
}

async fn set_visibility_timeout(harness: &Harness, seconds: u32) -> anyhow::Result<()> {
    harness
        .sqs()
        .set_queue_attributes()
        .queue_url(harness.queue_url())
        .attributes(QueueAttributeName::VisibilityTimeout, seconds.to_string())
        .send()
        .await
        .context("SetQueueAttributes")?;
    Ok(())
}

async fn wait_for(
    what: &str,
    limit: Duration,
    mut done: impl FnMut() -> bool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    while !done() {
        if Instant::now() > deadline {
            bail!("{what}: not within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

async fn ended(harness: &Harness, arn: &str, limit: Duration) -> anyhow::Result<Duration> {
    let started = Instant::now();
    loop {
        if harness.describe(arn).await?.status != ExecutionStatus::Running {
            return Ok(started.elapsed());
        }
        ensure!(
            started.elapsed() < limit,
            "{arn} still RUNNING after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// SIGTERM while a step message is in flight (its task hangs): the worker turns
/// unhealthy, waits out its grace period, hands the message back (visibility 0) and exits;
/// another worker takes it at once, long before the queue's 120 s visibility timeout
/// would have returned it, and the execution succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_releases_the_in_flight_message_to_another_worker() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("worker-term").await? else {
        return Ok(());
    };
    set_visibility_timeout(&harness, 120).await?;
    let lambda = SlowLambda::start(Duration::from_secs(600)).await?;
    let mut env = worker_env(&harness, None);
    env.push(("AWS_ENDPOINT_URL_LAMBDA", lambda.endpoint().to_owned()));
    let args = ["--advance-concurrency", "1", "--grace-seconds", "3"];
    let mut first = WorkerProcess::start("term-a", &env, &args)?;
    let arn = harness.start("slow", &slow_task(), None, json!({})).await?;
    wait_for("the task's invocation", Duration::from_secs(60), || {
        lambda.started() == 1
    })
    .await?;
    assert_eq!(
        first.metric("stepwise_worker_in_flight_messages{queue=\"advance\"}")?,
        1.0
    );
    assert_eq!(first.get("/healthz")?, (200, "ok\n".to_owned()));

    let asked = Instant::now();
    first.signal_term()?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(first.get("/healthz")?, (503, "stopping\n".to_owned()));
    let status = first.wait(Duration::from_secs(20))?;
    let stopped = asked.elapsed();
    assert!(status.success(), "{status}: {}", first.log_text());
    assert!(
        stopped >= Duration::from_secs(3),
        "stopped after {stopped:?}, before its 3 s grace"
    );

    lambda.set_delay(Duration::ZERO);
    let second = WorkerProcess::start("term-b", &env, &["--advance-concurrency", "1"])?;
    let took = ended(&harness, &arn, Duration::from_secs(60)).await?;
    println!("released message finished by another worker {took:?} after it started");
    let record = harness.describe(&arn).await?;
    assert_eq!(expect_succeeded(&record)?, &json!({"function": "slow"}));
    // At least once: the cut-off call and the second worker's.
    assert_eq!(lambda.started(), 2);
    assert_eq!(
        second.metric("stepwise_worker_messages_deleted_total{queue=\"advance\"}")?,
        1.0
    );
    assert_eq!(harness.queue_depth().await?, 0);
    harness.clean_up().await;
    Ok(())
}

/// A task longer than the queue's visibility timeout (8 s on a 4 s queue): the heartbeat
/// keeps the message invisible, so a second worker on the queue never receives it and the
/// task runs once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_heartbeat_keeps_long_work_from_being_redelivered() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("worker-beat").await? else {
        return Ok(());
    };
    set_visibility_timeout(&harness, 4).await?;
    let lambda = SlowLambda::start(Duration::from_secs(8)).await?;
    let mut env = worker_env(&harness, None);
    env.push(("AWS_ENDPOINT_URL_LAMBDA", lambda.endpoint().to_owned()));
    let args = ["--advance-concurrency", "1"];
    let workers = [
        WorkerProcess::start("beat-a", &env, &args)?,
        WorkerProcess::start("beat-b", &env, &args)?,
    ];
    let arn = harness.start("beat", &slow_task(), None, json!({})).await?;
    ended(&harness, &arn, Duration::from_secs(60)).await?;
    let record = harness.describe(&arn).await?;
    assert_eq!(expect_succeeded(&record)?, &json!({"function": "slow"}));
    assert_eq!(
        lambda.started(),
        1,
        "the task ran again: the message came back"
    );
    let mut extensions = 0.0;
    for worker in &workers {
        extensions +=
            worker.metric("stepwise_worker_visibility_extensions_total{queue=\"advance\"}")?;
    }
    // 8 s at one extension every 2 s.
    assert!(extensions >= 3.0, "{extensions} extensions");
    harness.clean_up().await;
    Ok(())
}

/// A Map of 20 Pass iterations behind a Wait: 42 step messages per execution.
fn map_workload() -> Value {
    json!({"StartAt": "Nap", "States": {
        "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.mapped",
            "ItemProcessor": {"StartAt": "Sq", "States": {"Sq": {"Type": "Pass",
                "Parameters": {"n.$": "States.MathAdd($, 1)"}, "End": true}}}, "End": true}}})
}

/// Starts `count` executions of the Map workload; their ARNs.
async fn start_map_workload(harness: &Harness, count: usize) -> anyhow::Result<Vec<String>> {
    let items: Vec<u64> = (0..20).collect();
    let mut arns = Vec::new();
    for i in 0..count {
        let name = format!("map-{i}");
        arns.push(
            harness
                .start("map", &map_workload(), Some(&name), json!({"items": items}))
                .await?,
        );
    }
    Ok(arns)
}

/// Every execution succeeded; the transitions in their histories.
async fn all_succeeded(harness: &Harness, arns: &[String]) -> anyhow::Result<u64> {
    let mut total = 0;
    for arn in arns {
        expect_succeeded(&harness.describe(arn).await?)?;
        total += transitions(&harness.history(arn).await?) as u64;
    }
    Ok(total)
}

async fn all_ended(harness: &Harness, arns: &[String]) -> anyhow::Result<bool> {
    for arn in arns {
        if harness.describe(arn).await?.status == ExecutionStatus::Running {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The same workload (20 executions of [`map_workload`]) through the Lambda-style poller
/// (4 loops calling `functions/advance` in this process) and through one `stepwise worker`
/// process (`--advance-concurrency 4`), each on its own table and queue of the same
/// emulator. Prints transitions and messages per second of each, and the mean time a
/// batch spends in the handler (what Lambda bills). For figures, run it alone:
/// `cargo test -p stepwise-cli --test worker throughput -- --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn throughput_of_one_worker_and_of_the_lambda_poller() -> anyhow::Result<()> {
    const EXECUTIONS: usize = 20;
    const CONCURRENCY: usize = 4;
    let Some(lambda_side) = Harness::new("tput-lambda").await? else {
        return Ok(());
    };
    let arns = start_map_workload(&lambda_side, EXECUTIONS).await?;
    let handled = Arc::new((AtomicU64::new(0), AtomicU64::new(0)));
    let timed = {
        let advance = lambda_side.advance();
        let handled = handled.clone();
        move |event: SqsEvent| {
            let call = advance(event);
            let handled = handled.clone();
            async move {
                let started = Instant::now();
                let response = call.await;
                handled
                    .0
                    .fetch_add(started.elapsed().as_micros() as u64, Ordering::SeqCst);
                handled.1.fetch_add(1, Ordering::SeqCst);
                response
            }
        }
    };
    let poller = lambda_side.poller();
    let lambda_took = run_until(
        &poller,
        CONCURRENCY,
        timed,
        DEADLINE,
        "the poller's executions ended",
        || all_ended(&lambda_side, &arns),
    )
    .await?;
    let lambda_transitions = all_succeeded(&lambda_side, &arns).await?;
    let lambda_messages = poller.stats().deleted;
    let batches = handled.1.load(Ordering::SeqCst).max(1);
    let lambda_batch_ms = handled.0.load(Ordering::SeqCst) as f64 / batches as f64 / 1000.0;
    let lambda_batch_size = poller.stats().received as f64 / batches as f64;
    lambda_side.clean_up().await;

    let Some(worker_side) = Harness::new("tput-worker").await? else {
        return Ok(());
    };
    // Started before any consumer runs, as on the poller's side; the states each start
    // ran itself are in its history already.
    let arns = start_map_workload(&worker_side, EXECUTIONS).await?;
    let mut started_with = 0;
    for arn in &arns {
        started_with += transitions(&worker_side.history(arn).await?) as u64;
    }
    let concurrency = CONCURRENCY.to_string();
    let started = Instant::now();
    let mut worker = WorkerProcess::start(
        "tput",
        &worker_env(&worker_side, None),
        &["--advance-concurrency", &concurrency],
    )?;
    loop {
        if all_ended(&worker_side, &arns).await? {
            break;
        }
        ensure!(
            started.elapsed() < DEADLINE,
            "the worker's executions did not end"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let worker_took = started.elapsed();
    let worker_transitions = all_succeeded(&worker_side, &arns).await?;
    let metric = |name: &str| worker.metric(name);
    let worker_messages = metric("stepwise_worker_messages_deleted_total{queue=\"advance\"}")?;
    let received = metric("stepwise_worker_messages_received_total{queue=\"advance\"}")?;
    let worker_batches = metric("stepwise_worker_batch_duration_seconds_count{queue=\"advance\"}")?;
    let worker_batch_ms = metric("stepwise_worker_batch_duration_seconds_sum{queue=\"advance\"}")?
        / worker_batches
        * 1000.0;
    // Counted by the worker as by the histories: every step message handled once.
    assert_eq!(worker_transitions, lambda_transitions);
    assert_eq!(received, worker_messages);
    assert_eq!(
        metric("stepwise_worker_transitions_total")? as u64 + started_with,
        worker_transitions
    );
    let status = worker.terminate(Duration::from_secs(15))?;
    assert!(status.success());
    worker_side.clean_up().await;

    let rate = |n: f64, took: Duration| n / took.as_secs_f64();
    println!(
        "lambda-style poller ({CONCURRENCY} loops): {lambda_transitions} transitions, {lambda_messages} messages in {:.1} s: {:.0} tr/s, {:.0} msg/s; {:.1} messages per batch, {:.1} ms per batch in the handler",
        lambda_took.as_secs_f64(),
        rate(lambda_transitions as f64, lambda_took),
        rate(lambda_messages as f64, lambda_took),
        lambda_batch_size,
        lambda_batch_ms,
    );
    println!(
        "one worker process (--advance-concurrency {CONCURRENCY}): {worker_transitions} transitions, {worker_messages} messages in {:.1} s: {:.0} tr/s, {:.0} msg/s; {:.1} messages per batch, {:.1} ms per batch",
        worker_took.as_secs_f64(),
        rate(worker_transitions as f64, worker_took),
        rate(worker_messages, worker_took),
        received / worker_batches,
        worker_batch_ms,
    );
    Ok(())
}

/// Bad configuration is refused before anything is consumed, with what to fix.
#[test]
fn bad_configuration_is_named() -> anyhow::Result<()> {
    let run = |args: &[&str], env: &[(&str, &str)]| -> anyhow::Result<(i32, String)> {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_stepwise"));
        command
            .arg("worker")
            .args(args)
            .env_remove("STEPWISE_STEPS_QUEUE_URL")
            .env_remove("STEPWISE_START_QUEUE_URL")
            .env_remove("STEPWISE_COMPLETE_QUEUE_URL")
            .env("AWS_REGION", "us-east-1");
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command.output()?;
        Ok((
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ))
    };
    let (code, stderr) = run(&["--listen", "127.0.0.1:0"], &[])?;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("environment variable STEPWISE_STEPS_QUEUE_URL is not set"),
        "{stderr}"
    );
    let (code, stderr) = run(&["--batch-size", "11"], &[])?;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--batch-size"), "{stderr}");
    // A queue that cannot be read (nothing listens on port 9): named before any receive.
    let (code, stderr) = run(
        &["--listen", "127.0.0.1:0"],
        &[
            ("STEPWISE_STEPS_QUEUE_URL", "http://127.0.0.1:9/q"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
        ],
    )?;
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("SQS GetQueueAttributes on http://127.0.0.1:9/q"),
        "{stderr}"
    );
    Ok(())
}
