//! What a state transition costs on the AWS path, counted from the SDK calls the start
//! and advance functions make ([`stepwise_aws::metrics::RequestCounter`] on the DynamoDB,
//! SQS and Lambda clients) and priced at AWS's list prices, for five workloads, each on a
//! fresh table and queue. Prints markdown tables.
//!
//! ```text
//! bash localstack/start.sh   # prints AWS_ENDPOINT_URL=…
//! AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test \
//!   AWS_SECRET_ACCESS_KEY=test cargo run --release -p stepwise-tests --example request-counts
//! # the Map of 10,000 (completion time, refused conditional writes):
//! … cargo run --release -p stepwise-tests --example request-counts -- --map 10000
//! ```
//!
//! Lambda tasks call an in-process HTTP server that implements Lambda's Invoke API and
//! echoes the payload: the user's function costs the same under Step Functions, so only
//! the engine's side of the call is priced.

mod echo_lambda;
mod prices;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use futures::future::BoxFuture;
use serde_json::{json, Map, Value};
use stepwise_aws::metrics::Usage;
use stepwise_aws::SqsQueue;
use stepwise_tests::harness::{expect_succeeded, transitions, Harness};
use stepwise_tests::poller::run_until;

use prices::Prices;

/// Pollers standing in for the event source mapping's concurrency.
const POLLERS: usize = 4;

fn pass_chain(length: usize) -> Value {
    chain(
        length,
        |i| json!({"Type": "Pass", "Result": i, "ResultPath": format!("$.s{i}")}),
    )
}

/// A chain of `lambda:invoke` tasks with small payloads, as a typical workflow has.
fn task_chain(length: usize) -> Value {
    chain(length, |i| {
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "echo", "Payload": {"step": i, "n.$": "$.n"}},
            "ResultSelector": {"n.$": "$.Payload.n"}})
    })
}

fn chain(length: usize, state: impl Fn(usize) -> Value) -> Value {
    let mut states = Map::new();
    for i in 0..length {
        let mut state = state(i);
        if i + 1 == length {
            state["End"] = json!(true);
        } else {
            state["Next"] = json!(format!("S{}", i + 1));
        }
        states.insert(format!("S{i}"), state);
    }
    json!({"StartAt": "S0", "States": states})
}

fn map_of(items: u32) -> (Value, Value) {
    (
        json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "ItemsPath": "$.items",
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}),
        json!({"items": (0..items).collect::<Vec<u32>>()}),
    )
}

struct Workload {
    name: String,
    definition: Value,
    input: Value,
    /// The engine's chain budget when not the default (`STEPWISE_CHAIN_BUDGET_MS`).
    chain_budget_ms: Option<u64>,
}

fn workloads() -> Vec<Workload> {
    let pass =
        |r: &str| json!({"StartAt": r, "States": {r: {"Type": "Pass", "Result": r, "End": true}}});
    let (map, items) = map_of(100);
    let workload = |name: &str, definition, input| Workload {
        name: name.to_owned(),
        definition,
        input,
        chain_budget_ms: None,
    };
    vec![
        workload("Pass chain of 10", pass_chain(10), json!({})),
        workload("Lambda task chain of 10", task_chain(10), json!({"n": 5})),
        Workload {
            chain_budget_ms: Some(0),
            ..workload(
                "Lambda task chain of 10, no chains",
                task_chain(10),
                json!({"n": 5}),
            )
        },
        workload(
            "Wait 1 s",
            json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}}),
            json!({}),
        ),
        workload(
            "Parallel of 3 Pass",
            json!({"StartAt": "Par", "States": {"Par": {"Type": "Parallel", "End": true,
                "Branches": [pass("a"), pass("b"), pass("c")]}}}),
            json!({}),
        ),
        workload("Map of 100 x Pass", map, items),
    ]
}

/// Lambda invocations of a function and the time their handlers took.
#[derive(Debug, Clone, Default)]
struct Invocations(Arc<Mutex<(u64, Duration)>>);

impl Invocations {
    fn add(&self, took: Duration) {
        let mut total = self.0.lock().unwrap_or_else(|e| e.into_inner());
        total.0 += 1;
        total.1 += took;
    }

