//! Task states on AWS: [`AwsTasks`] runs a Task state's `Resource` the way Step Functions
//! does, implementing the engine's [`TaskInvoker`] port.
//!
//! | resource | call | result |
//! |---|---|---|
//! | `arn:aws:lambda:…:function:<name>[:qualifier]` | Lambda Invoke, payload = parameters | the function's output |
//! | `arn:aws:states:::lambda:invoke` | Lambda Invoke | `{ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata, StatusCode}` |
//! | `arn:aws:states:::sqs:sendMessage` | SQS SendMessage | `{MD5OfMessageBody, MessageId, SdkHttpMetadata, …}` |
//! | `arn:aws:states:::dynamodb:getItem` (`putItem`, `updateItem`, `deleteItem`) | the DynamoDB API | `{Item, SdkHttpMetadata, …}` |
//!
//! Each invocation makes exactly one SDK call (the SDK's own retries aside). A
//! `.waitForTaskToken` suffix makes the same call; the engine treats its result as the
//! "submitted" output and waits for the callback. Nested executions
//! (`states:startExecution…`) are run by the engine itself and never reach this invoker;
//! other `.sync` jobs fail with `States.Runtime`, as does any other resource. A state's `TimeoutSeconds` bounds the call (`States.Timeout`).
//!
//! A Distributed Map's `ItemReader` comes here as a task too (`arn:aws:states:::s3:getObject`
//! or `…:s3:listObjectsV2`): `s3` reads the items, the task's result.
//!
//! A Task's `Credentials` (`{"RoleArn": …}`, resolved by the core) make the call as that
//! role: [`roles`] assumes it with STS AssumeRole and caches the credentials per role
//! until shortly before they expire. Without an STS client (see
//! [`AwsTasks::with_sts`]) such a task fails with `States.Runtime` rather than running
//! with the wrong identity.

mod attribute_value;
mod dynamodb;
mod errors;
mod http;
mod lambda;
mod params;
mod resource;
mod role_cache;
pub mod roles;
mod s3;
mod sqs;

use std::borrow::Cow;
use std::time::Duration;

use aws_config::SdkConfig;
use serde_json::Value;
use stepwise_core::failure::Failure;
use stepwise_core::interp::{exceeds_payload_limit, TaskRequest};
use stepwise_engine::{Clock, SystemClock, TaskInvoker};

use crate::metrics::RequestCounter;
pub use resource::{DynamoAction, Integration, Resource};
use roles::{Clients, Roles};

/// The AWS task integrations, over one client per service.
#[derive(Debug, Clone)]
pub struct AwsTasks {
    home: lambda::Home,
    clients: Clients,
    /// Assumes the roles tasks name in `Credentials`; `None`: such tasks fail.
    roles: Option<Roles>,
    /// Reads Distributed Maps' items; `None`: a Map with an ItemReader fails.
    s3: Option<aws_sdk_s3::Client>,
}

impl AwsTasks {
    pub fn new(
        lambda: aws_sdk_lambda::Client,
        sqs: aws_sdk_sqs::Client,
        dynamodb: aws_sdk_dynamodb::Client,
    ) -> Self {
        let region = lambda.config().region().map(ToString::to_string);
        Self {
            home: lambda::Home {
                region,
                account: None,
            },
            clients: Clients {
                lambda,
                sqs,
                dynamodb,
            },
            roles: None,
            s3: None,
        }
    }

    /// Distributed Maps read their `ItemReader`'s items through `s3`.
    pub fn with_s3(mut self, s3: aws_sdk_s3::Client) -> Self {
        self.s3 = Some(s3);
        self
    }

    /// Stepwise's AWS account: a bare function ARN in it (and in the clients' region) is
    /// invoked by function name, which is the same function; others by their full ARN.
    pub fn with_account(mut self, account: impl Into<String>) -> Self {
        self.home.account = Some(account.into());
        self
    }

    /// Tasks with `Credentials` assume their role through `sts`.
    pub fn with_sts(mut self, sts: aws_sdk_sts::Client) -> Self {
        self.roles = Some(Roles::new(sts));
        self
    }

    /// Clients from the SDK configuration (region, credentials, `AWS_ENDPOINT_URL` and the
    /// per-service `AWS_ENDPOINT_URL_LAMBDA` / `_SQS` / `_DYNAMODB` / `_STS`).
    pub fn from_conf(sdk: &SdkConfig) -> Self {
        Self::counted(sdk, None)
    }

