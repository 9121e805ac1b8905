//! Deterministic simulation of the durable engine under faults.
//!
//! One seed decides everything: the workloads ([`workload`]), the fault profile and
//! every fault ([`faults`]), and the order in which workers run ([`scheduler`]). The real
//! `Engine` runs over a store ([`store`]) and an SQS-like queue ([`queue`]) that inject
//! those faults, a fake task resource ([`tasks`]) and a virtual clock ([`clock`]); then
//! [`invariants`] compares the run with the fault-free one and the interpreter.

pub mod clock;
pub mod executor;
pub mod faults;
pub mod invariants;
pub mod queue;
pub mod reference;
pub mod rng;
pub mod scheduler;
pub mod store;
pub mod tasks;
pub mod workload;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use stepwise_core::interp::Status;
use stepwise_engine::{Config, Engine, StartRequest};

use clock::{VirtualClock, T0};
use faults::{Fault, Faults, Profile};
use queue::SimQueue;
use rng::{Rng, Stream};
use scheduler::Tally;
use store::SimStore;
use tasks::FakeTasks;
use workload::Workload;

pub type SimEngine = Engine<SimStore, SimQueue, FakeTasks, VirtualClock>;

/// The state machine name every simulated execution runs under.
pub const STATE_MACHINE: &str = "sim";

/// One run of a seed's workloads on one engine.
pub struct Run {
    pub engine: SimEngine,
    pub faults: Arc<Faults>,
    pub tasks: FakeTasks,
    pub arns: Vec<String>,
    pub tally: Tally,
}

/// What one seed did, for the figures.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub executions: u64,
    pub handled: u64,
    pub outcomes: BTreeMap<&'static str, u64>,
    pub faults: BTreeMap<Fault, u64>,
    /// Virtual time the faulty run took.
    pub virtual_ms: i64,
    /// A hash of every execution's history as `GetExecutionHistory` returns it
    /// (timestamps included): equal digests mean the same run.
    pub history_digest: u64,
}

/// Why a seed failed.
#[derive(Debug, Clone, PartialEq)]
pub enum SeedError {
    /// An invariant does not hold.
    Violation(String),
}

impl From<String> for SeedError {
    fn from(message: String) -> Self {
        Self::Violation(message)
    }
}

impl std::fmt::Display for SeedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Violation(message) => f.write_str(message),
        }
    }
}

/// Knobs a regression test may turn; the default is the fault model the CI run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// The longest a Task takes, in seconds. The default stays under the visibility
    /// timeout, as a deployment must keep it (AWS: visibility timeout at least six times
    /// the function timeout); beyond it the same SQS message reaches a second worker
    /// while the first still runs.
    pub slowest_task: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self { slowest_task: 25 }
    }
}

/// A seed's workloads and engine settings.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub workloads: Vec<Workload>,
    /// Small values make long runs of states yield through `Continue` messages.
    pub max_transitions: u64,
    /// Chains of steps in one handling (`Config::chain_budget_ms`, 0 for none).
    pub chain_budget_ms: u64,
    /// Items an ItemReader reads at a time (`Config::items_per_page`).
    pub items_per_page: u32,
}

pub fn scenario(seed: u64, settings: Settings) -> Scenario {
    let mut rng = Rng::new(seed, Stream::Workload);
    let mut readers = Rng::new(seed, Stream::Readers);
    let count = rng.range(1, 3);
    let workloads = (0..count)
        .map(|_| workload::generate(&mut rng, &mut readers, settings.slowest_task))
        .collect();
    let items_per_page = *readers.pick(&[1, 2, 3, 1_000]);
    let max_transitions = *rng.pick(&[1, 2, 5, 1000]);
    let chain_budget_ms = *rng.pick(&[0, 0, 200, 5_000]);
    Scenario {
        workloads,
        max_transitions,
        chain_budget_ms,
        items_per_page,
    }
}

