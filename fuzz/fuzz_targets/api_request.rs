//! The Step Functions API's request decoding and validation: any body, for any operation
//! (or an unknown target), must get an answer in AWS's shape, never a panic or a hang.
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use stepwise_api::Api;
use stepwise_engine::memory::{MemoryQueue, MemoryStore};
use stepwise_engine::{Config, Engine};
use stepwise_fuzz::MAX_INPUT_BYTES;

const OPERATIONS: &[&str] = &[
    "CreateStateMachine",
    "UpdateStateMachine",
    "DescribeStateMachine",
    "ListStateMachines",
    "DeleteStateMachine",
    "PublishStateMachineVersion",
    "ListStateMachineVersions",
    "DeleteStateMachineVersion",
    "CreateStateMachineAlias",
    "DescribeStateMachineAlias",
    "UpdateStateMachineAlias",
    "DeleteStateMachineAlias",
    "ListStateMachineAliases",
    "ValidateStateMachineDefinition",
    "StartExecution",
    "StartSyncExecution",
    "DescribeExecution",
    "ListExecutions",
    "StopExecution",
    "RedriveExecution",
    "DescribeStateMachineForExecution",
    "GetExecutionHistory",
    "SendTaskSuccess",
    "SendTaskFailure",
    "SendTaskHeartbeat",
];

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    if data.is_empty() || data.len() > MAX_INPUT_BYTES {
        return;
    }
    // The first byte picks the operation; past the list, the first line is the target
    // itself (unknown and malformed operation names).
    let (target, body) = match OPERATIONS.get(usize::from(data[0])) {
        Some(operation) => (format!("AWSStepFunctions.{operation}"), &data[1..]),
        None => {
            let rest = &data[1..];
            let cut = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            let target = String::from_utf8_lossy(&rest[..cut]).into_owned();
            (target, rest.get(cut + 1..).unwrap_or_default())
        }
    };
    // A fresh service per input, so every input replays alone. No worker drives the
    // queue, so a synchronous start gives up at once instead of waiting.
    let engine = Engine::new(MemoryStore::default(), MemoryQueue::default(), Config::local());
    let api = Api::new(Arc::new(engine), &Config::local())
        .with_seed(7)
        .with_sync_timeout(Duration::from_millis(1));
    let response = runtime().block_on(api.dispatch(&target, body));
    assert!(
        matches!(response.status, 200 | 400 | 404 | 500),
        "status {} for {target}",
        response.status
    );
    let answer: serde_json::Value =
        serde_json::from_slice(&response.body).expect("every answer is JSON");
    if response.status != 200 {
        assert!(answer.get("__type").is_some(), "an error without __type: {answer}");
    }
});