    /// As [`from_conf`](Self::from_conf), with every request counted by `counter`.
    pub fn counted(sdk: &SdkConfig, counter: Option<&RequestCounter>) -> Self {
        let mut lambda = aws_sdk_lambda::config::Builder::from(sdk);
        let mut sqs = aws_sdk_sqs::config::Builder::from(sdk);
        let mut dynamodb = aws_sdk_dynamodb::config::Builder::from(sdk);
        let mut sts = aws_sdk_sts::config::Builder::from(sdk);
        // An emulator (a custom endpoint) serves buckets by path, not by host name.
        let mut s3 =
            aws_sdk_s3::config::Builder::from(sdk).force_path_style(sdk.endpoint_url().is_some());
        if let Some(counter) = counter {
            s3 = s3.interceptor(counter.clone());
            lambda = lambda.interceptor(counter.clone());
            sqs = sqs.interceptor(counter.clone());
            dynamodb = dynamodb.interceptor(counter.clone());
            sts = sts.interceptor(counter.clone());
        }
        Self::new(
            aws_sdk_lambda::Client::from_conf(lambda.build()),
            aws_sdk_sqs::Client::from_conf(sqs.build()),
            aws_sdk_dynamodb::Client::from_conf(dynamodb.build()),
        )
        .with_sts(aws_sdk_sts::Client::from_conf(sts.build()))
        .with_s3(aws_sdk_s3::Client::from_conf(s3.build()))
    }

    /// A Distributed Map's items (see [`s3`]); never held to a state's payload limit,
    /// since the items go to the Map's children, not into its result.
    async fn read_items(&self, request: &TaskRequest) -> Result<Value, Failure> {
        let Some(client) = &self.s3 else {
            return Err(Failure::new(
                stepwise_core::failure::names::ITEM_READER_FAILED,
                "No S3 client is configured to read the Map's items.",
            ));
        };
        s3::read(client, request).await
    }

    /// A Distributed Map's results, written by its `ResultWriter` (see [`s3`]).
    async fn write_results(&self, request: &TaskRequest) -> Result<Value, Failure> {
        let Some(client) = &self.s3 else {
            return Err(Failure::new(
                stepwise_core::interp::RESULT_WRITER_FAILED,
                "No S3 client is configured to write the Map's results.",
            ));
        };
        s3::write(client, request).await
    }

    /// The clients to call with: the defaults, or the same signing as the task's role.
    async fn clients(
        &self,
        execution: &str,
        request: &TaskRequest,
    ) -> Result<(Cow<'_, Clients>, lambda::Home), Failure> {
        let Some(credentials) = &request.credentials else {
            return Ok((Cow::Borrowed(&self.clients), self.home.clone()));
        };
        // The core resolves Credentials to an object with a string RoleArn.
        let role_arn = credentials
            .get("RoleArn")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(roles) = &self.roles else {
            return Err(Failure::runtime(format!(
                "An error occurred while executing the state '{}'. Task Credentials (role '{role_arn}') need an STS client, and none is configured.",
                request.state
            )));
        };
        let caller = roles::Caller {
            execution,
            state: &request.state,
        };
        let clients = roles
            .clients_for(&self.clients, role_arn, caller, SystemClock.now())
            .await?;
        // A bare function ARN is invoked by name only in the account whose credentials
        // sign the call: the role's.
        let home = lambda::Home {
            region: self.home.region.clone(),
            account: roles::role_account(role_arn).map(str::to_owned),
        };
        Ok((Cow::Owned(clients), home))
    }

    async fn run(&self, execution: &str, request: &TaskRequest) -> Result<Value, Failure> {
        let resource = Resource::parse(&request.resource)?;
        let (clients, home) = self.clients(execution, request).await?;
        match resource {
            Resource::LambdaFunction { arn } => {
                lambda::invoke_function(&clients.lambda, &arn, &home, request).await
            }
            Resource::Service { integration, .. } => match integration {
                Integration::LambdaInvoke => lambda::invoke(&clients.lambda, request).await,
                Integration::SqsSendMessage => sqs::send_message(&clients.sqs, request).await,
                Integration::DynamoDb(action) => {
                    dynamodb::call(&clients.dynamodb, action, request).await
                }
            },
        }
    }
}

impl TaskInvoker for AwsTasks {
    async fn invoke(&self, execution: &str, request: &TaskRequest) -> Result<Value, Failure> {
        if s3::is_reader(&request.resource) {
            return self.read_items(request).await;
        }
        if s3::is_writer(&request.resource) {
            return self.write_results(request).await;
        }
        // The state's TimeoutSeconds bounds the call itself (a function may run for 15
        // minutes); the function is not stopped, as on AWS.
        let result = match request.timeout_seconds {
            Some(seconds) => {
                tokio::time::timeout(Duration::from_secs(seconds), self.run(execution, request))
                    .await
                    .unwrap_or_else(|_| Err(Failure::task_timeout()))
            }
            None => self.run(execution, request).await,
        };
        if let Err(failure) = &result {
            tracing::debug!(execution_id = %execution, state = %request.state, resource = %request.resource, %failure, "task failed");
        }
        let result = result?;
        // Checked here too (the core checks every result) so an oversize result is refused
        // before the engine stores or forwards it.
        if exceeds_payload_limit(&result) {
            return Err(Failure::data_limit(format!(
                "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                request.state
            )));
        }
        Ok(result)
    }
}
