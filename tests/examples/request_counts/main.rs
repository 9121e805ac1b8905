//! AWS requests per state transition, counted from the SDK calls the start and advance
//! functions make ([`stepwise_aws::metrics::RequestCounter`]), for four small workflows,
//! each on a fresh table and queue. Prints a markdown table.
//!
//! ```text
//! bash localstack/start.sh   # prints AWS_ENDPOINT_URL=…
//! AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test \
//!   AWS_SECRET_ACCESS_KEY=test cargo run -p stepwise-tests --example request-counts
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context;
use serde_json::{json, Map, Value};
use stepwise_tests::harness::{expect_succeeded, transitions, Harness};

const READS: [&str; 3] = [
    "DynamoDB.BatchGetItem",
    "DynamoDB.GetItem",
    "DynamoDB.Query",
];
const WRITES: [&str; 5] = [
    "DynamoDB.PutItem",
    "DynamoDB.UpdateItem",
    "DynamoDB.TransactWriteItems",
    "DynamoDB.DeleteItem",
    "DynamoDB.BatchWriteItem",
];
const SENDS: [&str; 2] = ["SQS.SendMessageBatch", "SQS.SendMessage"];

fn pass_chain(length: usize) -> Value {
    let mut states = Map::new();
    for i in 0..length {
        let mut state = json!({"Type": "Pass", "Result": i, "ResultPath": format!("$.s{i}")});
        if i + 1 == length {
            state["End"] = json!(true);
        } else {
            state["Next"] = json!(format!("P{}", i + 1));
        }
        states.insert(format!("P{i}"), state);
    }
    json!({"StartAt": "P0", "States": states})
}

fn workflows() -> Vec<(&'static str, Value, Value)> {
    let pass =
        |r: &str| json!({"StartAt": r, "States": {r: {"Type": "Pass", "Result": r, "End": true}}});
    vec![
        ("Pass chain of 10", pass_chain(10), json!({})),
        (
            "Wait 1 s",
            json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}}),
            json!({}),
        ),
        (
            "Parallel of 3 Pass",
            json!({"StartAt": "Par", "States": {"Par": {"Type": "Parallel", "End": true,
                "Branches": [pass("a"), pass("b"), pass("c")]}}}),
            json!({}),
        ),
        (
            "Map of 100 x Pass",
            json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "ItemsPath": "$.items",
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}),
            json!({"items": (0..100).collect::<Vec<u32>>()}),
        ),
    ]
}

struct Row {
    name: &'static str,
    transitions: u64,
    messages: u64,
    reads: u64,
    writes: u64,
    sends: u64,
    took: Duration,
    operations: BTreeMap<String, u64>,
}

async fn measure(
    name: &'static str,
    definition: Value,
    input: Value,
) -> anyhow::Result<Option<Row>> {
    let Some(harness) = Harness::new("counts").await? else {
        return Ok(None);
    };
    let arn = harness.start("counts", &definition, None, input).await?;
    let (record, took) = harness.run(&arn, 4, Duration::from_secs(300)).await?;
    expect_succeeded(&record).with_context(|| name.to_owned())?;
    // Let stragglers (duplicates, re-sends) be handled too: they cost requests.
    harness.drain(4, Duration::from_secs(120)).await?;
    let history = harness.history(&arn).await?;
    let operations = harness.counter().snapshot();
    let sum = |names: &[&str]| -> u64 {
        names
            .iter()
            .map(|n| operations.get(*n).copied().unwrap_or(0))
            .sum()
    };
    let row = Row {
        name,
        transitions: transitions(&history) as u64,
        messages: harness.poller().stats().received,
        reads: sum(&READS),
        writes: sum(&WRITES),
        sends: sum(&SENDS),
        took,
        operations,
    };
    harness.clean_up().await;
    Ok(Some(row))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut rows = Vec::new();
    for (name, definition, input) in workflows() {
        match measure(name, definition, input).await? {
            Some(row) => rows.push(row),
            None => return Ok(()),
        }
    }
    let ratio = |n: u64, d: u64| n as f64 / d.max(1) as f64;
    println!("| workflow | transitions | messages | DynamoDB reads | DynamoDB writes | SQS sends | reads/transition | writes/transition | sends/transition | run time |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.1} s |",
            r.name,
            r.transitions,
            r.messages,
            r.reads,
            r.writes,
            r.sends,
            ratio(r.reads, r.transitions),
            ratio(r.writes, r.transitions),
            ratio(r.sends, r.transitions),
            r.took.as_secs_f64()
        );
    }
    println!();
    println!("Operations by name (start function and advance function together):");
    for r in &rows {
        println!("- {}: {:?}", r.name, r.operations);
    }
    println!();
    println!("transitions = the history's *StateEntered events; messages = SQS records handed to the advance function (redeliveries included); reads = BatchGetItem + GetItem + Query; writes = PutItem + UpdateItem + TransactWriteItems (+ DeleteItem, BatchWriteItem); sends = SendMessageBatch + SendMessage.");
    Ok(())
}
