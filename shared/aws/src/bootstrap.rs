//! Creating the table and queues Stepwise needs, idempotently (for tests and first runs;
//! production uses the Terraform module).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TableStatus,
    TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use tracing::debug;

/// How long a new table may take to become `ACTIVE`.
const TABLE_DEADLINE: Duration = Duration::from_secs(60);

/// Messages received this many times without being deleted go to the dead-letter queue.
const MAX_RECEIVE_COUNT: u32 = 5;

/// Seconds a received message stays hidden: longer than a handler may run.
const VISIBILITY_TIMEOUT_SECONDS: u32 = 60;

/// The attribute DynamoDB's TTL reads (epoch seconds).
pub const TTL_ATTRIBUTE: &str = "expires_at";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("DynamoDB {operation}: {message}")]
    Dynamo {
        operation: &'static str,
        message: String,
    },
    #[error("SQS {operation}: {message}")]
    Sqs {
        operation: &'static str,
        message: String,
    },
    #[error("table {0} was not ACTIVE within {TABLE_DEADLINE:?}")]
    NotActive(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

fn dynamo(operation: &'static str) -> impl FnOnce(String) -> Error {
    move |message| Error::Dynamo { operation, message }
}

fn sqs(operation: &'static str) -> impl FnOnce(String) -> Error {
    move |message| Error::Sqs { operation, message }
}

/// Creates the table (`pk` HASH, `sk` RANGE, strings, on demand) unless it exists, waits
/// until it is `ACTIVE`, and turns on TTL on [`TTL_ATTRIBUTE`] where the service allows.
pub async fn create_table(client: &aws_sdk_dynamodb::Client, name: &str) -> Result<()> {
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(|e| dynamo("CreateTable")(e.to_string()))
    };
    let key = |name: &str, key_type| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .map_err(|e| dynamo("CreateTable")(e.to_string()))
    };
    let created = client
        .create_table()
        .table_name(name)
        .attribute_definitions(attribute("pk")?)
        .attribute_definitions(attribute("sk")?)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await;
    match created {
        Ok(_) => debug!(table = name, "table created"),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) =>
        {
            debug!(table = name, "table exists");
        }
        Err(e) => {
            return Err(dynamo("CreateTable")(
                aws_sdk_dynamodb::error::DisplayErrorContext(&e).to_string(),
            ))
        }
    }
    wait_until_active(client, name).await?;
    let ttl = TimeToLiveSpecification::builder()
        .attribute_name(TTL_ATTRIBUTE)
        .enabled(true)
        .build()
        .map_err(|e| dynamo("UpdateTimeToLive")(e.to_string()))?;
    // Retention is a nicety: an emulator without TTL, or TTL already on (a second run
    // gets a ValidationException), must not fail the setup.
    if let Err(e) = client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(ttl)
        .send()
        .await
    {
        debug!(table = name, error = %aws_sdk_dynamodb::error::DisplayErrorContext(&e), "TTL not enabled");
    }
    Ok(())
}

async fn wait_until_active(client: &aws_sdk_dynamodb::Client, name: &str) -> Result<()> {
    let deadline = Instant::now() + TABLE_DEADLINE;
    loop {
        let described = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(|e| {
                dynamo("DescribeTable")(
                    aws_sdk_dynamodb::error::DisplayErrorContext(&e).to_string(),
                )
            })?;
        let status = described.table().and_then(|t| t.table_status());
        if status == Some(&TableStatus::Active) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(Error::NotActive(name.to_owned()));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A queue and its dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queues {
    pub url: String,
    pub dlq_url: String,
}

/// Creates the dead-letter queue `dlq`, then queue `name` (visibility timeout 60 s,
/// redrive to `dlq` after 5 receives); an existing queue is brought to these settings.
pub async fn create_queue(client: &aws_sdk_sqs::Client, name: &str, dlq: &str) -> Result<Queues> {
    let dlq_url = ensure_queue(client, dlq, HashMap::new()).await?;
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| {
            sqs("GetQueueAttributes")(aws_sdk_sqs::error::DisplayErrorContext(&e).to_string())
        })?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| sqs("GetQueueAttributes")(format!("queue {dlq} has no QueueArn")))?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": MAX_RECEIVE_COUNT.to_string(),
    });
    let attributes = HashMap::from([
        (
            QueueAttributeName::VisibilityTimeout,
            VISIBILITY_TIMEOUT_SECONDS.to_string(),
        ),
        (QueueAttributeName::RedrivePolicy, redrive.to_string()),
    ]);
    let url = ensure_queue(client, name, attributes).await?;
    Ok(Queues { url, dlq_url })
}

/// Creates the queue, or, when it exists with other attributes, sets them.
async fn ensure_queue(
    client: &aws_sdk_sqs::Client,
    name: &str,
    attributes: HashMap<QueueAttributeName, String>,
) -> Result<String> {
    let created = client
        .create_queue()
        .queue_name(name)
        .set_attributes((!attributes.is_empty()).then(|| attributes.clone()))
        .send()
        .await;
    match created {
        Ok(output) => output
            .queue_url
            .ok_or_else(|| sqs("CreateQueue")(format!("no URL for queue {name}"))),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_queue_name_exists()) =>
        {
            let url = client
                .get_queue_url()
                .queue_name(name)
                .send()
                .await
                .map_err(|e| {
                    sqs("GetQueueUrl")(aws_sdk_sqs::error::DisplayErrorContext(&e).to_string())
                })?
                .queue_url
                .ok_or_else(|| sqs("GetQueueUrl")(format!("no URL for queue {name}")))?;
            client
                .set_queue_attributes()
                .queue_url(&url)
                .set_attributes(Some(attributes))
                .send()
                .await
                .map_err(|e| {
                    sqs("SetQueueAttributes")(
                        aws_sdk_sqs::error::DisplayErrorContext(&e).to_string(),
                    )
                })?;
            Ok(url)
        }
        Err(e) => Err(sqs("CreateQueue")(
            aws_sdk_sqs::error::DisplayErrorContext(&e).to_string(),
        )),
    }
}
