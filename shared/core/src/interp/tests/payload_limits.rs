//! The 256 KiB payload quota: every place a state's data can outgrow it fails the execution
//! with `States.DataLimitExceeded`, which neither `States.ALL` catches nor retries (developer
//! guide: "Error handling", "Step Functions service quotas").

use serde_json::{json, Value};

use super::{machine, run, run_scripted, Run};
use crate::interp::MAX_PAYLOAD_BYTES;

const LAMBDA: &str = "arn:aws:lambda:us-east-1:123456789012:function:f";

/// A string a little over a third of the quota: one copy fits, three do not.
fn third() -> String {
    "x".repeat(MAX_PAYLOAD_BYTES / 3 + 1024)
}

#[track_caller]
fn assert_data_limit(r: &Run, cause_contains: &str) {
    let failure = r.failure();
    assert_eq!(
        failure.error.as_deref(),
        Some("States.DataLimitExceeded"),
        "{failure:?}"
    );
    let cause = failure.cause.as_deref().unwrap_or_default();
    assert!(cause.contains(cause_contains), "cause: {cause}");
}

/// Retry and Catch on `States.ALL`, which must both let the data-limit failure through.
fn all_handlers() -> Value {
    json!({
        "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 3}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]
    })
}

fn with(mut state: Value, extra: Value) -> Value {
    if let (Some(state), Value::Object(extra)) = (state.as_object_mut(), extra) {
        state.extend(extra);
    }
    state
}

#[test]
fn execution_input_over_the_quota() {
    let r = run(
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
        json!({"big": "x".repeat(MAX_PAYLOAD_BYTES)}),
    );
    assert_data_limit(&r, "execution input");
    // Nothing ran: the execution failed as it started.
    assert!(!r.event_types().contains(&"PassStateEntered"));
}

#[test]
fn task_input_after_parameters_over_the_quota_is_never_sent() {
    let def = machine(json!({"StartAt": "T", "States": {
        "T": with(
            json!({"Type": "Task", "Resource": LAMBDA,
                   "Parameters": {"a.$": "$.s", "b.$": "$.s", "c.$": "$.s"}, "End": true}),
            all_handlers(),
        ),
        "Caught": {"Type": "Succeed"}}}));
    let r = run_scripted(&def, json!({"s": third()}), vec![Ok(json!({}))]);
    assert_data_limit(&r, "'T' has an input");
    assert!(r.tasks.is_empty(), "an oversize input was sent to the task");
}

#[test]
fn task_result_over_the_quota_is_not_retried_or_caught_by_states_all() {
    let def = machine(json!({"StartAt": "T", "States": {
        "T": with(
            json!({"Type": "Task", "Resource": LAMBDA, "End": true}),
            all_handlers(),
        ),
        "Caught": {"Type": "Succeed"}}}));
    let answers = vec![
        Ok(json!({"big": "x".repeat(MAX_PAYLOAD_BYTES)})),
        Ok(json!({"small": true})),
    ];
    let r = run_scripted(&def, json!({}), answers);
    assert_data_limit(&r, "'T' returned a result");
    assert_eq!(r.tasks.len(), 1, "the task was retried");
}

#[test]
fn result_path_merge_over_the_quota() {
    // Input and result each fit; the input with the result merged in does not.
    let def = machine(json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "ResultPath": "$.result", "Next": "Done"},
        "Done": {"Type": "Succeed"}}}));
    let half = "x".repeat(MAX_PAYLOAD_BYTES / 2 + 1024);
    let r = run_scripted(&def, json!({"s": half.clone()}), vec![Ok(json!(half))]);
    assert_data_limit(&r, "'T' returned a result");
}

#[test]
fn final_output_over_the_quota() {
    let r = run(
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass",
            "Parameters": {"a.$": "$.s", "b.$": "$.s", "c.$": "$.s"}, "End": true}}}),
        json!({"s": third()}),
    );
    assert_data_limit(&r, "'P' returned a result");
}

#[test]
fn parallel_results_over_the_quota() {
    let branch =
        |name: &str| json!({"StartAt": name, "States": {name: {"Type": "Pass", "End": true}}});
    let r = run(
        json!({"StartAt": "P", "States": {
            "P": with(
                json!({"Type": "Parallel", "Branches": [branch("A"), branch("B"), branch("C")],
                       "End": true}),
                all_handlers(),
            ),
            "Caught": {"Type": "Succeed"}}}),
        json!({"s": third()}),
    );
    assert_data_limit(&r, "'P' returned a result");
}

