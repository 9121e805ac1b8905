//! Input and output processing (developer guide: "Processing input and output").

use serde_json::json;

use super::run;

#[test]
fn result_path_merges_into_the_raw_input_not_the_input_path_output() {
    let r = run(
        json!({"StartAt": "P", "States": {"P": {
            "Type": "Pass", "InputPath": "$.a", "Result": 42, "ResultPath": "$.b", "End": true}}}),
        json!({"a": {"x": 1}, "keep": true}),
    );
    assert_eq!(r.output(), &json!({"a": {"x": 1}, "keep": true, "b": 42}));
}

#[test]
fn null_paths() {
    let discard = run(
        json!({"StartAt": "P", "States": {"P": {
            "Type": "Pass", "Result": "ignored", "ResultPath": null, "End": true}}}),
        json!({"x": 1}),
    );
    assert_eq!(discard.output(), &json!({"x": 1}));
    let empty_in = run(
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "InputPath": null, "End": true}}}),
        json!({"x": 1}),
    );
    assert_eq!(empty_in.output(), &json!({}));
    let empty_out = run(
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "OutputPath": null, "End": true}}}),
        json!({"x": 1}),
    );
    assert_eq!(empty_out.output(), &json!({}));
}

#[test]
fn parameters_evaluate_paths_intrinsics_and_the_context_object() {
    let r = run(
        json!({"StartAt": "Shape", "States": {"Shape": {
            "Type": "Pass",
            "Parameters": {
                "static": "text",
                "fromInput.$": "$.order.id",
                "nested": {"count.$": "States.ArrayLength($.order.lines)", "list": [{"deep.$": "$.order.id"}]},
                "execution.$": "$$.Execution.Name",
                "state.$": "$$.State.Name",
                "original.$": "$$.Execution.Input.order.id"
            },
            "End": true}}}),
        json!({"order": {"id": "A-1", "lines": [1, 2, 3]}}),
    );
    assert_eq!(
        r.output(),
        &json!({
            "static": "text",
            "fromInput": "A-1",
            "nested": {"count": 3, "list": [{"deep": "A-1"}]},
            "execution": "exec-1",
            "state": "Shape",
            "original": "A-1"
        })
    );
}

/// Output objects are built from a copy of the template's keys; a key given both plain
/// and with `.$` cannot be, and keeps its first position with the last value.
#[test]
fn parameters_keep_key_order_and_a_repeated_key_takes_its_last_value() {
    let r = run(
        json!({"StartAt": "P", "States": {"P": {
            "Type": "Pass",
            "Parameters": {"z": 0, "a": 1, "b.$": "$.y", "a.$": "$.x"},
            "End": true}}}),
        json!({"x": "X", "y": "Y"}),
    );
    assert_eq!(
        serde_json::to_string(r.output()).ok().as_deref(),
        Some(r#"{"z":0,"a":"X","b":"Y"}"#)
    );
    let r = run(
        json!({"StartAt": "P", "States": {"P": {
            "Type": "Pass",
            "Parameters": {"z": 0, "b.$": "$.y", "a.$": "$.x", "n": {"k.$": "$.x", "c": 2}},
            "End": true}}}),
        json!({"x": "X", "y": "Y"}),
    );
    assert_eq!(
        serde_json::to_string(r.output()).ok().as_deref(),
        Some(r#"{"z":0,"b":"Y","a":"X","n":{"k":"X","c":2}}"#)
    );
}

#[test]
fn pass_result_keeps_dollar_keys_verbatim() {
    let r = run(
        json!({"StartAt": "P", "States": {"P": {
            "Type": "Pass", "Result": {"a.$": "$.x"}, "End": true}}}),
        json!({"x": 1}),
    );
    assert_eq!(r.output(), &json!({"a.$": "$.x"}));
}

#[test]
fn output_path_selects_from_the_merged_result() {
    let r = run(
        json!({"StartAt": "P", "States": {"P": {
            "Type": "Pass", "Result": {"v": 7}, "ResultPath": "$.r", "OutputPath": "$.r.v", "End": true}}}),
        json!({}),
    );
    assert_eq!(r.output(), &json!(7));
}

#[test]
fn missing_parameter_path_is_a_runtime_error_naming_the_field() {
    let r = run(
        json!({"StartAt": "P", "States": {"P": {
            "Type": "Pass", "Parameters": {"v.$": "$.missing"}, "End": true}}}),
        json!({"x": 1}),
    );
    let f = r.failure();
    assert_eq!(f.error.as_deref(), Some("States.Runtime"));
    let cause = f.cause.as_deref().unwrap_or_default();
    assert!(
        cause.starts_with(
            "An error occurred while executing the state 'P' (entered at the event id #2)."
        ),
        "{cause}"
    );
    assert!(
        cause.contains("'$.missing'") && cause.contains("'v.$'"),
        "{cause}"
    );
}

#[test]
fn oversize_output_is_data_limit_exceeded_and_uncatchable_by_all() {
    let big = "x".repeat(300 * 1024);
    let r = run(
        json!({"StartAt": "P", "States": {
            "P": {"Type": "Pass", "Parameters": {"big.$": "$.big"}, "Next": "Q"},
            "Q": {"Type": "Pass", "End": true}}}),
        json!({"big": big.clone()}),
    );
    // The execution input itself is over the limit.
    assert_eq!(
        r.failure().error.as_deref(),
        Some("States.DataLimitExceeded")
    );
    let r = run(
        json!({"StartAt": "P", "States": {
            "P": {"Type": "Pass", "Parameters": {"a.$": "$.s", "b.$": "$.s", "c.$": "$.s"}, "Next": "Q"},
            "Q": {"Type": "Pass", "End": true}}}),
        json!({"s": "y".repeat(100 * 1024)}),
    );
    assert_eq!(
        r.failure().error.as_deref(),
        Some("States.DataLimitExceeded")
    );
}
