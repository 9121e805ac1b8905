//! Worker mode: the engine as ordinary long-running replicas behind the same queues the
//! Lambda functions consume, for steady high volume, tasks that outlast Lambda's 15
//! minutes, or a Kubernetes platform.
//!
//! There is no second engine: a [`Worker`] long-polls the start, steps and complete queues
//! and hands each batch, built as the `SqsEvent` Lambda's event source mapping would
//! build it, to the same library handlers `functions/start`, `functions/advance` and
//! `functions/complete` run ([`handlers`]). Like the event source mapping with
//! `ReportBatchItemFailures`, it deletes only the records the handler did not report
//! failed (one `DeleteMessageBatch`), so Lambda functions and workers can consume the same
//! queues at once: the handlers are idempotent and every state write is conditional.
//!
//! On top of what Lambda does, it keeps long work invisible (a
//! `ChangeMessageVisibilityBatch` heartbeat every half visibility timeout), stops
//! gracefully ([`Shutdown`]: no new receives, in-flight batches finish within a grace
//! period, the rest are released with visibility 0), and counts its work in Prometheus
//! [`Metrics`] served with `/healthz` by [`http`].
//!
//! ```no_run
//! use stepwise_worker::{Options, Queues, Worker};
//!
//! # async fn run() -> anyhow::Result<()> {
//! let config = stepwise_aws::config::Config::from_env().await?;
//! let worker = Worker::new(&config, &Queues::from_env(), Options::default()).await?;
//! let shutdown = worker.shutdown();
//! tokio::spawn(async move {
//!     let _ = stepwise_worker::shutdown::signal().await;
//!     shutdown.begin(std::time::Duration::from_secs(30));
//! });
//! worker.run().await?;
//! # Ok(())
//! # }
//! ```

// The start handler's future (`Api::call` over the AWS ports) nests deeper than the
// compiler's default limit, as in `functions/start`.
#![recursion_limit = "256"]

mod consumer;
pub mod handlers;
pub mod http;
pub mod metrics;
pub mod shutdown;
mod source;

use std::sync::Arc;

use stepwise_api::Api;
use stepwise_aws::config::{Config, COMPLETE_QUEUE_URL_VAR, START_QUEUE_URL_VAR};

pub use consumer::{Handler, Polling};
pub use metrics::Metrics;
pub use shutdown::Shutdown;

use consumer::Consumer;
use source::Source;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] stepwise_aws::config::Error),
    #[error("SQS {operation} on {url}: {message}")]
    Sqs {
        operation: &'static str,
        url: String,
        message: String,
    },
    #[error("queue {url}: {message}")]
    Queue { url: String, message: String },
    #[error("a consumer stopped unexpectedly: {0}")]
    Consumer(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The queues to consume; `None` leaves one to others (its Lambda function, another
/// deployment).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Queues {
    pub start: Option<String>,
    pub steps: Option<String>,
    pub complete: Option<String>,
}

impl Queues {
    /// The URLs the Lambda functions read: `STEPWISE_START_QUEUE_URL`,
    /// `STEPWISE_STEPS_QUEUE_URL`, `STEPWISE_COMPLETE_QUEUE_URL` (empty counts as unset).
    pub fn from_env() -> Self {
        let get = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Self {
            start: get(START_QUEUE_URL_VAR),
            steps: get(stepwise_aws::config::STEPS_QUEUE_URL_VAR),
            complete: get(COMPLETE_QUEUE_URL_VAR),
        }
    }
}

/// How each queue is polled. A concurrency of 0 leaves that queue alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    pub start: Polling,
    pub advance: Polling,
    pub complete: Polling,
}

/// The consumers of one process, their metrics and their shutdown signal.
#[derive(Debug)]
pub struct Worker {
    consumers: Vec<Consumer>,
    metrics: Metrics,
    shutdown: Shutdown,
}

impl Worker {
    /// Builds the functions' engine from `config` (the environment the Lambda functions
    /// read) and a consumer for each queue given with a non-zero concurrency. Reads each
    /// queue's ARN and visibility timeout, so a wrong URL fails here.
    pub async fn new(config: &Config, queues: &Queues, options: Options) -> Result<Self> {
        let metrics = Metrics::new();
        let shutdown = Shutdown::new();
        let engine = Arc::new(config.engine()?);
        let engine_config = config.engine_config()?;
        let region = engine_config.region.clone();
        let sqs = config.sqs_client(None);
        let wanted: [(&'static str, &Option<String>, Polling, Handler); 3] = [
            (
                "start",
                &queues.start,
                options.start,
                handlers::start(Arc::new(Api::new(engine.clone(), &engine_config))),
            ),
            (
                "advance",
                &queues.steps,
                options.advance,
                handlers::advance(engine.clone(), metrics.clone()),
            ),
            (
                "complete",
                &queues.complete,
                options.complete,
                handlers::complete(engine.clone()),
            ),
        ];
        let mut consumers = Vec::new();
        for (name, url, polling, handler) in wanted {
            let Some(url) = url.as_deref().filter(|_| polling.concurrency > 0) else {
                continue;
            };
            let source = Source::open(sqs.clone(), url, &region).await?;
            consumers.push(Consumer {
                name,
                source,
                handler,
                polling,
                metrics: metrics.clone(),
                shutdown: shutdown.clone(),
            });
        }
        Ok(Self {
            consumers,
            metrics,
            shutdown,
        })
    }

    pub fn metrics(&self) -> Metrics {
        self.metrics.clone()
    }

    /// The signal that stops [`Worker::run`]; call [`Shutdown::begin`] on it.
    pub fn shutdown(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// The queues consumed, by name (`start`, `advance`, `complete`), with their polling.
    pub fn consumed(&self) -> Vec<(&'static str, Polling)> {
        self.consumers.iter().map(|c| (c.name, c.polling)).collect()
    }

    /// Consumes until the shutdown has run its course: every loop stopped receiving and
    /// every in-flight batch was acknowledged or released.
    pub async fn run(self) -> Result<()> {
        let mut tasks = tokio::task::JoinSet::new();
        for consumer in &self.consumers {
            for _ in 0..consumer.polling.concurrency {
                let consumer = consumer.clone();
                tasks.spawn(consumer.run());
            }
        }
        let mut failure = None;
        while let Some(joined) = tasks.join_next().await {
            if let Err(e) = joined {
                // A panicking handler: stop the others gracefully and report it, so the
                // platform restarts the process rather than run it short of a consumer.
                self.shutdown.begin(std::time::Duration::from_secs(30));
                failure.get_or_insert(Error::Consumer(e.to_string()));
            }
        }
        failure.map_or(Ok(()), Err)
    }
}
