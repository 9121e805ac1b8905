//! JSONata expression cost, parse cached: each expression is parsed once (as the
//! definition parser does) and evaluated many times, against a state input shaped like a
//! typical task payload. Baseline: 1 µs per evaluation, the whole budget of one transition
//! at the project's 1,000,000 transitions/s per core target. Also runs a JSONata
//! Pass/Choice loop end to end, in transitions per second.
//!
//! `cargo bench -p stepwise-core --bench jsonata` prints, per expression, the best and
//! median nanoseconds per evaluation, the one-off parse cost, and the ratio to the baseline.

use std::borrow::Cow;
use std::time::Instant;

use serde_json::{json, Value};
use stepwise_core::definition::parse_value;
use stepwise_core::entropy::SplitMix64;
use stepwise_core::interp::{Execution, ExecutionInfo, Status};
use stepwise_core::jsonata::{Expression, Host};

const BASELINE_NS: f64 = 1_000.0;
const SAMPLES: usize = 7;

/// `$states` and one workflow variable, as the interpreter provides them.
struct Bindings {
    states: Value,
    limit: Value,
}

impl Host for Bindings {
    fn variable(&self, name: &str) -> Option<Cow<'_, Value>> {
        match name {
            "states" => Some(Cow::Borrowed(&self.states)),
            "limit" => Some(Cow::Borrowed(&self.limit)),
            _ => None,
        }
    }
}

fn bindings() -> Bindings {
    let lines: Vec<Value> = (0..10)
        .map(|i| json!({"sku": format!("SKU-{i}"), "qty": i % 4 + 1, "price": 9.5 + i as f64}))
        .collect();
    Bindings {
        states: json!({
            "input": {"order": {"id": "A-1", "customer": {"name": "Ada", "tier": "gold"}, "lines": lines}},
            "context": {"Execution": {"Id": "arn:aws:states:local:0:execution:sm:ex", "Input": {}}},
        }),
        limit: json!(100),
    }
}

const EXPRESSIONS: &[(&str, &str)] = &[
    ("field lookup", "$states.input.order.id"),
    ("comparison (Choice Condition)", "$states.input.order.customer.tier = 'gold' and $limit > 10"),
    ("arithmetic over a path", "$sum($states.input.order.lines.(qty * price))"),
    ("filter + map", "$states.input.order.lines[qty > 2].sku"),
    ("object constructor (Output)", "{'id': $states.input.order.id, 'n': $count($states.input.order.lines), 'who': $uppercase($states.input.order.customer.name)}"),
    ("string functions", "$join($map($states.input.order.lines, function($l) { $l.sku & ':' & $string($l.qty) }), ',')"),
];

fn per_eval_ns(expr: &Expression, host: &Bindings, iterations: u32) -> f64 {
    let mut entropy = SplitMix64::new(1);
    let started = Instant::now();
    for _ in 0..iterations {
        let v = expr
            .evaluate(host, 0, &mut entropy)
            .expect("bench expressions evaluate");
        std::hint::black_box(v);
    }
    started.elapsed().as_secs_f64() * 1e9 / f64::from(iterations)
}

/// A JSONata Pass/Choice loop: the counter lives in a workflow variable.
fn jsonata_loop(iterations: u64) -> Value {
    json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Assign": {"i": 0}, "Output": {"order": {"id": "A-1"}}, "Next": "Work"},
            "Work": {"Type": "Pass", "Assign": {"i": "{% $i + 1 %}"},
                     "Output": {"order": "{% $states.input.order %}", "i": "{% $i %}"}, "Next": "Check"},
            "Check": {"Type": "Choice", "Choices": [
                {"Condition": format!("{{% $i < {iterations} %}}"), "Next": "Work"}], "Default": "Done"},
            "Done": {"Type": "Succeed"}
        }
    })
}

fn main() {
    // `cargo test --benches` passes --bench too; a quick smoke run keeps it fast there.
    let quick = std::env::args().any(|a| a == "--test");
    let iterations = if quick { 100 } else { 20_000 };
    let host = bindings();
    println!("JSONata evaluation, parse cached; baseline {BASELINE_NS:.0} ns per evaluation (one transition at 1M tr/s)");
    println!(
        "{:<32} {:>10} {:>12} {:>12} {:>9}",
        "expression", "parse ns", "best ns/ev", "median ns/ev", "vs base"
    );
    for (name, source) in EXPRESSIONS {
        let started = Instant::now();
        let expr = Expression::parse(source).expect("bench expressions parse");
        let parse_ns = started.elapsed().as_secs_f64() * 1e9;
        let mut costs: Vec<f64> = (0..if quick { 1 } else { SAMPLES })
            .map(|_| per_eval_ns(&expr, &host, iterations))
            .collect();
        costs.sort_by(f64::total_cmp);
        let (best, median) = (costs[0], costs[costs.len() / 2]);
        println!(
            "{name:<32} {parse_ns:>10.0} {best:>12.0} {median:>12.0} {:>8.2}x",
            median / BASELINE_NS
        );
    }

    let turns = if quick { 100 } else { 50_000 };
    let definition = parse_value(&jsonata_loop(turns)).expect("the loop is valid");
    let mut rates: Vec<f64> = (0..if quick { 1 } else { SAMPLES })
        .map(|_| {
            let info = ExecutionInfo::local("bench", "bench", json!({}), 0);
            let mut execution = Execution::start(&definition, info, false);
            let mut entropy = SplitMix64::new(1);
            let started = Instant::now();
            while execution.is_running() {
                execution.run(0, &mut entropy).expect("the loop runs");
            }
            let secs = started.elapsed().as_secs_f64();
            assert!(
                matches!(execution.status(), Status::Succeeded(_)),
                "{:?}",
                execution.status()
            );
            execution.transitions() as f64 / secs
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    println!(
        "JSONata Pass/Choice loop ({} transitions): best {:.0} tr/s, median {:.0} tr/s",
        2 * turns + 2,
        rates[rates.len() - 1],
        rates[rates.len() / 2]
    );
}
