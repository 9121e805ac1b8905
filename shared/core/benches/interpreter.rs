//! Interpreter throughput: transitions per second on one core, history off, as the durable
//! engine runs it. Baseline: the 1,000,000 transitions/s per core the project targets.
//!
//! `cargo bench -p stepwise-core --bench interpreter` prints, per workload, the best and
//! median of several runs and the ratio to the baseline.

use std::time::Instant;

use serde_json::{json, Value};
use stepwise_core::definition::{parse_value, StateMachine};
use stepwise_core::entropy::SplitMix64;
use stepwise_core::interp::{Execution, ExecutionInfo, Status};

const BASELINE_TPS: f64 = 1_000_000.0;
const SAMPLES: usize = 7;

/// The loop every looping workload shares: `Init` (a Pass with `initial` as its Result),
/// then `Work` (a Pass with `parameters`) and `Check` (a Choice back to `Work` while
/// `condition` holds), until `Done`. Two transitions a turn.
fn pass_choice_loop(initial: Value, parameters: Value, condition: Value) -> Value {
    let mut rule = condition;
    rule["Next"] = json!("Work");
    json!({
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Result": initial, "Next": "Work"},
            "Work": {"Type": "Pass", "Parameters": parameters, "Next": "Check"},
            "Check": {"Type": "Choice", "Choices": [rule], "Default": "Done"},
            "Done": {"Type": "Succeed"}
        }
    })
}

/// A counting loop: increment with States.MathAdd, then compare.
fn counting_loop(iterations: u64) -> Value {
    pass_choice_loop(
        json!({"i": 0}),
        json!({"i.$": "States.MathAdd($.i, 1)"}),
        json!({"Variable": "$.i", "NumericLessThan": iterations}),
    )
}

/// A straight chain of plain Pass states: the cheapest transition there is.
fn pass_chain(length: usize) -> Value {
    let mut states = serde_json::Map::new();
    for i in 0..length {
        let mut state = json!({"Type": "Pass"});
        if i + 1 == length {
            state["End"] = json!(true);
        } else {
            state["Next"] = json!(format!("S{}", i + 1));
        }
        states.insert(format!("S{i}"), state);
    }
    json!({"StartAt": "S0", "States": states})
}

/// A Pass/Choice loop that reshapes its input with paths on every turn.
fn reshaping_loop(iterations: u64) -> Value {
    pass_choice_loop(
        json!({"i": 0, "order": {"id": "A-1", "lines": [1, 2, 3]}}),
        json!({
            "i.$": "States.MathAdd($.i, 1)",
            "order.$": "$.order",
            "first.$": "$.order.lines[0]"
        }),
        json!({"And": [
            {"Variable": "$.i", "NumericLessThan": iterations},
            {"Variable": "$.order.id", "StringEquals": "A-1"}
        ]}),
    )
}

/// A loop whose Pass state calls several intrinsics per turn (format, arrays, hashing).
fn intrinsic_loop(iterations: u64) -> Value {
    pass_choice_loop(
        json!({"i": 0, "tags": ["a", "b", "c", "a"]}),
        json!({
            "i.$": "States.MathAdd($.i, 1)",
            "tags.$": "$.tags",
            "label.$": "States.Format('item {} of {}', $.i, States.ArrayLength($.tags))",
            "unique.$": "States.ArrayUnique($.tags)",
            "has.$": "States.ArrayContains($.tags, 'b')",
            "digest.$": "States.Hash($.tags[0], 'SHA-256')",
            "json.$": "States.JsonToString($.tags)"
        }),
        json!({"Variable": "$.i", "NumericLessThan": iterations}),
    )
}

/// An inline Map whose iterations run Choice → Pass → Pass.
fn map_over_items(items: usize) -> Value {
    json!({
        "StartAt": "Items",
        "States": {
            "Items": {"Type": "Pass", "Parameters": {"items.$": "States.ArrayRange(1, 1000, 1)"}, "Next": "Each"},
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemSelector": {"n.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"},
                "ItemProcessor": {"StartAt": "Even?", "States": {
                    "Even?": {"Type": "Choice", "Choices": [
                        {"Variable": "$.n", "NumericGreaterThan": items, "Next": "Skip"}],
                        "Default": "Keep"},
                    "Keep": {"Type": "Pass", "Parameters": {"kept.$": "$.n"}, "Next": "Done"},
                    "Skip": {"Type": "Pass", "Result": null, "Next": "Done"},
                    "Done": {"Type": "Pass", "End": true}
                }},
                "End": true
            }
        }
    })
}

fn run_once(definition: &StateMachine) -> (u64, f64) {
    let info = ExecutionInfo::local("bench", "bench", json!({}), 0);
    let mut execution = Execution::start(definition, info, false);
    let mut entropy = SplitMix64::new(1);
    let started = Instant::now();
    while execution.is_running() {
        execution
            .run(0, &mut entropy)
            .expect("bench definitions run");
    }
    let elapsed = started.elapsed().as_secs_f64();
    assert!(
        matches!(execution.status(), Status::Succeeded(_)),
        "{:?}",
        execution.status()
    );
    (execution.transitions(), elapsed)
}

fn main() {
    // `cargo test --benches` passes --bench too; a quick smoke run keeps it fast there.
    let quick = std::env::args().any(|a| a == "--test");
    let scale = if quick { 100 } else { 1 };
    let workloads = [
        ("pass chain, 10,000 states", pass_chain(10_000 / scale)),
        (
            "Pass/Choice counting loop, 1,000,000 transitions",
            counting_loop(500_000 / scale as u64),
        ),
        (
            "Pass/Choice reshaping loop, 200,000 transitions",
            reshaping_loop(100_000 / scale as u64),
        ),
        (
            "intrinsic-heavy Parameters loop, 100,000 transitions",
            intrinsic_loop(50_000 / scale as u64),
        ),
        (
            "Map over 1,000 items (3 states each)",
            map_over_items(1_000 / scale),
        ),
    ];
    println!(
        "interpreter throughput (one core, history off); baseline {BASELINE_TPS:.0} transitions/s"
    );
    println!(
        "{:<52} {:>14} {:>14} {:>9}",
        "workload", "best tr/s", "median tr/s", "vs base"
    );
    for (name, definition) in workloads {
        let definition = parse_value(&definition).expect("bench definitions are valid");
        let mut rates: Vec<f64> = (0..if quick { 1 } else { SAMPLES })
            .map(|_| {
                let (transitions, secs) = run_once(&definition);
                transitions as f64 / secs
            })
            .collect();
        rates.sort_by(f64::total_cmp);
        let best = rates[rates.len() - 1];
        let median = rates[rates.len() / 2];
        println!(
            "{name:<52} {best:>14.0} {median:>14.0} {:>8.2}x",
            median / BASELINE_TPS
        );
    }
}
