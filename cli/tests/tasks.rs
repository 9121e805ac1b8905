//! `stepwise run` with Task states: Step Functions Local mock configurations, `command`
//! and `http` targets of a task registry, and the errors for bad files.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Value};

fn stepwise(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .args(args)
        .output()
        .expect("the stepwise binary runs")
}

/// Writes `value` as `<name>` in a fresh folder of this test and returns its path.
fn file(name: &str, value: &Value) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "stepwise-task-tests-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(value).expect("json")).expect("write");
    path
}

/// The `--json` line, and the exit code.
fn run(args: &[&str]) -> (Value, Option<i32>) {
    let out = stepwise(args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let value = serde_json::from_str(last).unwrap_or_else(|e| {
        panic!(
            "last line {last:?} is not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (value, out.status.code())
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Charge (lambda:invoke, retried on throttling, declines caught), then Ship (a bare ARN).
fn orders() -> Value {
    json!({"StartAt": "Charge", "States": {
        "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
            "ResultSelector": {"charged.$": "$.Payload.charged"}, "ResultPath": "$.charge",
            "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"],
                "IntervalSeconds": 1, "BackoffRate": 1, "MaxAttempts": 2}],
            "Catch": [{"ErrorEquals": ["Card.Declined"], "ResultPath": "$.error", "Next": "Declined"}],
            "Next": "Ship"},
        "Ship": {"Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:000000000000:function:ship",
            "ResultPath": "$.ship", "End": true},
        "Declined": {"Type": "Pass", "End": true}}})
}

fn mocks() -> Value {
    json!({
        "StateMachines": {"orders": {"TestCases": {
            "Happy": {"Charge": "ChargeOk", "Ship": "Shipped"},
            "Throttled": {"Charge": "ChargeThrottledOnce", "Ship": "Shipped"},
            "Declined": {"Charge": "ChargeDeclined"},
            "Exhausted": {"Charge": "ChargeThrottledOnce"}
        }}},
        "MockedResponses": {
            "ChargeOk": {"0": {"Return": {"StatusCode": 200, "Payload": {"charged": 5}}}},
            "ChargeThrottledOnce": {
                "0": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}},
                "1": {"Return": {"StatusCode": 200, "Payload": {"charged": 7}}}
            },
            "ChargeDeclined": {"0": {"Throw": {"Error": "Card.Declined", "Cause": "no funds"}}},
            "Shipped": {"0": {"Return": {"tracking": "T-1"}}}
        }
    })
}

#[test]
fn mock_config_returns_throws_retries_and_catches() {
    let def = file("orders.asl.json", &orders());
    let config = file("mocks.json", &mocks());
    let case = |name: &str| {
        run(&[
            "run",
            path(&def),
            "--input",
            r#"{"id": 1}"#,
            "--json",
            "--mock-config",
            path(&config),
            "--test-case",
            name,
        ])
    };
    // Return: the whole Lambda Invoke response, through ResultSelector.
    assert_eq!(
        case("Happy"),
        (
            json!({"status": "SUCCEEDED", "output":
                {"id": 1, "charge": {"charged": 5}, "ship": {"tracking": "T-1"}}}),
            Some(0)
        )
    );
    // Invocation 0 throws, Retry runs invocation 1, which returns.
    assert_eq!(
        case("Throttled").0["output"]["charge"],
        json!({"charged": 7})
    );
    // Throw caught by Catch, with the mocked error and cause as the error output.
    assert_eq!(
        case("Declined"),
        (
            json!({"status": "SUCCEEDED", "output":
                {"id": 1, "error": {"Error": "Card.Declined", "Cause": "no funds"}}}),
            Some(0)
        )
    );
    // The name can also be given: a file named otherwise runs the same test case.
    let renamed = file("definition.json", &orders());
    let (result, _) = run(&[
        "run",
        path(&renamed),
        "--json",
        "--state-machine-name",
        "orders",
        "--mock-config",
        path(&config),
        "--test-case",
        "Happy",
    ]);
    assert_eq!(result["output"]["ship"], json!({"tracking": "T-1"}));
    // Ship is not in the test case and no registry runs it: it fails as unmocked.
    let (result, code) = case("Exhausted");
    assert_eq!(
        (result["error"].as_str(), code),
        (Some("States.Runtime"), Some(1))
    );
    assert!(
        result["cause"]
            .as_str()
            .unwrap_or_default()
            .contains("function:ship"),
        "{result}"
    );
}

