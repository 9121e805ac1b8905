//! Durable throughput of the embedded backend, measured through the real [`Worker`] on
//! a real SQLite file with `synchronous=FULL` (an fsync per committed transaction).
//! The functions return plain data; `cargo bench -p stepwise-local --bench durable`
//! and `stepwise bench` print it.
//!
//! - [`throughput`]: N executions at once of a task loop (`Work` Task → `Count` Pass →
//!   `Check` Choice). A Task state yields to the queue, so every turn costs one message:
//!   receive, load, the task call, a commit with its history, the send of the next task
//!   message and the ack. That is the shape of a real workflow (tasks with a little
//!   control flow between them), and it is the backend's worst case per transition,
//!   since a message that runs only Pass and Choice states runs up to a thousand of
//!   them before it commits. The task is an in-process echo that answers at once, so
//!   the figure is the backend's, not the task's.
//! - [`long_loop`]: one execution of a Pass/Choice counting loop (`States.MathAdd`),
//!   committed every [`Config::local`]'s 1,000 states (the engine's bound per message;
//!   there is no Wait to yield at). It reports the throughput of the first and the last
//!   10,000 steps, from the timestamps of the history the commits wrote, so a cost that
//!   grows with the execution's length shows as a ratio below 1.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use stepwise_core::failure::Failure;
use stepwise_core::interp::TaskRequest;
use stepwise_engine::{Config, Engine, ExecutionStatus, StartRequest, SystemClock, TaskInvoker};
use tokio::sync::watch;

use crate::db::{Db, Durability, Options};
use crate::error::{Error, Result};
use crate::worker::{LocalEngine, Worker, WorkerOptions};

mod cpu;

/// The target of issue 9: transitions per second with fsync on.
pub const TARGET_TRANSITIONS_PER_SECOND: f64 = 20_000.0;
/// The last 10,000 steps of a long execution run at least this fraction of the first's.
pub const TARGET_LAST_TO_FIRST: f64 = 0.9;
/// The steps each window of [`LoopReport`] spans.
pub const WINDOW_STEPS: u64 = 10_000;

/// What [`throughput`] measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub executions: usize,
    /// States entered, counted from the history.
    pub transitions: u64,
    /// From the first start to the last execution's end.
    pub elapsed: Duration,
    /// CPU time (user + system, every thread of the process) over `elapsed`, where the
    /// OS reports it: a rate that does not move with the machine's other load.
    pub cpu: Option<Duration>,
}

impl Report {
    pub fn per_second(&self) -> f64 {
        self.transitions as f64 / self.elapsed.as_secs_f64()
    }

    /// CPU time per transition, the starts and the worker's whole loop included.
    pub fn cpu_per_transition(&self) -> Option<Duration> {
        let transitions = u32::try_from(self.transitions.max(1)).unwrap_or(u32::MAX);
        Some(self.cpu? / transitions)
    }
}

/// Steps run in a stretch of time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub steps: u64,
    pub elapsed: Duration,
}

impl Window {
    pub fn per_second(&self) -> f64 {
        self.steps as f64 / self.elapsed.as_secs_f64().max(1e-3)
    }
}

/// What [`long_loop`] measured.
#[derive(Debug, Clone, PartialEq)]
pub struct LoopReport {
    /// States entered, counted from the history.
    pub steps: u64,
    pub elapsed: Duration,
    /// The first commits that make up at least [`WINDOW_STEPS`] steps.
    pub first: Window,
    /// The last commits before the final one that make up at least [`WINDOW_STEPS`].
    pub last: Window,
    /// The database file's size at the end.
    pub file_bytes: u64,
    /// The write-ahead log's size at the end (not yet checkpointed into the file).
    pub wal_bytes: u64,
}

impl LoopReport {
    pub fn per_second(&self) -> f64 {
        self.steps as f64 / self.elapsed.as_secs_f64()
    }

    /// The last window's throughput over the first's: below 1 when later steps cost more.
    pub fn last_to_first(&self) -> f64 {
        self.last.per_second() / self.first.per_second()
    }

