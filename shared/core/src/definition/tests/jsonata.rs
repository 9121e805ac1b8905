//! JSONata states and `Assign`: which fields each language takes, expressions compiled
//! at parse time, variable names and scopes.

use serde_json::json;

use super::{ok, rejects};
use crate::definition::{JsonataValue, Payload, QueryLanguage, StateKind, WaitState};

fn jsonata(state: serde_json::Value) -> serde_json::Value {
    json!({"QueryLanguage": "JSONata", "StartAt": "S", "States": {"S": state}})
}

#[test]
fn jsonpath_fields_are_rejected_in_jsonata_states_with_their_pointer() {
    for field in [
        "InputPath",
        "OutputPath",
        "Parameters",
        "ResultPath",
        "Result",
    ] {
        let mut state = json!({"Type": "Pass", "End": true});
        state[field] = json!("$");
        rejects(
            jsonata(state),
            &format!("/States/S/{field}"),
            "not supported in JSONata states",
        );
    }
    rejects(
        jsonata(
            json!({"Type": "Task", "Resource": "arn:aws:lambda:x", "ResultSelector": {}, "End": true}),
        ),
        "/States/S/ResultSelector",
        "not supported in JSONata states",
    );
    rejects(
        jsonata(json!({"Type": "Map", "ItemsPath": "$.a", "End": true,
            "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}})),
        "/States/S/ItemsPath",
        "not supported in JSONata states",
    );
    rejects(
        jsonata(json!({"Type": "Choice", "Default": "S",
            "Choices": [{"Variable": "$.a", "IsNull": true, "Next": "S"}]})),
        "/States/S/Choices/0/Variable",
        "use \"Condition\"",
    );
}

#[test]
fn expressions_are_compiled_once_at_parse_time_and_syntax_errors_reported() {
    let m = ok(jsonata(json!({"Type": "Pass", "End": true,
        "Output": {"a": "{% $states.input.x %}", "b": [1, "{% 2 %}"], "c": "plain"}})));
    let state = &m.graph.states["S"];
    assert_eq!(state.query_language, QueryLanguage::Jsonata);
    let Some(JsonataValue::Object(fields)) = &state.output else {
        panic!("{:?}", state.output)
    };
    assert!(matches!(&fields[0].1, JsonataValue::Expr(e) if e.field == "Output/a"));
    assert!(matches!(&fields[2].1, JsonataValue::Literal(_)));
    rejects(
        jsonata(json!({"Type": "Pass", "Output": "{% 1 + %}", "End": true})),
        "/States/S/Output",
        "not a valid JSONata expression",
    );
    let m = ok(jsonata(
        json!({"Type": "Wait", "Seconds": "{% 1 %}", "End": true}),
    ));
    assert!(matches!(
        m.graph.states["S"].kind,
        StateKind::Wait(WaitState::SecondsExpr(_))
    ));
}

#[test]
fn assign_names_and_scopes() {
    let m = ok(json!({"StartAt": "S", "States": {"S": {"Type": "Pass",
        "Assign": {"a": 1, "b.$": "$.x", "c": "{% not evaluated in JSONPath %}"}, "End": true}}}));
    assert!(matches!(
        m.graph.states["S"].assign,
        Some(Payload::Template(_))
    ));
    for bad in ["1abc", "a-b", "states", ""] {
        rejects(
            json!({"StartAt": "S", "States": {"S": {"Type": "Pass", "Assign": {bad: 1}, "End": true}}}),
            &format!("/States/S/Assign/{bad}"),
            "",
        );
    }
    // A Map iteration may read but not assign an outer variable.
    let processor = |inner_assign: serde_json::Value| {
        json!({"StartAt": "Outer", "States": {
            "Outer": {"Type": "Pass", "Assign": {"x": 1}, "Next": "M"},
            "M": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "I", "States": {
                "I": {"Type": "Pass", "Assign": inner_assign, "End": true}}}}}})
    };
    ok(processor(json!({"y.$": "$x"})));
    rejects(
        processor(json!({"x": 2})),
        "/States/M/ItemProcessor/States/I/Assign/x",
        "assigned in an outer scope",
    );
}

#[test]
fn assign_is_not_accepted_on_succeed_and_fail() {
    rejects(
        json!({"StartAt": "S", "States": {"S": {"Type": "Succeed", "Assign": {"a": 1}}}}),
        "/States/S/Assign",
        "not supported in a Succeed state",
    );
}

#[test]
fn states_result_and_error_output_are_available_only_where_aws_documents_them() {
    let task = |extra: serde_json::Value| {
        let mut state = json!({"Type": "Task", "Resource": "arn:aws:lambda:x", "End": true});
        for (k, v) in extra.as_object().into_iter().flatten() {
            state[k] = v.clone();
        }
        jsonata(state)
    };
    ok(task(
        json!({"Output": "{% $states.result %}", "Assign": {"r": "{% $states.result.x %}"}}),
    ));
    rejects(
        task(json!({"Arguments": {"a": "{% $states.result %}"}})),
        "/States/S/Arguments/a",
        "$states.result is only available",
    );
    rejects(
        jsonata(json!({"Type": "Pass", "Output": "{% $states.result %}", "End": true})),
        "/States/S/Output",
        "$states.result is only available",
    );
    rejects(
        task(json!({"Output": "{% $states.errorOutput %}"})),
        "/States/S/Output",
        "$states.errorOutput is only available",
    );
    ok(jsonata(
        json!({"Type": "Task", "Resource": "arn:aws:lambda:x", "End": true,
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "S",
                   "Output": "{% $states.errorOutput %}", "Assign": {"e": "{% $states.errorOutput.Error %}"}}]}),
    ));
}

#[test]
fn compiled_definitions_can_be_shared_across_threads() {
    // The engine shares one parsed definition between its workers.
    fn shareable<T: Send + Sync>() {}
    shareable::<crate::definition::StateMachine>();
}
