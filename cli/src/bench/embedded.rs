//! The embedded backend with fsync on: transitions per second with N executions at once,
//! and one execution of 1,000,000 steps whose last 10,000 must run as fast as its first.
//! Both run `stepwise_local::bench` (the real worker on a real SQLite file with
//! `synchronous=FULL`), the same functions `cargo bench -p stepwise-local --bench durable`
//! prints.

use std::path::PathBuf;

use stepwise_local::bench::{
    long_loop, throughput, Report, TARGET_LAST_TO_FIRST, TARGET_TRANSITIONS_PER_SECOND,
    WINDOW_STEPS,
};

use super::plot::{Chart, Series};
use super::report::{thousands, Figure, Row, Section};
use super::Options;

/// (executions at once, turns each): three transitions a turn, so every case runs a few
/// thousand transitions at least.
const CASES: [(usize, u64); 4] = [(1, 300), (10, 100), (100, 30), (1_000, 10)];
const QUICK_CASES: [(usize, u64); 2] = [(1, 10), (10, 5)];

/// Two windows of 10,000 steps is the least that compares a first and a last.
const QUICK_LOOP_STEPS: u64 = 2 * WINDOW_STEPS;
const LOOP_STEPS: u64 = 1_000_000;

/// The database files go to a folder of this process's own, removed afterwards.
fn scratch() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("stepwise-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

pub fn section(options: &Options) -> anyhow::Result<Section> {
    let dir = scratch()?;
    let (cases, samples): (&[(usize, u64)], usize) = if options.quick {
        (&QUICK_CASES, 1)
    } else {
        (&CASES, 3)
    };
    let runtime = runtime()?;
    let mut rows = Vec::new();
    let mut series = Series::new("SQLite, synchronous=FULL");
    let mut per_cpu_second = Vec::new();
    for &(executions, turns) in cases {
        eprintln!("bench: embedded: {executions} executions at once ...");
        let mut reports = Vec::new();
        for _ in 0..samples {
            reports.push(runtime.block_on(throughput(&dir, executions, turns))?);
        }
        let report = median(reports);
        series.push(executions as f64, report.per_second());
        per_cpu_second.push(format!(
            "{} at once {}",
            thousands(executions as u64),
            transitions_per_cpu_second(&report)
        ));
        rows.push(Row {
            workload: format!(
                "task loop, {} executions at once",
                thousands(executions as u64)
            ),
            figures: vec![
                Figure::Count(report.transitions),
                Figure::Rate(report.per_second()),
            ],
            ratio: Some(report.per_second() / TARGET_TRANSITIONS_PER_SECOND),
        });
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(Section {
        key: "embedded",
        title: "Embedded durable throughput (SQLite, fsync on)".to_owned(),
        baseline: format!(
            "the target, {} transitions/s",
            thousands(TARGET_TRANSITIONS_PER_SECOND as u64)
        ),
        columns: vec!["transitions".to_owned(), "tr/s".to_owned()],
        rows,
        notes: vec![
            format!(
                "Each turn is a Task (an in-process echo), a Pass and a Choice: one message, \
                 one commit with its history, one send and one ack. Median of {samples}."
            ),
            format!(
                "Transitions per CPU-second (every thread of the process over the run; unlike \
                 tr/s they hardly move with the machine's other load): {}.",
                per_cpu_second.join(", ")
            ),
        ],
        charts: vec![Chart {
            title: "embedded durable throughput".to_owned(),
            x_label: "executions at once".to_owned(),
            y_label: "transitions/s".to_owned(),
            series: vec![series],
        }],
    })
}

/// The long run: one execution of 1,000,000 steps.
pub fn long_run(options: &Options) -> anyhow::Result<Section> {
    let dir = scratch()?;
    let steps = if options.quick {
        QUICK_LOOP_STEPS
    } else {
        LOOP_STEPS
    };
    eprintln!(
        "bench: long-run: one execution of {} steps ...",
        thousands(steps)
    );
    let report = runtime()?.block_on(long_loop(&dir, steps))?;
    std::fs::remove_dir_all(&dir).ok();
    Ok(Section {
        key: "long-run",
        title: "Flat cost at scale: one execution, embedded".to_owned(),
        baseline: format!(
            "its own first {} steps (target: the last keep {TARGET_LAST_TO_FIRST} of them)",
            thousands(WINDOW_STEPS)
        ),
        columns: vec![
            "steps".to_owned(),
            "tr/s".to_owned(),
            "first 10k tr/s".to_owned(),
            "last 10k tr/s".to_owned(),
            "store bytes/step".to_owned(),
        ],
        rows: vec![Row {
            workload: "Pass/Choice counting loop".to_owned(),
            figures: vec![
                Figure::Count(report.steps),
                Figure::Rate(report.per_second()),
                Figure::Rate(report.first.per_second()),
                Figure::Rate(report.last.per_second()),
                Figure::Rate(report.bytes_per_step()),
            ],
            ratio: Some(report.last_to_first()),
        }],
        notes: vec![format!(
            "Store: {} bytes of file and {} of WAL. The loop commits every 1,000 states \
             (the engine's bound per message); the windows are timed from the history's \
             timestamps.",
            thousands(report.file_bytes),
            thousands(report.wal_bytes)
        )],
        charts: Vec::new(),
    })
}

/// Transitions per CPU-second of the whole process, where the OS reports CPU time.
fn transitions_per_cpu_second(report: &Report) -> String {
    match report.cpu_per_transition() {
        Some(cpu) if !cpu.is_zero() => thousands((1.0 / cpu.as_secs_f64()).round() as u64),
        _ => "n/a".to_owned(),
    }
}

fn median(mut reports: Vec<Report>) -> Report {
    reports.sort_by(|a, b| a.per_second().total_cmp(&b.per_second()));
    reports.swap_remove(reports.len() / 2)
}
