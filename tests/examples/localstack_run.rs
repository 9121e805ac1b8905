//! Runs one workflow end to end on LocalStack's DynamoDB and SQS: the start function's
//! handler starts it, four pollers standing in for Lambda's SQS trigger feed the advance
//! function's handler from the real (emulated) queue, until the execution ends. Prints
//! each state entered, the outcome, and the requests made. `scripts/run-on-localstack`
//! starts the emulator and runs this.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::{json, Value};
use stepwise_engine::ExecutionStatus;
use stepwise_tests::harness::{transitions, Harness};

fn read_json(path: &str) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    serde_json::from_str(&text).with_context(|| format!("{path} is not JSON"))
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (definition_path, input) = match args.as_slice() {
        [definition] => (definition, json!({})),
        [definition, input] => (definition, read_json(input)?),
        _ => bail!("usage: localstack-run DEFINITION.json [INPUT.json]"),
    };
    let definition = read_json(definition_path)?;
    let name = std::path::Path::new(definition_path)
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.split('.').next())
        .filter(|n| !n.is_empty())
        .unwrap_or("workflow")
        .to_owned();
    let Some(harness) = Harness::new("run").await? else {
        bail!("AWS_ENDPOINT_URL is not set: start the emulator with `bash localstack/start.sh`");
    };
    eprintln!("table and queue created; starting {name}");
    let arn = harness.start(&name, &definition, None, input).await?;
    eprintln!("started {arn}");
    let (record, took) = harness.run(&arn, 4, Duration::from_secs(900)).await?;
    let history = harness.history(&arn).await?;
    for event in &history {
        if let (Some(kind), Some(state)) = (
            event["type"].as_str(),
            event["stateEnteredEventDetails"]["name"].as_str(),
        ) {
            let id = event["id"].as_u64().unwrap_or_default();
            println!("  {id:>4}  {kind:<24} {state}");
        }
    }
    println!(
        "{} in {:.1} s: {} states entered, {} history events",
        record.status.as_str(),
        took.as_secs_f64(),
        transitions(&history),
        history.len()
    );
    match (&record.output, &record.failure) {
        (Some(output), _) => println!("output: {output}"),
        (None, Some(failure)) => println!(
            "error: {}\ncause: {}",
            failure.error.as_deref().unwrap_or("null"),
            failure.cause.as_deref().unwrap_or("null")
        ),
        (None, None) => {}
    }
    println!("requests (counted from the SDK calls):");
    for (operation, count) in harness.counter().snapshot() {
        println!("  {operation:<32} {count}");
    }
    Ok(if record.status == ExecutionStatus::Succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
