use std::sync::Arc;

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::encodings::Body;
use base64::Engine as _;
use serde_json::{json, Value};
use stepwise_engine::memory::{MemoryQueue, MemoryStore};
use stepwise_engine::{Config, Engine};

use super::*;

type MemoryApi =
    Api<MemoryStore, MemoryQueue, stepwise_engine::NoTasks, stepwise_engine::SystemClock>;

fn api() -> MemoryApi {
    let config = Config::local();
    let engine = Engine::new(
        MemoryStore::default(),
        MemoryQueue::default(),
        config.clone(),
    );
    Api::new(Arc::new(engine), &config)
}

/// The HTTP API payload 2.0 sample event of the API Gateway developer guide ("Working with
/// AWS Lambda proxy integrations for HTTP APIs"), with the method, path, headers and
/// body replaced.
fn event(
    method: &str,
    path: &str,
    headers: Value,
    body: Option<&str>,
    base64: bool,
) -> ApiGatewayV2httpRequest {
    let sample = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "parameter1=value1&parameter1=value2&parameter2=value",
        "cookies": ["cookie1", "cookie2"],
        "headers": headers,
        "queryStringParameters": {"parameter1": "value1,value2", "parameter2": "value"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "domainName": "id.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "id",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "agent"
            },
            "requestId": "id",
            "routeKey": "$default",
            "stage": "$default",
            "time": "12/Mar/2020:19:03:58 +0000",
            "timeEpoch": 1583348638390_i64
        },
        "body": body,
        "pathParameters": {"parameter1": "value1"},
        "isBase64Encoded": base64,
        "stageVariables": {"stageVariable1": "value1", "stageVariable2": "value2"}
    });
    serde_json::from_value(sample).expect("an API Gateway v2 event")
}

fn sfn(target: &str, body: &str) -> ApiGatewayV2httpRequest {
    // Mixed case, as a client may send them: the handler must not care.
    let headers = json!({
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": format!("AWSStepFunctions.{target}"),
    });
    event("POST", "/", headers, Some(body), false)
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// Status and JSON body, after checking the content type every answer carries.
fn answer(response: ApiGatewayV2httpResponse) -> (i64, Value) {
    assert_eq!(
        response
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some(CONTENT_TYPE)
    );
    assert!(!response.is_base64_encoded);
    let Some(Body::Text(text)) = response.body else {
        panic!("a text body: {:?}", response.body)
    };
    (
        response.status_code,
        serde_json::from_str(&text).expect("JSON body"),
    )
}

#[test]
fn dispatches_post_with_the_target_header() {
    let api = api();
    let (status, body) = answer(block_on(handle(&api, sfn("ListStateMachines", "{}"))));
    assert_eq!((status, body), (200, json!({"stateMachines": []})));
}

#[test]
fn decodes_base64_bodies() {
    let api = api();
    let create = json!({
        "name": "orders",
        "definition": r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#,
        "roleArn": "arn:aws:iam::123456789012:role/r"
    })
    .to_string();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&create);
    let mut request = sfn("CreateStateMachine", &encoded);
    request.is_base64_encoded = true;
    let (status, created) = answer(block_on(handle(&api, request)));
    assert_eq!(status, 200, "{created}");
    let arn = created["stateMachineArn"]
        .as_str()
        .expect("an ARN")
        .to_owned();
    assert!(arn.ends_with(":stateMachine:orders"), "{arn}");
    let describe = json!({"stateMachineArn": arn}).to_string();
    let (status, described) = answer(block_on(handle(
        &api,
        sfn("DescribeStateMachine", &describe),
    )));
    assert_eq!(status, 200);
    assert_eq!(described["name"], "orders");
}

#[test]
fn refuses_bodies_that_are_not_base64() {
    let api = api();
    let mut request = sfn("ListStateMachines", "not base64!");
    request.is_base64_encoded = true;
    let (status, body) = answer(block_on(handle(&api, request)));
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "SerializationException");
}

#[test]
fn other_methods_and_paths_are_not_found() {
    let api = api();
    let headers = json!({"x-amz-target": "AWSStepFunctions.ListStateMachines"});
    for (method, path) in [("GET", "/"), ("POST", "/other"), ("PUT", "/")] {
        let request = event(method, path, headers.clone(), Some("{}"), false);
        let (status, body) = answer(block_on(handle(&api, request)));
        assert_eq!(status, 404, "{method} {path}");
        assert_eq!(body["__type"], "UnknownOperationException");
        assert!(body["message"].as_str().is_some_and(|m| m.contains(path)));
    }
}

#[test]
fn passes_protocol_errors_through_in_aws_shape() {
    let api = api();
    let (status, body) = answer(block_on(handle(&api, sfn("NoSuchThing", "{}"))));
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "UnknownOperationException");
    let no_target = event("POST", "/", json!({}), Some("{}"), false);
    let (status, body) = answer(block_on(handle(&api, no_target)));
    assert_eq!(
        (status, &body["__type"]),
        (400, &json!("UnknownOperationException"))
    );
    let xml = event(
        "POST",
        "/",
        json!({"content-type": "text/xml", "x-amz-target": "AWSStepFunctions.ListStateMachines"}),
        Some("{}"),
        false,
    );
    let (status, body) = answer(block_on(handle(&api, xml)));
    assert_eq!(
        (status, &body["__type"]),
        (400, &json!("SerializationException"))
    );
}

#[test]
fn the_response_serialises_as_api_gateway_reads_it() {
    let api = api();
    let response = block_on(handle(&api, sfn("ListStateMachines", "{}")));
    let wire = serde_json::to_value(&response).expect("serialises");
    assert_eq!(wire["statusCode"], 200);
    assert_eq!(wire["headers"]["content-type"], CONTENT_TYPE);
    assert_eq!(wire["body"], r#"{"stateMachines":[]}"#);
    assert_eq!(wire["isBase64Encoded"], false);
}