#[test]
fn an_unknown_test_case_is_a_usage_error() {
    let def = file("orders.asl.json", &orders());
    let config = file("mocks.json", &mocks());
    let out = stepwise(&[
        "run",
        path(&def),
        "--mock-config",
        path(&config),
        "--test-case",
        "Sad",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "state machine 'orders' has no test case 'Sad' in the mock configuration (it has: Declined, Exhausted, Happy, Throttled)"
        ),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing ran");
}

#[test]
fn bad_registry_and_mock_files_name_the_json_path() {
    let def = file("orders.asl.json", &orders());
    let registry = file(
        "tasks.json",
        &json!({"function:charge": {"command": ["python3", 3]}}),
    );
    let out = stepwise(&["run", path(&def), "--tasks", path(&registry)]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(r#"is invalid: $["function:charge"].command[1]: must be a string"#),
        "{stderr}"
    );
    let config = file(
        "mocks.json",
        &json!({"StateMachines": {"orders": {"TestCases": {"T": {"Charge": "Missing"}}}},
                "MockedResponses": {}}),
    );
    let out = stepwise(&[
        "run",
        path(&def),
        "--mock-config",
        path(&config),
        "--test-case",
        "T",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "is invalid: $.StateMachines.orders.TestCases.T.Charge: names 'Missing', which $.MockedResponses does not define"
        ),
        "{stderr}"
    );
}

#[test]
fn command_tasks_read_stdin_and_answer_on_stdout() {
    let def = file(
        "commands.asl.json",
        &json!({"StartAt": "Double", "States": {
            "Double": {"Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:000000000000:function:double",
                "ResultPath": "$.doubled", "Next": "Refuse"},
            "Refuse": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "refuse", "Payload": {}},
                "Catch": [{"ErrorEquals": ["Order.Refused"], "ResultPath": "$.refused", "Next": "Crash"}],
                "End": true},
            "Crash": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": "q", "MessageBody": "m"},
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.crash", "Next": "Slow"}],
                "End": true},
            "Slow": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:slow",
                "TimeoutSeconds": 1, "End": true}}}),
    );
    let registry = file(
        "tasks.json",
        &json!({
            "function:double": {"command": ["python3", "-c",
                "import json, sys; print(json.dumps(json.load(sys.stdin)['n'] * 2))"]},
            "function:refuse": {"command": ["sh", "-c",
                r#"cat >/dev/null; echo '{"errorType":"Order.Refused","errorMessage":"closed"}'; exit 1"#]},
            "arn:aws:states:::sqs:sendMessage": {"command": ["sh", "-c",
                "echo 'disk on fire' >&2; exit 3"]},
            "function:slow": {"command": ["sleep", "30"]}
        }),
    );
    let started = std::time::Instant::now();
    let (result, code) = run(&[
        "run",
        path(&def),
        "--input",
        r#"{"n": 21}"#,
        "--json",
        "--tasks",
        path(&registry),
    ]);
    assert_eq!(
        result,
        json!({"status": "FAILED", "error": "States.Timeout", "cause": null}),
        "the sleeping command outlives TimeoutSeconds"
    );
    assert_eq!(code, Some(1));
    assert!(
        started.elapsed().as_secs() < 10,
        "the slow command was killed"
    );

    // The same, with the history, to see each task's answer.
    let out = stepwise(&[
        "run",
        path(&def),
        "--input",
        r#"{"n": 21}"#,
        "--history",
        "--tasks",
        path(&registry),
    ]);
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let exited = |state: &str| {
        events
            .iter()
            .find(|e| e["stateExitedEventDetails"]["name"] == state)
            .map(|e| {
                e["stateExitedEventDetails"]["output"]
                    .as_str()
                    .unwrap_or_default()
            })
            .map(|o| serde_json::from_str::<Value>(o).expect("output JSON"))
            .unwrap_or_else(|| panic!("{state} exited: {events:?}"))
    };
    assert_eq!(exited("Double")["doubled"], 42);
    assert_eq!(
        exited("Refuse")["refused"],
        json!({"Error": "Order.Refused",
               "Cause": "{\"errorType\":\"Order.Refused\",\"errorMessage\":\"closed\"}"})
    );
    assert_eq!(
        exited("Crash")["crash"],
        json!({"Error": "States.TaskFailed", "Cause": "'sh' exited with status 3: disk on fire"})
    );
}

/// A real HTTP server on a free port, on its own thread: `/greet` answers
/// `{"hello": <name>}`, `/refuse` a Lambda error document with status 500.
fn http_server() -> String {
    use axum::routing::post;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let app = axum::Router::new()
                .route(
                    "/greet",
                    post(|body: axum::body::Bytes| async move {
                        let input: Value = serde_json::from_slice(&body).unwrap_or_default();
                        json!({"hello": input["name"]}).to_string()
                    }),
                )
                .route(
                    "/refuse",
                    post(|| async {
                        (
                            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                            json!({"errorType": "Greeting.Refused", "errorMessage": "not today"})
                                .to_string(),
                        )
                    }),
                );
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    format!("http://{address}")
}

#[test]
fn http_tasks_post_the_input_and_map_lambda_errors() {
    let base = http_server();
    let def = file(
        "greetings.asl.json",
        &json!({"StartAt": "Greet", "States": {
            "Greet": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:000000000000:function:greet",
                    "Payload": {"name.$": "$.name"}},
                "ResultSelector": {"hello.$": "$.Payload.hello", "status.$": "$.StatusCode"},
                "ResultPath": "$.greeting", "Next": "Refuse"},
            "Refuse": {"Type": "Task", "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:refuse",
                "Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 3}],
                "Catch": [{"ErrorEquals": ["Greeting.Refused"], "ResultPath": "$.refused", "Next": "Done"}],
                "End": true},
            "Done": {"Type": "Pass", "End": true}}}),
    );
    let registry = file(
        "tasks.json",
        &json!({
            "function:greet": {"http": format!("{base}/greet")},
            "arn:aws:lambda:eu-west-1:123456789012:function:refuse": {"http": format!("{base}/refuse")}
        }),
    );
    let (result, code) = run(&[
        "run",
        path(&def),
        "--input",
        r#"{"name": "Ada"}"#,
        "--json",
        "--tasks",
        path(&registry),
    ]);
    assert_eq!(code, Some(0), "{result}");
    assert_eq!(
        result["output"],
        json!({"name": "Ada",
               "greeting": {"hello": "Ada", "status": 200},
               "refused": {"Error": "Greeting.Refused",
                   "Cause": "{\"errorType\":\"Greeting.Refused\",\"errorMessage\":\"not today\"}"}})
    );
}

