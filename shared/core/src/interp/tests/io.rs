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

/// Parameters written by ResultPath over an object with the same keys reuse it; the
/// output must be what replacing it gives: the member keeps its position, the fields
/// read the input as it was, and other keys or another order replace the object whole.
#[test]
fn parameters_written_over_the_previous_result_give_the_replaced_output() {
    let machine = |params: serde_json::Value, result_path: &str| {
        json!({"StartAt": "P", "States": {"P": {
            "Type": "Pass", "Parameters": params, "ResultPath": result_path, "End": true}}})
    };
    let cases = [
        // Same keys, same order: read before written.
        (
            machine(
                json!({"a.$": "States.MathAdd($.r.a, 1)", "b.$": "$.r.a"}),
                "$.r",
            ),
            json!({"r": {"a": 1, "b": 0}, "z": true}),
            r#"{"r":{"a":2,"b":1},"z":true}"#,
        ),
        // Same keys, another order: the new order.
        (
            machine(json!({"a.$": "$.x", "b.$": "$.y"}), "$.r"),
            json!({"z": 0, "r": {"b": 1, "a": 2}, "x": "X", "y": "Y"}),
            r#"{"z":0,"r":{"a":"X","b":"Y"},"x":"X","y":"Y"}"#,
        ),
        // Fewer or more keys, or not an object there.
        (
            machine(json!({"a.$": "$.x"}), "$.r"),
            json!({"r": {"a": 1, "b": 2}, "x": "X"}),
            r#"{"r":{"a":"X"},"x":"X"}"#,
        ),
        (
            machine(json!({"a.$": "$.x", "b": 2}), "$.r"),
            json!({"r": [1], "x": "X"}),
            r#"{"r":{"a":"X","b":2},"x":"X"}"#,
        ),
        // Over the whole input (ResultPath `$`), in its order or another; more fields than
        // are kept on the stack.
        (
            machine(json!({"i.$": "States.MathAdd($.i, 1)", "n.$": "$.n"}), "$"),
            json!({"i": 1, "n": 3}),
            r#"{"i":2,"n":3}"#,
        ),
        (
            machine(json!({"i.$": "States.MathAdd($.i, 1)", "n.$": "$.n"}), "$"),
            json!({"n": 3, "i": 1}),
            r#"{"i":2,"n":3}"#,
        ),
        (
            machine(
                json!({"a.$": "$.b", "b.$": "$.c", "c.$": "$.d", "d.$": "$.e", "e.$": "$.a"}),
                "$",
            ),
            json!({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}),
            r#"{"a":2,"b":3,"c":4,"d":5,"e":1}"#,
        ),
        // Through an array index, and a path whose parents are created.
        (
            machine(json!({"v.$": "$.x"}), "$.list[1]"),
            json!({"list": [{"v": 0}, {"v": 1}], "x": "X"}),
            r#"{"list":[{"v":0},{"v":"X"}],"x":"X"}"#,
        ),
        (
            machine(json!({"v.$": "$.x"}), "$.new.deep"),
            json!({"x": "X"}),
            r#"{"x":"X","new":{"deep":{"v":"X"}}}"#,
        ),
    ];
    for (definition, input, want) in cases {
        let r = run(definition, input);
        assert_eq!(
            serde_json::to_string(r.output()).ok().as_deref(),
            Some(want)
        );
    }
    // A ResultPath that cannot be applied still fails as before.
    let r = run(machine(json!({"v.$": "$.x"}), "$.x.y"), json!({"x": "X"}));
    assert_eq!(
        r.failure().error.as_deref(),
        Some("States.ResultPathMatchFailure")
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
