//! The local task registry's `lambda` targets (`stepwise run/serve --tasks`) against real
//! function binaries behind the local Lambda Invoke API (`cargo lambda watch`): the
//! results and errors are those of the AWS integrations, because they are made by them.

// In these tests an unwrap is the assertion.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};
use stepwise_core::interp::TaskRequest;
use stepwise_engine::TaskInvoker;
use stepwise_local_tasks::{LocalTasks, Registry};
use stepwise_tests::lambda_api::LambdaApi;

const ACCOUNT: &str = "000000000000";
const EXECUTION: &str = "arn:aws:states:us-east-1:000000000000:execution:sm:local";

fn request(resource: &str, parameters: Value) -> TaskRequest {
    TaskRequest::new("Call", resource, parameters)
}

#[tokio::test]
async fn lambda_targets_answer_as_the_aws_integrations() {
    let Some(api) = LambdaApi::start().await.unwrap() else {
        return;
    };
    let log = api.log().display().to_string();
    let registry = Registry::parse(
        &json!({
            "function:echo": {"lambda": api.endpoint()},
            "function:fail": {"lambda": api.endpoint()}
        })
        .to_string(),
    )
    .unwrap();
    let tasks = LocalTasks::new(registry, None, ACCOUNT).await;

    // A bare ARN: the function's output itself.
    let input = json!({"order": 7, "items": ["a", {"b": null}]});
    let echoed = tasks
        .invoke(
            EXECUTION,
            &request(
                "arn:aws:lambda:us-east-1:000000000000:function:echo",
                input.clone(),
            ),
        )
        .await
        .unwrap_or_else(|f| panic!("{f} (see {log})"));
    assert_eq!(echoed, input);

    // lambda:invoke: Invoke's response with the HTTP metadata of the real call.
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

    // A handler error: the errorType names the error, the error document is the cause.
    let failure = tasks
        .invoke(
            EXECUTION,
            &request(
                "arn:aws:states:::lambda:invoke",
                json!({"FunctionName": "fail", "Payload": {"message": "no stock"}}),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(failure.error.as_deref(), Some("CustomError"));
    let cause: Value = serde_json::from_str(failure.cause.as_deref().unwrap()).unwrap();
    assert_eq!(
        cause,
        json!({"errorType": "CustomError", "errorMessage": "no stock"})
    );

    // A function the registry does not name is not sent anywhere.
    let failure = tasks
        .invoke(
            EXECUTION,
            &request(
                "arn:aws:lambda:us-east-1:000000000000:function:sleep",
                json!({}),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(failure.error.as_deref(), Some("States.Runtime"));
}