    fn get(&self) -> (u64, Duration) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The advance function, timed per invocation as Lambda bills it.
fn timed(
    harness: &Harness,
    invocations: &Invocations,
) -> impl Fn(SqsEvent) -> BoxFuture<'static, SqsBatchResponse> + Send + Sync + 'static {
    let advance = harness.advance();
    let invocations = invocations.clone();
    move |event| {
        let handled = advance(event);
        let invocations = invocations.clone();
        Box::pin(async move {
            let started = Instant::now();
            let response = handled.await;
            invocations.add(started.elapsed());
            response
        })
    }
}

struct Row {
    name: String,
    transitions: u64,
    messages: u64,
    took: Duration,
    usage: BTreeMap<String, Usage>,
    /// [`Row::usage`] by service.
    dynamodb: Usage,
    sqs: Usage,
    lambda: Usage,
    /// Start and advance invocations, and their handlers' time together.
    invocations: (u64, Duration),
    /// Batches the event source mapping received (each a `ReceiveMessage` and a
    /// `DeleteMessageBatch` on AWS).
    batches: u64,
}

async fn measure(
    workload: &Workload,
    lambda: &str,
    pollers: usize,
    deadline: Duration,
) -> anyhow::Result<Option<Row>> {
    let tune = |config: &mut stepwise_engine::Config| {
        if let Some(budget) = workload.chain_budget_ms {
            config.chain_budget_ms = budget;
        }
    };
    let Some(harness) =
        Harness::<SqsQueue>::build_with_lambda("counts", |q| q, tune, Some(lambda)).await?
    else {
        return Ok(None);
    };
    let invocations = Invocations::default();
    let started = Instant::now();
    let arn = harness
        .start("counts", &workload.definition, None, workload.input.clone())
        .await?;
    invocations.add(started.elapsed());
    let (record, took) = harness
        .run_with(&arn, pollers, deadline, timed(&harness, &invocations))
        .await?;
    expect_succeeded(&record).with_context(|| workload.name.clone())?;
    // Stragglers (duplicates, re-sends) cost requests too.
    run_until(
        &harness.poller(),
        pollers,
        timed(&harness, &invocations),
        deadline,
        "the steps queue drained",
        || async { Ok(harness.queue_depth().await? == 0) },
    )
    .await?;
    let history = harness.history(&arn).await?;
    let stats = harness.poller().stats();
    let row = Row {
        name: workload.name.clone(),
        transitions: transitions(&history) as u64,
        messages: stats.received,
        took,
        usage: harness.counter().usage(),
        dynamodb: harness.counter().usage_total("DynamoDB."),
        sqs: harness.counter().usage_total("SQS."),
        lambda: harness.counter().usage_total("Lambda."),
        invocations: invocations.get(),
        batches: stats.batches,
    };
    harness.clean_up().await;
    Ok(Some(row))
}

/// A row's bill, by line, in dollars.
struct Bill {
    read_units: f64,
    write_units: f64,
    sqs_chunks: f64,
    esm_requests: f64,
    lambda_requests: f64,
    gb_seconds: f64,
}

impl Bill {
    fn of(row: &Row, prices: &Prices) -> Self {
        let (dynamodb, sqs) = (&row.dynamodb, &row.sqs);
        let (invocations, time) = row.invocations;
        Self {
            read_units: dynamodb.read_units,
            write_units: dynamodb.write_units as f64,
            sqs_chunks: sqs.sqs_chunks as f64,
            esm_requests: 2.0 * row.batches as f64,
            lambda_requests: invocations as f64,
            gb_seconds: time.as_secs_f64() * prices.function_memory_mb / 1024.0,
        }
    }