    pub fn bytes_per_step(&self) -> f64 {
        (self.file_bytes + self.wal_bytes) as f64 / self.steps as f64
    }
}

/// Runs `executions` task loops of `turns` turns each (3 states entered per turn, one
/// message per turn) at once through one [`Worker`] handling up to `executions`
/// messages at a time, on a fresh database in `dir` with `synchronous=FULL`.
pub async fn throughput(dir: &Path, executions: usize, turns: u64) -> Result<Report> {
    let path = fresh(dir, &format!("throughput-{executions}"))?;
    let engine = engine(&path)?;
    let worker = Worker::new(
        Arc::clone(&engine),
        WorkerOptions {
            concurrency: executions.max(1),
            ..WorkerOptions::default()
        },
    );
    let definition = task_loop(turns);
    let began = Instant::now();
    let cpu_before = cpu::used();
    let (stop, shutdown) = watch::channel(false);
    let running = tokio::spawn({
        let worker = worker.clone();
        async move { worker.run(shutdown).await }
    });
    let mut starts = tokio::task::JoinSet::new();
    for i in 0..executions {
        let (engine, definition) = (Arc::clone(&engine), definition.clone());
        starts.spawn(async move {
            let request = StartRequest::new("bench", &definition, json!({"n": 0}));
            engine.start(request.named(&format!("e{i}"))).await
        });
    }
    let mut arns = Vec::with_capacity(executions);
    while let Some(started) = starts.join_next().await {
        let started = started
            .map_err(|e| Error::Task(e.to_string()))?
            .map_err(engine_fault)?;
        arns.push(started.execution_arn);
    }
    wait_until_ended(&engine, &worker, arns).await?;
    let elapsed = began.elapsed();
    let cpu = cpu::used()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let _ = stop.send(true);
    running.await.map_err(|e| Error::Task(e.to_string()))?;
    let db = engine.store().db();
    let unfinished = db
        .read(|tx| {
            Ok(tx.query_row(
                "SELECT COUNT(*) FROM executions WHERE status != ?1",
                [ExecutionStatus::Succeeded.as_str()],
                |r| r.get::<_, i64>(0),
            )?)
        })
        .await?;
    if unfinished > 0 {
        return Err(Error::corrupt(
            "bench",
            format!("{unfinished} executions failed"),
        ));
    }
    let transitions = entered(db).await?;
    drop(engine);
    std::fs::remove_dir_all(path.parent().unwrap_or(dir)).ok();
    Ok(Report {
        executions,
        transitions,
        elapsed,
        cpu,
    })
}

/// Runs one counting loop of about `steps` states entered (two per turn) through a
/// [`Worker`], on a fresh database in `dir` with `synchronous=FULL`.
pub async fn long_loop(dir: &Path, steps: u64) -> Result<LoopReport> {
    let path = fresh(dir, "long-loop")?;
    let engine = engine(&path)?;
    let worker = Worker::new(Arc::clone(&engine), WorkerOptions::default());
    let definition = counting_loop(steps / 2);
    let began = Instant::now();
    let (stop, shutdown) = watch::channel(false);
    let running = tokio::spawn({
        let worker = worker.clone();
        async move { worker.run(shutdown).await }
    });
    let arn = engine
        .start(StartRequest::new("loop", &definition, json!({"n": 0})))
        .await
        .map_err(engine_fault)?
        .execution_arn;
    wait_until_ended(&engine, &worker, vec![arn.clone()]).await?;
    let elapsed = began.elapsed();
    let _ = stop.send(true);
    running.await.map_err(|e| Error::Task(e.to_string()))?;
    let record = engine.describe(&arn).await.map_err(engine_fault)?;
    if record.status != ExecutionStatus::Succeeded {
        return Err(Error::corrupt(&arn, "the loop did not succeed"));
    }
    let db = Arc::clone(engine.store().db());
    let steps = entered(&db).await?;
    let (first, last) = windows(&db, &arn).await?;
    let file_bytes = size(&path);
    let wal_bytes = size(&path.with_extension("db-wal"));
    drop((engine, db));
    std::fs::remove_dir_all(path.parent().unwrap_or(dir)).ok();
    Ok(LoopReport {
        steps,
        elapsed,
        first,
        last,
        file_bytes,
        wal_bytes,
    })
}

