//! The `aws` command line (botocore's own protocol code) against the API. Skipped, with
//! the reason printed, where `aws` is not installed.

use std::process::Command;

use crate::support::{self, eventually, ROLE};
use serde_json::{json, Value};

/// Runs `aws stepfunctions <args> --endpoint-url <url>` and parses its JSON output.
fn aws(url: &str, args: &[&str]) -> Value {
    let output = Command::new("aws")
        .arg("stepfunctions")
        .args(args)
        .args([
            "--endpoint-url",
            url,
            "--region",
            "us-east-1",
            "--output",
            "json",
        ])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_PAGER", "")
        .output()
        .expect("run aws");
    assert!(
        output.status.success(),
        "aws {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("aws printed JSON")
}

fn aws_installed() -> bool {
    Command::new("aws")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_creates_runs_and_reads_an_execution() {
    if !aws_installed() {
        eprintln!("skipped: the `aws` command is not installed (pip install awscli)");
        return;
    }
    let server = support::start().await;
    let url = server.url.clone();
    let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"}, "End": true}}}).to_string();
    let created = tokio::task::spawn_blocking({
        let url = url.clone();
        move || {
            aws(
                &url,
                &[
                    "create-state-machine",
                    "--name",
                    "cli",
                    "--definition",
                    &definition,
                    "--role-arn",
                    ROLE,
                ],
            )
        }
    })
    .await
    .expect("aws");
    let machine = created["stateMachineArn"].as_str().expect("arn").to_owned();
    assert_eq!(machine, server.machine_arn("cli"));
    // awscli v1 prints dates as they came: epoch seconds.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();
    let created_at = created["creationDate"].as_f64().expect("a date");
    assert!((created_at - now).abs() < 60.0, "{created}");

    let started = tokio::task::spawn_blocking({
        let (url, machine) = (url.clone(), machine.clone());
        move || {
            aws(
                &url,
                &[
                    "start-execution",
                    "--state-machine-arn",
                    &machine,
                    "--name",
                    "run-1",
                    "--input",
                    r#"{"n": 21}"#,
                ],
            )
        }
    })
    .await
    .expect("aws");
    let execution = started["executionArn"].as_str().expect("arn").to_owned();
    assert_eq!(
        execution,
        "arn:aws:states:us-east-1:123456789012:execution:cli:run-1"
    );

    let described = eventually(|| {
        let (url, execution) = (url.clone(), execution.clone());
        async move {
            let described = tokio::task::spawn_blocking(move || {
                aws(&url, &["describe-execution", "--execution-arn", &execution])
            })
            .await
            .expect("aws");
            (described["status"] != "RUNNING").then_some(described)
        }
    })
    .await;
    assert_eq!(described["status"], "SUCCEEDED");
    assert_eq!(described["output"], r#"{"doubled":42}"#);

    let history = tokio::task::spawn_blocking(move || {
        aws(
            &url,
            &["get-execution-history", "--execution-arn", &execution],
        )
    })
    .await
    .expect("aws");
    let kinds: Vec<&str> = history["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
}