    /// Dollars per million transitions, without and with the event source mapping's own
    /// SQS requests.
    fn per_million(&self, prices: &Prices, transitions: u64) -> (f64, f64) {
        let dollars = self.read_units * prices.read_unit
            + self.write_units * prices.write_unit
            + self.sqs_chunks * prices.sqs_request
            + self.lambda_requests * prices.lambda_request
            + self.gb_seconds * prices.gb_second;
        let per = |d: f64| d / transitions.max(1) as f64 * 1e6;
        (
            per(dollars),
            per(dollars + self.esm_requests * prices.sqs_request),
        )
    }
}

fn per(n: f64, d: u64) -> f64 {
    n / d.max(1) as f64
}

fn print(rows: &[Row], prices: &Prices) {
    println!("| workload | transitions | messages | requests / tr | DynamoDB / tr | SQS / tr | Lambda / tr | RRU / tr | WRU / tr | SQS chunks / tr | advance ms / message | $ / M tr | with ESM polling | vs Step Functions |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let (dynamodb, sqs, lambda) =
            (row.dynamodb.requests, row.sqs.requests, row.lambda.requests);
        let bill = Bill::of(row, prices);
        let (dollars, with_esm) = bill.per_million(prices, row.transitions);
        let t = row.transitions;
        // Time per advance message; a workflow that ends in its start has none.
        let advance_ms = match row.messages {
            0 => "—".to_owned(),
            n => format!("{:.1}", row.invocations.1.as_secs_f64() * 1000.0 / n as f64),
        };
        println!(
            "| {} | {t} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {advance_ms} | ${dollars:.2} | ${with_esm:.2} | {:.1}× below |",
            row.name,
            row.messages,
            per((dynamodb + sqs + lambda) as f64, t),
            per(dynamodb as f64, t),
            per(sqs as f64, t),
            per(lambda as f64, t),
            per(bill.read_units, t),
            per(bill.write_units, t),
            per(bill.sqs_chunks, t),
            prices.step_functions / with_esm,
        );
    }
    println!();
    println!(
        "Operations by name (start and advance functions together): calls, RRU, WRU, SQS chunks:"
    );
    for row in rows {
        let ops: Vec<String> = row
            .usage
            .iter()
            .map(|(name, u)| {
                format!(
                    "{name} {} ({} RRU, {} WRU, {} chunks)",
                    u.requests, u.read_units, u.write_units, u.sqs_chunks
                )
            })
            .collect();
        println!(
            "- {} ({:.1} s, {} invocations, {} ESM batches): {}",
            row.name,
            row.took.as_secs_f64(),
            row.invocations.0,
            row.batches,
            ops.join("; ")
        );
    }
    println!();
    println!("{}", prices.describe());
    println!("transitions = the history's *StateEntered events; messages = SQS records handed to the advance function (redeliveries included); requests = every DynamoDB, SQS and Lambda call of the engine (Lambda = the task's Invoke, paid under Step Functions too and left out of $); RRU/WRU from item sizes as DynamoDB bills them (consistent reads: 4 KB per item; writes: 1 KB per item, x2 in a transaction); Lambda requests = one per invocation of the start function and per SQS batch of the advance function (batch size 10, the Terraform module's); GB-s = the handlers' measured time (on the emulator: an upper bound) at {} MB; 'with ESM polling' adds the event source mapping's ReceiveMessage and DeleteMessageBatch per batch.", prices.function_memory_mb);
}

/// A Map of `items` Pass iterations: completion time and refused conditional writes.
async fn big_map(items: u32, lambda: &str) -> anyhow::Result<()> {
    let (definition, input) = map_of(items);
    let workload = Workload {
        name: format!("Map of {items} x Pass"),
        definition,
        input,
        chain_budget_ms: None,
    };
    let Some(row) = measure(&workload, lambda, POLLERS, Duration::from_secs(3600)).await? else {
        return Ok(());
    };
    let mut writes = Usage::default();
    for usage in row.usage.values() {
        writes.conditional_writes += usage.conditional_writes;
        writes.condition_failed += usage.condition_failed;
        writes.transaction_conflicts += usage.transaction_conflicts;
    }
    let all_writes: u64 = row
        .usage
        .iter()
        .filter(|(n, u)| n.starts_with("DynamoDB.") && (u.write_units > 0))
        .map(|(_, u)| u.requests)
        .sum();
    println!(
        "{}: {} transitions, {} messages, {:.1} s with {POLLERS} pollers",
        row.name,
        row.transitions,
        row.messages,
        row.took.as_secs_f64()
    );
    println!(
        "writes {all_writes}, conditional {}, refused by their condition {} ({:.3} % of writes), transactions cancelled by contention {} ({:.3} %)",
        writes.conditional_writes,
        writes.condition_failed,
        100.0 * per(writes.condition_failed as f64, all_writes),
        writes.transaction_conflicts,
        100.0 * per(writes.transaction_conflicts as f64, all_writes),
    );
    println!("by operation:");
    for (name, usage) in &row.usage {
        println!(
            "- {name}: {} calls, {} conditional, {} refused, {} contention",
            usage.requests,
            usage.conditional_writes,
            usage.condition_failed,
            usage.transaction_conflicts
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let lambda = echo_lambda::serve().await?;
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--map") {
        let items = args
            .get(at + 1)
            .context("--map takes a number of items")?
            .parse()
            .context("--map takes a number of items")?;
        return big_map(items, &lambda).await;
    }
    let prices = Prices::US_EAST_1;
    let mut rows = Vec::new();
    for workload in workloads() {
        match measure(&workload, &lambda, POLLERS, Duration::from_secs(300)).await? {
            Some(row) => rows.push(row),
            None => return Ok(()),
        }
    }
    print(&rows, &prices);
    Ok(())
}
