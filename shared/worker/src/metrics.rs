//! The worker's Prometheus metrics, served as text at `/metrics`.
//!
//! | metric | labels | meaning |
//! |---|---|---|
//! | `stepwise_worker_messages_received_total` | `queue` | messages received (a redelivery counts again) |
//! | `stepwise_worker_messages_deleted_total` | `queue` | messages deleted after their handler succeeded |
//! | `stepwise_worker_messages_failed_total` | `queue` | messages the handler reported failed (left for redelivery) |
//! | `stepwise_worker_messages_released_total` | `queue` | messages handed back at shutdown (visibility 0) |
//! | `stepwise_worker_visibility_extensions_total` | `queue` | heartbeat extensions of in-flight messages |
//! | `stepwise_worker_sqs_errors_total` | `queue`, `operation` | SQS calls that failed |
//! | `stepwise_worker_in_flight_messages` | `queue` | messages being handled now |
//! | `stepwise_worker_batch_duration_seconds` | `queue` | histogram: receive-to-acknowledge time of a batch |
//! | `stepwise_worker_step_outcomes_total` | `outcome` | what the engine did with each step message (`advanced`, `resent`, `delayed`, `waiting`, `submitted`, `ignored`, `conflict`) |
//! | `stepwise_worker_transitions_total` | | state transitions committed while handling step messages (the states a start runs before its first message are not included) |

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};
use stepwise_engine::Handled;

/// Batch latency buckets, in seconds: a Pass step on DynamoDB takes milliseconds, a task
/// behind it can take minutes.
const LATENCY_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// Every metric the worker keeps, in one registry. Cheap to clone (the metrics are shared).
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    received: IntCounterVec,
    deleted: IntCounterVec,
    failed: IntCounterVec,
    released: IntCounterVec,
    extensions: IntCounterVec,
    sqs_errors: IntCounterVec,
    in_flight: IntGaugeVec,
    batch_duration: HistogramVec,
    outcomes: IntCounterVec,
    transitions: IntCounter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let metric = IntCounterVec::new(Opts::new(name, help), labels)
        .unwrap_or_else(|e| panic!("metric {name}: {e}"));
    register(registry, name, metric.clone());
    metric
}

