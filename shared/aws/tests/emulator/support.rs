//! An emulator endpoint, and a fresh table and queue per test so tests run in parallel.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::Credentials;
use serde_json::{json, Value};
use stepwise_aws::bootstrap::{self, Queues};
use stepwise_aws::config::{Config, Settings};
use stepwise_aws::metrics::RequestCounter;
use stepwise_aws::{DynamoStore, SqsQueue};
use stepwise_core::interp::ChildrenKind;
use stepwise_core::interp::{ExecutionInfo, Frame};
use stepwise_engine::store::{Commit, Creation};
use stepwise_engine::{
    ChildResult, ExecutionRecord, ExecutionStatus, FrameId, FrameRecord, HistoryItem, JoinKey,
    JoinRecord,
};

/// The SDK configuration for the emulator, or `None` (the test prints why and passes)
/// when `AWS_ENDPOINT_URL` is not set.
pub async fn emulator() -> Option<aws_config::SdkConfig> {
    if std::env::var("AWS_ENDPOINT_URL").map_or(true, |v| v.is_empty()) {
        println!("skipped: AWS_ENDPOINT_URL not set");
        return None;
    }
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if std::env::var("AWS_REGION").is_err() {
        loader = loader.region(Region::new("us-east-1"));
    }
    if std::env::var("AWS_ACCESS_KEY_ID").is_err() {
        // LocalStack checks only that a credential is named.
        loader = loader.credentials_provider(Credentials::new("test", "test", None, None, "tests"));
    }
    Some(loader.load().await)
}

/// A name no other test (or earlier run) uses.
pub fn unique(tag: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "stepwise-{tag}-{}-{}-{}",
        std::process::id(),
        nanos % 1_000_000_000_000,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A table and a queue of their own, with clients counted by `counter`.
#[derive(Debug)]
pub struct Fixture {
    pub config: Config,
    pub counter: RequestCounter,
    pub queues: Queues,
    pub table: String,
}

impl Fixture {
    pub async fn new(tag: &str) -> Option<Self> {
        let sdk = emulator().await?;
        let table = unique(tag);
        let settings = Settings::from_lookup(|name| match name {
            "STEPWISE_TABLE" => Some(table.clone()),
            _ => None,
        })
        .expect("settings");
        let config = Config::new(sdk, settings);
        let admin_dynamo = config.dynamodb_client(None);
        let admin_sqs = config.sqs_client(None);
        bootstrap::create_table(&admin_dynamo, &table)
            .await
            .expect("create table");
        let queues = bootstrap::create_queue(&admin_sqs, &table, &format!("{table}-dlq"))
            .await
            .expect("create queue");
        Some(Self {
            config,
            counter: RequestCounter::new(),
            queues,
            table,
        })
    }

    pub fn store(&self) -> DynamoStore {
        DynamoStore::new(
            self.config.dynamodb_client(Some(&self.counter)),
            &self.table,
        )
    }

    pub fn queue(&self) -> SqsQueue {
        SqsQueue::new(
            self.config.sqs_client(Some(&self.counter)),
            &self.queues.url,
        )
    }

    /// An SQS client outside the counter, for the test's own receives and deletes.
    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        self.config.sqs_client(None)
    }

    /// Deletes the table and queues (best effort: the emulator is in memory anyway).
    pub async fn clean_up(self) {
        let _ = self
            .config
            .dynamodb_client(None)
            .delete_table()
            .table_name(&self.table)
            .send()
            .await;
        let sqs = self.sqs();
        for url in [&self.queues.url, &self.queues.dlq_url] {
            let _ = sqs.delete_queue().queue_url(url).send().await;
        }
    }
}

pub fn execution(arn: &str) -> ExecutionRecord {
    ExecutionRecord {
        info: ExecutionInfo {
            id: arn.to_owned(),
            name: "n".to_owned(),
            input: json!({"a": 1}),
            start_time: 1_700_000_000_000,
            role_arn: "arn:aws:iam::000000000000:role/stepwise".to_owned(),
            state_machine_id: "arn:aws:states:us-east-1:000000000000:stateMachine:sm".to_owned(),
            state_machine_name: "sm".to_owned(),
            redrive_count: 0,
            redrive_time: None,
        },
        definition_hash: "d41d8cd98f00b204e9800998ecf8427e".to_owned(),
        status: ExecutionStatus::Running,
        output: None,
        failure: None,
        stop_time: None,
        redrive_token: None,
        test_case: None,
        parent: None,
    }
}

pub const DEFINITION: &str = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;

pub fn frame(id: FrameId, version: u64, input: Value) -> FrameRecord {
    let definition = stepwise_core::definition::parse(DEFINITION).expect("definition");
    FrameRecord {
        id,
        version,
        frame: Frame::root(&definition, input, 0),
        next_event_id: 1,
        outbox: Vec::new(),
        cause: None,
        origin: None,
        task: None,
        parent: None,
        progress: Default::default(),
    }
}

pub fn arn(tag: &str) -> String {
    format!(
        "arn:aws:states:us-east-1:000000000000:execution:sm:{}",
        unique(tag)
    )
}

pub fn history(frame: &FrameId, version: u64, what: &str) -> HistoryItem {
    HistoryItem {
        frame: frame.clone(),
        version,
        events: vec![json!({"type": what, "timestamp": "2024-01-01T00:00:00.000Z", "n": version})],
    }
}

/// A commit of `record` (at `record.version`) over `record.version - 1`.
pub fn commit(arn: &str, record: FrameRecord) -> Commit {
    Commit {
        execution: arn.to_owned(),
        expected_version: record.version.saturating_sub(1),
        frame: record,
        history: None,
        child_result: None,
        finish: None,
        close_join: None,
    }
}

pub fn creation(arn: &str, input: Value) -> Creation {
    let root = frame(FrameId::root(), 1, input.clone());
    let mut execution = execution(arn);
    execution.info.input = input;
    Creation {
        execution,
        definition: DEFINITION.to_owned(),
        root: Commit {
            history: Some(history(&FrameId::root(), 1, "ExecutionStarted")),
            ..commit(arn, root)
        },
    }
}

pub fn child_result(index: u32, outcome: Value) -> ChildResult {
    serde_json::from_value(json!({"index": index, "outcome": outcome})).expect("child result")
}

pub fn join(parent: FrameId, version: u64, total: u32) -> JoinRecord {
    JoinRecord {
        key: JoinKey { parent, version },
        kind: ChildrenKind::Map,
        state: "Each".to_owned(),
        total,
        tolerance: None,
        succeeded: 0,
        failed: 0,
        failed_items: 0,
        closed: false,
        collector: None,
        feed: None,
        feed_failure: None,
        max_concurrency: None,
        paged: false,
    }
}

pub fn ended(record: &ExecutionRecord, status: ExecutionStatus) -> ExecutionRecord {
    let mut ended = record.clone();
    ended.status = status;
    ended.stop_time = Some(1_700_000_001_000);
    ended.output = Some(json!({"done": true}));
    ended
}