#[test]
fn map_results_over_the_quota() {
    let r = run(
        json!({"StartAt": "M", "States": {
            "M": with(
                json!({"Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"s.$": "$.s"},
                       "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}},
                       "End": true}),
                all_handlers(),
            ),
            "Caught": {"Type": "Succeed"}}}),
        json!({"s": third(), "items": [1, 2, 3]}),
    );
    assert_data_limit(&r, "'M' returned a result");
}

#[test]
fn jsonata_output_over_the_quota() {
    let r = run(
        json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {
            "P": {"Type": "Pass",
                  "Output": "{% $states.input.s & $states.input.s & $states.input.s %}",
                  "Next": "Done"},
            "Done": {"Type": "Succeed"}}}),
        json!({"s": third()}),
    );
    assert_data_limit(&r, "'P' returned a result");
}

#[test]
fn a_payload_at_the_quota_still_runs() {
    // The boundary: the limit is inclusive. An input exactly at the quota (as serialised
    // JSON) passes through; the tests above fail only because they go over it.
    let overhead = json!({"s": ""}).to_string().len();
    let input = json!({"s": "x".repeat(MAX_PAYLOAD_BYTES - overhead)});
    assert_eq!(input.to_string().len(), MAX_PAYLOAD_BYTES);
    let r = run(
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
        input.clone(),
    );
    assert_eq!(r.output(), &input);
}

// Pass and Choice bound their output from their input's bound and what they add, instead
// of measuring it whole; these check that the bound never lets an oversize output through
// and never fails one that fits.

#[test]
fn pass_states_growing_the_input_fail_at_the_one_over_the_quota() {
    let grow = |key: &str, next: &str| json!({"Type": "Pass", "Parameters": {"v.$": "$.s"}, "ResultPath": format!("$.{key}"), "Next": next});
    let r = run(
        json!({"StartAt": "A", "States": {
            "A": grow("a", "Check"),
            "Check": {"Type": "Choice", "Choices": [
                {"Variable": "$.s", "IsPresent": true, "Next": "B"}], "Default": "Done"},
            "B": grow("b", "C"),
            "C": grow("c", "Done"),
            "Done": {"Type": "Succeed"}}}),
        json!({"s": third()}),
    );
    assert_data_limit(&r, "'B' returned a result");
}

#[test]
fn a_pass_copying_its_input_into_itself_over_the_quota() {
    // No Parameters: the effective input is the result, merged into the input.
    let r = run(
        json!({"StartAt": "Init", "States": {
            "Init": {"Type": "Pass", "Next": "Copy"},
            "Copy": {"Type": "Pass", "ResultPath": "$.copy", "Next": "Done"},
            "Done": {"Type": "Succeed"}}}),
        json!({"s": "x".repeat(MAX_PAYLOAD_BYTES / 2 + 1024)}),
    );
    assert_data_limit(&r, "'Copy' returned a result");
}

#[test]
fn an_indefinite_input_path_repeating_parts_over_the_quota() {
    // `$..*` lists the inner object and, again, the string inside it.
    let r = run(
        json!({"StartAt": "Init", "States": {
            "Init": {"Type": "Pass", "Next": "All"},
            "All": {"Type": "Pass", "InputPath": "$..*", "Next": "Done"},
            "Done": {"Type": "Succeed"}}}),
        json!({"o": {"s": "x".repeat(MAX_PAYLOAD_BYTES / 2 + 1024)}}),
    );
    assert_data_limit(&r, "'All' returned a result");
}

#[test]
fn a_loop_replacing_a_large_member_runs_past_the_sum_of_its_results() {
    // Each turn writes 100 KiB over the last 100 KiB: the sum of the results passes the
    // quota after three turns, the payload never does.
    let r = run(
        json!({"StartAt": "Init", "States": {
            "Init": {"Type": "Pass", "Next": "Write"},
            "Write": {"Type": "Pass", "Parameters": {"v.$": "$.s"}, "ResultPath": "$.copy", "Next": "Count"},
            "Count": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.counter.i, 1)"},
                      "InputPath": "$", "ResultPath": "$.counter", "OutputPath": "$", "Next": "More?"},
            "More?": {"Type": "Choice", "Choices": [
                {"Variable": "$.counter.i", "NumericLessThan": 10, "Next": "Write"}], "Default": "Done"},
            "Done": {"Type": "Pass", "OutputPath": "$.counter", "End": true}}}),
        json!({"s": "x".repeat(100 * 1024), "counter": {"i": 0}}),
    );
    assert_eq!(r.output(), &json!({"i": 10}));
}
