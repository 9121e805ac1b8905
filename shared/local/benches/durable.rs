//! Embedded durable throughput, with fsync on (`synchronous=FULL`).
//!
//! `cargo bench -p stepwise-local --bench durable` prints, for N = 1, 10, 100 and 1,000
//! executions at once, the median transitions per second of three runs of
//! [`stepwise_local::bench::throughput`] against the target of 20,000/s, with that run's
//! CPU time per transition (all threads, from the OS: steady under other load); then one
//! counting loop of 1,000,000 steps ([`stepwise_local::bench::long_loop`]): the
//! throughput of its first and last 10,000 steps (the last must keep 0.9 of the first),
//! and the store's size per step.
//!
//! `STEPWISE_BENCH_DIR` picks the folder for the database files (default: the temp
//! dir); `STEPWISE_BENCH_EXECUTIONS` runs only that case, `STEPWISE_BENCH_LOOP_STEPS`
//! shortens the loop.

use std::path::PathBuf;

use stepwise_local::bench::{
    long_loop, throughput, Report, TARGET_LAST_TO_FIRST, TARGET_TRANSITIONS_PER_SECOND,
};

/// (executions at once, turns each): about 3 transitions per turn, so each case runs
/// a few thousand transitions at least.
const CASES: [(usize, u64); 4] = [(1, 300), (10, 100), (100, 30), (1_000, 10)];
const SAMPLES: usize = 3;

fn median(mut reports: Vec<Report>) -> Report {
    reports.sort_by(|a, b| a.per_second().total_cmp(&b.per_second()));
    reports.swap_remove(reports.len() / 2)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> stepwise_local::Result<()> {
    let dir: PathBuf =
        std::env::var_os("STEPWISE_BENCH_DIR").map_or_else(std::env::temp_dir, Into::into);
    let steps = std::env::var("STEPWISE_BENCH_LOOP_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    println!("task loop (Task → Pass → Choice, one message per turn), synchronous=FULL, median of {SAMPLES}");
    println!(
        "{:>10} {:>12} {:>10} {:>12} {:>12} {:>12} {:>14}",
        "executions", "transitions", "seconds", "tr/s", "vs 20,000/s", "CPU µs/tr", "tr per CPU-s"
    );
    let only: Option<usize> = std::env::var("STEPWISE_BENCH_EXECUTIONS")
        .ok()
        .and_then(|s| s.parse().ok());
    for (executions, turns) in CASES {
        if only.is_some_and(|n| n != executions) {
            continue;
        }
        let mut reports = Vec::new();
        for _ in 0..SAMPLES {
            reports.push(throughput(&dir, executions, turns).await?);
        }
        let report = median(reports);
        let cpu = report.cpu_per_transition();
        let micros = cpu.map_or("-".to_owned(), |d| format!("{:.1}", d.as_secs_f64() * 1e6));
        let per_cpu_second = cpu.map_or("-".to_owned(), |d| {
            format!("{:.0}", 1.0 / d.as_secs_f64().max(1e-9))
        });
        println!(
            "{:>10} {:>12} {:>10.3} {:>12.0} {:>11.2}x {:>12} {:>14}",
            executions,
            report.transitions,
            report.elapsed.as_secs_f64(),
            report.per_second(),
            report.per_second() / TARGET_TRANSITIONS_PER_SECOND,
            micros,
            per_cpu_second
        );
    }
    let report = long_loop(&dir, steps).await?;
    println!();
    println!("counting loop (Pass/Choice, a commit per 1,000 states), synchronous=FULL");
    println!("steps                 {:>14}", report.steps);
    println!(
        "total                 {:>11.1} s  {:>10.0} steps/s",
        report.elapsed.as_secs_f64(),
        report.per_second()
    );
    println!(
        "first {:>6} steps     {:>11.3} s  {:>10.0} steps/s",
        report.first.steps,
        report.first.elapsed.as_secs_f64(),
        report.first.per_second()
    );
    println!(
        "last  {:>6} steps     {:>11.3} s  {:>10.0} steps/s",
        report.last.steps,
        report.last.elapsed.as_secs_f64(),
        report.last.per_second()
    );
    println!(
        "last / first          {:>14.2}   {:.2}x the {TARGET_LAST_TO_FIRST} target",
        report.last_to_first(),
        report.last_to_first() / TARGET_LAST_TO_FIRST
    );
    println!(
        "store                 {:>11.1} MB  (file {:.1} MB + WAL {:.1} MB), {:.0} bytes/step",
        (report.file_bytes + report.wal_bytes) as f64 / 1e6,
        report.file_bytes as f64 / 1e6,
        report.wal_bytes as f64 / 1e6,
        report.bytes_per_step()
    );
    Ok(())
}
