//! JSONata states: `Arguments`, `Output`, `Assign`, `$states`, and the way evaluation
//! errors fail (AWS's "Transforming data with JSONata in Step Functions").

use serde_json::{json, Value};

use super::{machine, run, run_scripted, T0};
use crate::failure::Failure;

const LAMBDA: &str = "arn:aws:lambda:us-east-1:123456789012:function:f";

fn jsonata(states: Value) -> Value {
    let start = states
        .as_object()
        .and_then(|m| m.keys().next().cloned())
        .unwrap_or_default();
    json!({"QueryLanguage": "JSONata", "StartAt": start, "States": states})
}

fn query_error(r: &super::Run) -> String {
    let f = r.failure();
    assert_eq!(
        f.error.as_deref(),
        Some("States.QueryEvaluationError"),
        "{f:?}"
    );
    f.cause.clone().unwrap_or_default()
}

#[test]
fn output_and_assign_nest_expressions_and_see_entry_variables() {
    let r = run(
        jsonata(json!({
            "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
            "B": {"Type": "Pass", "Assign": {"x": "{% $x + 1 %}"},
                  "Output": {"before": "{% $x %}", "list": [1, "{% $states.input.n * 2 %}"],
                             "literal": "$.not.a.path"}, "Next": "C"},
            "C": {"Type": "Pass", "Output": "{% $merge([$states.input, {'after': $x}]) %}", "End": true}})),
        json!({"n": 21}),
    );
    assert_eq!(
        r.output(),
        &json!({"before": 1, "list": [1, 42], "literal": "$.not.a.path", "after": 2})
    );
}

#[test]
fn task_arguments_result_and_error_output() {
    let def = machine(jsonata(json!({
        "T": {"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": "{% $states.input.t %}",
              "Arguments": {"id": "{% $states.input.id %}"},
              "Output": {"price": "{% $states.result.price %}", "id": "{% $states.input.id %}"},
              "Assign": {"last": "{% $states.result.price %}"}, "Next": "U"},
        "U": {"Type": "Task", "Resource": LAMBDA, "End": true,
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H",
                         "Output": {"caught": "{% $states.errorOutput.Error %}", "last": "{% $last %}"}}]},
        "H": {"Type": "Succeed"}})));
    let r = run_scripted(
        &def,
        json!({"id": "A-1", "t": 30}),
        vec![Ok(json!({"price": 7})), Err(Failure::new("Boom", "bad"))],
    );
    assert_eq!(r.output(), &json!({"caught": "Boom", "last": 7}));
    let request = &r.tasks[0].1.request;
    assert_eq!(request.parameters, json!({"id": "A-1"}));
    assert_eq!(request.timeout_seconds, Some(30));
    // Without Arguments a task gets the state input; without Output the state gives the result.
    assert_eq!(
        r.tasks[1].1.request.parameters,
        json!({"price": 7, "id": "A-1"})
    );
}

#[test]
fn undefined_results_and_thrown_errors_are_query_evaluation_errors() {
    let r = run(
        jsonata(
            json!({"P": {"Type": "Pass", "Output": {"a": "{% $states.input.missing %}"}, "End": true}}),
        ),
        json!({}),
    );
    assert_eq!(
        query_error(&r),
        "An error occurred while executing the state 'P' (entered at the event id #2). The JSONata expression '$states.input.missing' specified for the field 'Output/a' returned nothing (undefined)."
    );
    let r = run(
        jsonata(json!({"P": {"Type": "Pass", "Output": "{% 1 + 'a' %}", "End": true}})),
        json!({}),
    );
    assert!(query_error(&r).contains("T2002"));
}