/// A Task that answers with its input at once.
#[derive(Debug, Clone, Copy)]
struct Echo;

impl TaskInvoker for Echo {
    async fn invoke(&self, _execution: &str, request: &TaskRequest) -> Result<Value, Failure> {
        Ok(request.parameters.clone())
    }
}

fn engine(path: &Path) -> Result<Arc<LocalEngine<Echo>>> {
    let options = Options {
        durability: Durability::Full,
        ..Options::default()
    };
    let (store, queue) = crate::open(path, options, SystemClock)?;
    Ok(Arc::new(Engine::with(
        store,
        queue,
        Echo,
        SystemClock,
        Config::local(),
    )))
}

fn task_loop(turns: u64) -> String {
    json!({"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": "arn:aws:lambda:local:000000000000:function:echo",
                 "Parameters": {"n.$": "$.n"}, "Next": "Count"},
        "Count": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": turns, "Next": "Done"}],
                  "Default": "Work"},
        "Done": {"Type": "Succeed"}}})
    .to_string()
}

fn counting_loop(turns: u64) -> String {
    json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": turns, "Next": "Done"}],
                  "Default": "Inc"},
        "Inc": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Check"},
        "Done": {"Type": "Succeed"}}})
    .to_string()
}

/// A new, empty folder under `dir` for one run's database.
fn fresh(dir: &Path, name: &str) -> Result<std::path::PathBuf> {
    let folder = dir.join(format!("stepwise-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder)
        .map_err(|e| Error::corrupt(folder.display().to_string(), e))?;
    Ok(folder.join("bench.db"))
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn engine_fault(error: stepwise_engine::Error) -> Error {
    Error::Task(error.to_string())
}

/// Waits until every execution of `arns` has ended, woken by the messages the worker
/// handles (and at least every 100 ms), but looking at most every [`END_POLL`], and only
/// at the executions not seen ended yet, one row each, until one is still running:
/// counting every execution's row once per handled message was a seventh of the CPU a
/// run measured.
async fn wait_until_ended(
    engine: &LocalEngine<Echo>,
    worker: &Worker<Echo, SystemClock>,
    mut arns: Vec<String>,
) -> Result<()> {
    let db = engine.store().db();
    loop {
        let progressed = worker.progressed();
        arns = db
            .read(move |tx| {
                let mut running =
                    tx.prepare_cached("SELECT running FROM executions WHERE arn = ?1")?;
                while let Some(arn) = arns.last() {
                    if running.query_row([arn], |r| r.get::<_, bool>(0))? {
                        break;
                    }
                    arns.pop();
                }
                Ok(arns)
            })
            .await?;
        if arns.is_empty() {
            return Ok(());
        }
        tokio::time::sleep(END_POLL).await;
        let _ = tokio::time::timeout(Duration::from_millis(100), progressed).await;
    }
}

/// The longest [`wait_until_ended`] adds to a run's elapsed time.
const END_POLL: Duration = Duration::from_millis(5);

/// States entered in the whole file, counted from the history events. Scanned as text
/// in place, not parsed: parsing every event with SQLite's `json_each` cost more than a
/// tenth of a short run's CPU.
async fn entered(db: &Arc<Db>) -> Result<u64> {
    db.read(|tx| {
        let mut statement = tx.prepare("SELECT record FROM history")?;
        let mut rows = statement.query([])?;
        let mut entered = 0;
        while let Some(row) = rows.next()? {
            let record = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
            entered += states_entered(record);
        }
        Ok(entered)
    })
    .await
}

/// The events of a history item's JSON whose type ends in `StateEntered`. A `"type":"`
/// inside a string (an input, an error's cause) is escaped (`\"type\":\"`), so only
/// the events' own type fields match.
fn states_entered(record: &str) -> u64 {
    record
        .split(r#""type":""#)
        .skip(1)
        .filter(|rest| {
            rest.split('"')
                .next()
                .is_some_and(|kind| kind.ends_with("StateEntered"))
        })
        .count() as u64
}

/// One commit of the loop: when its message was handled, and the states it entered.
struct Mark {
    at: i64,
    steps: u64,
}

/// The first and last windows of at least [`WINDOW_STEPS`] steps, from the commits'
/// history timestamps (each commit's events carry the time its message was handled, to
/// the millisecond). A window runs from one commit's time to the next window's first
/// commit: whole message cycles, so both windows measure the same work.
async fn windows(db: &Arc<Db>, arn: &str) -> Result<(Window, Window)> {
    // Enough commits for a window: 1,000 steps each, plus the commits on either side.
    let commits = (WINDOW_STEPS / 1_000 + 2) as i64;
    let arn = arn.to_owned();
    let (head, mut tail) = db
        .read(move |tx| {
            let marks = |order: &str| -> Result<Vec<Mark>> {
                let mut statement = tx.prepare(&format!(
                    "SELECT record FROM history WHERE execution = ?1 AND frame = ?2
                     ORDER BY version {order} LIMIT ?3"
                ))?;
                let rows = statement.query_map(
                    rusqlite::params![arn, stepwise_engine::FrameId::root().as_str(), commits],
                    |r| r.get::<_, String>(0),
                )?;
                rows.map(|row| mark(&row?)).collect()
            };
            Ok((marks("ASC")?, marks("DESC")?))
        })
        .await?;
    tail.reverse();
    let first = window_from_start(&head).ok_or_else(short)?;
    // The last window ends where the final commit's message was handled.
    let last = window_before_end(&tail).ok_or_else(short)?;
    Ok((first, last))
}

fn short() -> Error {
    Error::corrupt("bench", "the loop is shorter than two windows")
}

/// Steps from the first mark until the mark that follows at least `WINDOW_STEPS` steps.
fn window_from_start(marks: &[Mark]) -> Option<Window> {
    let start = marks.first()?;
    let mut steps = 0;
    for (i, mark) in marks.iter().enumerate() {
        if steps >= WINDOW_STEPS && i > 0 {
            return Some(span(steps, start.at, mark.at));
        }
        steps += mark.steps;
    }
    None
}

/// Steps of the commits before the last one, back until at least `WINDOW_STEPS`.
fn window_before_end(marks: &[Mark]) -> Option<Window> {
    let end = marks.last()?;
    let mut steps = 0;
    for mark in marks.iter().rev().skip(1) {
        steps += mark.steps;
        if steps >= WINDOW_STEPS {
            return Some(span(steps, mark.at, end.at));
        }
    }
    None
}

fn span(steps: u64, from: i64, to: i64) -> Window {
    Window {
        steps,
        elapsed: Duration::from_millis(to.saturating_sub(from).max(0) as u64),
    }
}

fn mark(record: &str) -> Result<Mark> {
    let item: stepwise_engine::HistoryItem = crate::store::decode("history", record)?;
    let at = item
        .events
        .first()
        .and_then(|e| e["timestamp"].as_str())
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_millis())
        .ok_or_else(|| Error::corrupt("history", "an event without a timestamp"))?;
    let steps = item
        .events
        .iter()
        .filter(|e| {
            e["type"]
                .as_str()
                .is_some_and(|t| t.ends_with("StateEntered"))
        })
        .count() as u64;
    Ok(Mark { at, steps })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_entered_events_not_a_type_quoted_in_an_input() {
        let item = json!({"frame": "0", "version": 3, "events": [
            {"type": "TaskStateEntered", "id": 1,
             "stateEnteredEventDetails": {"input": "{\"type\":\"PassStateEntered\"}"}},
            {"type": "TaskStateExited", "id": 2},
            {"type": "ChoiceStateEntered", "id": 3},
        ]});
        assert_eq!(states_entered(&item.to_string()), 2);
        assert_eq!(states_entered("{}"), 0);
    }
}
