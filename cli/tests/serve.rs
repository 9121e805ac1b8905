//! `stepwise serve` as users run it: the real binary as a child process on a free port
//! and a fresh database, driven by the Rust `aws-sdk-sfn` client, the `aws` CLI and raw
//! HTTP; killed with SIGKILL mid-flight and started again on the same file.
// Signals (SIGTERM through `kill`, SIGKILL) are what the tests send.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_sfn::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_sfn::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType};
use aws_sdk_sfn::Client;
use serde_json::{json, Value};

const ROLE: &str = "arn:aws:iam::000000000000:role/stepwise";

/// A folder for one test's database, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "stepwise-serve-{label}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }

    fn db(&self) -> PathBuf {
        self.0.join("stepwise.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `stepwise serve` child; killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    /// Starts the binary on `db` with port 0 (the OS picks a free one) and reads the
    /// address it prints.
    fn start(db: &Path) -> Self {
        Self::start_with(db, &[])
    }

    /// As [`start`](Self::start), with more options (`--mock-config FILE`).
    fn start_with(db: &Path, options: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_stepwise"))
            .args(["serve", "--port", "0", "--db"])
            .arg(db)
            .args(options)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn stepwise serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read the first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        let mut second = String::new();
        stdout.read_line(&mut second).expect("read the second line");
        assert_eq!(second.trim(), format!("database {}", db.display()));
        // Keep draining stdout so that the child never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Self { child, url }
    }

    fn client(&self) -> Client {
        let config = aws_sdk_sfn::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(&self.url)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .interceptor(NoSyncPrefix)
            .build();
        Client::from_conf(config)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, and the exit status once the server has shut down.
    fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.expect("kill -TERM").success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "no exit within 10 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The SDK sends StartSyncExecution to host `sync-<endpoint host>` (the model's host
/// prefix applies even to a custom endpoint) and `sync-127.0.0.1` resolves nowhere.
#[derive(Debug)]
struct NoSyncPrefix;

impl Intercept for NoSyncPrefix {
    fn name(&self) -> &'static str {
        "NoSyncPrefix"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let request = context.request_mut();
        let uri = request.uri().replacen("://sync-", "://", 1);
        request.set_uri(uri)?;
        Ok(())
    }
}

fn wait_then_pass(seconds: u64) -> String {
    json!({
        "StartAt": "Nap",
        "States": {
            "Nap": {"Type": "Wait", "Seconds": seconds, "Next": "Done"},
            "Done": {"Type": "Pass", "Result": {"ok": true}, "ResultPath": "$.result", "End": true}
        }
    })
    .to_string()
}

async fn create(client: &Client, name: &str, definition: &str) -> String {
    client
        .create_state_machine()
        .name(name)
        .definition(definition)
        .role_arn(ROLE)
        .send()
        .await
        .expect("create state machine")
        .state_machine_arn()
        .to_owned()
}

/// Describes the execution until it has ended, for at most `limit`.
async fn ended(client: &Client, arn: &str, limit: Duration) -> ExecutionStatus {
    let deadline = Instant::now() + limit;
    loop {
        let described = client
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
            .expect("describe execution");
        if *described.status() != ExecutionStatus::Running {
            return described.status().clone();
        }
        assert!(
            Instant::now() < deadline,
            "{arn} still running after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn history_types(client: &Client, arn: &str) -> Vec<HistoryEventType> {
    let mut types = Vec::new();
    let mut ids = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .get_execution_history()
            .execution_arn(arn)
            .set_next_token(token)
            .send()
            .await
            .expect("history");
        for event in page.events() {
            types.push(event.r#type().clone());
            ids.push(event.id());
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    let expected: Vec<i64> = (1..=ids.len() as i64).collect();
    assert_eq!(
        ids, expected,
        "event ids run 1, 2, 3… with no gap or repeat"
    );
    types
}

fn wait_then_pass_history() -> Vec<HistoryEventType> {
    use HistoryEventType as E;
    vec![
        E::ExecutionStarted,
        E::WaitStateEntered,
        E::WaitStateExited,
        E::PassStateEntered,
        E::PassStateExited,
        E::ExecutionSucceeded,
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_runs_a_workflow_to_its_end_and_lists_it() {
    let dir = TempDir::new("sdk");
    let mut server = Server::start(&dir.db());
    let client = server.client();
    let machine = create(&client, "naps", &wait_then_pass(1)).await;
    assert_eq!(
        machine,
        "arn:aws:states:us-east-1:000000000000:stateMachine:naps"
    );
    let started = Instant::now();
    let execution = client
        .start_execution()
        .state_machine_arn(&machine)
        .name("first")
        .input(r#"{"n": 1}"#)
        .send()
        .await
        .expect("start")
        .execution_arn()
        .to_owned();
    let status = ended(&client, &execution, Duration::from_secs(20)).await;
    assert_eq!(status, ExecutionStatus::Succeeded);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the Wait waited"
    );
    let described = client
        .describe_execution()
        .execution_arn(&execution)
        .send()
        .await
        .expect("describe");
    let output: Value = serde_json::from_str(described.output().expect("output")).unwrap();
    assert_eq!(output, json!({"n": 1, "result": {"ok": true}}));
    assert_eq!(
        history_types(&client, &execution).await,
        wait_then_pass_history()
    );

    let running = client
        .start_execution()
        .state_machine_arn(&machine)
        .name("second")
        .send()
        .await
        .expect("start the second")
        .execution_arn()
        .to_owned();
    let listed = client
        .list_executions()
        .state_machine_arn(&machine)
        .send()
        .await
        .expect("list");
    let names: Vec<&str> = listed.executions().iter().map(|e| e.name()).collect();
    assert_eq!(names, ["second", "first"], "newest first");
    let succeeded = client
        .list_executions()
        .state_machine_arn(&machine)
        .status_filter(ExecutionStatus::Succeeded)
        .send()
        .await
        .expect("list succeeded");
    assert_eq!(succeeded.executions().len(), 1);
    assert_eq!(succeeded.executions()[0].execution_arn(), execution);
    ended(&client, &running, Duration::from_secs(20)).await;

    // StartSyncExecution waits for the worker to end the execution.
    let express = client
        .create_state_machine()
        .name("quick")
        .definition(wait_then_pass(1))
        .role_arn(ROLE)
        .r#type(aws_sdk_sfn::types::StateMachineType::Express)
        .send()
        .await
        .expect("create express")
        .state_machine_arn()
        .to_owned();
    let synced = client
        .start_sync_execution()
        .state_machine_arn(&express)
        .input(r#"{"sync": true}"#)
        .send()
        .await
        .expect("start sync");
    assert_eq!(
        *synced.status(),
        aws_sdk_sfn::types::SyncExecutionStatus::Succeeded
    );
    let output: Value = serde_json::from_str(synced.output().expect("sync output")).unwrap();
    assert_eq!(output, json!({"sync": true, "result": {"ok": true}}));

    // SIGTERM ends the server cleanly.
    assert!(server.terminate().success());
}

fn aws_installed() -> bool {
    Command::new("aws")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

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
        .env("AWS_PAGER", "")
        .output()
        .expect("run aws");
    assert!(
        output.status.success(),
        "aws {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("aws prints JSON")
}

#[test]
fn the_aws_cli_creates_starts_and_describes() {
    if !aws_installed() {
        assert!(
            std::env::var_os("STEPWISE_REQUIRE_EMULATOR").is_none(),
            "STEPWISE_REQUIRE_EMULATOR is set but the `aws` command is missing"
        );
        eprintln!("skipped: the `aws` command is not installed");
        return;
    }
    let dir = TempDir::new("cli");
    let server = Server::start(&dir.db());
    let definition = wait_then_pass(1);
    let created = aws(
        &server.url,
        &[
            "create-state-machine",
            "--name",
            "cli",
            "--role-arn",
            ROLE,
            "--definition",
            &definition,
        ],
    );
    let machine = created["stateMachineArn"].as_str().expect("arn").to_owned();
    let started = aws(
        &server.url,
        &[
            "start-execution",
            "--state-machine-arn",
            &machine,
            "--input",
            r#"{"x":2}"#,
        ],
    );
    let execution = started["executionArn"].as_str().expect("arn").to_owned();
    let deadline = Instant::now() + Duration::from_secs(20);
    let described = loop {
        let described = aws(
            &server.url,
            &["describe-execution", "--execution-arn", &execution],
        );
        if described["status"] != "RUNNING" {
            break described;
        }
        assert!(Instant::now() < deadline, "still running");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(described["status"], "SUCCEEDED");
    let output: Value = serde_json::from_str(described["output"].as_str().unwrap()).unwrap();
    assert_eq!(output, json!({"x": 2, "result": {"ok": true}}));
    let listed = aws(
        &server.url,
        &["list-executions", "--state-machine-arn", &machine],
    );
    assert_eq!(listed["executions"][0]["executionArn"], execution.as_str());
    let history = aws(
        &server.url,
        &["get-execution-history", "--execution-arn", &execution],
    );
    let events = history["events"].as_array().expect("events");
    assert_eq!(events.len(), 6);
    assert_eq!(events[5]["type"], "ExecutionSucceeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_flight_every_execution_completes_exactly_once() {
    const EXECUTIONS: usize = 6;
    let dir = TempDir::new("restart");
    let mut server = Server::start(&dir.db());
    let client = server.client();
    let machine = create(&client, "restart", &wait_then_pass(3)).await;
    let mut arns = Vec::new();
    for index in 0..EXECUTIONS {
        let started = client
            .start_execution()
            .state_machine_arn(&machine)
            .name(format!("run-{index}"))
            .send()
            .await
            .expect("start");
        arns.push(started.execution_arn().to_owned());
    }
    // Mid-flight: every execution is in its Wait.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let running = client
        .list_executions()
        .state_machine_arn(&machine)
        .status_filter(ExecutionStatus::Running)
        .send()
        .await
        .expect("list running");
    assert_eq!(
        running.executions().len(),
        EXECUTIONS,
        "all in flight at the kill"
    );
    server.kill();
    let server = Server::start(&dir.db());
    let client = server.client();
    for arn in &arns {
        // A message in hand at the kill comes back after the visibility timeout (30 s).
        let status = ended(&client, arn, Duration::from_secs(60)).await;
        assert_eq!(status, ExecutionStatus::Succeeded, "{arn}");
        assert_eq!(
            history_types(&client, arn).await,
            wait_then_pass_history(),
            "{arn}"
        );
    }
    let listed = client
        .list_executions()
        .state_machine_arn(&machine)
        .status_filter(ExecutionStatus::Succeeded)
        .send()
        .await
        .expect("list");
    assert_eq!(listed.executions().len(), EXECUTIONS);
}

/// Posts `body` with `target` over raw HTTP/1.1 and returns the status and the JSON body.
fn post(url: &str, target: &str, body: &str) -> (u16, Value) {
    let address = url.strip_prefix("http://").expect("http url");
    let mut stream = TcpStream::connect(address).expect("connect");
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-amz-json-1.0\r\n\
         X-Amz-Target: {target}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("receive");
    let (head, body) = response.split_once("\r\n\r\n").expect("a response");
    let status = head
        .split(' ')
        .nth(1)
        .expect("status")
        .parse()
        .expect("code");
    (status, serde_json::from_str(body).expect("a JSON body"))
}

#[test]
fn bad_requests_get_aws_error_types() {
    let dir = TempDir::new("errors");
    let server = Server::start(&dir.db());
    let (status, body) = post(&server.url, "AWSStepFunctions.LaunchRocket", "{}");
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "UnknownOperationException");
    let (status, body) = post(
        &server.url,
        "AWSStepFunctions.ListStateMachines",
        "{not json",
    );
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "SerializationException");
    let (status, body) = post(&server.url, "AWSStepFunctions.ListStateMachines", "{}");
    assert_eq!((status, body), (200, json!({"stateMachines": []})));
}

/// Step Functions Local's `stateMachineArn#TestCase`: the test case's mocked responses
/// answer the Task states, and the test case is stored with the execution, so a server
/// killed before the task runs answers it from the same test case after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_config_test_cases_answer_tasks_and_survive_a_restart() {
    let dir = TempDir::new("mocks");
    let mocks = dir.0.join("mocks.json");
    let config = json!({
        "StateMachines": {"orders": {"TestCases": {"Happy": {"Charge": "Charged", "Approve": "Approved"}}}},
        "MockedResponses": {
            "Charged": {"0": {"Return": {"StatusCode": 200, "Payload": {"ok": 1}}}},
            "Approved": {"0": {"Return": {"approved": true}}}
        }
    });
    std::fs::write(&mocks, config.to_string()).expect("write mocks");
    let options = ["--mock-config", mocks.to_str().expect("utf-8")];
    let definition = json!({"StartAt": "Nap", "States": {
        "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Charge"},
        "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
            "OutputPath": "$.Payload", "Next": "Approve"},
        // A mocked callback task ends with the mocked answer: no token will come.
        "Approve": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/000000000000/approvals",
                "MessageBody": {"token.$": "$$.Task.Token"}},
            "ResultPath": "$.approval", "End": true}}})
    .to_string();

    let mut server = Server::start_with(&dir.db(), &options);
    let client = server.client();
    let machine = create(&client, "orders", &definition).await;
    let start = |arn: String| client.start_execution().state_machine_arn(arn).send();
    let unknown = start(format!("{machine}#Sad"))
        .await
        .expect_err("unknown test case");
    assert_eq!(
        unknown.as_service_error().and_then(|e| e.meta().code()),
        Some("ValidationException")
    );
    let mocked = start(format!("{machine}#Happy"))
        .await
        .expect("start the test case")
        .execution_arn()
        .to_owned();
    // Without a test case nothing is mocked, and no task registry runs `charge`.
    let real = start(machine.clone())
        .await
        .expect("start")
        .execution_arn()
        .to_owned();
    server.kill();

    let server = Server::start_with(&dir.db(), &options);
    let client = server.client();
    assert_eq!(
        ended(&client, &mocked, Duration::from_secs(20)).await,
        ExecutionStatus::Succeeded
    );
    let described = client
        .describe_execution()
        .execution_arn(&mocked)
        .send()
        .await
        .expect("describe");
    assert_eq!(described.state_machine_arn(), machine, "no '#' in the ARN");
    let output: Value = serde_json::from_str(described.output().expect("output")).unwrap();
    assert_eq!(output, json!({"ok": 1, "approval": {"approved": true}}));
    assert_eq!(
        ended(&client, &real, Duration::from_secs(20)).await,
        ExecutionStatus::Failed
    );
    let failed = client
        .describe_execution()
        .execution_arn(&real)
        .send()
        .await
        .expect("describe");
    assert_eq!(failed.error(), Some("States.Runtime"));
}
