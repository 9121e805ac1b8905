//! Lambda task integrations against real function binaries behind the local Lambda
//! Invoke API (`cargo lambda watch`, see `stepwise_tests::lambda_api`): bare function
//! ARNs, `lambda:invoke`, function errors and unknown functions as Step Functions reports
//! them, one request per task, and the wall time of an invoke.

// In these tests an unwrap is the assertion.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use stepwise_aws::metrics::RequestCounter;
use stepwise_aws::tasks::AwsTasks;
use stepwise_core::interp::TaskRequest;
use stepwise_engine::TaskInvoker;
use stepwise_tests::lambda_api::LambdaApi;

const ACCOUNT: &str = "000000000000";
const EXECUTION: &str = "arn:aws:states:us-east-1:000000000000:execution:sm:lambda";

fn request(resource: &str, parameters: Value) -> TaskRequest {
    TaskRequest::new("Call", resource, parameters)
}

fn function_arn(name: &str) -> String {
    format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}")
}

#[tokio::test]
async fn lambda_tasks_against_real_functions() {
    let Some(api) = LambdaApi::start().await.unwrap() else {
        return;
    };
    let counter = RequestCounter::new();
    let tasks = AwsTasks::counted(&api.sdk_config().await, Some(&counter)).with_account(ACCOUNT);
    let log = api.log().display().to_string();

    // Bare ARN: the parameters are the payload, the function's output is the result.
    let input = json!({"order": 7, "items": ["a", {"b": null}]});
    let cold = Instant::now();
    let output = tasks
        .invoke(EXECUTION, &request(&function_arn("echo"), input.clone()))
        .await
        .unwrap_or_else(|f| panic!("{f}; server log: {log}"));
    let cold = cold.elapsed();
    assert_eq!(output, input);
    assert_eq!(counter.snapshot()["Lambda.Invoke"], 1);

    // lambda:invoke wraps the response; Payload parsed.
    let wrapped = tasks
        .invoke(
            EXECUTION,
            &request(
                "arn:aws:states:::lambda:invoke",
                json!({"FunctionName": "echo", "Payload": {"x": 1}}),
            ),
        )
        .await
        .unwrap();
    assert_eq!(wrapped["StatusCode"], json!(200));
    assert_eq!(wrapped["Payload"], json!({"x": 1}));
    assert_eq!(wrapped["SdkHttpMetadata"]["HttpStatusCode"], json!(200));
    assert!(wrapped["SdkResponseMetadata"].get("RequestId").is_some());

    // A handler error (HTTP 500 locally, 200 + X-Amz-Function-Error on AWS): the
    // errorType names the error, the error document is the cause.
    for resource in [
        "arn:aws:states:::lambda:invoke",
        function_arn("fail").as_str(),
    ] {
        let parameters = if resource.contains("states") {
            json!({"FunctionName": "fail", "Payload": {"message": "no stock"}})
        } else {
            json!({"message": "no stock"})
        };
        let failure = tasks
            .invoke(EXECUTION, &request(resource, parameters))
            .await
            .unwrap_err();
        assert_eq!(failure.error.as_deref(), Some("CustomError"), "{resource}");
        let cause: Value = serde_json::from_str(failure.cause.as_deref().unwrap()).unwrap();
        assert_eq!(
            cause,
            json!({"errorType": "CustomError", "errorMessage": "no stock"})
        );
    }

    // An unknown function: Lambda's ResourceNotFoundException.
    let failure = tasks
        .invoke(
            EXECUTION,
            &request(
                "arn:aws:states:::lambda:invoke",
                json!({"FunctionName": "nope"}),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(
        failure.error.as_deref(),
        Some("Lambda.ResourceNotFoundException")
    );
    assert!(failure
        .cause
        .unwrap()
        .starts_with("Function not found: nope (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: "));

    // The sleep function really runs: the call takes at least its sleep.
    let started = Instant::now();
    let slept = tasks
        .invoke(
            EXECUTION,
            &request(&function_arn("sleep"), json!({"seconds": 0.3})),
        )
        .await
        .unwrap();
    assert_eq!(slept, json!({"slept": 0.3}));
    assert!(started.elapsed() >= Duration::from_millis(300));

    // TimeoutSeconds bounds the call: States.Timeout, no cause, well before the sleep ends.
    let started = Instant::now();
    let mut slow = request(&function_arn("sleep"), json!({"seconds": 5}));
    slow.timeout_seconds = Some(1);
    let failure = tasks.invoke(EXECUTION, &slow).await.unwrap_err();
    assert_eq!(failure.error.as_deref(), Some("States.Timeout"));
    assert_eq!(failure.cause, None);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_secs(4),
        "{waited:?}"
    );

    // A result over 256 KiB: States.DataLimitExceeded naming the state.
    let big = json!({"blob": "x".repeat(300 * 1024)});
    let failure = tasks
        .invoke(EXECUTION, &request(&function_arn("echo"), big))
        .await
        .unwrap_err();
    assert_eq!(failure.error.as_deref(), Some("States.DataLimitExceeded"));
    assert_eq!(
        failure.cause.as_deref(),
        Some("The state/task 'Call' returned a result with a size exceeding the maximum number of bytes service limit.")
    );

    // One Invoke per task; then the wall time of a warm echo invoke.
    assert_eq!(counter.snapshot()["Lambda.Invoke"], 8);
    let mut times: Vec<Duration> = Vec::new();
    for i in 0..20 {
        let started = Instant::now();
        let out = tasks
            .invoke(EXECUTION, &request(&function_arn("echo"), json!({"i": i})))
            .await
            .unwrap();
        times.push(started.elapsed());
        assert_eq!(out, json!({"i": i}));
    }
    times.sort();
    println!(
        "lambda invoke through the local API: first (cold start) {cold:?}; warm echo, 20 calls: median {:?}, max {:?}",
        times[times.len() / 2],
        times[times.len() - 1]
    );
}

/// A whole execution on the engine (in-memory store and queue) whose Task states call the
/// real functions: the result goes through ResultSelector, and the function's custom error
/// is caught by name with AWS's `{Error, Cause}`.
#[tokio::test]
async fn a_workflow_calls_real_functions_and_catches_their_errors() {
    use stepwise_engine::memory::{MemoryQueue, MemoryStore};
    use stepwise_engine::{Config, Engine, ExecutionStatus, StartRequest, SystemClock};

    let Some(api) = LambdaApi::start().await.unwrap() else {
        return;
    };
    let tasks = AwsTasks::from_conf(&api.sdk_config().await).with_account(ACCOUNT);
    let engine = Engine::with(
        MemoryStore::default(),
        MemoryQueue::default(),
        tasks,
        SystemClock,
        Config::local(),
    );
    let definition = json!({
        "StartAt": "Price",
        "States": {
            "Price": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "echo", "Payload": {"total.$": "$.amount"}},
                "ResultSelector": {"total.$": "$.Payload.total", "status.$": "$.StatusCode"},
                "ResultPath": "$.priced",
                "Next": "Charge"
            },
            "Charge": {
                "Type": "Task",
                "Resource": function_arn("fail"),
                "Parameters": {"errorType": "CardDeclined", "message.$": "States.Format('declined {}', $.amount)"},
                "Catch": [{"ErrorEquals": ["CardDeclined"], "ResultPath": "$.error", "Next": "Declined"}],
                "End": true
            },
            "Declined": {"Type": "Pass", "End": true}
        }
    })
    .to_string();
    let started = engine
        .start(StartRequest::new(
            "order-1",
            &definition,
            json!({"amount": 42}),
        ))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while let Some(out) = engine.queue().pop() {
        assert!(Instant::now() < deadline, "the execution did not settle");
        engine.handle(out.message, 1).await.unwrap();
    }
    let record = engine.describe(&started.execution_arn).await.unwrap();
    assert_eq!(record.status, ExecutionStatus::Succeeded, "{record:?}");
    let output = record.output.unwrap();
    assert_eq!(output["priced"], json!({"total": 42, "status": 200}));
    assert_eq!(output["error"]["Error"], json!("CardDeclined"));
    let cause: Value = serde_json::from_str(output["error"]["Cause"].as_str().unwrap()).unwrap();
    assert_eq!(
        cause,
        json!({"errorType": "CardDeclined", "errorMessage": "declined 42"})
    );
}
