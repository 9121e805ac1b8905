//! Counting the AWS requests the engine makes, from the SDK itself.
//!
//! The cost model (one read, one write, one send per transition in the common case) is
//! checked against real SDK calls: install a [`RequestCounter`] on the clients, run a
//! workload, read [`RequestCounter::snapshot`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

#[derive(Debug, Default)]
struct Counts {
    operations: BTreeMap<String, u64>,
    attempts: BTreeMap<String, u64>,
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
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        *self.counts().operations.entry(name(cfg)).or_default() += 1;
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
