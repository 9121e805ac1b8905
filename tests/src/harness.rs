//! A fresh table, steps queue and dead-letter queue per test, an engine on them whose SDK
//! requests are counted, and helpers that start executions through the start function and
//! drive them with pollers calling the advance function.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::{json, Value};
use stepwise_aws::bootstrap;
use stepwise_aws::config::{Config, Settings};
use stepwise_aws::metrics::RequestCounter;
use stepwise_aws::tasks::AwsTasks;
use stepwise_aws::{DynamoStore, SqsQueue};
use stepwise_engine::catalog::{Catalog, Change, MachineSpec, MachineType, StateMachineRecord};
use stepwise_engine::{Engine, ExecutionRecord, ExecutionStatus, Queue, SystemClock};

use crate::poller::{run_until, Poller};

/// Test queues hide a received message this long, so a failed record comes back soon.
pub const VISIBILITY_TIMEOUT_SECONDS: u32 = 3;

/// Receives before a message goes to the dead-letter queue.
pub const MAX_RECEIVE_COUNT: u32 = 3;

/// The region the tests use when `AWS_REGION` is unset.
const DEFAULT_REGION: &str = "us-east-1";

/// The SDK configuration for the emulator, or `None` (after printing
/// "skipped: AWS_ENDPOINT_URL not set") when `AWS_ENDPOINT_URL` is not set.
pub async fn emulator() -> Option<SdkConfig> {
    if std::env::var("AWS_ENDPOINT_URL").map_or(true, |v| v.is_empty()) {
        println!("skipped: AWS_ENDPOINT_URL not set");
        return None;
    }
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if std::env::var("AWS_REGION").is_err() {
        loader = loader.region(Region::new(DEFAULT_REGION));
    }
    if std::env::var("AWS_ACCESS_KEY_ID").is_err() {
        // LocalStack only checks that a credential is named.
        loader = loader.credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "test", "test", None, None, "tests",
        ));
    }
    Some(loader.load().await)
}

