//! Lambda: bare function ARNs and the optimised `arn:aws:states:::lambda:invoke`.
//!
//! - A bare ARN sends the whole parameters as the payload and returns the function's
//!   output itself.
//! - `lambda:invoke` takes `FunctionName`, `Payload`, `InvocationType`, `Qualifier`,
//!   `ClientContext`, `LogType` and returns Invoke's response as the AWS SDK for Java shows
//!   it: `{ExecutedVersion, [LogResult,] Payload, SdkHttpMetadata, SdkResponseMetadata,
//!   StatusCode}`, `Payload` parsed when it is JSON.
//! - A function error (`X-Amz-Function-Error`) fails the task with the payload's
//!   `errorType` as the error and the payload text as the cause; with no `errorType`,
//!   `Lambda.Unknown` (timeouts, out of memory), as AWS reports them.

use aws_sdk_lambda::error::SdkError;
use aws_sdk_lambda::operation::invoke::{InvokeError, InvokeOutput};
use aws_sdk_lambda::types::{InvocationType, LogType};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::Blob;
use serde_json::{Map, Value};
use stepwise_core::failure::Failure;
use stepwise_core::interp::TaskRequest;

use super::errors::{self, LAMBDA};
use super::http::{Capture, HttpMeta};
use super::params::Params;

const INVOKE_FIELDS: &[&str] = &[
    "FunctionName",
    "Payload",
    "InvocationType",
    "Qualifier",
    "ClientContext",
    "LogType",
];

/// `Lambda.Unknown`: the function failed without saying how.
pub const UNKNOWN: &str = "Lambda.Unknown";

/// Where Stepwise runs: a function ARN in this region and account is invoked by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Home {
    pub region: Option<String>,
    pub account: Option<String>,
}

/// The `FunctionName` and `Qualifier` to invoke a bare ARN with. In Stepwise's own region
/// and account the name is the same function as the ARN (and the local Lambda API,
/// `cargo lambda watch`, knows functions only by name); elsewhere the full ARN.
pub fn function_target(arn: &str, home: &Home) -> (String, Option<String>) {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts[..] {
        [_, _, _, region, account, "function", name, ref qualifier @ ..]
            if home.region.as_deref() == Some(region)
                && home.account.as_deref() == Some(account) =>
        {
            (name.to_owned(), qualifier.first().map(|q| (*q).to_owned()))
        }
        _ => (arn.to_owned(), None),
    }
}

/// Invokes a bare function ARN: the result is the function's output.
pub async fn invoke_function(
    client: &aws_sdk_lambda::Client,
    arn: &str,
    home: &Home,
    request: &TaskRequest,
) -> Result<Value, Failure> {
    let payload = serde_json::to_vec(&request.parameters).unwrap_or_default();
    let (name, qualifier) = function_target(arn, home);
    let call = client
        .invoke()
        .function_name(name)
        .set_qualifier(qualifier)
        .invocation_type(InvocationType::RequestResponse)
        .payload(Blob::new(payload));
    let (output, _http) = send(call).await?;
    Ok(payload_value(payload_bytes(&output)))
}

/// The optimised `lambda:invoke`: the result wraps the response.
pub async fn invoke(
    client: &aws_sdk_lambda::Client,
    request: &TaskRequest,
) -> Result<Value, Failure> {
    let params = Params::new(
        &request.state,
        &request.resource,
        &request.parameters,
        INVOKE_FIELDS,
    )?;
    let mut call = client
        .invoke()
        .function_name(params.required_string("FunctionName")?)
        .payload(Blob::new(request_payload(params.get("Payload"))));
    if let Some(kind) = params.string("InvocationType")? {
        call = call.invocation_type(InvocationType::from(kind));
    }
    if let Some(qualifier) = params.string("Qualifier")? {
        call = call.qualifier(qualifier);
    }
    if let Some(context) = params.string("ClientContext")? {
        call = call.client_context(context);
    }
    if let Some(log_type) = params.string("LogType")? {
        call = call.log_type(LogType::from(log_type));
    }
    let (output, http) = send(call).await?;
    Ok(invoke_result(&output, &http))
}

