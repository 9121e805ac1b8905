//! Requests that are not well-formed Step Functions calls, sent as raw HTTP: each gets
//! AWS's error type and status, and changes nothing.

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends one HTTP/1.1 request and returns the status and the JSON body.
async fn post(url: &str, target: &str, content_type: &str, body: &[u8]) -> (u16, Value) {
    let address = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nX-Amz-Target: {target}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("write head");
    stream.write_all(body).await.expect("write body");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let text = String::from_utf8_lossy(&response);
    let status = text[9..12].parse().expect("status");
    let (_, body) = text.split_once("\r\n\r\n").expect("body");
    (status, serde_json::from_str(body).expect("json body"))
}

const JSON: &str = "application/x-amz-json-1.0";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_aws_errors_and_change_nothing() {
    let server = crate::support::start().await;
    let url = &server.url;
    let (status, body) = post(url, "AWSStepFunctions.DoSomething", JSON, b"{}").await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );
    let (status, body) = post(url, "AWSStepFunctions.ListStateMachines", JSON, b"{oops").await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    let (status, body) = post(
        url,
        "AWSStepFunctions.CreateStateMachine",
        JSON,
        br#"{"name":"x"}"#,
    )
    .await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("ValidationException"))
    );
    assert_eq!(
        body["message"],
        "1 validation error detected: Value null at 'definition' failed to satisfy constraint: Member must not be null"
    );
    let (status, body) = post(
        url,
        "AWSStepFunctions.ListStateMachines",
        "text/plain",
        b"{}",
    )
    .await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    let huge = vec![b' '; stepwise_api::MAX_BODY_BYTES + 10];
    let (status, body) = post(url, "AWSStepFunctions.ListStateMachines", JSON, &huge).await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (413, Some("RequestEntityTooLargeException"))
    );

    // None of them created anything.
    let (status, body) = post(url, "AWSStepFunctions.ListStateMachines", JSON, b"{}").await;
    assert_eq!((status, body), (200, json!({"stateMachines": []})));
}
