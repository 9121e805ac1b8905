//! The two emulator bootstraps agree: `stepwise_aws::bootstrap::create_all` (Rust, used
//! by the tests) and `localstack/bootstrap.py` (used by people and scripts) run against the
//! emulator with distinct prefixes, and DescribeTable, DescribeTimeToLive and
//! GetQueueAttributes of what each made must be the same once the prefix is masked, and
//! must be what `stepwise_aws::names` says (so, what the Terraform module creates).
//!
//! Needs the emulator: without `AWS_ENDPOINT_URL` the test prints "skipped" and passes,
//! as the other emulator tests do (`./scripts/test` starts LocalStack and sets it).

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context as _};
use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::{json, Value};
use stepwise_aws::bootstrap;
use stepwise_aws::names::{self, QUEUES};
use stepwise_infra_tests::repo_root;

async fn emulator() -> Option<aws_config::SdkConfig> {
    if std::env::var("AWS_ENDPOINT_URL").map_or(true, |v| v.is_empty()) {
        println!("skipped: AWS_ENDPOINT_URL not set");
        return None;
    }
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if std::env::var("AWS_REGION").is_err() {
        loader = loader.region(Region::new("us-east-1"));
    }
    if std::env::var("AWS_ACCESS_KEY_ID").is_err() {
        loader = loader.credentials_provider(Credentials::new("test", "test", None, None, "tests"));
    }
    Some(loader.load().await)
}

fn unique(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "stepwise-{tag}-{}-{}",
        std::process::id(),
        nanos % 1_000_000_000
    )
}

