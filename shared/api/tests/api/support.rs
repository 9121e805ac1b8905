//! A Stepwise API server on 127.0.0.1:<random port> over the in-memory store and queue,
//! with a driver that handles queued messages as SQS would deliver them (after their
//! delay, in real time), and a real `aws-sdk-sfn` client pointed at it.
#![allow(dead_code)]

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_sfn::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_sfn::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use aws_sdk_sfn::types::StateMachineType;
use aws_sdk_sfn::Client;
use serde_json::{json, Value};
use stepwise_api::{server, Api};
use stepwise_core::failure::Failure;
use stepwise_core::interp::TaskRequest;
use stepwise_engine::memory::{MemoryQueue, MemoryStore};
use stepwise_engine::{Config, Engine, SystemClock, TaskInvoker};

pub type TestEngine = Engine<MemoryStore, MemoryQueue, CallbackTasks, SystemClock>;

pub const ACCOUNT: &str = "123456789012";
pub const ROLE: &str = "arn:aws:iam::123456789012:role/stepwise-test";

/// A task integration that accepts every call and keeps the task tokens it is given,
/// as an SQS `waitForTaskToken` integration would hand them to a worker.
#[derive(Debug, Default)]
pub struct CallbackTasks {
    tokens: Mutex<Vec<String>>,
}

impl TaskInvoker for CallbackTasks {
    async fn invoke(&self, _execution: &str, request: &TaskRequest) -> Result<Value, Failure> {
        if let Some(token) = &request.task_token {
            self.tokens.lock().expect("tokens").push(token.clone());
        }
        Ok(json!({"called": request.resource}))
    }
}

#[derive(Debug)]
pub struct Server {
    pub url: String,
    pub engine: Arc<TestEngine>,
    pub client: Client,
}

impl Server {
    /// The task tokens handed out so far.
    pub fn tokens(&self) -> Vec<String> {
        self.engine.tasks().tokens.lock().expect("tokens").clone()
    }

    /// Waits for a task token, at most 10 s.
    pub async fn token(&self, index: usize) -> String {
        eventually(|| async { self.tokens().get(index).cloned() }).await
    }

    pub fn machine_arn(&self, name: &str) -> String {
        format!("arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:{name}")
    }

    /// Waits until the execution has ended and returns its status.
    pub async fn ended(&self, arn: &str) -> String {
        eventually(|| async {
            let described = self
                .client
                .describe_execution()
                .execution_arn(arn)
                .send()
                .await
                .expect("describe");
            let status = described.status().as_str().to_owned();
            (status != "RUNNING").then_some(status)
        })
        .await
    }

    pub async fn create(&self, name: &str, definition: &Value) -> String {
        self.create_typed(name, definition, StateMachineType::Standard)
            .await
    }

    /// Creates an EXPRESS state machine; its ARN.
    pub async fn create_express(&self, name: &str, definition: &Value) -> String {
        self.create_typed(name, definition, StateMachineType::Express)
            .await
    }

    async fn create_typed(&self, name: &str, definition: &Value, kind: StateMachineType) -> String {
        self.client
            .create_state_machine()
            .name(name)
            .definition(definition.to_string())
            .role_arn(ROLE)
            .r#type(kind)
            .send()
            .await
            .expect("create state machine")
            .state_machine_arn()
            .to_owned()
    }
}

/// Polls `check` until it returns `Some`, for at most 10 seconds.
pub async fn eventually<F, Fut, T>(mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(Instant::now() < deadline, "condition not met within 10 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub fn config() -> Config {
    Config {
        region: "us-east-1".to_owned(),
        account: ACCOUNT.to_owned(),
        ..Config::local()
    }
}

/// Starts the server and its queue driver.
pub async fn start() -> Server {
    start_with(Duration::from_secs(10)).await
}

/// Starts the server with StartSyncExecution waiting at most `sync_timeout`.
pub async fn start_with(sync_timeout: Duration) -> Server {
    let config = config();
    let engine = Arc::new(
        Engine::with(
            MemoryStore::default(),
            MemoryQueue::default(),
            CallbackTasks::default(),
            SystemClock,
            config.clone(),
        )
        .with_catalog(),
    );
    let api = Arc::new(Api::new(engine.clone(), &config).with_sync_timeout(sync_timeout));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        axum::serve(listener, server::router(api))
            .await
            .expect("serve");
    });
    tokio::spawn(drive(engine.clone()));
    let sdk_config = aws_sdk_sfn::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(&url)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .interceptor(NoSyncPrefix)
        .build();
    Server {
        url,
        engine,
        client: Client::from_conf(sdk_config),
    }
}

/// Handles queued messages once their delay has passed, as an SQS consumer would.
async fn drive(engine: Arc<TestEngine>) {
    let mut held: BinaryHeap<Reverse<(Instant, u64)>> = BinaryHeap::new();
    let mut messages = std::collections::HashMap::new();
    let mut sequence = 0u64;
    loop {
        while let Some(out) = engine.queue().pop() {
            sequence += 1;
            let visible = Instant::now() + Duration::from_secs(u64::from(out.delay_seconds));
            held.push(Reverse((visible, sequence)));
            messages.insert(sequence, out.message);
        }
        match held.peek() {
            Some(Reverse((visible, _))) if *visible <= Instant::now() => {
                let Some(Reverse((_, id))) = held.pop() else {
                    continue;
                };
                if let Some(message) = messages.remove(&id) {
                    engine.handle(message, 1).await.expect("handle");
                }
            }
            _ => tokio::time::sleep(Duration::from_millis(2)).await,
        }
    }
}

/// The SDK sends StartSyncExecution to host `sync-<endpoint host>` (the model's host
/// prefix, even with a custom endpoint), and `sync-127.0.0.1` resolves nowhere. Real
/// deployments give the API a name whose `sync-` form resolves too; the test sends
/// the request to the endpoint itself.
#[derive(Debug)]
struct NoSyncPrefix;

impl Intercept for NoSyncPrefix {
    fn name(&self) -> &'static str {
        "NoSyncPrefix"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let request = context.request_mut();
        let uri = request.uri().replacen("://sync-", "://", 1);
        request.set_uri(uri)?;
        Ok(())
    }
}
