//! Histories produced by the interpreter, which emits Step Functions' event types and
//! shapes (`to_aws_json`), plus the AWS-recorded conformance cases' definitions.

use serde_json::{json, Value};
use stepwise_core::definition::parse;
use stepwise_core::entropy::SplitMix64;
use stepwise_core::failure::Failure;
use stepwise_core::interp::{Execution, ExecutionInfo};

use super::*;

const START: i64 = 1_767_225_600_000;

/// Runs `definition` to its end (or, with `until_timer`, until its first wait) and
/// returns its `GetExecutionHistory` events; task attempt `n` (from 0) answers
/// `task(n)`.
fn history(
    definition: &str,
    input: Value,
    until_timer: bool,
    task: impl Fn(usize) -> Result<Value, Failure>,
) -> (Diagram, Vec<Value>) {
    let machine = parse(definition).expect("valid");
    let info = ExecutionInfo::local("graph", "run", input, START);
    let mut execution = Execution::start(&machine, info, true);
    let mut entropy = SplitMix64::new(7);
    let mut now = START;
    let mut attempts = 0;
    for _ in 0..10_000 {
        execution.run(now, &mut entropy).expect("no engine error");
        for pending in execution.take_tasks() {
            execution.complete_task(pending.id, task(attempts));
            attempts += 1;
        }
        match execution.next_timer() {
            Some(_) if until_timer => break,
            Some(at) if execution.is_running() => now = now.max(at),
            _ if execution.is_running() => continue,
            _ => break,
        }
    }
    let events = execution
        .history()
        .iter()
        .map(|e| e.to_aws_json())
        .collect();
    (Diagram::new(&machine), events)
}

fn statuses(definition: &str, task: impl Fn(usize) -> Result<Value, Failure>) -> Statuses {
    let (diagram, events) = history(definition, json!({}), false, task);
    Statuses::from_history(&diagram, &events)
}

fn boom() -> Failure {
    Failure::new("Boom", "it broke")
}

const LAMBDA: &str = "arn:aws:lambda:us-east-1:123456789012:function:work";

#[test]
fn a_caught_task_and_its_handler() {
    let definition = format!(
        r#"{{"StartAt": "Work", "States": {{
            "Work": {{"Type": "Task", "Resource": "{LAMBDA}", "Next": "Done",
                     "Catch": [{{"ErrorEquals": ["Boom"], "Next": "Handle"}}]}},
            "Handle": {{"Type": "Pass", "End": true}},
            "Done": {{"Type": "Succeed"}}}}}}"#
    );
    let s = statuses(&definition, |_| Err(boom()));
    assert_eq!(s.of("Work"), Status::Caught);
    assert_eq!(s.of("Handle"), Status::Succeeded);
    assert_eq!(s.of("Done"), Status::NotReached);
}

#[test]
fn a_task_saved_by_its_retry_succeeded() {
    let definition = format!(
        r#"{{"StartAt": "Work", "States": {{
            "Work": {{"Type": "Task", "Resource": "{LAMBDA}", "End": true,
                     "Retry": [{{"ErrorEquals": ["Boom"], "IntervalSeconds": 1}}]}}}}}}"#
    );
    let s = statuses(
        &definition,
        |n| {
            if n == 0 {
                Err(boom())
            } else {
                Ok(json!(1))
            }
        },
    );
    assert_eq!(s.of("Work"), Status::Succeeded);
    let s = statuses(&definition, |_| Err(boom()));
    assert_eq!(s.of("Work"), Status::Failed, "retries exhausted");
}

const PARALLEL: &str = r#"{"StartAt": "Both", "States": {
    "Both": {"Type": "Parallel", "Next": "After", "Branches": [
        {"StartAt": "Fine", "States": {"Fine": {"Type": "Pass", "End": true}}},
        {"StartAt": "Bad", "States": {"Bad": {"Type": "Fail", "Error": "Boom"}}}
    ]CATCH},
    "After": {"Type": "Pass", "End": true}RECOVER}}"#;

#[test]
fn an_uncaught_branch_failure_fails_its_parallel() {
    let s = statuses(
        &PARALLEL.replace("CATCH", "").replace("RECOVER", ""),
        |_| Ok(json!(null)),
    );
    assert_eq!(s.of("Bad"), Status::Failed);
    assert_eq!(s.of("Both"), Status::Failed);
    assert_eq!(s.of("Fine"), Status::Succeeded);
    assert_eq!(s.of("After"), Status::NotReached);
}

