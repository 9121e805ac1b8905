//! End-to-end tests of the `stepwise` binary: the `--json` contract, exit codes, traces.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn stepwise(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .args(args)
        .output()
        .expect("the stepwise binary runs")
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// Writes a definition into a fresh temporary file and returns its path.
fn definition_file(name: &str, definition: &Value) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stepwise-cli-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{name}.asl.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(definition).expect("json")).expect("write");
    path
}

/// The `--json` contract: the last line of stdout is exactly one JSON object.
fn last_line_json(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("last line {last:?} is not JSON: {e}"))
}

#[test]
fn sample_workflow_succeeds_with_its_documented_output() {
    let def = examples().join("order-pipeline.asl.json");
    let input = examples().join("order-pipeline.input.json");
    let out = stepwise(&[
        "run",
        def.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result = last_line_json(&out);
    assert_eq!(result["status"], "SUCCEEDED");
    assert_eq!(result["output"]["status"], "ACCEPTED");
    assert_eq!(result["output"]["lines"][0]["label"], "1 x KB-01 (gold)");
    assert_eq!(
        result["output"]["summary"],
        "order A-1001 accepted with 3 line(s)"
    );
    assert_eq!(result.as_object().map(|o| o.len()), Some(2));
}

#[test]
fn failed_execution_prints_error_and_cause_and_exits_1() {
    let def = definition_file(
        "fail",
        &json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Oops", "CausePath": "$.why"}}}),
    );
    let out = stepwise(&[
        "run",
        def.to_str().unwrap(),
        "--input",
        r#"{"why": "because"}"#,
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        last_line_json(&out),
        json!({"status": "FAILED", "error": "Oops", "cause": "because"})
    );
    let bare = definition_file(
        "bare-fail",
        &json!({"StartAt": "F", "States": {"F": {"Type": "Fail"}}}),
    );
    let out = stepwise(&["run", bare.to_str().unwrap(), "--json"]);
    assert_eq!(
        last_line_json(&out),
        json!({"status": "FAILED", "error": null, "cause": null})
    );
}

#[test]
fn invalid_definition_exits_2_and_names_each_problem_path() {
    let def = definition_file(
        "invalid",
        &json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Next": "Nowhere"},
            "B": {"Type": "Pass", "End": true, "Bogus": 1}}}),
    );
    let out = stepwise(&["run", def.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/States/A/Next"), "{stderr}");
    assert!(stderr.contains("/States/B"), "{stderr}");

    let out = stepwise(&["validate", def.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let diagnostics = last_line_json(&out);
    let paths: Vec<&str> = diagnostics
        .as_array()
        .expect("an array of diagnostics")
        .iter()
        .filter_map(|d| d["path"].as_str())
        .collect();
    assert!(paths.contains(&"/States/A/Next"), "{paths:?}");
    assert!(paths.contains(&"/States/B/Bogus"), "{paths:?}");
    assert!(
        paths.contains(&"/States/B"),
        "unreachable B is reported too: {paths:?}"
    );
}

#[test]
fn validate_accepts_the_examples() {
    let def = examples().join("order-pipeline.asl.json");
    let out = stepwise(&["validate", def.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("valid"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(stepwise(&["run"]).status.code(), Some(2));
    let def = examples().join("order-pipeline.asl.json");
    let out = stepwise(&["run", def.to_str().unwrap(), "--input", "{not json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--input"));
    let out = stepwise(&["run", "/no/such/definition.json"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn task_states_fail_clearly_naming_the_resource() {
    let def = definition_file(
        "task",
        &json!({"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Never"}], "End": true},
            "Never": {"Type": "Succeed"}}}),
    );
    let out = stepwise(&["run", def.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let result = last_line_json(&out);
    assert_eq!(result["error"], "States.Runtime");
    let cause = result["cause"].as_str().unwrap_or_default();
    assert!(
        cause.contains("arn:aws:lambda:us-east-1:123456789012:function:f"),
        "{cause}"
    );
}

#[test]
fn waits_are_real_and_the_trace_shows_each_state() {
    let def = definition_file(
        "wait",
        &json!({"StartAt": "W", "States": {
            "W": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
            "Done": {"Type": "Pass", "Result": "ok", "End": true}}}),
    );
    let started = Instant::now();
    let out = stepwise(&["run", def.to_str().unwrap()]);
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("W (Wait)") && stdout.contains("Done (Pass)"),
        "{stdout}"
    );
    assert_eq!(
        last_line_json(&out),
        json!({"status": "SUCCEEDED", "output": "ok"})
    );
}

#[test]
fn history_prints_get_execution_history_events() {
    let def = definition_file(
        "history",
        &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
    );
    let out = stepwise(&[
        "run",
        def.to_str().unwrap(),
        "--input",
        r#"{"a":1}"#,
        "--history",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let events: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("type").is_some())
        .collect();
    let types: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(
        events[0]["executionStartedEventDetails"]["input"],
        "{\"a\":1}"
    );
    assert_eq!(events[3]["id"], 4);
    assert_eq!(events[3]["previousEventId"], 3);
}

#[test]
fn execution_timeout_reports_timed_out() {
    let def = definition_file(
        "timeout",
        &json!({"StartAt": "W", "TimeoutSeconds": 1, "States": {
            "W": {"Type": "Wait", "Seconds": 30, "End": true}}}),
    );
    let out = stepwise(&["run", def.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let result = last_line_json(&out);
    assert_eq!(result["status"], "TIMED_OUT");
    assert_eq!(result["error"], "States.Timeout");
}

#[test]
fn an_endless_loop_still_meets_the_execution_timeout() {
    let def = definition_file(
        "endless",
        &json!({"StartAt": "A", "TimeoutSeconds": 1, "States": {
            "A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Choice", "Choices": [
                {"Variable": "$.stop", "IsPresent": true, "Next": "Done"}], "Default": "A"},
            "Done": {"Type": "Succeed"}}}),
    );
    let started = Instant::now();
    let out = stepwise(&["run", def.to_str().unwrap(), "--json"]);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(last_line_json(&out)["status"], "TIMED_OUT");
}

#[test]
fn a_definition_can_be_given_inline() {
    let out = stepwise(&[
        "run",
        r#"{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"m.$":"$$.StateMachine.Name"},"End":true}}}"#,
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        last_line_json(&out),
        json!({"status": "SUCCEEDED", "output": {"m": "state-machine"}})
    );
}
