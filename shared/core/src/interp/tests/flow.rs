//! Control flow: Choice, Wait, Succeed, Fail, Parallel, Map, execution timeout.

use serde_json::json;

use super::{machine, run, run_scripted, T0};
use crate::interp::Status;

#[test]
fn choice_takes_the_first_matching_rule_then_default() {
    let def = json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [
            {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
            {"Variable": "$.value", "NumericEquals": 0, "Next": "Zero"},
            {"And": [
                {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                {"Variable": "$.value", "NumericLessThan": 30}
            ], "Next": "Twenties"}
        ], "Default": "Other"},
        "Public": {"Type": "Pass", "Result": "public", "End": true},
        "Zero": {"Type": "Pass", "Result": "zero", "End": true},
        "Twenties": {"Type": "Pass", "Result": "twenties", "End": true},
        "Other": {"Type": "Pass", "Result": "other", "End": true}
    }});
    let cases = [
        (json!({"type": "Public", "value": 0}), "public"),
        (json!({"type": "Private", "value": 0}), "zero"),
        (json!({"type": "Private", "value": 25}), "twenties"),
        (json!({"type": "Private", "value": 35}), "other"),
    ];
    for (input, expected) in cases {
        assert_eq!(run(def.clone(), input).output(), &json!(expected));
    }
}

#[test]
fn choice_without_match_or_default_is_a_runtime_error() {
    let r = run(
        json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.v", "IsPresent": true, "Next": "E"}]},
            "E": {"Type": "Succeed"}}}),
        json!({}),
    );
    // AWS reports it under States.Runtime (NoChoiceMatched is "reserved for future use"),
    // so a Catch on States.ALL cannot swallow it.
    assert_eq!(r.failure().error.as_deref(), Some("States.Runtime"));
}

#[test]
fn choice_output_is_its_effective_input() {
    let r = run(
        json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "InputPath": "$.inner", "Choices": [
                {"Variable": "$.flag", "BooleanEquals": true, "Next": "E"}], "Default": "E"},
            "E": {"Type": "Succeed"}}}),
        json!({"inner": {"flag": true}, "outer": 1}),
    );
    assert_eq!(r.output(), &json!({"flag": true}));
}

#[test]
fn wait_seconds_sleeps_on_the_callers_clock() {
    let r = run(
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": true}}}),
        json!({"x": 1}),
    );
    assert_eq!(r.output(), &json!({"x": 1}));
    assert_eq!(r.end_time, T0 + 5000);
}

#[test]
fn wait_timestamp_in_the_past_continues_at_once() {
    let r = run(
        json!({"StartAt": "W", "States": {"W": {
            "Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z", "End": true}}}),
        json!({}),
    );
    assert_eq!(r.end_time, T0);
    assert!(matches!(r.status, Status::Succeeded(_)));
}

#[test]
fn wait_paths_validate_their_values() {
    let def = json!({"StartAt": "W", "States": {"W": {
        "Type": "Wait", "SecondsPath": "$.s", "End": true}}});
    assert_eq!(run(def.clone(), json!({"s": 2})).end_time, T0 + 2000);
    let negative = run(def.clone(), json!({"s": -1}));
    assert_eq!(
        negative.failure().cause.as_deref(),
        Some("An error occurred while executing the state 'W' (entered at the event id #2). The SecondsPath parameter references a negative value: $.s == -1")
    );
    let fractional = run(def, json!({"s": 1.5}));
    assert!(fractional
        .failure()
        .cause
        .as_deref()
        .unwrap_or_default()
        .ends_with("The SecondsPath parameter cannot be parsed as a long value: $.s == 1.5"));
    let ts = json!({"StartAt": "W", "States": {"W": {
        "Type": "Wait", "TimestampPath": "$.t", "End": true}}});
    let bad = run(ts.clone(), json!({"t": "2016-12-05 21:29:29Z"}));
    assert!(bad
        .failure()
        .cause
        .as_deref()
        .unwrap_or_default()
        .ends_with("The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.t == 2016-12-05 21:29:29Z"));
    let future = run(ts, json!({"t": "2023-11-14T22:13:30Z"}));
    assert_eq!(future.end_time, 1_700_000_010_000);
}

