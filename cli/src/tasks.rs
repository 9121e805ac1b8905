//! The task options `run` and `serve` share (`--tasks`, `--aws-endpoint`,
//! `--mock-config`), read into the task port of `stepwise-local-tasks`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use stepwise_local_tasks::{MockConfig, Registry};

#[derive(Debug, Args)]
pub struct TaskArgs {
    /// A JSON task registry: Task resources (an exact ARN, or `function:<name>` for every
    /// call of a Lambda function) mapped to `{"http": URL}`, `{"command": [PROGRAM, ARG…]}`
    /// or `{"lambda": ENDPOINT}` (see docs/embedded.md, "Task states locally").
    #[arg(long, value_name = "FILE")]
    pub tasks: Option<PathBuf>,
    /// Run every other Task resource the AWS integrations support (Lambda, SQS, DynamoDB)
    /// against this endpoint, such as LocalStack's `http://127.0.0.1:4566`.
    #[arg(long, value_name = "URL")]
    pub aws_endpoint: Option<String>,
    /// A Step Functions Local mock configuration (`StateMachines` → test cases → state →
    /// mocked response; `MockedResponses`). `run` picks a test case with --test-case;
    /// `serve` runs one when StartExecution names `…:stateMachine:<name>#<TestCase>`.
    #[arg(long, value_name = "FILE")]
    pub mock_config: Option<PathBuf>,
}

impl TaskArgs {
    /// Whether any task option is given (without one, Task states fail as before).
    pub fn any(&self) -> bool {
        self.tasks.is_some() || self.aws_endpoint.is_some() || self.mock_config.is_some()
    }

    pub fn registry(&self) -> anyhow::Result<Registry> {
        match &self.tasks {
            Some(path) => read(path, "task registry", Registry::parse),
            None => Ok(Registry::default()),
        }
    }

    pub fn mock_config(&self) -> anyhow::Result<MockConfig> {
        match &self.mock_config {
            Some(path) => read(path, "mock configuration", MockConfig::parse),
            None => Ok(MockConfig::default()),
        }
    }

    pub fn aws_endpoint(&self) -> anyhow::Result<Option<&str>> {
        match self.aws_endpoint.as_deref() {
            Some(url) if !(url.starts_with("http://") || url.starts_with("https://")) => {
                anyhow::bail!("--aws-endpoint must be an http:// or https:// URL, not '{url}'")
            }
            other => Ok(other),
        }
    }
}

fn read<T>(
    path: &Path,
    what: &str,
    parse: impl Fn(&str) -> stepwise_local_tasks::Result<T>,
) -> anyhow::Result<T> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the {what} {}", path.display()))?;
    parse(&text).map_err(|e| anyhow::anyhow!("the {what} {} is invalid: {e}", path.display()))
}
