//! `RedriveExecution` on DynamoDB and SQS: a Task that failed while its resource was down
//! runs again after the redrive, and the execution succeeds with its history kept.
//! Prints the AWS requests the redrive itself cost.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use stepwise_core::failure::Failure;
use stepwise_core::interp::TaskRequest;
use stepwise_engine::queue::Queue;
use stepwise_engine::store::Store;
use stepwise_engine::{
    Clock, Engine, ExecutionStatus, Message, StartRequest, SystemClock, TaskInvoker,
};

use crate::support::Fixture;

/// A task resource that fails while `down` calls remain, then answers.
#[derive(Debug)]
struct Flaky {
    down: AtomicU32,
}

impl TaskInvoker for Flaky {
    async fn invoke(&self, _execution: &str, _request: &TaskRequest) -> Result<Value, Failure> {
        let failing = self
            .down
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            return Err(Failure::new("Outage", "the service is down"));
        }
        Ok(json!({"ok": true}))
    }
}

/// Receives and handles messages until the execution has ended.
async fn run_to_end<S: Store, Q: Queue, T: TaskInvoker, C: Clock>(
    engine: &Engine<S, Q, T, C>,
    fixture: &Fixture,
    arn: &str,
) -> ExecutionStatus {
    let sqs = fixture.sqs();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let record = engine.describe(arn).await.unwrap();
        if !record.is_running() {
            return record.status;
        }
        assert!(Instant::now() < deadline, "still running after 60 s");
        let received = sqs
            .receive_message()
            .queue_url(&fixture.queues.url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .visibility_timeout(5)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default();
        for message in received {
            let body = message.body.as_deref().unwrap_or_default();
            let parsed = Message::from_json(body).expect("a message body");
            engine.handle(parsed, 1).await.unwrap();
            sqs.delete_message()
                .queue_url(&fixture.queues.url)
                .set_receipt_handle(message.receipt_handle)
                .send()
                .await
                .unwrap();
        }
    }
}

fn count(history: &[Value], kind: &str) -> usize {
    history.iter().filter(|e| e["type"] == kind).count()
}

#[tokio::test]
async fn a_failed_task_runs_again_after_a_redrive() {
    let Some(fixture) = Fixture::new("redrive").await else {
        return;
    };
    let engine = Engine::with(
        fixture.store(),
        fixture.queue(),
        Flaky {
            down: AtomicU32::new(1),
        },
        SystemClock,
        fixture.config.engine_config().unwrap(),
    );
    let definition = json!({"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Result": 7, "ResultPath": "$.prepared", "Next": "Charge"},
        "Charge": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:charge",
                   "ResultPath": "$.charged", "Next": "Count"},
        "Count": {"Type": "Pass", "Parameters": {"redriveCount.$": "$$.Execution.RedriveCount",
                                                  "prepared.$": "$.prepared"}, "End": true}}});
    let arn = engine
        .start(StartRequest::new("redrive", &definition.to_string(), json!({})).named("r-1"))
        .await
        .unwrap()
        .execution_arn;
    assert_eq!(
        run_to_end(&engine, &fixture, &arn).await,
        ExecutionStatus::Failed
    );
    let before = engine.history(&arn).await.unwrap();

    let counted = fixture.counter.snapshot();
    let redriven = engine.redrive(&arn, Some("token-1")).await.unwrap();
    let spent: Vec<(String, u64)> = fixture
        .counter
        .snapshot()
        .into_iter()
        .map(|(name, n)| {
            let earlier = counted.get(&name).copied().unwrap_or(0);
            (name, n - earlier)
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    println!("requests of one redrive: {spent:?}");
    assert_eq!(redriven.redrive_count, 1);
    // Racing twin with another token: refused, nothing written.
    assert!(engine.redrive(&arn, Some("token-2")).await.is_err());

    assert_eq!(
        run_to_end(&engine, &fixture, &arn).await,
        ExecutionStatus::Succeeded
    );
    let record = engine.describe(&arn).await.unwrap();
    assert_eq!(
        record.output,
        Some(json!({"redriveCount": 1, "prepared": 7}))
    );
    assert_eq!(record.info.redrive_count, 1);
    let after = engine.history(&arn).await.unwrap();
    assert_eq!(after[..before.len()], before[..]);
    assert_eq!(after[before.len()]["type"], "ExecutionRedriven");
    assert_eq!(count(&after, "ExecutionRedriven"), 1);
    // The same token again is the same redrive.
    assert_eq!(
        engine.redrive(&arn, Some("token-1")).await.unwrap(),
        redriven
    );
    fixture.clean_up().await;
}
