//! Errors raised inside states: where they surface, what their causes say.

use serde_json::json;

use super::run;

#[test]
fn a_runtime_error_after_other_states_names_its_entered_event_id() {
    // #1 ExecutionStarted, #2/#3 A entered/exited, #4 B entered.
    let r = run(
        json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Pass", "InputPath": "$.nope", "End": true}}}),
        json!({"x": 1}),
    );
    let cause = r.failure().cause.clone().unwrap_or_default();
    assert!(
        cause.starts_with(
            "An error occurred while executing the state 'B' (entered at the event id #4)."
        ),
        "{cause}"
    );
}

#[test]
fn errors_in_map_iterations_fail_the_map_with_the_same_error() {
    let r = run(
        json!({"StartAt": "M", "States": {"M": {
            "Type": "Map", "MaxConcurrency": 1,
            "ItemProcessor": {"StartAt": "C", "States": {
                "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 3, "Next": "Break"}], "Default": "Ok"},
                "Break": {"Type": "Fail", "Error": "Three", "Cause": "found 3"},
                "Ok": {"Type": "Pass", "End": true}}},
            "End": true}}}),
        json!([1, 2, 3, 4]),
    );
    assert_eq!(r.failure().error.as_deref(), Some("Three"));
    assert_eq!(r.failure().cause.as_deref(), Some("found 3"));
    let types = r.event_types();
    assert!(types.contains(&"MapIterationFailed"));
    assert!(types.contains(&"MapStateFailed"));
}

#[test]
fn retrying_a_map_reruns_every_iteration() {
    let r = run(
        json!({"StartAt": "M", "States": {"M": {
            "Type": "Map",
            "ItemProcessor": {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "c"}}},
            "Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 2, "IntervalSeconds": 1}],
            "End": true}}}),
        json!([1]),
    );
    assert_eq!(r.failure().error.as_deref(), Some("E"));
    let started = r
        .event_types()
        .iter()
        .filter(|t| **t == "MapStateStarted")
        .count();
    assert_eq!(started, 3);
}

/// The cause of a one-state machine's failure, after the "entered at" prefix.
fn runtime_cause(definition: serde_json::Value, input: serde_json::Value) -> String {
    let r = run(definition, input);
    assert_eq!(r.failure().error.as_deref(), Some("States.Runtime"));
    let cause = r.failure().cause.clone().unwrap_or_default();
    let prefix = "An error occurred while executing the state 'S' (entered at the event id #2). ";
    match cause.strip_prefix(prefix) {
        Some(rest) => rest.to_owned(),
        None => panic!("missing the state prefix: {cause}"),
    }
}

#[test]
fn an_unmatched_input_or_output_path_quotes_jayway_normalised_path() {
    // LocalStack input_path.py/output_path.py (AWS-snapshot tested): "Invalid path '$.x' :
    // No results for path: $['x']", no input quoted. Deeper paths follow Jayway's
    // PathToken: a missing inner property is "Missing property in path $['a']".
    let pass = |field: &str, path: &str| json!({"StartAt": "S", "States": {"S": {"Type": "Pass", field: path, "End": true}}});
    assert_eq!(
        runtime_cause(pass("InputPath", "$.nope"), json!({"x": 1})),
        "Invalid path '$.nope' : No results for path: $['nope']"
    );
    assert_eq!(
        runtime_cause(pass("OutputPath", "$.a.b"), json!({"a": {}})),
        "Invalid path '$.a.b' : No results for path: $['a']['b']"
    );
    assert_eq!(
        runtime_cause(pass("OutputPath", "$.a.b"), json!({"x": 1})),
        "Invalid path '$.a.b' : Missing property in path $['a']"
    );
    assert_eq!(
        runtime_cause(pass("InputPath", "$.a[3].b"), json!({"a": [1]})),
        "Invalid path '$.a[3].b' : No results for path: $['a'][3]['b']"
    );
}

#[test]
fn an_unmatched_parameters_path_names_the_field_and_quotes_the_input() {
    // AWS workshop output: "The JSONPath '$.application.address' specified for the field
    // 'address.$' could not be found in the input '{"flagged":false}'".
    let def = json!({"StartAt": "S", "States": {"S": {"Type": "Pass",
        "Parameters": {"address.$": "$.application.address"}, "End": true}}});
    assert_eq!(
        runtime_cause(def, json!({"flagged": false})),
        "The JSONPath '$.application.address' specified for the field 'address.$' could not be found in the input '{\"flagged\":false}'"
    );
}

#[test]
fn an_unmatched_wait_path_does_not_reference_an_input_value() {
    // LocalStack seconds_path.py: "The SecondsPath parameter does not reference an input
    // value: $.x"; TimestampPath is worded alike.
    let wait = |field: &str| json!({"StartAt": "S", "States": {"S": {"Type": "Wait", field: "$.w", "End": true}}});
    assert_eq!(
        runtime_cause(wait("SecondsPath"), json!({})),
        "The SecondsPath parameter does not reference an input value: $.w"
    );
    assert_eq!(
        runtime_cause(wait("TimestampPath"), json!({})),
        "The TimestampPath parameter does not reference an input value: $.w"
    );
}

#[test]
fn max_concurrency_path_takes_integer_strings_and_rejects_negatives() {
    // LocalStack max_concurrency.py (AWS-snapshot tested): strings holding an integer are
    // converted; negatives and non-integers have their own causes.
    let map = json!({"StartAt": "S", "States": {"S": {"Type": "Map",
        "ItemsPath": "$.items", "MaxConcurrencyPath": "$.mc",
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
        "End": true}}});
    let r = run(map.clone(), json!({"items": [1, 2], "mc": "1"}));
    assert_eq!(r.output(), &json!([1, 2]));
    assert_eq!(
        runtime_cause(map.clone(), json!({"items": [1], "mc": -1})),
        "Expected non-negative integer for MaxConcurrency, got '-1' instead."
    );
    assert_eq!(
        runtime_cause(map, json!({"items": [1], "mc": "abc"})),
        "The MaxConcurrencyPath field refers to value \"abc\" which is not a valid integer: $.mc"
    );
}

#[test]
fn iterations_still_running_when_a_map_fails_are_recorded_as_aborted() {
    let r = run(
        json!({"StartAt": "M", "States": {"M": {
            "Type": "Map",
            "ItemProcessor": {"StartAt": "C", "States": {
                "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 0, "Next": "Boom"}], "Default": "Slow"},
                "Boom": {"Type": "Fail", "Error": "E"},
                "Slow": {"Type": "Wait", "Seconds": 60, "End": true}}},
            "End": true}}}),
        json!([0, 1, 2]),
    );
    assert_eq!(r.failure().error.as_deref(), Some("E"));
    let aborted = r
        .event_types()
        .iter()
        .filter(|t| **t == "MapIterationAborted")
        .count();
    assert_eq!(aborted, 2);
}