#[test]
fn a_caught_parallel_keeps_its_failed_branch_red() {
    let catch = r#", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}]"#;
    let s = statuses(
        &PARALLEL
            .replace("CATCH", catch)
            .replace("RECOVER", r#", "Recover": {"Type": "Pass", "End": true}"#),
        |_| Ok(json!(null)),
    );
    assert_eq!(s.of("Bad"), Status::Failed);
    assert_eq!(s.of("Both"), Status::Caught);
    assert_eq!(s.of("Recover"), Status::Succeeded);
    assert_eq!(s.of("After"), Status::NotReached);
}

#[test]
fn a_failed_map_iteration() {
    let definition = r#"{"StartAt": "Each", "States": {
        "Each": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "Odd?", "States": {
            "Odd?": {"Type": "Choice", "Default": "Ok", "Choices": [
                {"Variable": "$", "NumericEquals": 3, "Next": "No"}]},
            "Ok": {"Type": "Pass", "End": true},
            "No": {"Type": "Fail", "Error": "Three"}}}}}}"#;
    let (diagram, events) = history(definition, json!([1, 2, 3]), false, |_| Ok(json!(null)));
    let s = Statuses::from_history(&diagram, &events);
    assert_eq!(s.of("No"), Status::Failed);
    assert_eq!(s.of("Each"), Status::Failed);
    assert_eq!(s.of("Ok"), Status::Succeeded);
    assert_eq!(s.of("Odd?"), Status::Succeeded);
}

#[test]
fn a_runtime_error_caught_without_a_failure_event() {
    // A ResultPath that cannot be merged into the input fails the Task after its call
    // succeeded (States.ResultPathMatchFailure): no failure event before the Catch.
    let definition = format!(
        r#"{{"StartAt": "Read", "States": {{
            "Read": {{"Type": "Task", "Resource": "{LAMBDA}", "Next": "Done",
                     "ResultPath": "$.x.y",
                     "Catch": [{{"ErrorEquals": ["States.ALL"], "Next": "Fallback"}}]}},
            "Fallback": {{"Type": "Succeed"}},
            "Done": {{"Type": "Succeed"}}}}}}"#
    );
    let (diagram, events) = history(&definition, json!({"x": "text"}), false, |_| Ok(json!(1)));
    let s = Statuses::from_history(&diagram, &events);
    assert_eq!(s.of("Read"), Status::Caught);
    assert_eq!(s.of("Fallback"), Status::Succeeded);
}

#[test]
fn a_waiting_execution_is_running() {
    let definition = r#"{"StartAt": "First", "States": {
        "First": {"Type": "Pass", "Next": "Nap"},
        "Nap": {"Type": "Wait", "Seconds": 60, "Next": "Last"},
        "Last": {"Type": "Pass", "End": true}}}"#;
    let (diagram, events) = history(definition, json!({}), true, |_| Ok(json!(null)));
    let s = Statuses::from_history(&diagram, &events);
    assert_eq!(s.of("First"), Status::Succeeded);
    assert_eq!(s.of("Nap"), Status::Running);
    assert_eq!(s.of("Last"), Status::NotReached);
    // The same history, stopped there by the user.
    let mut stopped = events.clone();
    stopped.push(json!({"type": "ExecutionAborted", "id": 99, "previousEventId": 98}));
    assert_eq!(
        Statuses::from_history(&diagram, &stopped).of("Nap"),
        Status::Aborted
    );
}

/// Every recorded AWS case: whatever ran has a status, a succeeded execution leaves
/// nothing running or failed outside a caught state, a failed one names a failed state.
#[test]
fn conformance_cases_are_consistent() {
    let dir = std::env::var_os("STEPWISE_CONFORMANCE_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/conformance/cases")
        });
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: no conformance cases at {}", dir.display());
        return;
    };
    let mut checked = 0;
    for entry in entries.filter_map(Result::ok) {
        let case: Value =
            serde_json::from_str(&std::fs::read_to_string(entry.path()).expect("readable"))
                .expect("JSON");
        let Ok(machine) = stepwise_core::definition::parse_value(&case["definition"]) else {
            continue;
        };
        let definition = case["definition"].to_string();
        let (diagram, events) = history(&definition, case["input"].clone(), false, |_| {
            Err(Failure::runtime("no task runner"))
        });
        let s = Statuses::from_history(&diagram, &events);
        let ended = events
            .last()
            .and_then(|e| e["type"].as_str())
            .unwrap_or_default();
        let all: Vec<Status> = diagram.nodes().iter().map(|n| s.of(&n.name)).collect();
        for event in &events {
            if let Some(name) = event["stateEnteredEventDetails"]["name"].as_str() {
                assert_ne!(s.of(name), Status::NotReached, "{}: {name}", case["id"]);
            }
        }
        assert!(!all.contains(&Status::Running), "{}: {all:?}", case["id"]);
        if ended == "ExecutionFailed" {
            assert!(all.contains(&Status::Failed), "{}: {all:?}", case["id"]);
        }
        drop(machine);
        checked += 1;
    }
    assert!(checked > 100, "only {checked} cases ran");
}