/// Runs `localstack/bootstrap.py` with `prefix`; returns the `NAME=value` lines it printed.
fn python_bootstrap(prefix: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let script = repo_root().join("localstack/bootstrap.py");
    let output = Command::new("python3")
        .arg(&script)
        .env("STEPWISE_PREFIX", prefix)
        .output()
        .with_context(|| format!("running python3 {}", script.display()))?;
    if !output.status.success() {
        bail!(
            "{} failed ({}): {}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    String::from_utf8(output.stdout)?
        .lines()
        .map(|line| {
            line.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| anyhow!("bootstrap.py printed {line:?}, not NAME=value"))
        })
        .collect()
}

/// The table's shape, with names in a stable order and `prefix` masked.
async fn describe_table(client: &aws_sdk_dynamodb::Client, name: &str) -> anyhow::Result<Value> {
    let table = client
        .describe_table()
        .table_name(name)
        .send()
        .await
        .map_err(|e| {
            anyhow!(
                "DescribeTable {name}: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(&e)
            )
        })?
        .table
        .ok_or_else(|| anyhow!("DescribeTable {name}: no table"))?;
    let keys = |schema: &[aws_sdk_dynamodb::types::KeySchemaElement]| -> Value {
        schema
            .iter()
            .map(|k| json!([k.attribute_name(), k.key_type().as_str()]))
            .collect()
    };
    let mut attributes: Vec<Value> = table
        .attribute_definitions()
        .iter()
        .map(|a| json!([a.attribute_name(), a.attribute_type().as_str()]))
        .collect();
    attributes.sort_by_key(Value::to_string);
    let mut indexes: Vec<Value> = table
        .global_secondary_indexes()
        .iter()
        .map(|i| {
            json!({
                "name": i.index_name(),
                "keys": keys(i.key_schema()),
                "projection": i.projection().and_then(|p| p.projection_type()).map(|p| p.as_str()),
            })
        })
        .collect();
    indexes.sort_by_key(Value::to_string);
    let ttl = client
        .describe_time_to_live()
        .table_name(name)
        .send()
        .await
        .map_err(|e| {
            anyhow!(
                "DescribeTimeToLive {name}: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(&e)
            )
        })?
        .time_to_live_description
        .and_then(|d| d.attribute_name);
    Ok(json!({
        "keys": keys(table.key_schema()),
        "attributes": attributes,
        "billing": table.billing_mode_summary().and_then(|b| b.billing_mode()).map(|b| b.as_str()),
        "indexes": indexes,
        "ttl": ttl,
    }))
}

/// The attributes a bootstrap sets or that follow from them, with `prefix` masked in the
/// redrive policy's DLQ ARN.
async fn queue_settings(
    client: &aws_sdk_sqs::Client,
    url: &str,
    prefix: &str,
) -> anyhow::Result<Value> {
    let attributes = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .map_err(|e| {
            anyhow!(
                "GetQueueAttributes {url}: {}",
                aws_sdk_sqs::error::DisplayErrorContext(&e)
            )
        })?
        .attributes
        .unwrap_or_default();
    let get = |name: QueueAttributeName| attributes.get(&name).cloned();
    let redrive = get(QueueAttributeName::RedrivePolicy)
        .map(|text| -> anyhow::Result<Value> {
            let policy: Value = serde_json::from_str(&text)?;
            let target = policy["deadLetterTargetArn"].as_str().unwrap_or_default();
            // SQS may keep the count as a string or a number: compare numbers.
            let count = match &policy["maxReceiveCount"] {
                Value::String(s) => s.parse::<u64>()?,
                other => other.as_u64().unwrap_or_default(),
            };
            Ok(json!({
                "target": target.replace(prefix, "<prefix>"),
                "maxReceiveCount": count,
            }))
        })
        .transpose()?;
    Ok(json!({
        "VisibilityTimeout": get(QueueAttributeName::VisibilityTimeout),
        "MessageRetentionPeriod": get(QueueAttributeName::MessageRetentionPeriod),
        "DelaySeconds": get(QueueAttributeName::DelaySeconds),
        "MaximumMessageSize": get(QueueAttributeName::MaximumMessageSize),
        "ReceiveMessageWaitTimeSeconds": get(QueueAttributeName::ReceiveMessageWaitTimeSeconds),
        "RedrivePolicy": redrive,
    }))
}

async fn clean_up(
    dynamodb: &aws_sdk_dynamodb::Client,
    sqs: &aws_sdk_sqs::Client,
    prefix: &str,
    urls: &[String],
) {
    // Best effort: the emulator is in memory anyway.
    let _ = dynamodb.delete_table().table_name(prefix).send().await;
    for url in urls {
        let _ = sqs.delete_queue().queue_url(url).send().await;
    }
}

#[tokio::test]
async fn the_python_and_rust_bootstraps_create_the_same_table_and_queues() -> anyhow::Result<()> {
    let Some(sdk) = emulator().await else {
        return Ok(());
    };
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let (rust_prefix, python_prefix) = (unique("boot-rs"), unique("boot-py"));

    let rust = bootstrap::create_all(&dynamodb, &sqs, &rust_prefix).await?;
    let printed = python_bootstrap(&python_prefix)?;

    let mut rust_urls = Vec::new();
    let mut python_urls = Vec::new();
    let result = async {
        // bootstrap.py prints the variables the functions read, named as config.rs names them.
        assert_eq!(printed.get(names::TABLE_VAR), Some(&python_prefix));
        assert_eq!(rust.table, rust_prefix);
        let rust_table = describe_table(&dynamodb, &rust.table).await?;
        let python_table = describe_table(&dynamodb, &python_prefix).await?;
        assert_eq!(rust_table, python_table, "the two tables differ");
        assert_eq!(
            rust_table,
            json!({
                "keys": [[names::PARTITION_KEY, "HASH"], [names::SORT_KEY, "RANGE"]],
                "attributes": [["gsi1pk", "S"], ["gsi1sk", "S"], ["pk", "S"], ["sk", "S"]],
                "billing": "PAY_PER_REQUEST",
                "indexes": [{
                    "name": names::BY_STATE_MACHINE.name,
                    "keys": [[names::BY_STATE_MACHINE.partition_key, "HASH"],
                             [names::BY_STATE_MACHINE.sort_key, "RANGE"]],
                    "projection": "ALL",
                }],
                "ttl": names::TTL_ATTRIBUTE,
            })
        );

        assert_eq!(rust.queues.len(), QUEUES.len());
        for ((spec, url_var), (key, made)) in QUEUES.iter().zip(&rust.queues) {
            assert_eq!(spec.key, *key);
            let python_url = printed
                .get(*url_var)
                .ok_or_else(|| anyhow!("bootstrap.py printed no {url_var}"))?;
            let python_dlq_url = printed
                .get(&format!("{}_DLQ_URL", url_var.trim_end_matches("_URL")))
                .ok_or_else(|| anyhow!("bootstrap.py printed no DLQ URL for {url_var}"))?;
            rust_urls.extend([made.url.clone(), made.dlq_url.clone()]);
            python_urls.extend([python_url.clone(), python_dlq_url.clone()]);
            assert!(made.url.ends_with(&format!("/{}", spec.name(&rust_prefix))));
            assert!(made
                .dlq_url
                .ends_with(&format!("/{}", spec.dlq_name(&rust_prefix))));
            assert!(python_url.ends_with(&format!("/{}", spec.name(&python_prefix))));
            assert!(python_dlq_url.ends_with(&format!("/{}", spec.dlq_name(&python_prefix))));

            let rust_queue = queue_settings(&sqs, &made.url, &rust_prefix).await?;
            let python_queue = queue_settings(&sqs, python_url, &python_prefix).await?;
            assert_eq!(rust_queue, python_queue, "queue {key} differs");
            assert_eq!(
                rust_queue["VisibilityTimeout"],
                spec.visibility_timeout_seconds.to_string()
            );
            assert_eq!(
                rust_queue["MessageRetentionPeriod"],
                spec.message_retention_seconds.to_string()
            );
            assert_eq!(
                rust_queue["RedrivePolicy"]["maxReceiveCount"],
                spec.max_receive_count
            );
            assert!(rust_queue["RedrivePolicy"]["target"]
                .as_str()
                .is_some_and(|t| t.ends_with(&format!(":{}", spec.dlq_name("<prefix>")))));

            let rust_dlq = queue_settings(&sqs, &made.dlq_url, &rust_prefix).await?;
            let python_dlq = queue_settings(&sqs, python_dlq_url, &python_prefix).await?;
            assert_eq!(rust_dlq, python_dlq, "DLQ of {key} differs");
            assert_eq!(
                rust_dlq["MessageRetentionPeriod"],
                spec.dlq_message_retention_seconds.to_string()
            );
        }
        anyhow::Ok(())
    }
    .await;
    clean_up(&dynamodb, &sqs, &rust_prefix, &rust_urls).await;
    clean_up(&dynamodb, &sqs, &python_prefix, &python_urls).await;
    result
}

#[tokio::test]
async fn running_a_bootstrap_twice_changes_nothing() -> anyhow::Result<()> {
    let Some(sdk) = emulator().await else {
        return Ok(());
    };
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let prefix = unique("boot-twice");
    let first = bootstrap::create_all(&dynamodb, &sqs, &prefix).await?;
    let urls: Vec<String> = first
        .queues
        .iter()
        .flat_map(|(_, q)| [q.url.clone(), q.dlq_url.clone()])
        .collect();
    let snapshot = || async {
        let mut all = vec![describe_table(&dynamodb, &prefix).await?];
        for url in &urls {
            all.push(queue_settings(&sqs, url, &prefix).await?);
        }
        anyhow::Ok(all)
    };
    let result = async {
        let made = snapshot().await?;
        // The other bootstrap over the same resources, then this one again.
        let printed = python_bootstrap(&prefix)?;
        assert_eq!(
            snapshot().await?,
            made,
            "bootstrap.py changed what Rust made"
        );
        let second = bootstrap::create_all(&dynamodb, &sqs, &prefix).await?;
        assert_eq!(first, second);
        assert_eq!(
            snapshot().await?,
            made,
            "a second create_all changed something"
        );
        for ((_, var), (_, made)) in QUEUES.iter().zip(&first.queues) {
            assert_eq!(printed.get(*var), Some(&made.url), "{var}");
        }
        anyhow::Ok(())
    }
    .await;
    clean_up(&dynamodb, &sqs, &prefix, &urls).await;
    result
}
