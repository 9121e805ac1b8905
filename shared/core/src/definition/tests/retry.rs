//! Retry and Catch.

use serde_json::{json, Value};

use super::{ok, rejects};
use crate::definition::{Catcher, Jitter, ResultPath, Retrier, StateKind};

/// A Task `T` with `extra` fields merged in, leading to `Done` (plus a `Handler` state
/// when there is a `Catch`).
fn task(extra: Value) -> Value {
    let mut t = json!({"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f", "Next": "Done"});
    let has_catch = extra.get("Catch").is_some();
    if let (Some(t), Value::Object(extra)) = (t.as_object_mut(), extra) {
        t.extend(extra);
    }
    let mut m = json!({"StartAt": "T", "States": {"T": t, "Done": {"Type": "Succeed"}}});
    if has_catch {
        m["States"]["Handler"] = json!({"Type": "Fail"});
    }
    m
}

#[test]
fn retrier_defaults_and_values() {
    let m = ok(task(json!({
        "Retry": [
            {"ErrorEquals": ["Custom", "States.Timeout"]},
            {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3, "MaxAttempts": 0, "BackoffRate": 1.5,
             "MaxDelaySeconds": 10, "JitterStrategy": "FULL", "Comment": "c"}
        ],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handler"}]
    })));
    let s = &m.graph.states["T"];
    assert!(matches!(s.kind, StateKind::Task(_)));
    assert_eq!(
        s.retry,
        vec![
            Retrier {
                error_equals: vec!["Custom".into(), "States.Timeout".into()],
                interval_seconds: 1,
                max_attempts: 3,
                backoff_rate: 2.0,
                max_delay_seconds: None,
                jitter: Jitter::None
            },
            Retrier {
                error_equals: vec!["States.ALL".into()],
                interval_seconds: 3,
                max_attempts: 0,
                backoff_rate: 1.5,
                max_delay_seconds: Some(10),
                jitter: Jitter::Full
            },
        ]
    );
    assert_eq!(
        s.catch,
        vec![Catcher {
            error_equals: vec!["States.ALL".into()],
            next: "Handler".into(),
            result_path: ResultPath::Whole,
            assign: None,
            output: None,
        }]
    );
}

#[test]
fn catcher_result_path() {
    let m = ok(task(json!({"Catch": [
        {"ErrorEquals": ["A"], "Next": "Handler", "ResultPath": "$.error"},
        {"ErrorEquals": ["B"], "Next": "Handler", "ResultPath": null}
    ]})));
    let c = &m.graph.states["T"].catch;
    assert!(matches!(&c[0].result_path, ResultPath::Path(p) if p.source() == "$.error"));
    assert_eq!(c[1].result_path, ResultPath::Discard);
}

#[test]
fn a_typo_like_state_all_without_s_is_an_ordinary_error_name() {
    // A recorded AWS execution uses "State.ALL": it is accepted as a user error name.
    ok(task(json!({"Retry": [{"ErrorEquals": ["State.ALL"]}]})));
}

