//! Configuration from the environment: which table and queue, and the SDK clients.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `STEPWISE_TABLE` | `stepwise` | the DynamoDB table |
//! | `STEPWISE_STEPS_QUEUE_URL` | (required for the queue) | the SQS queue of step messages |
//! | `STEPWISE_ACCOUNT_ID` | `000000000000` | the account in execution ARNs |
//! | `STEPWISE_CHAIN_BUDGET_MS` | `5000` | how long a step message's handler may go on with the steps after it itself (a Task after a Task) instead of sending them through the queue; `0` never does ([`stepwise_engine::Config::chain_budget_ms`]) |
//! | `STEPWISE_START_QUEUE_URL`, `STEPWISE_COMPLETE_QUEUE_URL` | | set by the Terraform module for the functions that send to those queues ([`crate::names`]) |
//! | `AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, … | | read by the SDK as usual |

use aws_config::{BehaviorVersion, SdkConfig};

use crate::dynamo::DynamoStore;
use crate::metrics::RequestCounter;
use crate::sqs::SqsQueue;
use crate::tasks::AwsTasks;

// The variables' names are shared with the Terraform module, which sets them.
pub use crate::names::{
    ACCOUNT_ID_VAR, COMPLETE_QUEUE_URL_VAR, START_QUEUE_URL_VAR, STEPS_QUEUE_URL_VAR, TABLE_VAR,
};

const DEFAULT_TABLE: &str = "stepwise";

/// Far under the Terraform module's smallest visibility timeout (6× the consuming
/// function's timeout, 180 s at least): the queue cannot deliver a message again while a
/// chain that began from it goes on.
const DEFAULT_CHAIN_BUDGET_MS: u64 = 5_000;
pub const CHAIN_BUDGET_VAR: &str = "STEPWISE_CHAIN_BUDGET_MS";
const DEFAULT_ACCOUNT: &str = "000000000000";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {message}")]
    Invalid { name: &'static str, message: String },
    #[error("no AWS region: set AWS_REGION (or a region in the AWS profile)")]
    NoRegion,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Stepwise's own settings, apart from the SDK's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    table: String,
    steps_queue_url: Option<String>,
    account: String,
    chain_budget_ms: u64,
}

impl Settings {
    /// Reads the variables through `lookup` (the process environment in
    /// [`Settings::from_env`]); an empty value counts as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let account = get(ACCOUNT_ID_VAR).unwrap_or_else(|| DEFAULT_ACCOUNT.to_owned());
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Invalid {
                name: ACCOUNT_ID_VAR,
                message: format!("{account:?} is not a 12-digit account id"),
            });
        }
        let chain_budget_ms = match get(CHAIN_BUDGET_VAR) {
            None => DEFAULT_CHAIN_BUDGET_MS,
            Some(text) => text.trim().parse().map_err(|_| Error::Invalid {
                name: CHAIN_BUDGET_VAR,
                message: format!("{text:?} is not a whole number of milliseconds"),
            })?,
        };
        Ok(Self {
            table: get(TABLE_VAR).unwrap_or_else(|| DEFAULT_TABLE.to_owned()),
            steps_queue_url: get(STEPS_QUEUE_URL_VAR),
            account,
            chain_budget_ms,
        })
    }

    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn steps_queue_url(&self) -> Result<&str> {
        self.steps_queue_url
            .as_deref()
            .ok_or(Error::Missing(STEPS_QUEUE_URL_VAR))
    }

    pub fn account(&self) -> &str {
        &self.account
    }
}

/// The SDK's configuration and Stepwise's settings, and the clients built from them.
#[derive(Debug, Clone)]
pub struct Config {
    sdk: SdkConfig,
    settings: Settings,
}

impl Config {
    /// Reads Stepwise's variables and the SDK's usual configuration
    /// (`aws_config::defaults(BehaviorVersion::latest())`: region, credentials and
    /// `AWS_ENDPOINT_URL` from the environment or the profile).
    pub async fn from_env() -> Result<Self> {
        let settings = Settings::from_env()?;
        let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
        Ok(Self::new(sdk, settings))
    }

    pub fn new(sdk: SdkConfig, settings: Settings) -> Self {
        Self { sdk, settings }
    }

