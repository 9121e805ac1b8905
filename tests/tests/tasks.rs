//! Task states through the functions on the emulator: SQS and DynamoDB integrations, and
//! callbacks (`.waitForTaskToken`) delivered through the complete queue.

use std::time::Duration;

use anyhow::{anyhow, Context};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use serde_json::{json, Value};
use stepwise_complete::Callback;
use stepwise_engine::ExecutionStatus;
use stepwise_tests::harness::{event_sequence, expect_succeeded, unique, Harness};
use stepwise_tests::poller::Poller;

const DEADLINE: Duration = Duration::from_secs(60);

/// Receives one message from `poller`'s queue, within the deadline.
async fn receive_one(poller: &Poller) -> anyhow::Result<Value> {
    let started = std::time::Instant::now();
    while started.elapsed() < DEADLINE {
        if let Some(event) = poller.receive().await? {
            let record = event.records.first().context("an empty batch")?;
            let body = record.body.as_deref().context("no body")?;
            return serde_json::from_str(body).context("the task's message is JSON");
        }
    }
    Err(anyhow!(
        "no message on {} in {DEADLINE:?}",
        poller.queue_url()
    ))
}

/// Polls the complete queue with the complete function until it has handled `count`
/// callbacks.
async fn deliver_callbacks(harness: &Harness, poller: &Poller, count: usize) -> anyhow::Result<()> {
    let handler = harness.complete();
    let mut handled = 0;
    let started = std::time::Instant::now();
    while handled < count {
        anyhow::ensure!(started.elapsed() < DEADLINE, "callbacks not delivered");
        handled += poller.poll_once(&handler).await?;
    }
    Ok(())
}

async fn send(harness: &Harness, url: &str, body: &Callback) -> anyhow::Result<()> {
    harness
        .sqs()
        .send_message()
        .queue_url(url)
        .message_body(serde_json::to_string(body)?)
        .send()
        .await
        .map_err(|e| anyhow!("SQS SendMessage: {e}"))?;
    Ok(())
}

#[tokio::test]
async fn a_callback_task_waits_for_its_token_through_sqs() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("callback").await? else {
        return Ok(());
    };
    let (worker_url, worker) = harness.extra_queue("worker").await?;
    let (complete_url, complete) = harness.extra_queue("complete").await?;
    let definition = json!({"StartAt": "Ask", "States": {
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": worker_url,
                "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$.order"}},
            "ResultPath": "$.approval", "Next": "Done"},
        "Done": {"Type": "Succeed"}}});
    let arn = harness
        .start("callback", &definition, None, json!({"order": 7}))
        .await?;

    let run = harness.run(&arn, 1, DEADLINE);
    let worker_side = async {
        let message = receive_one(&worker).await?;
        assert_eq!(message["order"], json!(7));
        let token = message["token"].as_str().context("a token")?.to_owned();
        // A forged token (right execution, wrong secret) is refused and changes nothing.
        let forged = format!("{}.forged", token.rsplit_once('.').context("dot")?.0);
        let success = |token: &str| Callback::SendTaskSuccess {
            task_token: token.to_owned(),
            output: r#"{"approved":true}"#.to_owned(),
        };
        send(&harness, &complete_url, &success(&forged)).await?;
        deliver_callbacks(&harness, &complete, 1).await?;
        assert_eq!(
            harness.describe(&arn).await?.status,
            ExecutionStatus::Running
        );
        send(&harness, &complete_url, &success(&token)).await?;
        deliver_callbacks(&harness, &complete, 1).await?;
        anyhow::Ok(token)
    };
    let (ran, token) = tokio::join!(run, worker_side);
    let (record, took) = ran?;
    let token = token?;
    println!("callback round trip: {took:?}");
    assert_eq!(
        expect_succeeded(&record)?,
        &json!({"order": 7, "approval": {"approved": true}})
    );
    let history = harness.history(&arn).await?;
    let sequence = event_sequence(&history);
    let tail: Vec<&str> = sequence
        .iter()
        .map(String::as_str)
        .skip(2)
        .take(4)
        .collect();
    assert_eq!(
        tail,
        [
            "TaskScheduled",
            "TaskStarted",
            "TaskSubmitted",
            "TaskSucceeded"
        ]
    );

    // A reused token is answered TaskTimedOut and the callback is not retried.
    let again = stepwise_complete::complete(
        harness.engine().as_ref(),
        Callback::SendTaskSuccess {
            task_token: token.clone(),
            output: "1".to_owned(),
        },
    )
    .await;
    assert_eq!(again.map_err(|e| e.error_type()), Err("TaskTimedOut"));
    harness.clean_up().await;
    Ok(())
}

#[tokio::test]
async fn a_missed_heartbeat_times_the_task_out() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("heartbeat").await? else {
        return Ok(());
    };
    let (worker_url, _worker) = harness.extra_queue("silent-worker").await?;
    let definition = json!({"StartAt": "Ask", "States": {
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": worker_url, "MessageBody": {"token.$": "$$.Task.Token"}},
            "HeartbeatSeconds": 1, "TimeoutSeconds": 30,
            "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "ResultPath": "$.error",
                "Next": "Gave up"}],
            "End": true},
        "Gave up": {"Type": "Pass", "End": true}}});
    let arn = harness
        .start("heartbeat", &definition, None, json!({}))
        .await?;
    let (record, took) = harness.run(&arn, 1, DEADLINE).await?;
    println!("heartbeat timeout after {took:?}");
    let output = expect_succeeded(&record)?;
    assert_eq!(output["error"]["Error"], json!("States.Timeout"));
    let history = harness.history(&arn).await?;
    assert!(
        event_sequence(&history).contains(&"TaskTimedOut".to_owned()),
        "{:?}",
        event_sequence(&history)
    );
    harness.clean_up().await;
    Ok(())
}

#[tokio::test]
async fn dynamodb_tasks_write_and_read_items() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("ddb-task").await? else {
        return Ok(());
    };
    let table = unique("orders");
    let ddb = harness.dynamodb();
    ddb.create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()?,
        )
        .send()
        .await
        .map_err(|e| anyhow!("CreateTable: {e}"))?;
    let definition = json!({"StartAt": "Put", "States": {
        "Put": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
            "Parameters": {"TableName": table,
                "Item": {"id": {"S.$": "$.id"}, "qty": {"N.$": "States.Format('{}', $.qty)"}}},
            "ResultPath": null, "Next": "Get"},
        "Get": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
            "Parameters": {"TableName": table, "Key": {"id": {"S.$": "$.id"}}},
            "ResultSelector": {"item.$": "$.Item"}, "End": true}}});
    let arn = harness
        .start("ddb", &definition, None, json!({"id": "o-1", "qty": 3}))
        .await?;
    let (record, _) = harness.run(&arn, 1, DEADLINE).await?;
    assert_eq!(
        expect_succeeded(&record)?,
        &json!({"item": {"id": {"S": "o-1"}, "qty": {"N": "3"}}})
    );
    harness.clean_up().await;
    Ok(())
}
