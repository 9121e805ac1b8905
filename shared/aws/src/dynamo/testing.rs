//! Records for unit tests.

use serde_json::json;
use stepwise_core::interp::{ExecutionInfo, Frame};
use stepwise_engine::{ExecutionRecord, ExecutionStatus, FrameId, FrameRecord};

pub(crate) fn execution(arn: &str, status: ExecutionStatus) -> ExecutionRecord {
    ExecutionRecord {
        info: ExecutionInfo {
            id: arn.to_owned(),
            name: "n".to_owned(),
            input: json!({"a": 1}),
            start_time: 1_700_000_000_000,
            role_arn: "arn:aws:iam::000000000000:role/stepwise".to_owned(),
            state_machine_id: "arn:aws:states:local:000000000000:stateMachine:sm".to_owned(),
            state_machine_name: "sm".to_owned(),
            redrive_count: 0,
            redrive_time: None,
        },
        definition_hash: "abc".to_owned(),
        status,
        output: None,
        failure: None,
        stop_time: None,
        redrive_token: None,
        test_case: None,
        parent: None,
    }
}

pub(crate) fn frame(id: FrameId, version: u64) -> FrameRecord {
    let definition = stepwise_core::definition::parse(
        r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#,
    )
    .expect("a valid definition");
    FrameRecord {
        id,
        version,
        frame: Frame::root(&definition, json!({"x": 1}), 0),
        next_event_id: 1,
        outbox: Vec::new(),
        cause: None,
        origin: None,
        task: None,
        parent: None,
        progress: Default::default(),
    }
}