async fn send(
    call: aws_sdk_lambda::operation::invoke::builders::InvokeFluentBuilder,
) -> Result<(InvokeOutput, HttpMeta), Failure> {
    let function = call.get_function_name().clone().unwrap_or_default();
    let capture = Capture::new();
    let result = call.customize().interceptor(capture.clone()).send().await;
    let http = capture.take();
    match result {
        Ok(output) => match &output.function_error {
            Some(_) => Err(function_failure(payload_bytes(&output))),
            None => Ok((output, http)),
        },
        Err(error) => Err(invoke_failure(&error, &function)),
    }
}

/// What the function receives for `Payload`: absent → `{}` (as Lambda defaults it); a
/// string that is JSON text is sent as that text; anything else is serialised.
pub fn request_payload(payload: Option<&Value>) -> Vec<u8> {
    match payload {
        None | Some(Value::Null) => b"{}".to_vec(),
        Some(Value::String(text)) if serde_json::from_str::<Value>(text).is_ok() => {
            text.clone().into_bytes()
        }
        Some(other) => serde_json::to_vec(other).unwrap_or_default(),
    }
}

fn payload_bytes(output: &InvokeOutput) -> &[u8] {
    output.payload.as_ref().map_or(&[], |b| b.as_ref())
}

/// A response payload: JSON when it parses, else its text (`""` when empty).
pub fn payload_value(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// `lambda:invoke`'s result, keys in the order AWS prints them.
pub fn invoke_result(output: &InvokeOutput, http: &HttpMeta) -> Value {
    let mut result = Map::new();
    if let Some(version) = &output.executed_version {
        result.insert("ExecutedVersion".into(), version.clone().into());
    }
    if let Some(log) = &output.log_result {
        result.insert("LogResult".into(), log.clone().into());
    }
    result.insert("Payload".into(), payload_value(payload_bytes(output)));
    http.add_to(&mut result);
    result.insert("StatusCode".into(), output.status_code.into());
    Value::Object(result)
}

/// A function error: the payload's `errorType` names it and the payload is the cause.
pub fn function_failure(payload: &[u8]) -> Failure {
    let text = String::from_utf8_lossy(payload).into_owned();
    let error_type = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("errorType")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .filter(|t| !t.is_empty());
    match error_type {
        Some(error_type) => Failure::new(error_type, text),
        None => Failure::new(
            UNKNOWN,
            format!("The cause could not be determined because Lambda did not return an error type. Returned payload: {text}"),
        ),
    }
}

/// A failed Invoke call. The local Lambda API (`cargo lambda watch`) answers without AWS
/// error codes: a handler error is HTTP 500 and the error document (AWS: 200 +
/// `X-Amz-Function-Error`), an unknown function HTTP 404 (AWS: 404
/// `ResourceNotFoundException`). Both are mapped to what AWS reports, so workflows fail
/// locally as they do on AWS.
fn invoke_failure(
    error: &SdkError<InvokeError, aws_smithy_runtime_api::http::Response>,
    function: &str,
) -> Failure {
    if let SdkError::ServiceError(context) = error {
        let raw = context.raw();
        let status = raw.status().as_u16();
        let code = context.err().code();
        let body = raw.body().bytes().unwrap_or_default();
        if let Some(payload) = local_function_error(status, code, body) {
            return function_failure(payload);
        }
        if status == 404 && code.is_none() {
            let http = HttpMeta::from_headers(status, raw.headers());
            let code = "ResourceNotFoundException";
            let message = format!("Function not found: {function}");
            return errors::service_error(LAMBDA, code, code, &message, &http);
        }
    }
    errors::from_sdk(LAMBDA, error, errors::by_code)
}

/// The error document of a local handler error, if this response is one: status 500, no
/// AWS error code, a JSON object with `errorType` or `errorMessage`.
pub fn local_function_error<'a>(
    status: u16,
    code: Option<&str>,
    body: &'a [u8],
) -> Option<&'a [u8]> {
    if status != 500 || code.is_some() {
        return None;
    }
    let document: Value = serde_json::from_slice(body).ok()?;
    let is_error = document.get("errorType").is_some() || document.get("errorMessage").is_some();
    is_error.then_some(body)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn home_arns_are_invoked_by_name_others_by_arn() {
        let home = Home {
            region: Some("us-east-1".into()),
            account: Some("123456789012".into()),
        };
        let at_home = "arn:aws:lambda:us-east-1:123456789012:function:echo";
        assert_eq!(function_target(at_home, &home), ("echo".to_owned(), None));
        assert_eq!(
            function_target(&format!("{at_home}:live"), &home),
            ("echo".to_owned(), Some("live".to_owned()))
        );
        for away in [
            "arn:aws:lambda:eu-west-1:123456789012:function:echo",
            "arn:aws:lambda:us-east-1:999999999999:function:echo:live",
        ] {
            assert_eq!(function_target(away, &home), (away.to_owned(), None));
        }
        assert_eq!(
            function_target(at_home, &Home::default()),
            (at_home.to_owned(), None)
        );
    }

    #[test]
    fn payloads_are_sent_as_lambda_receives_them() {
        assert_eq!(request_payload(None), b"{}");
        assert_eq!(request_payload(Some(&Value::Null)), b"{}");
        assert_eq!(request_payload(Some(&json!({"a": 1}))), br#"{"a":1}"#);
        assert_eq!(
            request_payload(Some(&json!("{\"raw\": true}"))),
            br#"{"raw": true}"#
        );
        assert_eq!(request_payload(Some(&json!("plain"))), br#""plain""#);
    }

    #[test]
    fn response_payloads_are_parsed_when_json() {
        assert_eq!(payload_value(br#"{"x":[1,2]}"#), json!({"x": [1, 2]}));
        assert_eq!(payload_value(b"null"), Value::Null);
        assert_eq!(payload_value(b"not json"), json!("not json"));
        assert_eq!(payload_value(b""), json!(""));
    }

    #[test]
    fn the_invoke_result_has_aws_shape() {
        let output = InvokeOutput::builder()
            .status_code(200)
            .executed_version("$LATEST")
            .payload(Blob::new(br#"{"ok":true}"#.to_vec()))
            .build();
        let http = HttpMeta {
            status: 200,
            headers: vec![("x-amzn-requestid".into(), "R".into())],
        };
        let result = invoke_result(&output, &http);
        let keys: Vec<&String> = result.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "ExecutedVersion",
                "Payload",
                "SdkHttpMetadata",
                "SdkResponseMetadata",
                "StatusCode"
            ]
        );
        assert_eq!(result["Payload"], json!({"ok": true}));
        assert_eq!(result["StatusCode"], json!(200));
        assert_eq!(result["SdkResponseMetadata"], json!({"RequestId": "R"}));
        assert_eq!(result["SdkHttpMetadata"]["HttpStatusCode"], json!(200));
    }

    #[test]
    fn function_errors_are_named_by_their_error_type() {
        let payload = br#"{"errorType":"CustomError","errorMessage":"it failed"}"#;
        let failure = function_failure(payload);
        assert_eq!(failure.error.as_deref(), Some("CustomError"));
        assert_eq!(
            failure.cause.as_deref(),
            Some(std::str::from_utf8(payload).unwrap())
        );
    }

    #[test]
    fn an_error_without_a_type_is_lambda_unknown() {
        let payload = br#"{"errorMessage":"Task timed out after 3.00 seconds"}"#;
        let failure = function_failure(payload);
        assert_eq!(failure.error.as_deref(), Some("Lambda.Unknown"));
        assert_eq!(
            failure.cause.as_deref(),
            Some(
                r#"The cause could not be determined because Lambda did not return an error type. Returned payload: {"errorMessage":"Task timed out after 3.00 seconds"}"#
            )
        );
    }

    #[test]
    fn only_a_codeless_500_with_an_error_document_is_a_local_function_error() {
        let doc = br#"{"errorType":"CustomError","errorMessage":"x"}"#;
        assert!(local_function_error(500, None, doc).is_some());
        assert!(local_function_error(500, Some("ServiceException"), doc).is_none());
        assert!(local_function_error(502, None, doc).is_none());
        assert!(local_function_error(500, None, b"Internal Server Error").is_none());
    }
}
