//! `stepwise graph` as users run it: the real binary on the examples, on bad input, on a
//! saved history, and against a real `stepwise serve` child process.
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_sfn::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sfn::types::ExecutionStatus;
use serde_json::json;

fn stepwise(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .args(args)
        .output()
        .expect("the stepwise binary runs")
}

fn temp_dir() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "stepwise-graph-tests-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `state name → data-status` of every state box of an SVG, which must be well-formed.
fn svg_states(svg: &str) -> Vec<(String, String)> {
    let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.attribute("class") == Some("state"))
        .map(|n| {
            let attr = |a| n.attribute(a).unwrap_or_default().to_owned();
            (attr("data-state"), attr("data-status"))
        })
        .collect()
}

/// A definition whose second state fails unless `$.ok`, with a Catch-free Fail.
const CHECKOUT: &str = r#"{
    "StartAt": "Load",
    "States": {
        "Load": {"Type": "Pass", "Next": "Ok?"},
        "Ok?": {"Type": "Choice", "Default": "Broken",
                "Choices": [{"Variable": "$.ok", "BooleanEquals": true, "Next": "Ship"}]},
        "Ship": {"Type": "Succeed"},
        "Broken": {"Type": "Fail", "Error": "Checkout.Broken", "Cause": "not ok"}
    }
}"#;

#[test]
fn every_example_draws_as_well_formed_svg_with_all_its_states() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut drawn = 0;
    for entry in std::fs::read_dir(&examples).expect("examples/") {
        let path = entry.expect("entry").path();
        if !path.to_string_lossy().ends_with(".asl.json") {
            continue;
        }
        let output = stepwise(&["graph", path.to_str().expect("utf-8")]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let states = svg_states(&String::from_utf8(output.stdout).expect("utf-8"));
        let definition: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        for name in definition["States"].as_object().expect("States").keys() {
            assert!(
                states
                    .iter()
                    .any(|(s, status)| s == name && status == "none"),
                "{name} missing from {}",
                path.display()
            );
        }
        drawn += 1;
    }
    assert!(drawn > 0);
}

#[test]
fn mermaid_and_dot_formats_and_the_output_file() {
    let dir = temp_dir();
    let def = dir.join("checkout.asl.json");
    std::fs::write(&def, CHECKOUT).expect("write");
    let out = dir.join("checkout.mmd");
    let output = stepwise(&[
        "graph",
        def.to_str().expect("utf-8"),
        "--format",
        "mermaid",
        "--output",
        out.to_str().expect("utf-8"),
    ]);
    assert!(output.status.success());
    assert!(output.stdout.is_empty(), "the drawing went to the file");
    let mermaid = std::fs::read_to_string(&out).expect("written");
    assert!(mermaid.starts_with("flowchart TD"));
    assert!(mermaid.contains(r#"-->|"$.ok == true"|"#));

    let output = stepwise(&["graph", def.to_str().expect("utf-8"), "--format", "dot"]);
    let dot = String::from_utf8(output.stdout).expect("utf-8");
    assert!(dot.starts_with("digraph stepwise {"));
    assert!(dot.contains(r#"label="Default""#));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_invalid_definition_exits_non_zero_naming_the_json_path() {
    let output = stepwise(&[
        "graph",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}"#,
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/States/A/Next"), "{stderr}");
    assert!(output.stdout.is_empty(), "no drawing of a bad definition");
}

#[test]
fn a_bad_history_file_is_refused_precisely() {
    let dir = temp_dir();
    let history = dir.join("history.json");
    std::fs::write(&history, r#"{"executions": []}"#).expect("write");
    let output = stepwise(&[
        "graph",
        CHECKOUT,
        "--history",
        history.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("\"events\" array"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_saved_history_from_stepwise_run_colours_the_states() {
    let dir = temp_dir();
    let run = stepwise(&["run", CHECKOUT, "--input", r#"{"ok": false}"#, "--history"]);
    let events: String = String::from_utf8(run.stdout)
        .expect("utf-8")
        .lines()
        .filter(|l| l.contains("\"previousEventId\""))
        .map(|l| format!("{l}\n"))
        .collect();
    let history = dir.join("history.jsonl");
    std::fs::write(&history, events).expect("write");
    let output = stepwise(&[
        "graph",
        CHECKOUT,
        "--history",
        history.to_str().expect("utf-8"),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut states = svg_states(&String::from_utf8(output.stdout).expect("utf-8"));
    states.sort();
    let expected = [
        ("Broken", "failed"),
        ("Load", "succeeded"),
        ("Ok?", "succeeded"),
        ("Ship", "not reached"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(states, expected);
    let _ = std::fs::remove_dir_all(dir);
}

/// The `stepwise serve` child; killed when dropped.
struct Server {
    child: Child,
    url: String,
    dir: PathBuf,
}

impl Server {
    fn start() -> Self {
        let dir = temp_dir();
        let mut child = Command::new(env!("CARGO_BIN_EXE_stepwise"))
            .args(["serve", "--port", "0", "--db"])
            .arg(dir.join("stepwise.db"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn stepwise serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Self { child, url, dir }
    }

    fn client(&self) -> aws_sdk_sfn::Client {
        let config = aws_sdk_sfn::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(&self.url)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .build();
        aws_sdk_sfn::Client::from_conf(config)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_execution_from_stepwise_serve_colours_the_failed_state() {
    let server = Server::start();
    let client = server.client();
    let machine = client
        .create_state_machine()
        .name("checkout")
        .definition(CHECKOUT)
        .role_arn("arn:aws:iam::000000000000:role/stepwise")
        .send()
        .await
        .expect("CreateStateMachine");
    let started = client
        .start_execution()
        .state_machine_arn(machine.state_machine_arn())
        .input(json!({"ok": false}).to_string())
        .send()
        .await
        .expect("StartExecution");
    let arn = started.execution_arn().to_owned();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let described = client
            .describe_execution()
            .execution_arn(&arn)
            .send()
            .await
            .expect("DescribeExecution");
        if described.status() != &ExecutionStatus::Running {
            assert_eq!(described.status(), &ExecutionStatus::Failed);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the execution did not end in 20 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // No AWS settings in the child's environment: --endpoint alone must do.
    let output = Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .args([
            "graph",
            CHECKOUT,
            "--execution",
            &arn,
            "--endpoint",
            &server.url,
        ])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_REGION")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .expect("stepwise graph runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let states = svg_states(&String::from_utf8(output.stdout).expect("utf-8"));
    let status = |name: &str| {
        states
            .iter()
            .find(|(s, _)| s == name)
            .map(|(_, status)| status.clone())
            .unwrap_or_default()
    };
    assert_eq!(status("Broken"), "failed");
    assert_eq!(status("Load"), "succeeded");
    assert_eq!(status("Ship"), "not reached");

    // An execution the server does not know: a precise error, no drawing.
    let output = stepwise(&[
        "graph",
        CHECKOUT,
        "--execution",
        "arn:aws:states:us-east-1:000000000000:execution:checkout:nope",
        "--endpoint",
        &server.url,
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("GetExecutionHistory"));
}
