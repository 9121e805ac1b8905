//! Deterministic simulation: the real `Engine` over a store and a queue that inject
//! faults from a seeded RNG, on a virtual clock, checked against the fault-free run.
//! See docs/reliability.md.
//!
//! - `cargo test -p stepwise-engine --test simulation` runs the CI-sized set of seeds;
//!   `STEPWISE_SIM_SEEDS=100000` (with `--release`) runs more, `STEPWISE_SIM_FIRST` moves
//!   the first seed.
//! - `STEPWISE_SIM_SEED=<n>` replays one seed with a trace of every message and fault
//!   (add `-- --nocapture` to see it).

mod sim;

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use sim::faults::Fault;
use sim::Report;

/// Seeds `cargo test` runs: about 30 s in a debug build on one core.
const CI_SEEDS: u64 = 2_000;

fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    match value.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => panic!("{name}={value:?} is not a number"),
    }
}

fn replay_command(seed: u64) -> String {
    format!(
        "STEPWISE_SIM_SEED={seed} cargo test -p stepwise-engine --test simulation seeds -- --nocapture"
    )
}

/// Runs one seed; a panic inside the engine is a failure of that seed, not of the run.
fn run(seed: u64, verbose: bool) -> Result<Report, String> {
    match catch_unwind(AssertUnwindSafe(|| sim::run_seed(seed, verbose))) {
        Ok(result) => result,
        Err(panic) => Err(format!(
            "panicked: {}",
            panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)")
        )),
    }
}

#[derive(Debug, Default)]
struct Figures {
    seeds: u64,
    executions: u64,
    handled: u64,
    virtual_ms: i64,
    outcomes: BTreeMap<&'static str, u64>,
    faults: BTreeMap<Fault, u64>,
}

impl Figures {
    fn add(&mut self, report: &Report) {
        self.seeds += 1;
        self.executions += report.executions;
        self.handled += report.handled;
        self.virtual_ms += report.virtual_ms;
        for (k, v) in &report.outcomes {
            *self.outcomes.entry(k).or_default() += v;
        }
        for (k, v) in &report.faults {
            *self.faults.entry(*k).or_default() += v;
        }
    }

    fn print(&self, wall: std::time::Duration) {
        eprintln!(
            "simulation: {} seeds, {} executions, {} messages handled, {:.1} h of virtual time, {:.2?} wall",
            self.seeds,
            self.executions,
            self.handled,
            self.virtual_ms as f64 / 3_600_000.0,
            wall
        );
        eprintln!("  handled: {:?}", self.outcomes);
        let total: u64 = self.faults.values().sum();
        eprintln!("  faults injected: {total}");
        for (fault, count) in &self.faults {
            eprintln!("    {:>9}  {}", count, fault.name());
        }
    }
}

#[test]
fn seeds() {
    let started = Instant::now();
    if let Some(seed) = env_u64("STEPWISE_SIM_SEED") {
        let report = run(seed, true).unwrap_or_else(|e| panic!("seed {seed} failed: {e}"));
        let mut figures = Figures::default();
        figures.add(&report);
        figures.print(started.elapsed());
        return;
    }
    let first = env_u64("STEPWISE_SIM_FIRST").unwrap_or(0);
    let count = env_u64("STEPWISE_SIM_SEEDS").unwrap_or(CI_SEEDS);
    let mut figures = Figures::default();
    let mut failures = Vec::new();
    for seed in first..first + count {
        match run(seed, false) {
            Ok(report) => figures.add(&report),
            Err(e) => {
                eprintln!("seed {seed} FAILED: {e}\n  replay: {}", replay_command(seed));
                failures.push(seed);
            }
        }
    }
    figures.print(started.elapsed());
    assert!(
        failures.is_empty(),
        "{} of {count} seeds failed: {failures:?}; replay one with {}",
        failures.len(),
        replay_command(failures.first().copied().unwrap_or_default())
    );
    assert!(figures.handled > 0, "no message was handled");
}

/// A seed replays exactly: the same faults, the same messages, the same stored history
/// (timestamps included).
#[test]
fn a_seed_replays_exactly() {
    for seed in [3, 17, 101] {
        let a = run(seed, false).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let b = run(seed, false).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(a.faults, b.faults, "seed {seed}");
        assert_eq!(a.outcomes, b.outcomes, "seed {seed}");
        assert_eq!(a.virtual_ms, b.virtual_ms, "seed {seed}");
    }
}