/// A resource name no other test, process or earlier run uses (SQS names: at most 80
/// characters of letters, digits, `-` and `_`).
pub fn unique(tag: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let tag: String = tag
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(30)
        .collect();
    format!(
        "sw-{tag}-{}-{}-{}",
        std::process::id(),
        nanos % 1_000_000_000_000,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The engine the advance and start functions run, over counted clients.
pub type AwsEngine<Q = SqsQueue> = Engine<DynamoStore, Q, AwsTasks>;

/// One test's resources and engine. `Q` is the engine's queue: [`SqsQueue`], or a wrapper
/// around it that injects faults.
#[derive(Debug)]
pub struct Harness<Q: Queue = SqsQueue> {
    config: Config,
    counter: RequestCounter,
    table: String,
    queue_url: String,
    dlq_url: String,
    engine: Arc<AwsEngine<Q>>,
    /// The event source mapping; its clones share its statistics.
    poller: Poller,
    /// Reads for the test's own checks, outside the counter.
    observer: AwsEngine<SqsQueue>,
}

impl Harness<SqsQueue> {
    /// Fresh resources and an engine on them; `None` when there is no emulator.
    pub async fn new(tag: &str) -> anyhow::Result<Option<Self>> {
        Self::with_queue(tag, |queue| queue).await
    }
}

impl<Q: Queue + 'static> Harness<Q> {
    /// As [`Harness::new`], with the engine's queue built by `wrap` from the SQS queue.
    pub async fn with_queue(
        tag: &str,
        wrap: impl FnOnce(SqsQueue) -> Q,
    ) -> anyhow::Result<Option<Self>> {
        Self::build(tag, wrap, |_| {}).await
    }

    /// As [`Harness::with_queue`], with the engine's configuration adjusted by `tune`.
    pub async fn build(
        tag: &str,
        wrap: impl FnOnce(SqsQueue) -> Q,
        tune: impl FnOnce(&mut stepwise_engine::Config),
    ) -> anyhow::Result<Option<Self>> {
        Self::build_with_lambda(tag, wrap, tune, None).await
    }

    /// As [`Harness::build`], with Lambda tasks sent to the Lambda Invoke API at
    /// `lambda_endpoint` (the emulator has no Lambda; see [`crate::lambda_api`]).
    pub async fn build_with_lambda(
        tag: &str,
        wrap: impl FnOnce(SqsQueue) -> Q,
        tune: impl FnOnce(&mut stepwise_engine::Config),
        lambda_endpoint: Option<&str>,
    ) -> anyhow::Result<Option<Self>> {
        let Some(sdk) = emulator().await else {
            return Ok(None);
        };

        let table = unique(tag);
        let settings = Settings::from_lookup(|name| {
            (name == stepwise_aws::config::TABLE_VAR).then(|| table.clone())
        })?;
        let config = Config::new(sdk, settings);
        let admin_sqs = config.sqs_client(None);
        bootstrap::create_table(&config.dynamodb_client(None), &table)
            .await
            .with_context(|| format!("creating table {table}"))?;
        let queues = bootstrap::create_queue(&admin_sqs, &table, &format!("{table}-dlq"))
            .await
            .with_context(|| format!("creating queue {table}"))?;
        let dlq_arn = queue_arn(&admin_sqs, &queues.dlq_url).await?;
        // bootstrap's production settings (60 s, 5 receives) would make redelivery tests slow.
        let redrive = json!({
            "deadLetterTargetArn": dlq_arn,
            "maxReceiveCount": MAX_RECEIVE_COUNT.to_string(),
        });
        admin_sqs
            .set_queue_attributes()
            .queue_url(&queues.url)
            .set_attributes(Some(HashMap::from([
                (
                    QueueAttributeName::VisibilityTimeout,
                    VISIBILITY_TIMEOUT_SECONDS.to_string(),
                ),
                (QueueAttributeName::RedrivePolicy, redrive.to_string()),
            ])))
            .send()
            .await
            .map_err(|e| anyhow!("SQS SetQueueAttributes: {}", DisplayErrorContext(&e)))?;
        let queue_arn = queue_arn(&admin_sqs, &queues.url).await?;
        let region = config
            .sdk()
            .region()
            .map_or_else(|| DEFAULT_REGION.to_owned(), |r| r.to_string());
        let poller = Poller::new(config.sqs_client(None), &queues.url, &queue_arn, region);
        let counter = RequestCounter::new();
        let mut engine_config = config.engine_config()?;
        tune(&mut engine_config);
        let tasks = match lambda_endpoint {
            Some(url) => {
                let lambda = aws_sdk_lambda::config::Builder::from(config.sdk())
                    .endpoint_url(url)
                    .interceptor(counter.clone())
                    .build();
                AwsTasks::new(
                    aws_sdk_lambda::Client::from_conf(lambda),
                    config.sqs_client(Some(&counter)),
                    config.dynamodb_client(Some(&counter)),
                )
                .with_account(config.engine_config()?.account)
            }
            None => config.tasks(Some(&counter)),
        };
        let engine = Engine::with(
            DynamoStore::new(config.dynamodb_client(Some(&counter)), &table),
            wrap(SqsQueue::new(
                config.sqs_client(Some(&counter)),
                &queues.url,
            )),
            tasks,
            SystemClock,
            engine_config,
        )
        .with_catalog();
        let observer = Engine::with(
            DynamoStore::new(config.dynamodb_client(None), &table),
            SqsQueue::new(admin_sqs, &queues.url),
            config.tasks(None),
            SystemClock,
            config.engine_config()?,
        );
        Ok(Some(Self {
            config,
            counter,
            table,
            queue_url: queues.url,
            dlq_url: queues.dlq_url,
            engine: Arc::new(engine),
            poller,
            observer,
        }))
    }

    pub fn engine(&self) -> &Arc<AwsEngine<Q>> {
        &self.engine
    }

    /// Counts the engine's SDK operations (start and advance), not the test's own.
    pub fn counter(&self) -> &RequestCounter {
        &self.counter
    }

    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    /// The DynamoDB table (`STEPWISE_TABLE` for a process that shares this test's data).
    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn dlq_url(&self) -> &str {
        &self.dlq_url
    }

    /// A DynamoDB client outside the counter, for the test's own tables.
    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        self.config.dynamodb_client(None)
    }

    /// An S3 client outside the counter (path-style, as the emulator serves buckets), for
    /// the test's own buckets and objects.
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(self.config.sdk())
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// An SQS client outside the counter, for the test's own sends and receives.
    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        self.config.sqs_client(None)
    }

    /// The poller on the steps queue (uncounted client), as the event source mapping.
    /// Clones share its statistics.
    pub fn poller(&self) -> Poller {
        self.poller.clone()
    }

    /// Calls the start function with a direct-invoke payload; its JSON answer or error.
    pub async fn invoke_start(&self, payload: Value) -> Result<Value, stepwise_start::Error> {
        // The engine was built from this config, so it names a region.
        let config = self.config.engine_config().expect("the engine's config");
        let api = stepwise_api::Api::new(self.engine.clone(), &config);
        stepwise_start::handle(&api, payload).await
    }

    /// Starts an execution through the start function; its ARN.
    pub async fn start(
        &self,
        state_machine: &str,
        definition: &Value,
        name: Option<&str>,
        input: Value,
    ) -> anyhow::Result<String> {
        let mut payload = json!({
            "stateMachine": state_machine,
            "definition": definition,
            "input": input,
        });
        if let Some(name) = name {
            payload["name"] = json!(name);
        }
        let answer = self.invoke_start(payload).await?;
        answer["executionArn"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("the start function answered without executionArn: {answer}"))
    }

    /// The advance function as a handler for [`run_until`].
    pub fn advance(
        &self,
    ) -> impl Fn(SqsEvent) -> futures::future::BoxFuture<'static, SqsBatchResponse> + Send + Sync + 'static
    {
        let engine = self.engine.clone();
        move |event| {
            let engine = engine.clone();
            Box::pin(async move { stepwise_advance::handle(engine.as_ref(), event).await })
        }
    }

    /// The complete function's SQS handler over the engine (callbacks from the complete
    /// queue).
    pub fn complete(
        &self,
    ) -> impl Fn(SqsEvent) -> futures::future::BoxFuture<'static, SqsBatchResponse> + Send + Sync + 'static
    {
        let engine = self.engine.clone();
        move |event| {
            let engine = engine.clone();
            Box::pin(async move { stepwise_complete::handle_batch(engine.as_ref(), event).await })
        }
    }

    /// Another queue for this test (a task's target, the complete queue) and a poller on
    /// it; deleted with the harness's resources only by the emulator's restart.
    pub async fn extra_queue(&self, tag: &str) -> anyhow::Result<(String, Poller)> {
        let sqs = self.sqs();
        let name = unique(tag);
        let url = sqs
            .create_queue()
            .queue_name(&name)
            .attributes(
                QueueAttributeName::VisibilityTimeout,
                VISIBILITY_TIMEOUT_SECONDS.to_string(),
            )
            .send()
            .await
            .map_err(|e| anyhow!("SQS CreateQueue: {}", DisplayErrorContext(&e)))?
            .queue_url
            .ok_or_else(|| anyhow!("queue {name} has no URL"))?;
        let arn = queue_arn(&sqs, &url).await?;
        let region = self
            .config
            .sdk()
            .region()
            .map_or_else(|| DEFAULT_REGION.to_owned(), |r| r.to_string());
        let poller = Poller::new(sqs, &url, &arn, region);
        Ok((url, poller))
    }

    /// Creates a state machine in the table's catalog (for nested executions); its ARN.
    pub async fn create_state_machine(
        &self,
        name: &str,
        definition: &Value,
    ) -> anyhow::Result<String> {
        let record = StateMachineRecord {
            name: name.to_owned(),
            spec: MachineSpec {
                definition: definition.to_string(),
                role_arn: format!(
                    "arn:aws:iam::{}:role/stepwise",
                    self.config.engine_config()?.account
                ),
                kind: MachineType::Standard,
                revision_id: "1".to_owned(),
            },
            description: None,
            created: 0,
            updated: 0,
        };
        match self.observer.store().create_state_machine(record).await? {
            Change::Done(_) => {}
            other => bail!("state machine {name} not created: {other:?}"),
        }
        let config = self.config.engine_config()?;
        Ok(format!(
            "arn:aws:states:{}:{}:stateMachine:{name}",
            config.region, config.account
        ))
    }

    /// The execution's header, read outside the counter.
    pub async fn describe(&self, arn: &str) -> anyhow::Result<ExecutionRecord> {
        Ok(self.observer.describe(arn).await?)
    }

    /// The execution's history, read outside the counter.
    pub async fn history(&self, arn: &str) -> anyhow::Result<Vec<Value>> {
        Ok(self.observer.history(arn).await?)
    }

    /// Runs `pollers` pollers calling the advance function until the execution is no
    /// longer RUNNING; its final record and how long that took.
    pub async fn run(
        &self,
        arn: &str,
        pollers: usize,
        deadline: Duration,
    ) -> anyhow::Result<(ExecutionRecord, Duration)> {
        self.run_with(arn, pollers, deadline, self.advance()).await
    }

    /// As [`Harness::run`] with another handler (a fault-injecting wrapper of the advance
    /// function).
    pub async fn run_with<H, F>(
        &self,
        arn: &str,
        pollers: usize,
        deadline: Duration,
        handler: H,
    ) -> anyhow::Result<(ExecutionRecord, Duration)>
    where
        H: Fn(SqsEvent) -> F + Send + Sync + 'static,
        F: std::future::Future<Output = SqsBatchResponse> + Send + 'static,
    {
        let what = format!("execution {arn} ended");
        let ran = run_until(
            &self.poller(),
            pollers,
            handler,
            deadline,
            &what,
            || async { Ok(self.describe(arn).await?.status != ExecutionStatus::Running) },
        )
        .await;
        let elapsed = match ran {
            Ok(elapsed) => elapsed,
            Err(e) => {
                let events = self.history(arn).await.map(|h| event_counts(&h));
                return Err(e.context(format!(
                    "execution still RUNNING at the deadline; its history so far: {events:?}"
                )));
            }
        };
        Ok((self.describe(arn).await?, elapsed))
    }

    /// Messages on the steps queue: visible, in flight and delayed.
    pub async fn queue_depth(&self) -> anyhow::Result<u64> {
        depth(&self.sqs(), &self.queue_url).await
    }

    /// Messages on the dead-letter queue.
    pub async fn dlq_depth(&self) -> anyhow::Result<u64> {
        depth(&self.sqs(), &self.dlq_url).await
    }

    /// Runs the advance function until the steps queue is empty (nothing visible, in
    /// flight or delayed).
    pub async fn drain(&self, pollers: usize, deadline: Duration) -> anyhow::Result<Duration> {
        run_until(
            &self.poller(),
            pollers,
            self.advance(),
            deadline,
            "the steps queue drained",
            || async { Ok(self.queue_depth().await? == 0) },
        )
        .await
    }

    /// Deletes the table and queues (best effort: the emulator is in memory anyway).
    pub async fn clean_up(&self) {
        let _ = self
            .config
            .dynamodb_client(None)
            .delete_table()
            .table_name(&self.table)
            .send()
            .await;
        let sqs = self.sqs();
        for url in [&self.queue_url, &self.dlq_url] {
            let _ = sqs.delete_queue().queue_url(url).send().await;
        }
    }
}

