//! The three Lambda functions' handlers as [`Handler`]s: the worker calls the very same
//! library functions the Lambda binaries call, on the same records, so there is one
//! engine and one set of handlers whichever way the queues are consumed.

use std::sync::Arc;

use stepwise_api::Api;
use stepwise_aws::tasks::AwsTasks;
use stepwise_aws::{DynamoStore, SqsQueue};
use stepwise_engine::{Engine, SystemClock};

use crate::consumer::Handler;
use crate::metrics::Metrics;

/// The engine the functions run (see [`stepwise_aws::config::Config::engine`]).
pub type AwsEngine = Engine<DynamoStore, SqsQueue, AwsTasks, SystemClock>;

/// `functions/start`'s batch handler: start requests from the start queue.
pub fn start(api: Arc<Api<DynamoStore, SqsQueue, AwsTasks, SystemClock>>) -> Handler {
    Arc::new(move |event| {
        let api = api.clone();
        Box::pin(async move { stepwise_start::handle_batch(&api, event).await })
    })
}

/// `functions/advance`'s handler: step messages; what the engine did with each is
/// counted in `metrics`.
pub fn advance(engine: Arc<AwsEngine>, metrics: Metrics) -> Handler {
    Arc::new(move |event| {
        let engine = engine.clone();
        let metrics = metrics.clone();
        Box::pin(async move {
            stepwise_advance::handle_observed(&engine, event, |handled| metrics.observe(handled))
                .await
        })
    })
}

/// `functions/complete`'s batch handler: task callbacks from the complete queue.
pub fn complete(engine: Arc<AwsEngine>) -> Handler {
    Arc::new(move |event| {
        let engine = engine.clone();
        Box::pin(async move { stepwise_complete::handle_batch(&engine, event).await })
    })
}
