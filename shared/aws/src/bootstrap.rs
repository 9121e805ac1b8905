//! Creating the table and queues Stepwise needs, idempotently (for tests and first runs;
//! production uses the Terraform module). Names and settings come from [`crate::names`],
//! which the module and `localstack/bootstrap.py` share, and a test in `infra/tests` runs
//! this and the Python bootstrap side by side on the emulator and compares what they made.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use tracing::debug;

use crate::names::{self, QueueSpec};

/// How long a new table may take to become `ACTIVE`.
const TABLE_DEADLINE: Duration = Duration::from_secs(60);

pub use crate::names::TTL_ATTRIBUTE;

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

/// Creates the table (`pk` HASH, `sk` RANGE, strings, on demand, with the
/// [`names::INDEXES`]) unless it exists, waits until it is `ACTIVE`, and turns on TTL on
/// [`TTL_ATTRIBUTE`] where the service allows. An existing table is left as it is.
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
    let mut request = client
        .create_table()
        .table_name(name)
        .attribute_definitions(attribute(names::PARTITION_KEY)?)
        .attribute_definitions(attribute(names::SORT_KEY)?)
        .key_schema(key(names::PARTITION_KEY, KeyType::Hash)?)
        .key_schema(key(names::SORT_KEY, KeyType::Range)?)
        .billing_mode(BillingMode::PayPerRequest);
    for index in names::INDEXES {
        let gsi = GlobalSecondaryIndex::builder()
            .index_name(index.name)
            .key_schema(key(index.partition_key, KeyType::Hash)?)
            .key_schema(key(index.sort_key, KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .map_err(|e| dynamo("CreateTable")(e.to_string()))?;
        request = request
            .attribute_definitions(attribute(index.partition_key)?)
            .attribute_definitions(attribute(index.sort_key)?)
            .global_secondary_indexes(gsi);
    }
    let created = request.send().await;
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

/// The table and every queue of one deployment, as [`create_all`] made them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resources {
    pub table: String,
    /// In the order of [`names::QUEUES`], with each queue's logical key.
    pub queues: Vec<(&'static str, Queues)>,
}

/// What the Terraform module creates: table `prefix` and, for each of [`names::QUEUES`],
/// queue `<prefix>-<key>` with its dead-letter queue `<prefix>-<key>-dlq`.
pub async fn create_all(
    dynamodb: &aws_sdk_dynamodb::Client,
    sqs: &aws_sdk_sqs::Client,
    prefix: &str,
) -> Result<Resources> {
    create_table(dynamodb, prefix).await?;
    let mut queues = Vec::new();
    for (spec, _) in names::QUEUES {
        let made = create_queue_as(sqs, &spec.name(prefix), &spec.dlq_name(prefix), &spec).await?;
        queues.push((spec.key, made));
    }
    Ok(Resources {
        table: prefix.to_owned(),
        queues,
    })
}

/// [`create_queue_as`] with the step-message queue's settings ([`names::ADVANCE_QUEUE`]).
pub async fn create_queue(client: &aws_sdk_sqs::Client, name: &str, dlq: &str) -> Result<Queues> {
    create_queue_as(client, name, dlq, &names::ADVANCE_QUEUE).await
}

/// Creates the dead-letter queue `dlq`, then queue `name` with `spec`'s visibility timeout,
/// retention and redrive to `dlq`; an existing queue is brought to these settings.
pub async fn create_queue_as(
    client: &aws_sdk_sqs::Client,
    name: &str,
    dlq: &str,
    spec: &QueueSpec,
) -> Result<Queues> {
    let dlq_attributes = HashMap::from([(
        QueueAttributeName::MessageRetentionPeriod,
        spec.dlq_message_retention_seconds.to_string(),
    )]);
    let dlq_url = ensure_queue(client, dlq, dlq_attributes).await?;
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
        "maxReceiveCount": spec.max_receive_count,
    });
    let attributes = HashMap::from([
        (
            QueueAttributeName::VisibilityTimeout,
            spec.visibility_timeout_seconds.to_string(),
        ),
        (
            QueueAttributeName::MessageRetentionPeriod,
            spec.message_retention_seconds.to_string(),
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