/// `--aws-endpoint`: an SQS `sendMessage` Task goes through the AWS integrations to the
/// emulator (`AWS_ENDPOINT_URL`, LocalStack), and the message is on the queue. Skipped
/// without an emulator unless `STEPWISE_REQUIRE_EMULATOR` is set.
#[tokio::test]
async fn aws_endpoint_sends_integrations_to_the_emulator() {
    let Some(endpoint) = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|e| !e.is_empty())
    else {
        assert!(
            std::env::var("STEPWISE_REQUIRE_EMULATOR").is_err(),
            "AWS_ENDPOINT_URL is not set and STEPWISE_REQUIRE_EMULATOR is"
        );
        println!("skipped: AWS_ENDPOINT_URL not set");
        return;
    };
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .endpoint_url(&endpoint)
        .region(aws_sdk_sqs::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .build();
    let sqs = aws_sdk_sqs::Client::from_conf(config);
    let name = format!(
        "stepwise-cli-tasks-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    );
    let queue = sqs
        .create_queue()
        .queue_name(&name)
        .send()
        .await
        .expect("create queue")
        .queue_url()
        .expect("queue url")
        .to_owned();
    let def = file(
        "send.asl.json",
        &json!({"StartAt": "Send", "States": {"Send": {"Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {"QueueUrl": queue, "MessageBody.$": "$.body"},
            "ResultSelector": {"id.$": "$.MessageId"}, "End": true}}}),
    );
    let (result, code) = run(&[
        "run",
        path(&def),
        "--input",
        r#"{"body": "hello queue"}"#,
        "--json",
        "--aws-endpoint",
        &endpoint,
    ]);
    let received = sqs
        .receive_message()
        .queue_url(&queue)
        .wait_time_seconds(5)
        .send()
        .await
        .expect("receive");
    let _ = sqs.delete_queue().queue_url(&queue).send().await;
    assert_eq!(code, Some(0), "{result}");
    let message = received.messages().first().expect("the message was sent");
    assert_eq!(message.body(), Some("hello queue"));
    assert_eq!(result["output"]["id"].as_str(), message.message_id());
}
