//! Workflow variables (`Assign`, `$name`) in JSONPath states: AWS's "Passing data between
//! states with variables".

use serde_json::json;

use super::{machine, run, run_scripted};
use crate::failure::Failure;
use crate::interp::Frame;

const LAMBDA: &str = "arn:aws:lambda:us-east-1:123456789012:function:f";

#[test]
fn assignments_read_the_values_at_state_entry_and_bind_together() {
    let r = run(
        json!({"StartAt": "Init", "States": {
            "Init": {"Type": "Pass", "Assign": {"a": 1, "b": 2}, "Next": "Swap"},
            "Swap": {"Type": "Pass", "Assign": {"a.$": "$b", "b.$": "$a"}, "Next": "Show"},
            "Show": {"Type": "Pass", "Parameters": {"a.$": "$a", "b.$": "$b",
                "text.$": "States.Format('{}-{}', $a, $b)"}, "End": true}}}),
        json!({}),
    );
    assert_eq!(r.output(), &json!({"a": 2, "b": 1, "text": "2-1"}));
}

#[test]
fn dollar_in_assign_is_the_state_result() {
    // Pass: Result (or Parameters); Task: the result after ResultSelector, before ResultPath.
    let def = machine(json!({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Result": {"n": 5}, "ResultPath": "$.r",
              "Assign": {"fromResult.$": "$.n"}, "Next": "T"},
        "T": {"Type": "Task", "Resource": LAMBDA,
              "ResultSelector": {"v.$": "$.value"}, "ResultPath": null,
              "Assign": {"fromTask.$": "$.v", "whole.$": "$"}, "Next": "Show"},
        "Show": {"Type": "Pass", "Parameters": {"p.$": "$fromResult", "t.$": "$fromTask",
                 "w.$": "$whole.v"}, "End": true}}}));
    let r = run_scripted(&def, json!({}), vec![Ok(json!({"value": 9, "noise": 1}))]);
    assert_eq!(r.output(), &json!({"p": 5, "t": 9, "w": 9}));
}

#[test]
fn choice_assigns_per_rule_or_default() {
    let def = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice",
              "Choices": [{"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Show",
                           "Assign": {"size": "big"}}],
              "Default": "Show", "Assign": {"size": "small", "seen.$": "$.n"}},
        "Show": {"Type": "Pass", "Parameters": {"size.$": "$size"}, "End": true}}});
    assert_eq!(
        run(def.clone(), json!({"n": 50})).output(),
        &json!({"size": "big"})
    );
    assert_eq!(
        run(def, json!({"n": 1})).output(),
        &json!({"size": "small"})
    );
}

#[test]
fn map_and_parallel_children_read_outer_variables_and_their_own_do_not_leak() {
    let r = run(
        json!({"StartAt": "Init", "States": {
            "Init": {"Type": "Pass", "Assign": {"base": 100}, "Next": "M"},
            "M": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": null, "Next": "P",
                  "ItemProcessor": {"StartAt": "Add", "States": {
                      "Add": {"Type": "Pass", "Assign": {"inner.$": "$"}, "Next": "Out"},
                      "Out": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($inner, $base)"}, "End": true}}}},
            "P": {"Type": "Parallel", "Next": "Check", "ResultPath": "$.branches",
                  "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass",
                      "Parameters": {"b.$": "$base"}, "End": true}}}]},
            "Check": {"Type": "Pass", "Parameters": {"inner.$": "$inner"}, "End": true}}}),
        json!({"items": [1, 2]}),
    );
    // `$inner` was only assigned inside the Map's iterations: the outer scope cannot see it.
    let f = r.failure();
    assert_eq!(f.error.as_deref(), Some("States.Runtime"));
    assert!(f.cause.as_deref().unwrap_or("").contains("$inner"), "{f:?}");
    let ok = run(
        json!({"StartAt": "Init", "States": {
            "Init": {"Type": "Pass", "Assign": {"base": 100}, "Next": "M"},
            "M": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "Add", "States": {
                "Add": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($, $base)"}, "End": true}}}}}}),
        json!([1, 2]),
    );
    assert_eq!(ok.output(), &json!([{"v": 101}, {"v": 102}]));
}

#[test]
fn catcher_assign_reads_the_error_output_and_the_state_assign_is_dropped() {
    let def = machine(json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "Assign": {"ok": true}, "Next": "Done",
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handler",
                         "Assign": {"error.$": "$.Error"}}]},
        "Handler": {"Type": "Pass", "Parameters": {"error.$": "$error"}, "Next": "Done"},
        "Done": {"Type": "Pass", "Parameters": {"all.$": "States.JsonToString($)"}, "End": true}}}));
    let r = run_scripted(&def, json!({}), vec![Err(Failure::new("Boom", "bad"))]);
    assert_eq!(r.output(), &json!({"all": "{\"error\":\"Boom\"}"}));
}

#[test]
fn an_assignment_past_the_size_limit_fails_the_state() {
    let big = "x".repeat(300 * 1024);
    let r = run(
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Assign": {"big.$": "$.s"}, "End": true}}}),
        json!({"s": big}),
    );
    assert_eq!(
        r.failure().error.as_deref(),
        Some("States.DataLimitExceeded")
    );
}

#[test]
fn variables_are_part_of_the_serialised_frame() {
    let def = machine(json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}));
    let mut vars = serde_json::Map::new();
    vars.insert("x".into(), json!({"deep": [1]}));
    let frame = Frame::root(&def, json!({}), 0).with_variables(vars.clone());
    let text = serde_json::to_string(&frame).expect("frames serialise");
    let back: Frame = serde_json::from_str(&text).expect("and deserialise");
    assert_eq!(back.variables(), &vars);
    // Frames stored before variables existed still load.
    let plain = serde_json::to_value(Frame::root(&def, json!({}), 0)).expect("serialises");
    assert!(plain.get("vars").is_none());
    let loaded: Frame = serde_json::from_value(plain).expect("loads without vars");
    assert!(loaded.variables().is_empty());
}