#[test]
fn retry_and_catch_errors() {
    let cases = [
        (json!({"Retry": {}}), "/States/T/Retry", "must be an array"),
        (
            json!({"Retry": [1]}),
            "/States/T/Retry/0",
            "must be an object",
        ),
        (
            json!({"Retry": [{}]}),
            "/States/T/Retry/0",
            "missing required field \"ErrorEquals\"",
        ),
        (
            json!({"Retry": [{"ErrorEquals": []}]}),
            "/States/T/Retry/0/ErrorEquals",
            "must not be empty",
        ),
        (
            json!({"Retry": [{"ErrorEquals": "E"}]}),
            "/States/T/Retry/0/ErrorEquals",
            "must be an array",
        ),
        (
            json!({"Retry": [{"ErrorEquals": [1]}]}),
            "/States/T/Retry/0/ErrorEquals/0",
            "must be a string",
        ),
        (
            json!({"Retry": [{"ErrorEquals": ["States.Bogus"]}]}),
            "/States/T/Retry/0/ErrorEquals/0",
            "not a predefined error name",
        ),
        (
            json!({"Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["E"]}]}),
            "/States/T/Retry/0/ErrorEquals",
            "States.ALL must appear alone in the last retrier",
        ),
        (
            json!({"Retry": [{"ErrorEquals": ["E"]}, {"ErrorEquals": ["States.ALL", "E"]}]}),
            "/States/T/Retry/1/ErrorEquals",
            "States.ALL must appear alone in the last retrier",
        ),
        (
            json!({"Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 0}]}),
            "/States/T/Retry/0/IntervalSeconds",
            "between 1 and 99999999",
        ),
        (
            json!({"Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 100000000}]}),
            "/States/T/Retry/0/IntervalSeconds",
            "between 1 and 99999999",
        ),
        (
            json!({"Retry": [{"ErrorEquals": ["E"], "MaxAttempts": -1}]}),
            "/States/T/Retry/0/MaxAttempts",
            "non-negative integer",
        ),
        (
            json!({"Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 1.5}]}),
            "/States/T/Retry/0/MaxAttempts",
            "non-negative integer",
        ),
        (
            json!({"Retry": [{"ErrorEquals": ["E"], "BackoffRate": 0.5}]}),
            "/States/T/Retry/0/BackoffRate",
            "at least 1.0",
        ),
        (
            json!({"Retry": [{"ErrorEquals": ["E"], "BackoffRate": "2"}]}),
            "/States/T/Retry/0/BackoffRate",
            "must be a number",
        ),
        (
            json!({"Retry": [{"ErrorEquals": ["E"], "MaxDelaySeconds": 0}]}),
            "/States/T/Retry/0/MaxDelaySeconds",
            "between 1 and 31622401",
        ),
        (
            json!({"Retry": [{"ErrorEquals": ["E"], "MaxDelaySeconds": 31622402}]}),
            "/States/T/Retry/0/MaxDelaySeconds",
            "between 1 and 31622401",
        ),
        (
            json!({"Retry": [{"ErrorEquals": ["E"], "JitterStrategy": "HALF"}]}),
            "/States/T/Retry/0/JitterStrategy",
            "must be \"FULL\" or \"NONE\"",
        ),
        (
            json!({"Retry": [{"ErrorEquals": ["E"], "Next": "Done"}]}),
            "/States/T/Retry/0/Next",
            "not supported in a retrier",
        ),
        (
            json!({"Catch": [{"ErrorEquals": ["E"]}]}),
            "/States/T/Catch/0",
            "missing required field \"Next\"",
        ),
        (
            json!({"Catch": [{"ErrorEquals": ["E"], "Next": "Nowhere"}]}),
            "/States/T/Catch/0/Next",
            "no state named \"Nowhere\"",
        ),
        (
            json!({"Catch": [{"ErrorEquals": ["States.ALL", "E"], "Next": "Handler"}]}),
            "/States/T/Catch/0/ErrorEquals",
            "States.ALL must appear alone in the last catcher",
        ),
        (
            json!({"Catch": [{"ErrorEquals": ["E"], "Next": "Handler", "ResultPath": "$.a[0:1]"}]}),
            "/States/T/Catch/0/ResultPath",
            "is not a reference path",
        ),
        (
            json!({"Catch": [{"ErrorEquals": ["E"], "Next": "Handler", "MaxAttempts": 1}]}),
            "/States/T/Catch/0/MaxAttempts",
            "not supported in a catcher",
        ),
        (
            json!({"Catch": [{"ErrorEquals": ["E"], "Next": "Handler", "Output": {}}]}),
            "/States/T/Catch/0/Output",
            "only supported in JSONata states",
        ),
    ];
    for (extra, path, needle) in cases {
        rejects(task(extra), path, needle);
    }
}

#[test]
fn every_predefined_error_name_is_accepted() {
    for name in crate::failure::names::PREDEFINED
        .iter()
        .filter(|n| **n != "States.ALL")
    {
        ok(task(
            json!({"Retry": [{"ErrorEquals": [name]}], "Catch": [{"ErrorEquals": [name], "Next": "Handler"}]}),
        ));
    }
}