/// Runs one seed: the fault-free reference, the faulty run, and every invariant.
pub fn run_seed(seed: u64, settings: Settings, verbose: bool) -> Result<Report, SeedError> {
    let Runs {
        reference,
        faulty,
        expected,
    } = runs(seed, settings, verbose)?;
    invariants::check(&reference, &faulty, &expected)?;
    let mut hasher = std::hash::DefaultHasher::new();
    for arn in &faulty.arns {
        let history =
            executor::block_on(faulty.engine.history(arn)).map_err(|e| format!("history: {e}"))?;
        std::hash::Hash::hash(&Value::from(history).to_string(), &mut hasher);
    }
    Ok(Report {
        history_digest: std::hash::Hasher::finish(&hasher),
        executions: faulty.arns.len() as u64,
        handled: faulty.tally.handled,
        outcomes: faulty.tally.outcomes.clone(),
        faults: faulty.faults.counts(),
        virtual_ms: stepwise_engine::Clock::now(faulty.engine.clock()) - T0,
    })
}

/// A seed's three answers, before the invariants compare them.
pub struct Runs {
    pub reference: Run,
    pub faulty: Run,
    /// The interpreter's outcome of each execution.
    pub expected: Vec<Status>,
}

/// Runs a seed's workloads in the interpreter, fault-free on the engine, and with faults.
pub fn runs(seed: u64, settings: Settings, verbose: bool) -> Result<Runs, String> {
    let scenario = scenario(seed, settings);
    let mut expected = Vec::new();
    for (k, workload) in scenario.workloads.iter().enumerate() {
        let definition = stepwise_core::definition::parse(&workload.definition.to_string())
            .map_err(|e| format!("generated an invalid definition: {e}"))?;
        expected.push(reference::interpret(
            &definition,
            &execution_name(k),
            workload.input.clone(),
        )?);
    }
    let reference = simulate(seed, &scenario, Profile::none(), false)?;
    let profile = Profile::random(&mut Rng::new(seed, Stream::Profile));
    if verbose {
        eprintln!(
            "seed {seed}: {settings:?}, max_transitions_per_message {}, chain_budget_ms {}, items_per_page {}",
            scenario.max_transitions, scenario.chain_budget_ms, scenario.items_per_page
        );
        for workload in &scenario.workloads {
            eprintln!(
                "definition: {}\ninput: {}",
                workload.definition, workload.input
            );
        }
        eprintln!("fault profile: {profile:?}");
    }
    let faulty = simulate(seed, &scenario, profile, verbose)?;
    faulty.faults.disable();
    reference.faults.disable();
    Ok(Runs {
        reference,
        faulty,
        expected,
    })
}

fn execution_name(k: usize) -> String {
    format!("sim-{k}")
}

/// Starts every workload on a fresh engine and drives the queue dry.
fn simulate(
    seed: u64,
    scenario: &Scenario,
    profile: Profile,
    verbose: bool,
) -> Result<Run, String> {
    let clock = VirtualClock::at(T0);
    let faults = Arc::new(Faults::new(
        Rng::new(seed, Stream::Faults),
        profile,
        clock.clone(),
        verbose,
    ));
    let tasks = FakeTasks::new(clock.clone(), faults.clone());
    let config = Config {
        max_transitions_per_message: scenario.max_transitions,
        chain_budget_ms: scenario.chain_budget_ms,
        items_per_page: scenario.items_per_page,
        ..Config::local()
    };
    let engine = Engine::with(
        SimStore::new(faults.clone()),
        SimQueue::new(clock.clone(), faults.clone()),
        tasks.clone(),
        clock,
        config,
    )
    .with_seed(seed);
    let mut rng = Rng::new(seed, Stream::Scheduler);
    let mut arns = Vec::new();
    for (k, workload) in scenario.workloads.iter().enumerate() {
        let request = StartRequest::new(
            STATE_MACHINE,
            &workload.definition.to_string(),
            workload.input.clone(),
        )
        .named(&execution_name(k));
        scheduler::start(&engine, &faults, &mut rng, &request)?;
        arns.push(format!(
            "arn:aws:states:local:000000000000:execution:{STATE_MACHINE}:{}",
            execution_name(k)
        ));
    }
    let tally = scheduler::drive(&engine, &faults, &mut rng)?;
    Ok(Run {
        engine,
        faults,
        tasks,
        arns,
        tally,
    })
}
