//! Timing a workload in stepwise-core: one core, history off, as the durable engine runs
//! the interpreter (the same loop as `cargo bench -p stepwise-core --bench interpreter`).

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use serde_json::Value;
use stepwise_core::definition::StateMachine;
use stepwise_core::entropy::SplitMix64;
use stepwise_core::interp::{Execution, ExecutionInfo, Status};

#[derive(Debug)]
pub struct Measured {
    /// States entered by one execution.
    pub transitions: u64,
    /// Transitions per second, one figure per sample, sorted.
    pub rates: Vec<f64>,
    pub output: Value,
}

impl Measured {
    pub fn median(&self) -> f64 {
        median(&self.rates)
    }
}

pub fn median(sorted: &[f64]) -> f64 {
    sorted.get(sorted.len() / 2).copied().unwrap_or(0.0)
}

/// How many samples, and how long each one runs executions for: a sample of short
/// executions repeats them so the clock's resolution and one-off costs do not count.
#[derive(Debug, Clone, Copy)]
pub struct Sampling {
    pub samples: usize,
    pub min_sample: Duration,
}

/// Runs `input` through `definition` until each sample has run for `min_sample`; the
/// timer covers starting the execution (which copies the input, as the peer's does) and
/// running it to its end, not parsing the definition.
pub fn measure(
    definition: &StateMachine,
    input: &Value,
    sampling: Sampling,
) -> anyhow::Result<Measured> {
    let (transitions, output) = run_once(definition, input)?;
    let mut rates = Vec::with_capacity(sampling.samples);
    for _ in 0..sampling.samples {
        let mut total = 0u64;
        let mut elapsed = Duration::ZERO;
        while elapsed < sampling.min_sample || total == 0 {
            let info = info(input);
            let started = Instant::now();
            let mut execution = Execution::start(definition, info, false);
            let mut entropy = SplitMix64::new(1);
            while execution.is_running() {
                execution.run(0, &mut entropy)?;
            }
            elapsed += started.elapsed();
            total += execution.transitions();
        }
        rates.push(total as f64 / elapsed.as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    Ok(Measured {
        transitions,
        rates,
        output,
    })
}

/// One untimed run, for the transition count and the output the peer must agree with.
fn run_once(definition: &StateMachine, input: &Value) -> anyhow::Result<(u64, Value)> {
    let mut execution = Execution::start(definition, info(input), false);
    let mut entropy = SplitMix64::new(1);
    while execution.is_running() {
        execution.run(0, &mut entropy).context("bench workload")?;
    }
    match execution.status() {
        Status::Succeeded(output) => Ok((execution.transitions(), output.clone())),
        other => bail!("the bench workload did not succeed: {other:?}"),
    }
}

fn info(input: &Value) -> ExecutionInfo {
    ExecutionInfo::local("bench", "bench", input.clone(), 0)
}
