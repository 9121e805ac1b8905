//! [`LocalTasks`]: the engine's task port over the registry, and over AWS integrations
//! pointed at an emulator.

use std::collections::HashMap;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use serde_json::{json, Value};
use stepwise_aws::tasks::AwsTasks;
use stepwise_core::failure::Failure;
use stepwise_core::interp::TaskRequest;
use stepwise_engine::TaskInvoker;

use crate::command;
use crate::http::HttpClient;
use crate::registry::{Registry, Shape, Target};

/// Runs Task states on this machine: registry entries first; any other resource through
/// the AWS integrations at `--aws-endpoint` when one is given, else a `States.Runtime`
/// failure that says how to configure it.
#[derive(Debug, Clone)]
pub struct LocalTasks {
    registry: Registry,
    /// One set of AWS clients per `lambda` endpoint of the registry.
    lambdas: HashMap<String, AwsTasks>,
    aws: Option<AwsTasks>,
    http: HttpClient,
}

impl LocalTasks {
    /// Builds the clients; `account` is the one the engine's ARNs name (a bare function
    /// ARN in it is invoked by function name, which is how local Lambda APIs know them).
    pub async fn new(registry: Registry, aws_endpoint: Option<&str>, account: &str) -> Self {
        let mut lambdas = HashMap::new();
        for endpoint in registry.lambda_endpoints() {
            if !lambdas.contains_key(endpoint) {
                lambdas.insert(endpoint.to_owned(), aws_tasks(endpoint, account).await);
            }
        }
        let aws = match aws_endpoint {
            Some(endpoint) => Some(aws_tasks(endpoint, account).await),
            None => None,
        };
        Self {
            registry,
            lambdas,
            aws,
            http: HttpClient::default(),
        }
    }

    async fn run(
        &self,
        target: &Target,
        shape: Shape,
        request: &TaskRequest,
    ) -> Result<Value, Failure> {
        let input = match shape {
            Shape::Plain => request.parameters.clone(),
            Shape::LambdaInvoke => invoke_payload(request.parameters.get("Payload")),
        };
        let result = match target {
            Target::Http(url) => self.http.post(&request.state, url, &input).await,
            Target::Command(argv) => command::run(&request.state, argv, &input).await,
            // Built in `new` for every endpoint of the registry.
            Target::Lambda(_) => Err(Failure::runtime("no client for this Lambda endpoint")),
        }?;
        Ok(match shape {
            Shape::Plain => result,
            // Lambda Invoke's response as `lambda:invoke` returns it (the HTTP metadata of
            // a real call aside).
            Shape::LambdaInvoke => json!({
                "ExecutedVersion": "$LATEST",
                "Payload": result,
                "StatusCode": 200,
            }),
        })
    }
}

impl Registry {
    fn lambda_endpoints(&self) -> impl Iterator<Item = &str> {
        self.targets().filter_map(|t| match t {
            Target::Lambda(endpoint) => Some(endpoint.as_str()),
            _ => None,
        })
    }
}

impl TaskInvoker for LocalTasks {
    async fn invoke(&self, execution: &str, request: &TaskRequest) -> Result<Value, Failure> {
        match self.registry.lookup(request) {
            Some((Target::Lambda(endpoint), _)) => match self.lambdas.get(endpoint) {
                // AwsTasks bounds the call by TimeoutSeconds itself.
                Some(aws) => aws.invoke(execution, request).await,
                None => Err(Failure::runtime(format!("no client for {endpoint}"))),
            },
            Some((target, shape)) => {
                let call = self.run(target, shape, request);
                let result = match request.timeout_seconds {
                    Some(seconds) => tokio::time::timeout(Duration::from_secs(seconds), call)
                        .await
                        .unwrap_or_else(|_| Err(Failure::task_timeout())),
                    None => call.await,
                };
                if let Err(failure) = &result {
                    tracing::debug!(execution_id = %execution, state = %request.state, resource = %request.resource, %failure, "task failed");
                }
                result
            }
            None => match &self.aws {
                Some(aws) => aws.invoke(execution, request).await,
                None => Err(Failure::runtime(format!(
                    "No local task is configured for resource '{}' (state '{}'): add it to the --tasks file, or pass --aws-endpoint.",
                    request.resource, request.state
                ))),
            },
        }
    }
}

/// What a function receives for `lambda:invoke`'s `Payload`: absent is `{}` (as Lambda
/// defaults it), a string holding JSON is that JSON.
fn invoke_payload(payload: Option<&Value>) -> Value {
    match payload {
        None | Some(Value::Null) => json!({}),
        Some(Value::String(text)) => {
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()))
        }
        Some(other) => other.clone(),
    }
}

/// The AWS integrations with every service at `endpoint`. Emulators accept any
/// credentials: without `AWS_ACCESS_KEY_ID` the clients sign as `test`, and without a
/// region they use `us-east-1`, so a laptop with no AWS set-up works.
async fn aws_tasks(endpoint: &str, account: &str) -> AwsTasks {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).endpoint_url(endpoint);
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if !set("AWS_REGION") && !set("AWS_DEFAULT_REGION") {
        loader = loader.region(Region::new("us-east-1"));
    }
    if !set("AWS_ACCESS_KEY_ID") && !set("AWS_PROFILE") {
        loader = loader.credentials_provider(aws_sdk_lambda::config::Credentials::new(
            "test",
            "test",
            None,
            None,
            "stepwise-local",
        ));
    }
    AwsTasks::from_conf(&loader.load().await).with_account(account)
}