#[test]
fn choice_conditions_must_be_boolean() {
    let def = jsonata(json!({
        "C": {"Type": "Choice", "Default": "No",
              "Choices": [{"Condition": "{% $states.input.v %}", "Next": "Yes", "Assign": {"taken": true}}]},
        "Yes": {"Type": "Pass", "Output": "{% $taken %}", "End": true},
        "No": {"Type": "Fail", "Error": "{% 'No' & $string($states.input.v) %}"}}));
    assert_eq!(run(def.clone(), json!({"v": true})).output(), &json!(true));
    assert_eq!(
        run(def.clone(), json!({"v": false}))
            .failure()
            .error
            .as_deref(),
        Some("Nofalse")
    );
    let cause = query_error(&run(def, json!({"v": "yes"})));
    assert!(
        cause.contains("specified for the field 'Choices[0]/Condition'"),
        "{cause}"
    );
    assert!(
        cause.ends_with("Expected 'boolean', but was 'string' for value: \"yes\""),
        "{cause}"
    );
    // A rule may shape the output it leaves with.
    let r = run(
        jsonata(json!({
            "C": {"Type": "Choice", "Default": "D", "Output": "default",
                  "Choices": [{"Condition": "{% true %}", "Next": "D", "Output": {"rule": 0}}]},
            "D": {"Type": "Succeed"}})),
        json!({}),
    );
    assert_eq!(r.output(), &json!({"rule": 0}));
}

#[test]
fn wait_seconds_and_timestamp_expressions() {
    let def =
        jsonata(json!({"W": {"Type": "Wait", "Seconds": "{% $states.input.s %}", "End": true}}));
    let r = run(def.clone(), json!({"s": 3}));
    assert_eq!(r.end_time, T0 + 3000);
    let cause = query_error(&run(def, json!({"s": 1.5})));
    assert!(
        cause.contains("Expected 'integer', but was 'number'"),
        "{cause}"
    );
    let r = run(
        jsonata(json!({"W": {"Type": "Wait", "Timestamp": "{% $states.input.t %}", "End": true}})),
        json!({"t": "not a date"}),
    );
    assert!(
        query_error(&r).ends_with("ISO-8601 extended offset date-time format string: not a date")
    );
}

#[test]
fn map_items_item_selector_and_max_concurrency() {
    let r = run(
        jsonata(
            json!({"M": {"Type": "Map", "Items": "{% $states.input.xs %}",
            "MaxConcurrency": "{% 2 %}",
            "ItemSelector": {"v": "{% $states.context.Map.Item.Value %}",
                             "i": "{% $states.context.Map.Item.Index %}",
                             "k": "{% $states.input.k %}"},
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass",
                "Output": "{% $states.input.v * $states.input.k + $states.input.i %}", "End": true}}},
            "End": true}}),
        ),
        json!({"xs": [1, 2, 3], "k": 10}),
    );
    assert_eq!(r.output(), &json!([10, 21, 32]));
    let r = run(
        jsonata(
            json!({"M": {"Type": "Map", "Items": "{% $states.input.xs %}", "End": true,
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}),
        ),
        json!({"xs": {"a": 1}}),
    );
    assert!(query_error(&r).ends_with("Expected 'array', but was 'object' for value: {\"a\":1}"));
}

#[test]
fn clock_and_randomness_come_from_the_environment() {
    let def = jsonata(json!({"P": {"Type": "Pass",
        "Output": {"now": "{% $now() %}", "millis": "{% $millis() %}", "id": "{% $uuid() %}",
                   "r": "{% $random() %}"}, "End": true}}));
    let a = run(def.clone(), json!({}));
    let b = run(def, json!({}));
    assert_eq!(a.output(), b.output(), "same seed, same values");
    assert_eq!(a.output()["now"], json!("2023-11-14T22:13:20.000Z"));
    assert_eq!(a.output()["millis"], json!(T0));
}

#[test]
fn jsonpath_and_jsonata_states_mix_and_share_variables() {
    let r = run(
        json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Parameters": {"x.$": "$.x"}, "Assign": {"fromPath.$": "$.x"}, "Next": "B"},
            "B": {"Type": "Pass", "QueryLanguage": "JSONata",
                  "Output": {"sum": "{% $states.input.x + $fromPath %}"}, "Assign": {"viaJsonata": 5}, "Next": "C"},
            "C": {"Type": "Pass", "Parameters": {"sum.$": "$.sum", "v.$": "$viaJsonata"}, "End": true}}}),
        json!({"x": 2}),
    );
    assert_eq!(r.output(), &json!({"sum": 4, "v": 5}));
}
