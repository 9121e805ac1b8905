//! Task `Credentials`: resolved when the task is scheduled, like Parameters (JSONPath) or
//! Arguments (JSONata), and handed to the runner as `{"RoleArn": "…"}`.

use serde_json::{json, Value};

use super::{machine, run_scripted};
use crate::failure::names;

const SQS: &str = "arn:aws:states:::sqs:sendMessage";

fn credentials_of(definition: Value, input: Value) -> Option<Value> {
    let r = run_scripted(&machine(definition), input, vec![Ok(json!({}))]);
    assert_eq!(r.tasks.len(), 1, "one task scheduled");
    r.tasks[0].1.request.credentials.clone()
}

fn task(credentials: Value) -> Value {
    json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": SQS, "Parameters": {"QueueUrl": "q", "MessageBody": "m"},
        "Credentials": credentials, "End": true}}})
}

#[test]
fn a_literal_role_is_handed_on_as_written() {
    let role = "arn:aws:iam::222222222222:role/Writer";
    assert_eq!(
        credentials_of(task(json!({"RoleArn": role})), json!({})),
        Some(json!({"RoleArn": role}))
    );
}

#[test]
fn role_arn_paths_read_the_input_after_input_path_and_the_context_object() {
    let mut def = task(json!({"RoleArn.$": "$.role"}));
    def["States"]["T"]["InputPath"] = json!("$.inner");
    let input = json!({"inner": {"role": "arn:aws:iam::222222222222:role/FromInput"}});
    assert_eq!(
        credentials_of(def, input),
        Some(json!({"RoleArn": "arn:aws:iam::222222222222:role/FromInput"}))
    );

    let def = task(json!({"RoleArn.$": "$$.Execution.Input.role"}));
    let input = json!({"role": "arn:aws:iam::333333333333:role/FromContext"});
    assert_eq!(
        credentials_of(def, input),
        Some(json!({"RoleArn": "arn:aws:iam::333333333333:role/FromContext"}))
    );
}

#[test]
fn role_arn_may_be_built_by_an_intrinsic_function() {
    let def = task(json!({"RoleArn.$": "States.Format('arn:aws:iam::{}:role/Writer', $.account)"}));
    assert_eq!(
        credentials_of(def, json!({"account": "222222222222"})),
        Some(json!({"RoleArn": "arn:aws:iam::222222222222:role/Writer"}))
    );
}

#[test]
fn a_jsonata_role_arn_is_evaluated_over_states() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": SQS, "Arguments": {"QueueUrl": "q", "MessageBody": "m"},
        "Credentials": {"RoleArn": "{% 'arn:aws:iam::' & $states.input.account & ':role/' & $states.context.State.Name %}"},
        "End": true}}});
    assert_eq!(
        credentials_of(def, json!({"account": "222222222222"})),
        Some(json!({"RoleArn": "arn:aws:iam::222222222222:role/T"}))
    );
}

#[test]
fn a_role_path_that_selects_nothing_fails_the_state_before_the_call() {
    let def = machine(task(json!({"RoleArn.$": "$.role"})));
    let r = run_scripted(&def, json!({"other": 1}), vec![]);
    assert!(r.tasks.is_empty(), "no task may be scheduled");
    let failure = r.failure();
    assert_eq!(failure.error.as_deref(), Some(names::RUNTIME));
    assert_eq!(
        failure.cause.as_deref(),
        Some("An error occurred while executing the state 'T' (entered at the event id #2). The JSONPath '$.role' specified for the field 'RoleArn.$' could not be found in the input '{\"other\":1}'")
    );
}

#[test]
fn a_role_that_is_not_a_string_fails_the_state() {
    let def = machine(task(json!({"RoleArn.$": "$.role"})));
    let r = run_scripted(&def, json!({"role": 42}), vec![]);
    assert!(r.tasks.is_empty());
    assert_eq!(r.failure().error.as_deref(), Some(names::RUNTIME));

    let def = machine(
        json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": SQS, "Credentials": {"RoleArn": "{% $states.input.n %}"},
        "End": true}}}),
    );
    let r = run_scripted(&def, json!({"n": 1}), vec![]);
    assert!(r.tasks.is_empty());
    assert_eq!(
        r.failure().error.as_deref(),
        Some(names::QUERY_EVALUATION_ERROR)
    );
    assert!(r
        .failure()
        .cause
        .as_deref()
        .is_some_and(|c| c.contains("'Credentials/RoleArn'")));
}

#[test]
fn a_task_without_credentials_hands_on_none() {
    let def =
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": SQS, "End": true}}});
    assert_eq!(credentials_of(def, json!({})), None);
}