#[test]
fn fail_state_reports_error_and_cause_from_literals_paths_or_intrinsics() {
    let r = run(
        json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}}),
        json!({}),
    );
    assert_eq!(r.failure().error.as_deref(), Some("E"));
    assert_eq!(r.failure().cause.as_deref(), Some("C"));
    let bare = run(
        json!({"StartAt": "F", "States": {"F": {"Type": "Fail"}}}),
        json!({}),
    );
    assert_eq!(bare.failure().error, None);
    assert_eq!(bare.failure().cause, None);
    let dynamic = run(
        json!({"StartAt": "F", "States": {"F": {"Type": "Fail",
            "ErrorPath": "$.e", "CausePath": "States.Format('bad {}', $.n)"}}}),
        json!({"e": "Custom", "n": 3}),
    );
    assert_eq!(dynamic.failure().error.as_deref(), Some("Custom"));
    assert_eq!(dynamic.failure().cause.as_deref(), Some("bad 3"));
}

#[test]
fn parallel_outputs_follow_branch_order_and_feed_result_selector() {
    let r = run(
        json!({"StartAt": "P", "States": {"P": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "Slow", "States": {"Slow": {"Type": "Wait", "Seconds": 3, "Next": "A"},
                                                 "A": {"Type": "Pass", "Result": "a", "End": true}}},
                {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": "b", "End": true}}}
            ],
            "ResultSelector": {"first.$": "$[0]", "all.$": "$"},
            "ResultPath": "$.out",
            "End": true}}}),
        json!({"in": 1}),
    );
    assert_eq!(
        r.output(),
        &json!({"in": 1, "out": {"first": "a", "all": ["a", "b"]}})
    );
    // Branches run concurrently: the 3 s wait is the whole duration.
    assert_eq!(r.end_time, T0 + 3000);
}

#[test]
fn a_failed_branch_fails_the_parallel_and_can_be_caught() {
    let r = run(
        json!({"StartAt": "P", "States": {
            "P": {"Type": "Parallel",
                  "Branches": [
                    {"StartAt": "Long", "States": {"Long": {"Type": "Wait", "Seconds": 100, "End": true}}},
                    {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "why"}}}
                  ],
                  "Catch": [{"ErrorEquals": ["Boom"], "ResultPath": "$.err", "Next": "Caught"}],
                  "End": true},
            "Caught": {"Type": "Pass", "End": true}}}),
        json!({"k": 1}),
    );
    assert_eq!(
        r.output(),
        &json!({"k": 1, "err": {"Error": "Boom", "Cause": "why"}})
    );
    // The sibling branch was stopped: its 100 s wait did not hold the execution.
    assert_eq!(r.end_time, T0);
}

#[test]
fn map_shapes_items_with_item_selector_and_keeps_order() {
    let r = run(
        json!({"StartAt": "M", "States": {"M": {
            "Type": "Map",
            "InputPath": "$.detail",
            "ItemsPath": "$.items",
            "ItemSelector": {
                "index.$": "$$.Map.Item.Index",
                "value.$": "$$.Map.Item.Value",
                "partner.$": "$.partner"
            },
            "ItemProcessor": {"StartAt": "Wait", "States": {
                "Wait": {"Type": "Wait", "SecondsPath": "$.value", "Next": "Done"},
                "Done": {"Type": "Pass", "End": true}}},
            "ResultPath": "$.detail.out",
            "End": true}}}),
        json!({"detail": {"partner": "UQS", "items": [3, 1, 2]}}),
    );
    assert_eq!(
        r.output()["detail"]["out"],
        json!([
            {"index": 0, "value": 3, "partner": "UQS"},
            {"index": 1, "value": 1, "partner": "UQS"},
            {"index": 2, "value": 2, "partner": "UQS"}
        ])
    );
}

