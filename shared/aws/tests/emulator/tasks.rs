//! The AWS task integrations against the emulator's SQS and DynamoDB: the results Step
//! Functions would show, the side effects, the errors, one request per task.

use serde_json::{json, Value};
use stepwise_aws::tasks::AwsTasks;
use stepwise_core::interp::TaskRequest;
use stepwise_engine::TaskInvoker;

use crate::support::Fixture;

const EXECUTION: &str = "arn:aws:states:us-east-1:000000000000:execution:sm:tasks";

fn request(resource: &str, parameters: Value) -> TaskRequest {
    TaskRequest::new("Task", resource, parameters)
}

fn tasks(fixture: &Fixture) -> AwsTasks {
    AwsTasks::counted(fixture.config.sdk(), Some(&fixture.counter))
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// `SdkHttpMetadata` and `SdkResponseMetadata` as Step Functions shows them.
fn assert_sdk_metadata(result: &Value) {
    let http = &result["SdkHttpMetadata"];
    assert_eq!(
        keys(http),
        ["AllHttpHeaders", "HttpHeaders", "HttpStatusCode"],
        "{result}"
    );
    assert_eq!(http["HttpStatusCode"], json!(200));
    let request_id = result["SdkResponseMetadata"]["RequestId"].as_str().unwrap();
    assert!(!request_id.is_empty(), "{result}");
    assert_eq!(http["HttpHeaders"]["x-amzn-RequestId"], json!(request_id));
}

#[tokio::test]
async fn sqs_send_message_sends_and_returns_the_aws_shape() {
    let Some(fixture) = Fixture::new("task-sqs").await else {
        return;
    };
    let tasks = tasks(&fixture);
    let url = fixture.queues.url.clone();
    let result = tasks
        .invoke(
            EXECUTION,
            &request(
                "arn:aws:states:::sqs:sendMessage",
                json!({
                    "QueueUrl": url,
                    "MessageBody": {"order": 7, "items": ["a", "b"]},
                    "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "order"}}
                }),
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        keys(&result),
        [
            "MD5OfMessageAttributes",
            "MD5OfMessageBody",
            "MessageId",
            "SdkHttpMetadata",
            "SdkResponseMetadata"
        ]
    );
    assert_sdk_metadata(&result);
    // A string body goes as is, through the callback pattern's same call.
    let plain = tasks
        .invoke(
            EXECUTION,
            &request(
                "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                json!({"QueueUrl": url, "MessageBody": "plain text"}),
            ),
        )
        .await
        .unwrap();
    assert_eq!(fixture.counter.snapshot()["SQS.SendMessage"], 2);

    let received = fixture
        .sqs()
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .message_attribute_names("All")
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    let by_id = |id: &Value| {
        received
            .iter()
            .find(|m| m.message_id.as_deref() == id.as_str())
            .unwrap_or_else(|| panic!("message {id} not received: {received:?}"))
    };
    let first = by_id(&result["MessageId"]);
    assert_eq!(first.body(), Some(r#"{"order":7,"items":["a","b"]}"#));
    assert_eq!(first.md5_of_body(), result["MD5OfMessageBody"].as_str());
    let kind = &first.message_attributes().unwrap()["kind"];
    assert_eq!(kind.string_value(), Some("order"));
    assert_eq!(by_id(&plain["MessageId"]).body(), Some("plain text"));
    fixture.clean_up().await;
}

#[tokio::test]
async fn sqs_errors_are_named_as_step_functions_names_them() {
    let Some(fixture) = Fixture::new("task-sqs-error").await else {
        return;
    };
    let missing = format!("{}-missing", fixture.queues.url);
    let failure = tasks(&fixture)
        .invoke(
            EXECUTION,
            &request(
                "arn:aws:states:::sqs:sendMessage",
                json!({"QueueUrl": missing, "MessageBody": "x"}),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(
        failure.error.as_deref(),
        Some("SQS.QueueDoesNotExistException"),
        "{failure}"
    );
    let cause = failure.cause.unwrap();
    assert!(
        cause.contains("(Service: AmazonSQS; Status Code: 400; Error Code: "),
        "{cause}"
    );
    assert!(cause.ends_with("; Proxy: null)"), "{cause}");
    fixture.clean_up().await;
}

#[tokio::test]
async fn dynamodb_item_apis_round_trip_dynamodb_json() {
    let Some(fixture) = Fixture::new("task-ddb").await else {
        return;
    };
    let tasks = tasks(&fixture);
    let table = fixture.table.clone();
    let key = json!({"pk": {"S": "order#1"}, "sk": {"S": "v1"}});
    let item = json!({
        "blob": {"B": "AAEC/w=="},
        "count": {"N": "1"},
        "flags": {"BOOL": true},
        "big": {"N": "12345678901234567890123456789012345678"},
        "nested": {"M": {"list": {"L": [{"S": "x"}, {"NULL": true}]}, "set": {"SS": ["a", "b"]}}},
        "pk": {"S": "order#1"},
        "sk": {"S": "v1"}
    });
    let put = tasks
        .invoke(
            EXECUTION,
            &request(
                "arn:aws:states:::dynamodb:putItem",
                json!({"TableName": table, "Item": item}),
            ),
        )
        .await
        .unwrap();
    assert_eq!(keys(&put), ["SdkHttpMetadata", "SdkResponseMetadata"]);
    assert_sdk_metadata(&put);

    let get = |consistent: bool| {
        request(
            "arn:aws:states:::dynamodb:getItem",
            json!({"TableName": table, "Key": key, "ConsistentRead": consistent}),
        )
    };
    let got = tasks.invoke(EXECUTION, &get(true)).await.unwrap();
    assert_eq!(
        keys(&got),
        ["Item", "SdkHttpMetadata", "SdkResponseMetadata"]
    );
    let mut sorted: Vec<(String, Value)> = item.as_object().unwrap().clone().into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(got["Item"], Value::Object(sorted.into_iter().collect()));

    let updated = tasks
        .invoke(
            EXECUTION,
            &request(
                "arn:aws:states:::dynamodb:updateItem",
                json!({
                    "TableName": table,
                    "Key": key,
                    "UpdateExpression": "SET #c = #c + :one",
                    "ExpressionAttributeNames": {"#c": "count"},
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                    "ReturnValues": "UPDATED_NEW"
                }),
            ),
        )
        .await
        .unwrap();
    assert_eq!(updated["Attributes"], json!({"count": {"N": "2"}}));

    // A conditional put that loses: Step Functions' error name and cause, item unchanged.
    let failure = tasks
        .invoke(
            EXECUTION,
            &request(
                "arn:aws:states:::dynamodb:putItem",
                json!({"TableName": table, "Item": key, "ConditionExpression": "attribute_not_exists(pk)"}),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(
        failure.error.as_deref(),
        Some("DynamoDB.ConditionalCheckFailedException")
    );
    let cause = failure.cause.unwrap();
    assert!(
        cause.starts_with("The conditional request failed (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException; Request ID: "),
        "{cause}"
    );
    let still = tasks.invoke(EXECUTION, &get(true)).await.unwrap();
    assert_eq!(still["Item"]["count"], json!({"N": "2"}));

    let deleted = tasks
        .invoke(
            EXECUTION,
            &request(
                "arn:aws:states:::dynamodb:deleteItem",
                json!({"TableName": table, "Key": key, "ReturnValues": "ALL_OLD"}),
            ),
        )
        .await
        .unwrap();
    assert_eq!(deleted["Attributes"]["big"], item["big"]);
    let gone = tasks.invoke(EXECUTION, &get(false)).await.unwrap();
    assert_eq!(keys(&gone), ["SdkHttpMetadata", "SdkResponseMetadata"]);

    // One request per task invocation.
    let counts = fixture.counter.snapshot();
    assert_eq!(counts.get("DynamoDB.PutItem"), Some(&2));
    assert_eq!(counts.get("DynamoDB.GetItem"), Some(&3));
    assert_eq!(counts.get("DynamoDB.UpdateItem"), Some(&1));
    assert_eq!(counts.get("DynamoDB.DeleteItem"), Some(&1));
    fixture.clean_up().await;
}

#[tokio::test]
async fn dynamodb_errors_and_bad_parameters() {
    let Some(fixture) = Fixture::new("task-ddb-error").await else {
        return;
    };
    let tasks = tasks(&fixture);
    let missing = format!("{}-missing", fixture.table);
    let failure = tasks
        .invoke(
            EXECUTION,
            &request(
                "arn:aws:states:::dynamodb:getItem",
                json!({"TableName": missing, "Key": {"pk": {"S": "a"}, "sk": {"S": "b"}}}),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(
        failure.error.as_deref(),
        Some("DynamoDB.ResourceNotFoundException"),
        "{failure}"
    );

    // Bad DynamoDB JSON never reaches the service: a runtime error naming the path.
    let before = fixture.counter.total("DynamoDB.");
    let failure = tasks
        .invoke(
            EXECUTION,
            &request(
                "arn:aws:states:::dynamodb:putItem",
                json!({"TableName": fixture.table, "Item": {"pk": {"S": "a"}, "n": {"N": 5}}}),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(failure.error.as_deref(), Some("States.Runtime"));
    assert!(failure
        .cause
        .unwrap()
        .ends_with("Item.n.N: expected a string, got 5"));
    assert_eq!(fixture.counter.total("DynamoDB."), before);
    fixture.clean_up().await;
}
