//! The names and settings the code, the Terraform module and the emulator bootstrap share:
//! environment variables, the table's keys, index and TTL attribute, and the queues.
//!
//! Their one source of truth is `infra/modules/stepwise/names.json`: the Terraform module
//! reads it with `jsondecode(file(…))`, `localstack/bootstrap.py` at run time, and the test
//! below requires these constants to spell out exactly that file (every key, both ways),
//! so a change on either side that is not made on the other fails `cargo test`. Constants
//! rather than a parse at start-up: a Lambda cold start reads no file, and a typo is a
//! compile error.

/// Environment variable: the DynamoDB table.
pub const TABLE_VAR: &str = "STEPWISE_TABLE";
/// Environment variable: the account in execution ARNs.
pub const ACCOUNT_ID_VAR: &str = "STEPWISE_ACCOUNT_ID";
/// Environment variable: the URL of the queue `functions/start` consumes.
pub const START_QUEUE_URL_VAR: &str = "STEPWISE_START_QUEUE_URL";
/// Environment variable: the URL of the step-message queue `functions/advance` consumes
/// (named "steps" before there were three queues; the name is kept for deployments).
pub const STEPS_QUEUE_URL_VAR: &str = "STEPWISE_STEPS_QUEUE_URL";
/// Environment variable: the URL of the queue `functions/complete` consumes.
pub const COMPLETE_QUEUE_URL_VAR: &str = "STEPWISE_COMPLETE_QUEUE_URL";

/// The table's partition key (a string).
pub const PARTITION_KEY: &str = "pk";
/// The table's sort key (a string).
pub const SORT_KEY: &str = "sk";
/// The attribute DynamoDB's TTL reads (epoch seconds).
pub const TTL_ATTRIBUTE: &str = "expires_at";

/// A global secondary index; its keys are strings, and it projects every attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Index {
    pub name: &'static str,
    pub partition_key: &'static str,
    pub sort_key: &'static str,
}

/// Executions listed by state machine, newest last. Only an execution's `META` item
/// carries these attributes, so the index is sparse:
/// - `gsi1pk` = the state machine's ARN;
/// - `gsi1sk` = the start time in epoch milliseconds, zero-padded to 20 digits, `#`, the
///   execution's ARN (`00000001700000000000#arn:aws:states:…:execution:sm:name`), so
///   byte order is start order and two executions started in the same millisecond differ.
pub const BY_STATE_MACHINE: Index = Index {
    name: "by_state_machine",
    partition_key: "gsi1pk",
    sort_key: "gsi1sk",
};

/// Every index of the table.
pub const INDEXES: [Index; 1] = [BY_STATE_MACHINE];

/// One queue Stepwise consumes, and how it is set up. Its name is `<prefix>-<key>` and
/// its dead-letter queue's `<prefix>-<key>-dlq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueSpec {
    /// The logical name: the suffix of the queue's name.
    pub key: &'static str,
    /// The function whose event source mapping reads it (a key of [`FUNCTIONS`]).
    pub consumer: &'static str,
    /// At least six times the consumer's timeout, as AWS advises for Lambda triggers:
    /// a batch that is retried within one invocation must not reappear meanwhile.
    pub visibility_timeout_seconds: u32,
    /// Receives before a message goes to the dead-letter queue (invariant 6: a poison
    /// message ends there, never in a retry loop).
    pub max_receive_count: u32,
    pub message_retention_seconds: u32,
    /// The longest SQS allows (14 days), so an operator has time to redrive.
    pub dlq_message_retention_seconds: u32,
}

impl QueueSpec {
    pub fn name(&self, prefix: &str) -> String {
        format!("{prefix}-{}", self.key)
    }

    pub fn dlq_name(&self, prefix: &str) -> String {
        format!("{prefix}-{}-dlq", self.key)
    }
}

const FOUR_DAYS: u32 = 4 * 24 * 3600;
const FOURTEEN_DAYS: u32 = 14 * 24 * 3600;

/// StartExecution requests sent asynchronously (by the API, or by a user's producer).
pub const START_QUEUE: QueueSpec = QueueSpec {
    key: "start",
    consumer: "start",
    visibility_timeout_seconds: 180,
    max_receive_count: 5,
    message_retention_seconds: FOUR_DAYS,
    dlq_message_retention_seconds: FOURTEEN_DAYS,
};

/// Step messages (`stepwise_engine::Message`).
pub const ADVANCE_QUEUE: QueueSpec = QueueSpec {
    key: "advance",
    consumer: "advance",
    visibility_timeout_seconds: 360,
    max_receive_count: 5,
    message_retention_seconds: FOUR_DAYS,
    dlq_message_retention_seconds: FOURTEEN_DAYS,
};

/// SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat sent asynchronously.
pub const COMPLETE_QUEUE: QueueSpec = QueueSpec {
    key: "complete",
    consumer: "complete",
    visibility_timeout_seconds: 180,
    max_receive_count: 5,
    message_retention_seconds: FOUR_DAYS,
    dlq_message_retention_seconds: FOURTEEN_DAYS,
};

/// Every queue, with the environment variable that carries its URL.
pub const QUEUES: [(QueueSpec, &str); 3] = [
    (START_QUEUE, START_QUEUE_URL_VAR),
    (ADVANCE_QUEUE, STEPS_QUEUE_URL_VAR),
    (COMPLETE_QUEUE, COMPLETE_QUEUE_URL_VAR),
];

/// One Lambda function: its cargo binary (`target/lambda/<binary>/bootstrap.zip`) and
/// the defaults the Terraform module deploys it with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionSpec {
    pub key: &'static str,
    pub binary: &'static str,
    pub timeout_seconds: u32,
    pub memory_mb: u32,
}

/// The four functions. The API's timeout stays under API Gateway's 30 s integration limit.
pub const FUNCTIONS: [FunctionSpec; 4] = [
    FunctionSpec {
        key: "start",
        binary: "stepwise-start",
        timeout_seconds: 30,
        memory_mb: 256,
    },
    FunctionSpec {
        key: "advance",
        binary: "stepwise-advance",
        timeout_seconds: 60,
        memory_mb: 512,
    },
    FunctionSpec {
        key: "complete",
        binary: "stepwise-complete",
        timeout_seconds: 30,
        memory_mb: 256,
    },
    FunctionSpec {
        key: "api",
        binary: "stepwise-api",
        timeout_seconds: 29,
        memory_mb: 256,
    },
];

#[cfg(test)]
mod tests {
    use serde_json::{json, Map, Value};

    use super::*;

    const NAMES_JSON: &str = include_str!("../../../infra/modules/stepwise/names.json");

    /// What `names.json` must hold, built from the constants.
    fn expected() -> Value {
        let key = |name: &str| json!({"name": name, "type": "S"});
        let queue_urls: Map<String, Value> = QUEUES
            .iter()
            .map(|(q, var)| (q.key.to_owned(), json!(var)))
            .collect();
        let queues: Map<String, Value> = QUEUES
            .iter()
            .map(|(q, _)| {
                let spec = json!({
                    "consumer": q.consumer,
                    "visibility_timeout_seconds": q.visibility_timeout_seconds,
                    "max_receive_count": q.max_receive_count,
                    "message_retention_seconds": q.message_retention_seconds,
                    "dlq_message_retention_seconds": q.dlq_message_retention_seconds,
                });
                (q.key.to_owned(), spec)
            })
            .collect();
        let functions: Map<String, Value> = FUNCTIONS
            .iter()
            .map(|f| {
                let spec = json!({
                    "binary": f.binary,
                    "timeout_seconds": f.timeout_seconds,
                    "memory_mb": f.memory_mb,
                });
                (f.key.to_owned(), spec)
            })
            .collect();
        let indexes: Vec<Value> = INDEXES
            .iter()
            .map(|i| {
                json!({
                    "name": i.name,
                    "partition_key": key(i.partition_key),
                    "sort_key": key(i.sort_key),
                    "projection": "ALL",
                })
            })
            .collect();
        json!({
            "environment": {
                "table": TABLE_VAR,
                "account_id": ACCOUNT_ID_VAR,
                "queue_urls": queue_urls,
            },
            "table": {
                "partition_key": key(PARTITION_KEY),
                "sort_key": key(SORT_KEY),
                "ttl_attribute": TTL_ATTRIBUTE,
                "indexes": indexes,
            },
            "queues": queues,
            "functions": functions,
            "queue_naming": {
                "queue": "{prefix}-{queue}",
                "dead_letter_queue": "{prefix}-{queue}-dlq",
            },
        })
    }

    #[test]
    fn the_constants_spell_out_names_json() {
        let mut file: Value = serde_json::from_str(NAMES_JSON).unwrap();
        file.as_object_mut().unwrap().remove("comment");
        assert_eq!(
            file,
            expected(),
            "infra/modules/stepwise/names.json and shared/aws/src/names.rs differ"
        );
    }

    #[test]
    fn queue_names_follow_the_naming_rule() {
        assert_eq!(ADVANCE_QUEUE.name("sw"), "sw-advance");
        assert_eq!(ADVANCE_QUEUE.dlq_name("sw"), "sw-advance-dlq");
    }

    #[test]
    fn visibility_is_at_least_six_consumer_timeouts() {
        for (queue, _) in QUEUES {
            let consumer = FUNCTIONS.iter().find(|f| f.key == queue.consumer).unwrap();
            assert!(
                queue.visibility_timeout_seconds >= 6 * consumer.timeout_seconds,
                "queue {}: {} s < 6 × {} s",
                queue.key,
                queue.visibility_timeout_seconds,
                consumer.timeout_seconds
            );
        }
    }
}
