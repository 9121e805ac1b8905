//! Task states: parameters out, results in, retries on the caller's clock, resumable frames.

use serde_json::json;

use super::{machine, run_scripted, T0};
use crate::entropy::SplitMix64;
use crate::failure::Failure;
use crate::interp::{step, Effect, Env, Event, ExecutionInfo, Frame, Outcome, Phase};

const LAMBDA: &str = "arn:aws:lambda:us-east-1:123456789012:function:price";

#[test]
fn task_result_goes_through_result_selector_result_path_and_output_path() {
    let def = machine(json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": LAMBDA,
        "InputPath": "$.order",
        "Parameters": {"id.$": "$.id", "fixed": 1},
        "ResultSelector": {"price.$": "$.body.price"},
        "ResultPath": "$.priced",
        "OutputPath": "$.priced",
        "TimeoutSecondsPath": "$.limits.timeout",
        "HeartbeatSeconds": 5,
        "End": true}}}));
    let r = run_scripted(
        &def,
        json!({"order": {"id": "A-1"}, "limits": {"timeout": 30}}),
        vec![Ok(json!({"body": {"price": 12.5, "currency": "EUR"}}))],
    );
    assert_eq!(r.output(), &json!({"price": 12.5}));
    let request = &r.tasks[0].1.request;
    assert_eq!(request.resource, LAMBDA);
    assert_eq!(request.parameters, json!({"id": "A-1", "fixed": 1}));
    assert_eq!(request.timeout_seconds, Some(30));
    assert_eq!(request.heartbeat_seconds, Some(5));
    assert_eq!(request.attempt, 0);
    // A bare Lambda ARN shows in history as LambdaFunction… events, as in Step Functions.
    assert!(r.event_types().contains(&"LambdaFunctionScheduled"));
    assert!(r.event_types().contains(&"LambdaFunctionSucceeded"));
}

#[test]
fn retries_back_off_exponentially_then_succeed() {
    let def = machine(json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": LAMBDA,
        "Retry": [{"ErrorEquals": ["Throttled"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 3}],
        "End": true}}}));
    let r = run_scripted(
        &def,
        json!({}),
        vec![
            Err(Failure::new("Throttled", "slow down")),
            Err(Failure::new("Throttled", "slow down")),
            Ok(json!("done")),
        ],
    );
    assert_eq!(r.output(), &json!("done"));
    let times: Vec<i64> = r.tasks.iter().map(|(t, _)| t - T0).collect();
    assert_eq!(times, vec![0, 2000, 8000]);
    let attempts: Vec<u32> = r.tasks.iter().map(|(_, t)| t.request.attempt).collect();
    assert_eq!(attempts, vec![0, 1, 2]);
}

#[test]
fn exhausted_retries_fall_to_catch_with_the_error_output() {
    let def = machine(json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA,
              "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1, "IntervalSeconds": 1}],
              "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Recover"}],
              "End": true},
        "Recover": {"Type": "Pass", "End": true}}}));
    let r = run_scripted(
        &def,
        json!({"keep": 1}),
        vec![
            Err(Failure::new("Boom", "first")),
            Err(Failure::new("Boom", "second")),
        ],
    );
    assert_eq!(r.tasks.len(), 2);
    assert_eq!(
        r.output(),
        &json!({"keep": 1, "error": {"Error": "Boom", "Cause": "second"}})
    );
}

#[test]
fn max_attempts_zero_goes_straight_to_catch() {
    let def = machine(json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA,
              "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 0}],
              "Catch": [{"ErrorEquals": ["Boom"], "Next": "Recover"}],
              "End": true},
        "Recover": {"Type": "Pass", "End": true}}}));
    let r = run_scripted(&def, json!({}), vec![Err(Failure::new("Boom", "x"))]);
    assert_eq!(r.tasks.len(), 1);
    // Catch's ResultPath defaults to `$`: the error output replaces the input.
    assert_eq!(r.output(), &json!({"Error": "Boom", "Cause": "x"}));
}

#[test]
fn retry_counters_are_kept_per_retrier() {
    let def = machine(json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": LAMBDA,
        "Retry": [
            {"ErrorEquals": ["A"], "MaxAttempts": 1, "IntervalSeconds": 1},
            {"ErrorEquals": ["B"], "MaxAttempts": 1, "IntervalSeconds": 1}
        ],
        "End": true}}}));
    let r = run_scripted(
        &def,
        json!({}),
        vec![
            Err(Failure::new("A", "")),
            Err(Failure::new("B", "")),
            Err(Failure::new("A", "again")),
        ],
    );
    assert_eq!(r.tasks.len(), 3);
    assert_eq!(r.failure().cause.as_deref(), Some("again"));
}

#[test]
fn states_all_does_not_catch_runtime_errors() {
    let def = machine(json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA,
              "Parameters": {"v.$": "$.missing"},
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}],
              "End": true},
        "Recover": {"Type": "Pass", "End": true}}}));
    let r = run_scripted(&def, json!({}), vec![]);
    assert_eq!(r.failure().error.as_deref(), Some("States.Runtime"));
    assert!(r.tasks.is_empty());
}

