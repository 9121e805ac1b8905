//! The workers: receive visible messages, handle them concurrently, crash some of them,
//! and let virtual time jump to the next message or the next sleeper's wake-up when no
//! worker can do anything else.
//!
//! Each `Engine::handle` is a future the scheduler polls one await point at a time, in
//! an order the seeded RNG picks; several may be in flight at once, on the same message
//! when SQS delivers it twice or its visibility timeout runs out. A crash drops the
//! future between two polls: the message stays in the queue and comes back after its
//! visibility timeout with a higher receive count, exactly as SQS redelivers it.

use std::collections::BTreeMap;
use std::task::Poll;

use stepwise_engine::{Clock, Error, Handled, StartRequest};

use super::executor::{poll_once, Task};
use super::faults::{Fault, Faults, Profile};
use super::queue::Delivery;
use super::rng::Rng;
use super::SimEngine;

/// Polls one run may take before it is declared stuck (a message loop that never ends).
const MAX_POLLS: u64 = 5_000_000;

/// What the workers did.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Handles that returned (whatever they returned).
    pub handled: u64,
    /// By what they returned: `advanced`, `resent`, `ignored`, `conflict`, …
    pub outcomes: BTreeMap<&'static str, u64>,
    /// Engine errors that must not happen (not retryable: the message would be poison).
    pub problems: Vec<String>,
}

impl Tally {
    fn count(&mut self, outcome: &'static str) {
        *self.outcomes.entry(outcome).or_default() += 1;
    }
}

fn outcome_name(handled: &Handled) -> &'static str {
    match handled {
        Handled::Advanced { .. } => "advanced",
        Handled::Resent => "resent",
        Handled::Delayed => "delayed",
        Handled::Waiting => "waiting",
        Handled::Ignored(_) => "ignored",
        Handled::Conflict => "conflict",
        Handled::Submitted => "submitted",
    }
}

struct Worker<'e> {
    delivery: Delivery,
    task: Task<'e, stepwise_engine::Result<Handled>>,
    /// Waiting on virtual time (a slow task) until then; not worth polling before.
    asleep_until: Option<i64>,
}

/// Starts an execution the way a client does: on an error or a crash it calls again
/// with the same name and input (StartExecution is idempotent by name), until it gets
/// an answer.
pub fn start(
    engine: &SimEngine,
    faults: &Faults,
    rng: &mut Rng,
    request: &StartRequest,
) -> Result<(), String> {
    let crash = faults.profile().crash;
    for attempt in 0..1000 {
        let mut task: Task<'_, _> = Box::pin(engine.start(request.clone()));
        let result = loop {
            if rng.chance(crash) {
                faults.note(Fault::StartCrashed, "start");
                break None;
            }
            if let Poll::Ready(result) = poll_once(&mut task) {
                break Some(result);
            }
        };
        match result {
            None => continue,
            Some(Ok(started)) => {
                faults.trace(|| format!("started {}", started.execution_arn));
                return Ok(());
            }
            // An earlier attempt created it, and it ended already.
            Some(Err(Error::ExecutionAlreadyExists(_))) if attempt > 0 => return Ok(()),
            Some(Err(e)) if e.is_retryable() => {
                faults.trace(|| format!("start failed, retrying: {e}"));
            }
            Some(Err(e)) => return Err(format!("start {:?}: {e}", request.name)),
        }
    }
    Err(format!("start {:?} never succeeded", request.name))
}

/// Runs workers until the queue is empty and no worker is left.
pub fn drive(engine: &SimEngine, faults: &Faults, rng: &mut Rng) -> Result<Tally, String> {
    let profile: Profile = faults.profile();
    let queue = engine.queue();
    let mut workers: Vec<Worker<'_>> = Vec::new();
    let mut tally = Tally::default();
    let clock = engine.clock();
    for _ in 0..MAX_POLLS {
        let now = clock.now();
        let visible = queue.visible();
        let runnable: Vec<usize> = (0..workers.len())
            .filter(|&i| workers[i].asleep_until.is_none_or(|at| at <= now))
            .collect();
        let can_receive = !visible.is_empty() && workers.len() < profile.workers;
        if runnable.is_empty() && !can_receive {
            // Nothing can happen before the next message shows or a sleeper wakes.
            let next_message = if workers.len() < profile.workers {
                queue.next_visible_at()
            } else {
                None
            };
            let next_wake = workers.iter().filter_map(|w| w.asleep_until).min();
            match next_message.into_iter().chain(next_wake).min() {
                Some(at) => {
                    clock.advance_to(at);
                    continue;
                }
                None => return Ok(tally),
            }
        }
        let receive = can_receive && (runnable.is_empty() || rng.chance(0.5));
        if receive {
            let id = *rng.pick(&visible);
            let Some(delivery) = queue.receive(id) else {
                faults.trace(|| format!("message #{id} dead-lettered"));
                continue;
            };
            // The same SQS message (its visibility ran out) or a duplicate of it.
            if workers.iter().any(|w| {
                w.delivery.message.key() == delivery.message.key()
                    && w.delivery.message.execution == delivery.message.execution
            }) {
                faults.note(Fault::ConcurrentDelivery, &delivery.message.key());
            }
            faults.trace(|| {
                format!(
                    "receive #{id} (receive count {}): {}",
                    delivery.receive_count,
                    delivery.message.to_json()
                )
            });
            let task = Box::pin(engine.handle(delivery.message.clone(), delivery.receive_count));
            workers.push(Worker {
                delivery,
                task,
                asleep_until: None,
            });
            continue;
        }
        let index = *rng.pick(&runnable);
        if rng.chance(profile.crash) {
            let worker = workers.swap_remove(index);
            faults.note(
                Fault::WorkerCrashed,
                &format!("#{} {}", worker.delivery.id, worker.delivery.message.key()),
            );
            continue;
        }
        let polled = poll_once(&mut workers[index].task);
        workers[index].asleep_until = clock.take_blocked();
        let Poll::Ready(result) = polled else {
            continue;
        };
        let worker = workers.swap_remove(index);
        let delivery = worker.delivery;
        tally.handled += 1;
        match result {
            Ok(handled) => {
                tally.count(outcome_name(&handled));
                let deleted = queue.delete(&delivery);
                faults.trace(|| {
                    format!(
                        "#{} {} -> {handled:?} (deleted: {deleted})",
                        delivery.id,
                        delivery.message.key()
                    )
                });
            }
            Err(e) if e.is_retryable() => {
                tally.count("retryable error");
                faults.trace(|| {
                    format!(
                        "#{} {} -> error, left for redelivery: {e}",
                        delivery.id,
                        delivery.message.key()
                    )
                });
            }
            Err(e) => {
                tally.count("poison");
                tally.problems.push(format!(
                    "message {} (receive count {}) failed with a non-retryable error: {e}",
                    delivery.message.to_json(),
                    delivery.receive_count
                ));
            }
        }
    }
    Err(format!(
        "still running after {MAX_POLLS} polls: {} messages queued, {} workers in flight",
        queue.len(),
        workers.len()
    ))
}
