//! The fault model: which faults a run injects, how often, and how many it did.
//!
//! One `Faults` is shared by the simulated store, queue, tasks and the scheduler. Every
//! decision draws from its seeded RNG, in the order the single-threaded scheduler makes
//! the calls, so a seed replays the same faults at the same points.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use super::clock::VirtualClock;
use super::rng::Rng;

/// What can go wrong. Each kind is counted and named in the figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// A store call refused before it did anything (throttling, network).
    StoreThrottled,
    /// A store write applied, then reported as failed (the response was lost, or the
    /// worker died right after the commit).
    StoreFailedAfterWrite,
    /// A send refused whole.
    SendFailed,
    /// A batch send that stopped halfway through the outbox.
    SendFailedHalfway,
    /// A worker abandoned at an await point (its future dropped): the message stays in
    /// the queue and comes back after the visibility timeout.
    WorkerCrashed,
    /// A `StartExecution` caller that died mid-call and tried again.
    StartCrashed,
    /// SQS delivered a message twice.
    Duplicated,
    /// SQS held a message back longer than asked.
    Delayed,
    /// A message received while another worker still handles it or a duplicate of it:
    /// two workers race on the same frame.
    ConcurrentDelivery,
    /// A task that took 10 s or more of virtual time: other workers ran meanwhile and
    /// timers fell due.
    SlowTask,
}

impl Fault {
    pub fn name(self) -> &'static str {
        match self {
            Self::StoreThrottled => "store throttled",
            Self::StoreFailedAfterWrite => "store write applied, reported failed",
            Self::SendFailed => "send failed",
            Self::SendFailedHalfway => "send failed halfway through an outbox",
            Self::WorkerCrashed => "worker crashed at an await point",
            Self::StartCrashed => "start caller crashed and retried",
            Self::Duplicated => "message duplicated",
            Self::Delayed => "message delayed",
            Self::ConcurrentDelivery => "message handled by two workers at once",
            Self::SlowTask => "slow task (10 s or more)",
        }
    }
}

/// Probabilities per opportunity. A seed draws its own profile, so some runs are calm
/// and some are storms.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub store_throttle: f64,
    pub store_fail_after_write: f64,
    pub send_fail: f64,
    pub send_fail_halfway: f64,
    /// Per poll of a worker's future.
    pub crash: f64,
    pub duplicate: f64,
    pub delay: f64,
    /// Workers the scheduler runs at once.
    pub workers: usize,
}

impl Profile {
    /// The fault-free reference: one worker, nothing goes wrong.
    pub fn none() -> Self {
        Self {
            store_throttle: 0.0,
            store_fail_after_write: 0.0,
            send_fail: 0.0,
            send_fail_halfway: 0.0,
            crash: 0.0,
            duplicate: 0.0,
            delay: 0.0,
            workers: 1,
        }
    }

    pub fn random(rng: &mut Rng) -> Self {
        // Rates are capped so that a message fails well under the DLQ's receive limit
        // (about one delivery in three at worst): a poison message is a finding, a
        // merely unlucky one would be noise.
        let mut rate = |max: f64| *rng.pick(&[0.0, max / 4.0, max / 2.0, max]);
        Self {
            store_throttle: rate(0.08),
            store_fail_after_write: rate(0.08),
            send_fail: rate(0.08),
            send_fail_halfway: rate(0.08),
            crash: rate(0.04),
            duplicate: rate(0.2),
            delay: rate(0.2),
            workers: rng.range(1, 4) as usize,
        }
    }
}

#[derive(Debug)]
struct State {
    rng: Rng,
    profile: Profile,
    /// Off while the invariants read the store.
    enabled: bool,
    counts: BTreeMap<Fault, u64>,
}

#[derive(Debug)]
pub struct Faults {
    state: Mutex<State>,
    clock: VirtualClock,
    verbose: bool,
}

impl Faults {
    pub fn new(rng: Rng, profile: Profile, clock: VirtualClock, verbose: bool) -> Self {
        Self {
            state: Mutex::new(State {
                rng,
                profile,
                enabled: true,
                counts: BTreeMap::new(),
            }),
            clock,
            verbose,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn profile(&self) -> Profile {
        self.state().profile.clone()
    }

    pub fn disable(&self) {
        self.state().enabled = false;
    }

    /// Rolls for `fault` with the probability the profile gives it; counts and traces it
    /// when it happens. `at` says where, for the trace.
    pub fn roll(&self, fault: Fault, p: impl FnOnce(&Profile) -> f64, at: &str) -> bool {
        let mut state = self.state();
        if !state.enabled {
            return false;
        }
        let p = p(&state.profile);
        if !state.rng.chance(p) {
            return false;
        }
        *state.counts.entry(fault).or_default() += 1;
        drop(state);
        self.trace(|| format!("FAULT {} at {at}", fault.name()));
        true
    }

    /// Counts a fault the caller decided on (the scheduler's crashes and races).
    pub fn note(&self, fault: Fault, at: &str) {
        *self.state().counts.entry(fault).or_default() += 1;
        self.trace(|| format!("FAULT {} at {at}", fault.name()));
    }

    /// A draw from the fault stream (how far to cut a batch, how long to delay).
    pub fn below(&self, n: u64) -> u64 {
        self.state().rng.below(n)
    }

    pub fn counts(&self) -> BTreeMap<Fault, u64> {
        self.state().counts.clone()
    }

    /// Prints a line of the replay trace (only when replaying one seed verbosely).
    pub fn trace(&self, line: impl FnOnce() -> String) {
        if self.verbose {
            eprintln!("[t+{:>9.3}s] {}", self.clock.elapsed(), line());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::clock::T0;
    use super::super::rng::Stream;
    use super::*;

    #[test]
    fn a_disabled_injector_injects_nothing() {
        let mut profile = Profile::none();
        profile.store_throttle = 1.0;
        let faults = Faults::new(
            Rng::new(1, Stream::Faults),
            profile,
            VirtualClock::at(T0),
            false,
        );
        assert!(faults.roll(Fault::StoreThrottled, |p| p.store_throttle, "x"));
        faults.disable();
        assert!(!faults.roll(Fault::StoreThrottled, |p| p.store_throttle, "x"));
        assert_eq!(faults.counts()[&Fault::StoreThrottled], 1);
    }
}
