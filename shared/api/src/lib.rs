//! The Step Functions API over the Stepwise engine: the AWS JSON 1.0 protocol exactly as
//! the AWS SDKs and the `aws` CLI send it, so unmodified clients manage state machines and
//! executions with `--endpoint-url` pointed here.
//!
//! [`Api::dispatch`] takes the `X-Amz-Target` header and the body and returns a status
//! and a JSON body; [`server::router`] puts it behind axum for `stepwise serve`, and a
//! Lambda behind API Gateway calls it the same way. The API works over any backend whose
//! store is also a [`Catalog`] (state machines, versions, aliases, execution listing).
//!
//! ```
//! use std::sync::Arc;
//! use stepwise_api::Api;
//! use stepwise_engine::{memory::{MemoryQueue, MemoryStore}, Config, Engine};
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let config = Config::local();
//! let engine = Arc::new(Engine::new(MemoryStore::default(), MemoryQueue::default(), config.clone()));
//! let api = Api::new(engine, &config);
//! let response = api.dispatch("AWSStepFunctions.ListStateMachines", b"{}").await;
//! assert_eq!(response.status, 200);
//! assert_eq!(response.body, br#"{"stateMachines":[]}"#);
//! # });
//! ```

mod aliases;
mod arn;
mod errors;
mod executions;
mod history;
mod map_run_children;
mod map_run_history;
mod map_runs;
mod protocol;
pub mod server;
mod state_machines;
mod sync;
mod tasks;
mod test_cases;
mod validate;
mod versions;

pub use errors::ApiError;
pub use protocol::{content_type_accepted, Response, CONTENT_TYPE, PAYLOAD_LIMIT};
pub use stepwise_engine::Catalog;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use stepwise_core::entropy::{Entropy, SplitMix64};
use stepwise_engine::{Clock, Config, Engine, Queue, Store, TaskInvoker};
use tracing::debug;

use crate::arn::Arns;
use crate::errors::Result;
use crate::protocol::Input;
pub use crate::test_cases::TestCases;

/// The largest request body accepted: an execution input at the payload limit, escaped
/// as a JSON string, with room for the other fields.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The Step Functions API over one engine. Cheap to share between requests.
#[derive(Debug)]
pub struct Api<S, Q, T, C> {
    engine: Arc<Engine<S, Q, T, C>>,
    arns: Arns,
    /// Revision ids and alias routing draws.
    random: Mutex<SplitMix64>,
    sync_timeout: Duration,
    /// Set when a mock configuration is loaded: `StartExecution` accepts `arn#TestCase`.
    test_cases: Option<TestCases>,
}

impl<S, Q, T, C> Api<S, Q, T, C>
where
    S: Store + Catalog,
    Q: Queue,
    T: TaskInvoker,
    C: Clock,
{
    /// An API over `engine`; `config` must be the engine's (it names the region and
    /// account of every ARN).
    pub fn new(engine: Arc<Engine<S, Q, T, C>>, config: &Config) -> Self {
        Self {
            engine,
            arns: Arns::new(&config.region, &config.account),
            random: Mutex::new(SplitMix64::new(rand::random())),
            sync_timeout: Duration::from_secs(300),
            test_cases: None,
        }
    }

    /// Draws revision ids and alias routing from `seed` (deterministic tests).
    pub fn with_seed(self, seed: u64) -> Self {
        Self {
            random: Mutex::new(SplitMix64::new(seed)),
            ..self
        }
    }

    /// How long `StartSyncExecution` waits for an execution to end (AWS: 5 minutes).
    pub fn with_sync_timeout(self, timeout: Duration) -> Self {
        Self {
            sync_timeout: timeout,
            ..self
        }
    }

    /// Accepts `StartExecution` on `…:stateMachine:<name>#<TestCase>` for these test cases
    /// (Step Functions Local's mock configuration); the test case is stored with the
    /// execution for the engine's task port.
    pub fn with_test_cases(self, test_cases: TestCases) -> Self {
        Self {
            test_cases: Some(test_cases),
            ..self
        }
    }

    pub fn engine(&self) -> &Engine<S, Q, T, C> {
        &self.engine
    }

    /// Handles one request: `target` is the `X-Amz-Target` header, `body` the JSON body.
    pub async fn dispatch(&self, target: &str, body: &[u8]) -> Response {
        match self.call(target, body).await {
            Ok(output) => Response::ok(&output),
            Err(error) => {
                debug!(
                    target,
                    kind = error.kind(),
                    message = error.message(),
                    "request refused"
                );
                Response::error(&error)
            }
        }
    }

    /// Handles one request as [`Api::dispatch`] does, with the answer still typed: for
    /// callers that are not HTTP (the start queue's handler).
    pub async fn call(&self, target: &str, body: &[u8]) -> Result<Value> {
        let operation = protocol::operation(target)?;
        if body.len() > MAX_BODY_BYTES {
            return Err(ApiError::too_large(MAX_BODY_BYTES));
        }
        let input = Input::parse(body)?;
        match operation {
            "CreateStateMachine" => self.create_state_machine(&input).await,
            "UpdateStateMachine" => self.update_state_machine(&input).await,
            "DescribeStateMachine" => self.describe_state_machine(&input).await,
            "ListStateMachines" => self.list_state_machines(&input).await,
            "DeleteStateMachine" => self.delete_state_machine(&input).await,
            "PublishStateMachineVersion" => self.publish_version(&input).await,
            "ListStateMachineVersions" => self.list_versions(&input).await,
            "DeleteStateMachineVersion" => self.delete_version(&input).await,
            "CreateStateMachineAlias" => self.create_alias(&input).await,
            "DescribeStateMachineAlias" => self.describe_alias(&input).await,
            "UpdateStateMachineAlias" => self.update_alias(&input).await,
            "DeleteStateMachineAlias" => self.delete_alias(&input).await,
            "ListStateMachineAliases" => self.list_aliases(&input).await,
            "ValidateStateMachineDefinition" => validate::validate_definition(&input),
            "StartExecution" => self.start_execution(&input).await,
            "StartSyncExecution" => self.start_sync_execution(&input).await,
            "DescribeExecution" => self.describe_execution(&input).await,
            "ListExecutions" => self.list_executions(&input).await,
            "StopExecution" => self.stop_execution(&input).await,
            "RedriveExecution" => self.redrive_execution(&input).await,
            "DescribeStateMachineForExecution" => {
                self.describe_state_machine_for_execution(&input).await
            }
            "GetExecutionHistory" => self.get_execution_history(&input).await,
            "ListMapRuns" => self.list_map_runs(&input).await,
            "DescribeMapRun" => self.describe_map_run(&input).await,
            "SendTaskSuccess" => self.send_task_success(&input).await,
            "SendTaskFailure" => self.send_task_failure(&input).await,
            "SendTaskHeartbeat" => self.send_task_heartbeat(&input).await,
            _ => Err(ApiError::unknown_operation(target)),
        }
    }

    /// A fresh revision id (a UUID, as AWS's).
    fn revision_id(&self) -> String {
        let mut random = self.random.lock().unwrap_or_else(|e| e.into_inner());
        stepwise_core::entropy::uuid_v4(&mut *random)
    }

    /// A draw in `0..100` for alias routing.
    fn percent(&self) -> u32 {
        let mut random = self.random.lock().unwrap_or_else(|e| e.into_inner());
        (random.next_u64() % 100) as u32
    }

    fn now(&self) -> i64 {
        self.engine.clock().now()
    }
}
