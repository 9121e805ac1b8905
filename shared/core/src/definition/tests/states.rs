//! Per-state-type fields and rules.

use serde_json::json;

use super::{diags, ok, one, rejects, then_done};
use crate::definition::{
    FailField, InputPath, Payload, ResultPath, Seconds, StateKind, Template, Transition, WaitState,
};

/// Fields each state type must reject (AWS docs, "amazon-states-language-*-state").
#[test]
fn fields_not_accepted_by_a_state_type() {
    let cases = [
        (
            json!({"Type": "Pass", "End": true, "ResultSelector": {}}),
            "ResultSelector",
            "Pass",
        ),
        (
            json!({"Type": "Pass", "End": true, "Retry": []}),
            "Retry",
            "Pass",
        ),
        (
            json!({"Type": "Pass", "End": true, "Resource": "arn:x"}),
            "Resource",
            "Pass",
        ),
        (
            json!({"Type": "Succeed", "Parameters": {}}),
            "Parameters",
            "Succeed",
        ),
        (
            json!({"Type": "Succeed", "ResultPath": "$.x"}),
            "ResultPath",
            "Succeed",
        ),
        (json!({"Type": "Succeed", "Next": "S"}), "Next", "Succeed"),
        (json!({"Type": "Succeed", "End": true}), "End", "Succeed"),
        (
            json!({"Type": "Fail", "InputPath": "$"}),
            "InputPath",
            "Fail",
        ),
        (
            json!({"Type": "Fail", "OutputPath": "$"}),
            "OutputPath",
            "Fail",
        ),
        (json!({"Type": "Fail", "End": true}), "End", "Fail"),
        (
            json!({"Type": "Fail", "ResultSelector": {}}),
            "ResultSelector",
            "Fail",
        ),
        (
            json!({"Type": "Choice", "Choices": [{"Variable": "$", "IsNull": true, "Next": "S"}], "Next": "S"}),
            "Next",
            "Choice",
        ),
        (
            json!({"Type": "Choice", "Choices": [{"Variable": "$", "IsNull": true, "Next": "S"}], "End": true}),
            "End",
            "Choice",
        ),
        (
            json!({"Type": "Choice", "Choices": [{"Variable": "$", "IsNull": true, "Next": "S"}], "Parameters": {}}),
            "Parameters",
            "Choice",
        ),
        (
            json!({"Type": "Choice", "Choices": [{"Variable": "$", "IsNull": true, "Next": "S"}], "ResultPath": "$.a"}),
            "ResultPath",
            "Choice",
        ),
        (
            json!({"Type": "Wait", "Seconds": 1, "End": true, "Parameters": {}}),
            "Parameters",
            "Wait",
        ),
        (
            json!({"Type": "Wait", "Seconds": 1, "End": true, "ResultPath": "$.a"}),
            "ResultPath",
            "Wait",
        ),
        (
            json!({"Type": "Wait", "Seconds": 1, "End": true, "Catch": []}),
            "Catch",
            "Wait",
        ),
        (
            json!({"Type": "Parallel", "End": true, "Branches": [], "Result": 1}),
            "Result",
            "Parallel",
        ),
        (
            json!({"Type": "Task", "Resource": "arn:x", "End": true, "Result": 1}),
            "Result",
            "Task",
        ),
        (
            json!({"Type": "Map", "End": true, "ItemProcessor": {}, "Resource": "arn:x"}),
            "Resource",
            "Map",
        ),
    ];
    for (state, field, ty) in cases {
        rejects(
            one(state),
            &format!("/States/S/{field}"),
            &format!("field \"{field}\" is not supported in a {ty} state"),
        );
    }
}

#[test]
fn jsonata_fields_need_the_jsonata_query_language() {
    for field in ["Arguments", "Output"] {
        let mut state = json!({"Type": "Task", "Resource": "arn:aws:lambda:x", "End": true});
        state[field] = json!({});
        rejects(
            one(state),
            &format!("/States/S/{field}"),
            &format!("field \"{field}\" is only supported in JSONata states"),
        );
    }
    ok(one(
        json!({"Type": "Pass", "Assign": {"x": 1}, "End": true}),
    ));
}