    pub fn sdk(&self) -> &SdkConfig {
        &self.sdk
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The engine's ARN parts: the SDK's region and `STEPWISE_ACCOUNT_ID`.
    pub fn engine_config(&self) -> Result<stepwise_engine::Config> {
        let region = self.sdk.region().ok_or(Error::NoRegion)?;
        Ok(stepwise_engine::Config {
            region: region.to_string(),
            account: self.settings.account.clone(),
            chain_budget_ms: self.settings.chain_budget_ms,
            ..stepwise_engine::Config::local()
        })
    }

    /// A DynamoDB client; its requests are counted by `counter` when given.
    pub fn dynamodb_client(&self, counter: Option<&RequestCounter>) -> aws_sdk_dynamodb::Client {
        let mut builder = aws_sdk_dynamodb::config::Builder::from(&self.sdk);
        if let Some(counter) = counter {
            builder = builder.interceptor(counter.clone());
        }
        aws_sdk_dynamodb::Client::from_conf(builder.build())
    }

    /// An SQS client; its requests are counted by `counter` when given.
    pub fn sqs_client(&self, counter: Option<&RequestCounter>) -> aws_sdk_sqs::Client {
        let mut builder = aws_sdk_sqs::config::Builder::from(&self.sdk);
        if let Some(counter) = counter {
            builder = builder.interceptor(counter.clone());
        }
        aws_sdk_sqs::Client::from_conf(builder.build())
    }

    /// The store on `STEPWISE_TABLE`.
    pub fn store(&self, counter: Option<&RequestCounter>) -> DynamoStore {
        DynamoStore::new(self.dynamodb_client(counter), self.settings.table.clone())
    }

    /// The queue at `STEPWISE_STEPS_QUEUE_URL`.
    pub fn queue(&self, counter: Option<&RequestCounter>) -> Result<SqsQueue> {
        let url = self.settings.steps_queue_url()?;
        Ok(SqsQueue::new(self.sqs_client(counter), url))
    }

    /// The AWS task integrations (Lambda, SQS, DynamoDB) in `STEPWISE_ACCOUNT_ID`.
    pub fn tasks(&self, counter: Option<&RequestCounter>) -> AwsTasks {
        AwsTasks::counted(&self.sdk, counter).with_account(self.settings.account.clone())
    }

    /// The engine the functions run: the store, the steps queue, the AWS task
    /// integrations and the ARN parts; nested executions start the state machines of the
    /// table's catalog.
    pub fn engine(&self) -> Result<stepwise_engine::Engine<DynamoStore, SqsQueue, AwsTasks>> {
        Ok(stepwise_engine::Engine::with(
            self.store(None),
            self.queue(None)?,
            self.tasks(None),
            stepwise_engine::SystemClock,
            self.engine_config()?,
        )
        .with_catalog())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_config::Region;

    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_apply_when_unset_or_empty() {
        let s = settings(&[(TABLE_VAR, "")]).unwrap();
        assert_eq!(s.table(), "stepwise");
        assert_eq!(s.account(), "000000000000");
        assert_eq!(s.chain_budget_ms, 5_000);
        assert!(matches!(
            s.steps_queue_url(),
            Err(Error::Missing("STEPWISE_STEPS_QUEUE_URL"))
        ));
    }

    #[test]
    fn variables_override_defaults() {
        let s = settings(&[
            (TABLE_VAR, "t1"),
            (STEPS_QUEUE_URL_VAR, "http://q"),
            (ACCOUNT_ID_VAR, "123456789012"),
            (CHAIN_BUDGET_VAR, "0"),
        ])
        .unwrap();
        assert_eq!(s.chain_budget_ms, 0);
        assert_eq!(s.table(), "t1");
        assert_eq!(s.steps_queue_url().unwrap(), "http://q");
        assert_eq!(s.account(), "123456789012");
    }

    #[test]
    fn a_bad_chain_budget_is_named() {
        let error = settings(&[(CHAIN_BUDGET_VAR, "5s")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "environment variable STEPWISE_CHAIN_BUDGET_MS is invalid: \"5s\" is not a whole number of milliseconds"
        );
    }

    #[test]
    fn a_bad_account_is_named() {
        let error = settings(&[(ACCOUNT_ID_VAR, "12ab")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "environment variable STEPWISE_ACCOUNT_ID is invalid: \"12ab\" is not a 12-digit account id"
        );
    }

    #[test]
    fn the_engine_takes_the_sdk_region() {
        let settings = settings(&[]).unwrap();
        let without = Config::new(SdkConfig::builder().build(), settings.clone());
        assert!(matches!(without.engine_config(), Err(Error::NoRegion)));
        let sdk = SdkConfig::builder()
            .region(Region::new("eu-west-1"))
            .behavior_version(BehaviorVersion::latest())
            .build();
        let engine = Config::new(sdk, settings).engine_config().unwrap();
        assert_eq!(engine.region, "eu-west-1");
        assert_eq!(engine.account, "000000000000");
        assert_eq!(engine.chain_budget_ms, 5_000);
    }
}
