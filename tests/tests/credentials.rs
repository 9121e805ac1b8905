//! Task `Credentials` through the functions on the emulator: the call is made as the
//! assumed role, so it lands in the role's account.
//!
//! LocalStack keeps one set of resources per account and picks the account from the
//! caller's credentials: a 12-digit access key id names that account, and credentials
//! from STS AssumeRole belong to the role's account. A queue is created in account
//! 222222222222; the Task sends to it by queue *name*, which LocalStack resolves in the
//! caller's account (a full queue URL names the account itself, so it would find the
//! queue whatever the credentials). On AWS the same task would name the queue by URL and
//! the role would need `sqs:SendMessage` on it.

use std::time::Duration;

use anyhow::{anyhow, Context};
use aws_sdk_sqs::config::Credentials;
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::{json, Value};
use stepwise_engine::{ExecutionRecord, ExecutionStatus};
use stepwise_tests::harness::{emulator, expect_succeeded, unique, Harness};

const DEADLINE: Duration = Duration::from_secs(60);
const TARGET_ACCOUNT: &str = "222222222222";

/// An SQS client in `account` (LocalStack: the access key id names the account).
async fn sqs_in(account: &str) -> anyhow::Result<aws_sdk_sqs::Client> {
    let sdk = emulator().await.context("emulator")?;
    let config = aws_sdk_sqs::config::Builder::from(&sdk)
        .credentials_provider(Credentials::new(account, "test", None, None, "tests"))
        .build();
    Ok(aws_sdk_sqs::Client::from_conf(config))
}

async fn messages_in(sqs: &aws_sdk_sqs::Client, url: &str) -> anyhow::Result<Vec<String>> {
    let mut bodies = Vec::new();
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        let received = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .map_err(|e| anyhow!("SQS ReceiveMessage: {}", DisplayErrorContext(&e)))?;
        let batch = received.messages();
        if batch.is_empty() && !bodies.is_empty() {
            break;
        }
        bodies.extend(batch.iter().filter_map(|m| m.body().map(str::to_owned)));
    }
    Ok(bodies)
}

/// Sends `$.body` to the queue named `queue`, as `Credentials` (absent when `None`) say.
fn sender(queue: &str, credentials: Option<Value>) -> Value {
    let mut send = json!({"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": queue, "MessageBody.$": "$.body"},
        "ResultSelector": {"sent.$": "$.MessageId"}, "End": true});
    if let Some(credentials) = credentials {
        send["Credentials"] = credentials;
    }
    json!({"StartAt": "Send", "States": {"Send": send}})
}

async fn run(
    harness: &Harness,
    machine: &str,
    definition: &Value,
    input: Value,
) -> anyhow::Result<ExecutionRecord> {
    let arn = harness.start(machine, definition, None, input).await?;
    Ok(harness.run(&arn, 1, DEADLINE).await?.0)
}

fn failure_of(record: &ExecutionRecord) -> anyhow::Result<(String, String)> {
    anyhow::ensure!(
        record.status == ExecutionStatus::Failed,
        "expected FAILED, got {} ({:?})",
        record.status.as_str(),
        record.output
    );
    let failure = record.failure.as_ref().context("a failure")?;
    Ok((
        failure.error.clone().unwrap_or_default(),
        failure.cause.clone().unwrap_or_default(),
    ))
}

#[tokio::test]
async fn a_task_with_credentials_calls_as_the_role_in_its_account() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("creds").await? else {
        return Ok(());
    };
    let target = sqs_in(TARGET_ACCOUNT).await?;
    let queue = unique("creds-target");
    let url = target
        .create_queue()
        .queue_name(&queue)
        .send()
        .await
        .map_err(|e| anyhow!("SQS CreateQueue: {}", DisplayErrorContext(&e)))?
        .queue_url()
        .context("a queue URL")?
        .to_owned();
    let result = scenarios(&harness, &target, &queue, &url).await;
    let _ = target.delete_queue().queue_url(&url).send().await;
    harness.clean_up().await;
    result
}

async fn scenarios(
    harness: &Harness,
    target: &aws_sdk_sqs::Client,
    queue: &str,
    url: &str,
) -> anyhow::Result<()> {
    let by_input = sender(queue, Some(json!({"RoleArn.$": "$.role"})));
    let role = |account: &str| format!("arn:aws:iam::{account}:role/stepwise-sender");

    // As a role in the queue's account: the message arrives there. Twice, through two
    // executions: the second reuses the cached credentials.
    harness.counter().reset();
    for n in 1..=2 {
        let record = run(
            harness,
            "creds-ok",
            &by_input,
            json!({"role": role(TARGET_ACCOUNT), "body": format!("hello {n}")}),
        )
        .await?;
        let output = expect_succeeded(&record)?;
        assert!(output["sent"].is_string(), "{output}");
        // History shows the role, as Step Functions' TaskScheduled does.
        let history = harness.history(record.arn()).await?;
        let scheduled = history
            .iter()
            .find(|e| e["type"] == "TaskScheduled")
            .context("a TaskScheduled event")?;
        assert_eq!(
            scheduled["taskScheduledEventDetails"]["taskCredentials"],
            json!({"roleArn": role(TARGET_ACCOUNT)})
        );
    }
    let mut bodies = messages_in(target, url).await?;
    bodies.sort();
    assert_eq!(bodies, ["hello 1", "hello 2"]);
    let counts = harness.counter().snapshot();
    println!("requests for two sends as one role: {counts:?}");
    assert_eq!(counts.get("STS.AssumeRole"), Some(&1), "{counts:?}");

    // Without Credentials the call is made in Stepwise's own account, where the queue
    // does not exist: the SQS error AWS gives for a missing queue.
    let record = run(
        harness,
        "creds-none",
        &sender(queue, None),
        json!({"body": "x"}),
    )
    .await?;
    let (error, cause) = failure_of(&record)?;
    assert_eq!(error, "SQS.QueueDoesNotExistException", "{cause}");
    assert!(
        cause.contains("AWS.SimpleQueueService.NonExistentQueue"),
        "{cause}"
    );

    // As a role in another account: the same error, from that account.
    let record = run(
        harness,
        "creds-other",
        &by_input,
        json!({"role": role("333333333333"), "body": "x"}),
    )
    .await?;
    let (error, cause) = failure_of(&record)?;
    assert_eq!(error, "SQS.QueueDoesNotExistException", "{cause}");

    // A role STS refuses: the task fails before any call, naming the role.
    let record = run(
        harness,
        "creds-invalid",
        &by_input,
        json!({"role": "not-an-arn", "body": "x"}),
    )
    .await?;
    let (error, cause) = failure_of(&record)?;
    assert_eq!(error, "States.TaskFailed", "{cause}");
    assert!(
        cause.starts_with("Could not assume role 'not-an-arn' for the task: "),
        "{cause}"
    );
    assert!(
        cause.contains("Service: AWSSecurityTokenService"),
        "{cause}"
    );

    // Nothing else reached the queue.
    let depth = target
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .map_err(|e| anyhow!("SQS GetQueueAttributes: {}", DisplayErrorContext(&e)))?;
    let visible = depth
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages))
        .map(String::as_str);
    assert_eq!(visible, Some("0"));
    Ok(())
}