#[test]
fn next_and_end() {
    rejects(
        one(json!({"Type": "Pass"})),
        "/States/S",
        "must have either \"Next\" or \"End\": true",
    );
    rejects(
        then_done(json!({"Type": "Pass", "Next": "Done", "End": true})),
        "/States/S",
        "cannot have both \"Next\" and \"End\"",
    );
    rejects(
        one(json!({"Type": "Pass", "End": "yes"})),
        "/States/S/End",
        "must be a boolean",
    );
    rejects(
        one(json!({"Type": "Pass", "Next": 1})),
        "/States/S/Next",
        "must be a string",
    );
    rejects(
        one(json!({"Type": "Pass", "End": false})),
        "/States/S",
        "must have either",
    );
    // `"End": false` next to `Next` is read as absent.
    let m = ok(then_done(
        json!({"Type": "Pass", "Next": "Done", "End": false}),
    ));
    assert_eq!(
        m.graph.states["S"].transition,
        Transition::Next("Done".into())
    );
    for ty in ["Task", "Wait", "Parallel", "Map"] {
        let mut s = match ty {
            "Task" => json!({"Resource": "arn:aws:lambda:us-east-1:1:function:f"}),
            "Wait" => json!({"Seconds": 1}),
            "Parallel" => {
                json!({"Branches": [{"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}]})
            }
            _ => json!({"ItemProcessor": {"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}}),
        };
        s["Type"] = json!(ty);
        rejects(
            one(s),
            "/States/S",
            "must have either \"Next\" or \"End\": true",
        );
    }
}

#[test]
fn pass_state() {
    let m = ok(one(json!({
        "Type": "Pass", "Comment": "c", "InputPath": "$", "OutputPath": null, "ResultPath": null,
        "Result": {"a.$": "$.not.evaluated", "b": [1, 2]}, "End": true
    })));
    let s = &m.graph.states["S"];
    assert_eq!(s.comment.as_deref(), Some("c"));
    assert_eq!(s.input_path, InputPath::Whole);
    assert_eq!(s.output_path, InputPath::Null);
    assert_eq!(s.result_path, ResultPath::Discard);
    assert_eq!(s.transition, Transition::End);
    let StateKind::Pass(p) = &s.kind else {
        panic!("{:?}", s.kind)
    };
    assert_eq!(
        p.result,
        Some(json!({"a.$": "$.not.evaluated", "b": [1, 2]}))
    );
    // Result may be any JSON.
    for result in [json!(null), json!(1), json!("x"), json!([1])] {
        ok(one(json!({"Type": "Pass", "Result": result, "End": true})));
    }
}

#[test]
fn io_paths() {
    let m = ok(one(
        json!({"Type": "Pass", "InputPath": "$.a", "OutputPath": "$$.Execution.Input", "ResultPath": "$.r['x'][0]", "End": true}),
    ));
    let s = &m.graph.states["S"];
    assert!(matches!(&s.input_path, InputPath::Path(p) if p.source() == "$.a"));
    assert!(matches!(&s.output_path, InputPath::Path(p) if p.source() == "$$.Execution.Input"));
    assert!(matches!(&s.result_path, ResultPath::Path(p) if p.source() == "$.r['x'][0]"));
    let cases = [
        (
            json!({"Type": "Pass", "End": true, "ResultPath": "$.a[*]"}),
            "/States/S/ResultPath",
            "\"$.a[*]\" is not a reference path",
        ),
        (
            json!({"Type": "Pass", "End": true, "ResultPath": "$$.Execution"}),
            "/States/S/ResultPath",
            "is not a reference path",
        ),
        (
            json!({"Type": "Pass", "End": true, "ResultPath": 3}),
            "/States/S/ResultPath",
            "must be a path string or null",
        ),
        (
            json!({"Type": "Pass", "End": true, "InputPath": "a.b"}),
            "/States/S/InputPath",
            "is not a path",
        ),
        (
            json!({"Type": "Pass", "End": true, "InputPath": "$.a[0"}),
            "/States/S/InputPath",
            "is not a valid path",
        ),
        (
            json!({"Type": "Pass", "End": true, "OutputPath": {}}),
            "/States/S/OutputPath",
            "must be a path string or null",
        ),
        (
            json!({"Type": "Pass", "End": true, "InputPath": "States.Array($)"}),
            "/States/S/InputPath",
            "is not a path",
        ),
    ];
    for (state, path, needle) in cases {
        rejects(one(state), path, needle);
    }
}

#[test]
fn task_state() {
    let m = ok(one(json!({
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
        "TimeoutSeconds": 10, "HeartbeatSecondsPath": "$.hb", "Credentials": {"RoleArn": "arn:aws:iam::1:role/r"},
        "Parameters": {"a": 1}, "ResultSelector": {"b.$": "$.c"}
    })));
    let StateKind::Task(t) = &m.graph.states["S"].kind else {
        panic!()
    };
    assert_eq!(t.resource, "arn:aws:states:::lambda:invoke");
    assert_eq!(t.timeout, Some(Seconds::Literal(10)));
    assert!(matches!(&t.heartbeat, Some(Seconds::Path(p)) if p.source() == "$.hb"));
    assert_eq!(
        t.credentials,
        Some(Payload::Template(Template::Literal(
            json!({"RoleArn": "arn:aws:iam::1:role/r"})
        )))
    );
    let cases = [
        (
            json!({"Type": "Task", "End": true}),
            "/States/S",
            "missing required field \"Resource\"",
        ),
        (
            json!({"Type": "Task", "End": true, "Resource": "lambda"}),
            "/States/S/Resource",
            "is not an ARN",
        ),
        (
            json!({"Type": "Task", "End": true, "Resource": 1}),
            "/States/S/Resource",
            "must be a string",
        ),
        (
            json!({"Type": "Task", "End": true, "Resource": "arn:x", "TimeoutSeconds": 0}),
            "/States/S/TimeoutSeconds",
            "positive integer",
        ),
        (
            json!({"Type": "Task", "End": true, "Resource": "arn:x", "TimeoutSeconds": "5"}),
            "/States/S/TimeoutSeconds",
            "positive integer",
        ),
        (
            json!({"Type": "Task", "End": true, "Resource": "arn:x", "HeartbeatSeconds": -1}),
            "/States/S/HeartbeatSeconds",
            "positive integer",
        ),
        (
            json!({"Type": "Task", "End": true, "Resource": "arn:x", "TimeoutSeconds": 5, "TimeoutSecondsPath": "$.t"}),
            "/States/S",
            "cannot have both \"TimeoutSeconds\" and \"TimeoutSecondsPath\"",
        ),
        (
            json!({"Type": "Task", "End": true, "Resource": "arn:x", "HeartbeatSeconds": 5, "HeartbeatSecondsPath": "$.t"}),
            "/States/S",
            "cannot have both \"HeartbeatSeconds\" and \"HeartbeatSecondsPath\"",
        ),
        (
            json!({"Type": "Task", "End": true, "Resource": "arn:x", "TimeoutSeconds": 5, "HeartbeatSeconds": 5}),
            "/States/S/HeartbeatSeconds",
            "must be smaller than TimeoutSeconds",
        ),
        (
            json!({"Type": "Task", "End": true, "Resource": "arn:x", "Credentials": "r"}),
            "/States/S/Credentials",
            "must be an object",
        ),
        (
            json!({"Type": "Task", "End": true, "Resource": "arn:x", "TimeoutSecondsPath": "t"}),
            "/States/S/TimeoutSecondsPath",
            "is not a path",
        ),
    ];
    for (state, path, needle) in cases {
        rejects(one(state), path, needle);
    }
}

#[test]
fn wait_state() {
    let cases = [
        (
            json!({"Type": "Wait", "Seconds": 0, "End": true}),
            WaitState::Seconds(0),
        ),
        (
            json!({"Type": "Wait", "Seconds": 10, "End": true}),
            WaitState::Seconds(10),
        ),
        (
            json!({"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z", "End": true}),
            WaitState::Timestamp {
                text: "2016-03-14T01:59:00Z".into(),
                epoch_millis: 1_457_920_740_000,
            },
        ),
        (
            json!({"Type": "Wait", "Timestamp": "2016-03-14T02:59:00.5+01:00", "End": true}),
            WaitState::Timestamp {
                text: "2016-03-14T02:59:00.5+01:00".into(),
                epoch_millis: 1_457_920_740_500,
            },
        ),
    ];
    for (state, expected) in cases {
        let m = ok(one(state));
        let StateKind::Wait(w) = &m.graph.states["S"].kind else {
            panic!()
        };
        assert_eq!(w, &expected);
    }
    let m = ok(one(
        json!({"Type": "Wait", "SecondsPath": "$.s", "End": true}),
    ));
    assert!(
        matches!(&m.graph.states["S"].kind, StateKind::Wait(WaitState::SecondsPath(p)) if p.source() == "$.s")
    );
    let m = ok(one(
        json!({"Type": "Wait", "TimestampPath": "$.t", "End": true}),
    ));
    assert!(matches!(
        &m.graph.states["S"].kind,
        StateKind::Wait(WaitState::TimestampPath(_))
    ));

    let bad = [
        (
            json!({"Type": "Wait", "End": true}),
            "/States/S",
            "needs one of",
        ),
        (
            json!({"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": true}),
            "/States/S",
            "exactly one",
        ),
        (
            json!({"Type": "Wait", "Seconds": -1, "End": true}),
            "/States/S/Seconds",
            "non-negative integer",
        ),
        (
            json!({"Type": "Wait", "Seconds": 1.5, "End": true}),
            "/States/S/Seconds",
            "non-negative integer",
        ),
        (
            json!({"Type": "Wait", "Seconds": "1", "End": true}),
            "/States/S/Seconds",
            "non-negative integer",
        ),
        (
            json!({"Type": "Wait", "Timestamp": "yesterday", "End": true}),
            "/States/S/Timestamp",
            "is not a timestamp",
        ),
        (
            json!({"Type": "Wait", "Timestamp": 5, "End": true}),
            "/States/S/Timestamp",
            "must be a string",
        ),
        (
            json!({"Type": "Wait", "SecondsPath": "s", "End": true}),
            "/States/S/SecondsPath",
            "is not a path",
        ),
    ];
    for (state, path, needle) in bad {
        rejects(one(state), path, needle);
    }
}

#[test]
fn fail_state() {
    let m = ok(one(
        json!({"Type": "Fail", "Error": "E", "CausePath": "$.c"}),
    ));
    let StateKind::Fail(f) = &m.graph.states["S"].kind else {
        panic!()
    };
    assert!(matches!(&f.error, Some(FailField::Literal(e)) if e == "E"));
    assert!(matches!(&f.cause, Some(FailField::Path(p)) if p.source() == "$.c"));
    let m = ok(one(
        json!({"Type": "Fail", "ErrorPath": "States.Format('{}', $.e)"}),
    ));
    let StateKind::Fail(f) = &m.graph.states["S"].kind else {
        panic!()
    };
    assert!(matches!(&f.error, Some(FailField::Intrinsic(_))));
    assert!(f.cause.is_none());
    ok(one(json!({"Type": "Fail"})));
    let bad = [
        (
            json!({"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}),
            "/States/S",
            "cannot have both \"Error\" and \"ErrorPath\"",
        ),
        (
            json!({"Type": "Fail", "Cause": "C", "CausePath": "$.c"}),
            "/States/S",
            "cannot have both \"Cause\" and \"CausePath\"",
        ),
        (
            json!({"Type": "Fail", "Error": 1}),
            "/States/S/Error",
            "must be a string",
        ),
        (
            json!({"Type": "Fail", "CausePath": "oops"}),
            "/States/S/CausePath",
            "neither a path nor an intrinsic",
        ),
    ];
    for (state, path, needle) in bad {
        rejects(one(state), path, needle);
    }
}

#[test]
fn invalid_state_still_has_its_transitions_checked() {
    let d = diags(json!({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Next": "B"},
        "B": {"Type": "Succeed"}
    }}));
    assert_eq!(d.len(), 1, "B is reachable through the invalid A: {d:#?}");
    assert_eq!(d[0].path, "/States/A");
}

/// Fields that read one value take a Reference Path (statelint's `referencePath`): a path
/// that can select several values is rejected, while `$$…` and `$var…` stay allowed.
#[test]
fn single_value_paths_must_be_reference_paths() {
    let cases = [
        (
            json!({"Type": "Wait", "SecondsPath": "$.a[*]", "End": true}),
            "SecondsPath",
        ),
        (
            json!({"Type": "Wait", "TimestampPath": "$..when", "End": true}),
            "TimestampPath",
        ),
        (
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                   "TimeoutSecondsPath": "$.t[0:1]", "End": true}),
            "TimeoutSecondsPath",
        ),
        (
            json!({"Type": "Map", "ItemsPath": "$.items[?(@.ok)]", "End": true,
                   "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}}),
            "ItemsPath",
        ),
    ];
    for (state, field) in cases {
        rejects(
            one(state),
            &format!("/States/S/{field}"),
            "not a reference path",
        );
    }
    ok(one(
        json!({"Type": "Wait", "SecondsPath": "$$.Execution.Input.wait", "End": true}),
    ));
    ok(one(
        json!({"Type": "Map", "ItemsPath": "$.orders[0].items", "End": true,
                  "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}}),
    ));
}