async fn queue_arn(client: &aws_sdk_sqs::Client, url: &str) -> anyhow::Result<String> {
    client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| anyhow!("SQS GetQueueAttributes: {}", DisplayErrorContext(&e)))?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| anyhow!("queue {url} has no QueueArn"))
}

async fn depth(client: &aws_sdk_sqs::Client, url: &str) -> anyhow::Result<u64> {
    let names = [
        QueueAttributeName::ApproximateNumberOfMessages,
        QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
        QueueAttributeName::ApproximateNumberOfMessagesDelayed,
    ];
    let attributes = client
        .get_queue_attributes()
        .queue_url(url)
        .set_attribute_names(Some(names.to_vec()))
        .send()
        .await
        .map_err(|e| anyhow!("SQS GetQueueAttributes: {}", DisplayErrorContext(&e)))?
        .attributes
        .unwrap_or_default();
    let mut total = 0;
    for name in names {
        let value = attributes
            .get(&name)
            .ok_or_else(|| anyhow!("queue {url}: no {}", name.as_str()))?;
        total += value
            .parse::<u64>()
            .with_context(|| format!("queue {url}: {} = {value:?}", name.as_str()))?;
    }
    Ok(total)
}

/// The history's event types, sorted: a multiset to compare two runs by.
pub fn event_types(history: &[Value]) -> Vec<String> {
    let mut types: Vec<String> = history.iter().map(event_type).collect();
    types.sort();
    types
}

/// The history's event types in order.
pub fn event_sequence(history: &[Value]) -> Vec<String> {
    history.iter().map(event_type).collect()
}

fn event_type(event: &Value) -> String {
    event["type"].as_str().unwrap_or("<no type>").to_owned()
}

/// How many events of each type.
pub fn event_counts(history: &[Value]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for event in history {
        *counts.entry(event_type(event)).or_default() += 1;
    }
    counts
}

/// States entered (the history's `*StateEntered` events): Step Functions' transitions.
pub fn transitions(history: &[Value]) -> usize {
    history
        .iter()
        .filter(|e| {
            e["type"]
                .as_str()
                .is_some_and(|t| t.ends_with("StateEntered"))
        })
        .count()
}

/// Fails unless the execution succeeded.
pub fn expect_succeeded(record: &ExecutionRecord) -> anyhow::Result<&Value> {
    if record.status != ExecutionStatus::Succeeded {
        bail!(
            "execution {} ended {} (failure {:?}), not SUCCEEDED",
            record.arn(),
            record.status.as_str(),
            record.failure
        );
    }
    record
        .output
        .as_ref()
        .ok_or_else(|| anyhow!("execution {} succeeded without output", record.arn()))
}
