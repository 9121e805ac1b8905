//! Counting the AWS requests the engine makes, from the SDK itself.
//!
//! The cost model (one read, one write, one send per transition in the common case) is
//! checked against real SDK calls: install a [`RequestCounter`] on the clients, run a
//! workload, read [`RequestCounter::snapshot`] for the calls and [`RequestCounter::usage`]
//! for what AWS would bill them (capacity units from item sizes, SQS chunks) and how many
//! conditional writes were refused.

mod billing;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use billing::{ReadShape, Refusal};

#[derive(Debug, Default)]
struct Counts {
    operations: BTreeMap<String, u64>,
    attempts: BTreeMap<String, u64>,
    usage: BTreeMap<String, Usage>,
}

/// What the calls of one operation are billed, and how their conditions fared. Plain
/// figures, summed over calls.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    /// Calls made (as [`RequestCounter::snapshot`]).
    pub requests: u64,
    /// DynamoDB read request units: one per started 4 KB of each item read consistently
    /// (a `Query`: of the items together), half that when eventually consistent; a key
    /// that finds nothing still costs one.
    pub read_units: f64,
    /// DynamoDB write request units: one per started KB of each item written, twice in a
    /// transaction; a write refused by its condition is billed too. An `UpdateItem` counts
    /// its key and new values only (DynamoDB bills the larger of the whole item before and
    /// after): a lower bound.
    pub write_units: u64,
    /// SQS billed requests: one per started 64 KB chunk of a send's payload.
    pub sqs_chunks: u64,
    /// Writes that carried a condition.
    pub conditional_writes: u64,
    /// … and were refused by it (`ConditionalCheckFailed`, or a transaction cancelled with
    /// that reason).
    pub condition_failed: u64,
    /// Transactions cancelled because another transaction held one of their items.
    pub transaction_conflicts: u64,
}

impl Usage {
    fn add(&mut self, other: &Usage) {
        self.requests += other.requests;
        self.read_units += other.read_units;
        self.write_units += other.write_units;
        self.sqs_chunks += other.sqs_chunks;
        self.conditional_writes += other.conditional_writes;
        self.condition_failed += other.condition_failed;
        self.transaction_conflicts += other.transaction_conflicts;
    }
}

/// An SDK interceptor that counts requests by `"<service>.<operation>"`, e.g.
/// `"DynamoDB.TransactWriteItems"` or `"SQS.SendMessageBatch"`.
///
/// [`snapshot`](Self::snapshot) counts **operations**: one per call the code makes
/// (`client.put_item()…send()`), however many HTTP attempts the SDK's retries needed —
/// that is what the engine decides and what the cost model budgets.
/// [`attempts`](Self::attempts) counts HTTP attempts (retries included), to see
/// throttling. Clones share their counts, so one counter can watch several clients.
#[derive(Debug, Clone, Default)]
pub struct RequestCounter {
    counts: Arc<Mutex<Counts>>,
}

impl RequestCounter {
    pub fn new() -> Self {
        Self::default()
    }

    fn counts(&self) -> MutexGuard<'_, Counts> {
        // A panic elsewhere while counting leaves the counts usable.
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Operations so far, by `"<service>.<operation>"`.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts().operations.clone()
    }

    /// HTTP attempts so far (an operation the SDK retried counts each try).
    pub fn attempts(&self) -> BTreeMap<String, u64> {
        self.counts().attempts.clone()
    }

    /// What the operations so far are billed, by `"<service>.<operation>"`.
    pub fn usage(&self) -> BTreeMap<String, Usage> {
        self.counts().usage.clone()
    }

    /// [`usage`](Self::usage) summed over the operations whose name starts with `prefix`.
    pub fn usage_total(&self, prefix: &str) -> Usage {
        let mut total = Usage::default();
        for (_, usage) in self
            .counts()
            .usage
            .iter()
            .filter(|(name, _)| name.starts_with(prefix))
        {
            total.add(usage);
        }
        total
    }

    /// Operations so far whose name starts with `prefix` (`"DynamoDB."`, `"SQS."`).
    pub fn total(&self, prefix: &str) -> u64 {
        self.counts()
            .operations
            .iter()
            .filter(|(name, _)| name.starts_with(prefix))
            .map(|(_, n)| n)
            .sum()
    }

    pub fn reset(&self) {
        let mut counts = self.counts();
        counts.operations.clear();
        counts.attempts.clear();
        counts.usage.clear();
    }
}

fn name(cfg: &ConfigBag) -> String {
    match cfg.load::<Metadata>() {
        Some(metadata) => format!("{}.{}", metadata.service(), metadata.name()),
        None => "unknown".to_owned(),
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    // Called once per operation, after the operation's metadata is in the config bag
    // (`read_before_execution` runs before it is, for client interceptors).
    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let sent = billing::sent(context.input());
        let name = name(cfg);
        if let Some(shape) = sent.read {
            // Read units depend on the answer: kept with the operation until it comes.
            cfg.interceptor_state().store_put(shape);
        }
        let mut counts = self.counts();
        *counts.operations.entry(name.clone()).or_default() += 1;
        let usage = counts.usage.entry(name).or_default();
        usage.requests += 1;
        usage.write_units += sent.write_units;
        usage.sqs_chunks += sent.sqs_chunks;
        usage.conditional_writes += u64::from(sent.conditional);
        Ok(())
    }

    // Called once per operation with its final answer.
    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (read_half_units, refusal) = match context.output_or_error() {
            Some(Ok(output)) => (
                cfg.load::<ReadShape>()
                    .map_or(0, |shape| billing::read_half_units(*shape, output)),
                None,
            ),
            Some(Err(error)) => (0, error.as_operation_error().and_then(billing::refusal)),
            None => (0, None),
        };
        let name = name(cfg);
        let mut counts = self.counts();
        let usage = counts.usage.entry(name).or_default();
        usage.read_units += read_half_units as f64 / 2.0;
        match refusal {
            Some(Refusal::Condition) => usage.condition_failed += 1,
            Some(Refusal::Contention) => usage.transaction_conflicts += 1,
            None => {}
        }
        Ok(())
    }

    // Called once per HTTP attempt, retries included.
    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        *self.counts().attempts.entry(name(cfg)).or_default() += 1;
        Ok(())
    }
}