fn register<M: prometheus::core::Collector + 'static>(registry: &Registry, name: &str, metric: M) {
    // Names are constants of this file and each is registered once: a failure is a bug
    // here, not an input the worker could meet.
    registry
        .register(Box::new(metric))
        .unwrap_or_else(|e| panic!("registering {name}: {e}"));
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let queue = &["queue"];
        let received = counter(
            &registry,
            "stepwise_worker_messages_received_total",
            "Messages received (a redelivery counts again).",
            queue,
        );
        let deleted = counter(
            &registry,
            "stepwise_worker_messages_deleted_total",
            "Messages deleted after their handler succeeded.",
            queue,
        );
        let failed = counter(
            &registry,
            "stepwise_worker_messages_failed_total",
            "Messages the handler reported failed, left on the queue for redelivery.",
            queue,
        );
        let released = counter(
            &registry,
            "stepwise_worker_messages_released_total",
            "Messages handed back to the queue (visibility 0) at shutdown.",
            queue,
        );
        let extensions = counter(
            &registry,
            "stepwise_worker_visibility_extensions_total",
            "Heartbeat extensions of the visibility of in-flight messages.",
            queue,
        );
        let sqs_errors = counter(
            &registry,
            "stepwise_worker_sqs_errors_total",
            "SQS calls that failed.",
            &["queue", "operation"],
        );
        let in_flight = IntGaugeVec::new(
            Opts::new(
                "stepwise_worker_in_flight_messages",
                "Messages being handled now.",
            ),
            queue,
        )
        .unwrap_or_else(|e| panic!("in-flight gauge: {e}"));
        register(&registry, "in_flight", in_flight.clone());
        let batch_duration = HistogramVec::new(
            HistogramOpts::new(
                "stepwise_worker_batch_duration_seconds",
                "Time from receiving a batch to acknowledging it.",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            queue,
        )
        .unwrap_or_else(|e| panic!("batch histogram: {e}"));
        register(&registry, "batch_duration", batch_duration.clone());
        let outcomes = counter(
            &registry,
            "stepwise_worker_step_outcomes_total",
            "What the engine did with each step message it handled.",
            &["outcome"],
        );
        let transitions = IntCounter::new(
            "stepwise_worker_transitions_total",
            "State transitions committed while handling step messages.",
        )
        .unwrap_or_else(|e| panic!("transitions counter: {e}"));
        register(&registry, "transitions", transitions.clone());
        Self {
            registry,
            received,
            deleted,
            failed,
            released,
            extensions,
            sqs_errors,
            in_flight,
            batch_duration,
            outcomes,
            transitions,
        }
    }

    pub(crate) fn received(&self, queue: &str, n: u64) {
        self.received.with_label_values(&[queue]).inc_by(n);
        self.in_flight.with_label_values(&[queue]).add(n as i64);
    }

    /// A batch left the worker's hands after `seconds`.
    pub(crate) fn finished(&self, queue: &str, n: u64, seconds: f64) {
        self.in_flight.with_label_values(&[queue]).sub(n as i64);
        self.batch_duration
            .with_label_values(&[queue])
            .observe(seconds);
    }

    pub(crate) fn deleted(&self, queue: &str, n: u64) {
        self.deleted.with_label_values(&[queue]).inc_by(n);
    }

    pub(crate) fn failed(&self, queue: &str, n: u64) {
        self.failed.with_label_values(&[queue]).inc_by(n);
    }

    pub(crate) fn released(&self, queue: &str, n: u64) {
        self.released.with_label_values(&[queue]).inc_by(n);
    }

    pub(crate) fn extended(&self, queue: &str, n: u64) {
        self.extensions.with_label_values(&[queue]).inc_by(n);
    }

    pub(crate) fn sqs_error(&self, queue: &str, operation: &str) {
        self.sqs_errors.with_label_values(&[queue, operation]).inc();
    }

    /// Counts one step message's outcome (the advance handler's observer).
    pub fn observe(&self, handled: &Handled) {
        let outcome = match handled {
            Handled::Advanced { transitions } => {
                self.transitions.inc_by(*transitions);
                "advanced"
            }
            Handled::Resent => "resent",
            Handled::Delayed => "delayed",
            Handled::Waiting => "waiting",
            Handled::Submitted => "submitted",
            Handled::Ignored(_) => "ignored",
            Handled::Conflict => "conflict",
        };
        self.outcomes.with_label_values(&[outcome]).inc();
    }

    /// The text exposition format Prometheus scrapes.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        let encoder = TextEncoder::new();
        match encoder.encode(&self.registry.gather(), &mut buffer) {
            Ok(()) => String::from_utf8_lossy(&buffer).into_owned(),
            Err(e) => format!("# encoding failed: {e}\n"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_reach_the_exposition() {
        let metrics = Metrics::new();
        metrics.received("advance", 3);
        metrics.deleted("advance", 2);
        metrics.failed("advance", 1);
        metrics.finished("advance", 3, 0.02);
        metrics.observe(&Handled::Advanced { transitions: 4 });
        metrics.observe(&Handled::Advanced { transitions: 1 });
        metrics.observe(&Handled::Conflict);
        let text = metrics.render();
        for line in [
            "stepwise_worker_messages_received_total{queue=\"advance\"} 3",
            "stepwise_worker_messages_deleted_total{queue=\"advance\"} 2",
            "stepwise_worker_messages_failed_total{queue=\"advance\"} 1",
            "stepwise_worker_in_flight_messages{queue=\"advance\"} 0",
            "stepwise_worker_batch_duration_seconds_bucket{queue=\"advance\",le=\"0.025\"} 1",
            "stepwise_worker_batch_duration_seconds_count{queue=\"advance\"} 1",
            "stepwise_worker_step_outcomes_total{outcome=\"advanced\"} 2",
            "stepwise_worker_step_outcomes_total{outcome=\"conflict\"} 1",
            "stepwise_worker_transitions_total 5",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from:\n{text}"
            );
        }
    }
}