#[test]
fn map_honours_max_concurrency() {
    let def = |max: u64| {
        json!({"StartAt": "M", "States": {"M": {
            "Type": "Map", "MaxConcurrency": max,
            "ItemProcessor": {"StartAt": "W", "States": {
                "W": {"Type": "Wait", "Seconds": 10, "End": true}}},
            "End": true}}})
    };
    let input = json!([1, 2, 3, 4, 5]);
    assert_eq!(run(def(1), input.clone()).end_time, T0 + 50_000);
    assert_eq!(run(def(2), input.clone()).end_time, T0 + 30_000);
    assert_eq!(run(def(0), input).end_time, T0 + 10_000);
}

#[test]
fn map_over_nothing_yields_an_empty_array() {
    let r = run(
        json!({"StartAt": "M", "States": {"M": {
            "Type": "Map", "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": true}}},
            "End": true}}}),
        json!([]),
    );
    assert_eq!(r.output(), &json!([]));
}

#[test]
fn map_input_that_is_not_an_array_is_a_runtime_error() {
    let r = run(
        json!({"StartAt": "M", "States": {"M": {
            "Type": "Map", "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": true}}},
            "End": true}}}),
        json!({"not": "an array"}),
    );
    assert_eq!(r.failure().error.as_deref(), Some("States.Runtime"));
}

#[test]
fn execution_timeout_stops_a_long_wait() {
    let def = machine(json!({"StartAt": "W", "TimeoutSeconds": 2, "States": {
        "W": {"Type": "Wait", "Seconds": 60, "End": true}}}));
    let r = run_scripted(&def, json!({}), Vec::new());
    match &r.status {
        Status::TimedOut(f) => assert_eq!(f.error.as_deref(), Some("States.Timeout")),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(r.end_time, T0 + 2000);
}

#[test]
fn an_endless_loop_yields_between_batches_instead_of_hanging() {
    use crate::entropy::SplitMix64;
    use crate::interp::{step, Effect, Env, Event, ExecutionInfo, Frame};
    let def = machine(json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": true, "Next": "End"}], "Default": "A"},
        "End": {"Type": "Succeed"}}}));
    let info = ExecutionInfo::local("t", "e", json!({}), T0);
    let mut frame = Frame::root(&def, json!({}), T0);
    let mut entropy = SplitMix64::new(1);
    let mut env = Env {
        now: T0,
        execution: &info,
        entropy: &mut entropy,
        first_event_id: 2,
        record_history: false,
        max_transitions: 100,
        task_token_prefix: None,
        items_per_page: None,
    };
    let step = step(&def, &mut frame, Event::Run, &mut env).expect("steps");
    assert_eq!(step.transitions, 100);
    assert_eq!(step.effects, vec![Effect::Continue]);
    assert!(step.outcome.is_none());
}

#[test]
fn history_ids_are_dense_and_name_aws_event_types() {
    let r = run(
        json!({"StartAt": "P", "States": {
            "P": {"Type": "Pass", "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "S"}], "Default": "S"},
            "S": {"Type": "Succeed"}}}),
        json!({"a": 1}),
    );
    assert_eq!(
        r.event_types(),
        vec![
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ChoiceStateEntered",
            "ChoiceStateExited",
            "SucceedStateEntered",
            "SucceedStateExited",
            "ExecutionSucceeded"
        ]
    );
    let ids: Vec<u64> = r.history.iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..=8).collect::<Vec<_>>());
    let aws = r.history[1].to_aws_json();
    assert_eq!(aws["type"], "PassStateEntered");
    assert_eq!(aws["stateEnteredEventDetails"]["name"], "P");
    assert_eq!(aws["stateEnteredEventDetails"]["input"], "{\"a\":1}");
    assert_eq!(r.transitions, 3);
}