#[test]
fn a_frame_waiting_on_a_task_survives_serialisation() {
    let def = machine(json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "ResultPath": "$.r", "Next": "Done"},
        "Done": {"Type": "Pass", "End": true}}}));
    let info = ExecutionInfo::local("t", "e", json!({"a": 1}), T0);
    let mut entropy = SplitMix64::new(3);
    let mut frame = Frame::root(&def, json!({"a": 1}), T0);
    let mut env = Env {
        now: T0,
        execution: &info,
        entropy: &mut entropy,
        first_event_id: 2,
        record_history: true,
        max_transitions: 1000,
        task_token_prefix: None,
        items_per_page: None,
    };
    let first = step(&def, &mut frame, Event::Run, &mut env).expect("step");
    assert!(matches!(first.effects.as_slice(), [Effect::InvokeTask(_)]));
    assert_eq!(frame.phase(), &Phase::Task);
    let stored = serde_json::to_string(&frame).expect("frames serialise");
    assert!(stored.len() < 200, "frames stay small: {stored}");
    let mut restored: Frame = serde_json::from_str(&stored).expect("frames deserialise");
    env.first_event_id += first.event_count;
    let second = step(
        &def,
        &mut restored,
        Event::TaskSucceeded { output: json!(5) },
        &mut env,
    )
    .expect("step");
    assert_eq!(
        second.outcome,
        Some(Outcome::Succeeded(json!({"a": 1, "r": 5})))
    );
    // A duplicate delivery of the same result is refused, not applied twice.
    let again = step(
        &def,
        &mut restored,
        Event::TaskSucceeded { output: json!(5) },
        &mut env,
    );
    assert!(again.is_err());
}

#[test]
fn wait_for_task_token_puts_a_fresh_token_in_the_context() {
    let def = machine(json!({"StartAt": "T", "States": {"T": {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"MessageBody": {"token.$": "$$.Task.Token", "order.$": "$.id"}},
        "Retry": [{"ErrorEquals": ["Late"], "MaxAttempts": 1}],
        "End": true}}}));
    let r = run_scripted(
        &def,
        json!({"id": 7}),
        vec![Err(Failure::new("Late", "")), Ok(json!("ok"))],
    );
    let tokens: Vec<String> = r
        .tasks
        .iter()
        .map(|(_, t)| t.request.task_token.clone().expect("a token"))
        .collect();
    assert_eq!(tokens.len(), 2);
    assert_ne!(tokens[0], tokens[1], "each attempt gets its own token");
    for (token, (_, task)) in tokens.iter().zip(&r.tasks) {
        assert!(token.len() >= 43, "256 bits, base64: {token}");
        assert_eq!(
            task.request.parameters["MessageBody"]["token"],
            json!(token)
        );
        assert_eq!(task.request.parameters["MessageBody"]["order"], json!(7));
    }
    // Plain tasks carry no token.
    let plain = machine(json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": LAMBDA, "End": true}}}));
    let r = run_scripted(&plain, json!({}), vec![Ok(json!(1))]);
    assert_eq!(r.tasks[0].1.request.task_token, None);
}

#[test]
fn nested_sync_executions_wait_on_a_token_the_context_does_not_show() {
    for resource in [
        "arn:aws:states:::states:startExecution.sync",
        "arn:aws:states:::states:startExecution.sync:2",
    ] {
        let def = machine(json!({"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": resource,
            "Parameters": {"StateMachineArn": "arn:x", "Input": {"ctx.$": "$$"}},
            "End": true}}}));
        let r = run_scripted(&def, json!({}), vec![Ok(json!(1))]);
        let request = &r.tasks[0].1.request;
        assert!(request.task_token.is_some(), "{resource}");
        let ctx = &request.parameters["Input"]["ctx"];
        assert!(
            ctx.get("State").is_some() && ctx.get("Task").is_none(),
            "{ctx}"
        );
    }
    // Fire and forget waits for nothing.
    let def = machine(json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
        "Parameters": {"StateMachineArn": "arn:x"}, "End": true}}}));
    let r = run_scripted(&def, json!({}), vec![Ok(json!(1))]);
    assert_eq!(r.tasks[0].1.request.task_token, None);
}

/// The developer guide's "Manipulating parameters with paths" example: InputPath picks the
/// task's input, ResultPath merges the result into the raw input, OutputPath picks the
/// state output.
#[test]
fn developer_guide_paths_example() {
    let def = machine(json!({"StartAt": "Lambda", "States": {"Lambda": {
        "Type": "Task", "Resource": LAMBDA,
        "InputPath": "$.lambda",
        "ResultPath": "$.data.lambdaresult",
        "OutputPath": "$.data",
        "End": true}}}));
    let input = json!({
        "comment": "An input comment.",
        "data": {"val1": 23, "val2": 17},
        "extra": "foo",
        "lambda": {"who": "AWS Step Functions"}
    });
    let r = run_scripted(&def, input, vec![Ok(json!("Hello, AWS Step Functions!"))]);
    assert_eq!(
        r.tasks[0].1.request.parameters,
        json!({"who": "AWS Step Functions"})
    );
    assert_eq!(
        r.output(),
        &json!({"val1": 23, "val2": 17, "lambdaresult": "Hello, AWS Step Functions!"})
    );
}

/// The developer guide's ResultSelector example: keep two fields of a large task result
/// and put them under `$.EMROutput`.
#[test]
fn developer_guide_result_selector_example() {
    let def = machine(
        json!({"StartAt": "CreateCluster", "States": {"CreateCluster": {
        "Type": "Task", "Resource": "arn:aws:states:::elasticmapreduce:createCluster.sync",
        "ResultSelector": {"ClusterId.$": "$.output.ClusterId", "ResourceType.$": "$.resourceType"},
        "ResultPath": "$.EMROutput",
        "End": true}}}),
    );
    let result = json!({
        "resourceType": "elasticmapreduce",
        "resource": "createCluster.sync",
        "output": {"SdkHttpMetadata": {"HttpStatusCode": 200}, "ClusterId": "AKIAIOSFODNN7EXAMPLE"}
    });
    let r = run_scripted(&def, json!({"cluster": "spec"}), vec![Ok(result)]);
    assert_eq!(
        r.output(),
        &json!({"cluster": "spec", "EMROutput": {
            "ClusterId": "AKIAIOSFODNN7EXAMPLE", "ResourceType": "elasticmapreduce"}})
    );
}
