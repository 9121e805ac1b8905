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
