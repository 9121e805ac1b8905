//! Failures as Step Functions reports them for its AWS integrations.
//!
//! A service error becomes `<Service>.<ErrorCode>` (`DynamoDB.ConditionalCheckFailedException`,
//! `Lambda.ResourceNotFoundException`) with the AWS SDK for Java's message as the cause:
//! `"<message> (Service: <name>; Status Code: <n>; Error Code: <code>; Request ID: <id>; Proxy: null)"`.
//! A call that got no service answer (connection refused, timeout) is
//! `<Service>.SdkClientException`, as the Java SDK names it.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use stepwise_core::failure::Failure;

use super::http::HttpMeta;

/// How one service names itself in errors.
#[derive(Debug, Clone, Copy)]
pub struct Service {
    /// The prefix of error names: `Lambda`, `SQS`, `DynamoDB`.
    pub prefix: &'static str,
    /// The Java SDK's service name in causes: `AWSLambda`, `AmazonSQS`, `AmazonDynamoDBv2`.
    pub java_name: &'static str,
}

pub const LAMBDA: Service = Service {
    prefix: "Lambda",
    java_name: "AWSLambda",
};
pub const SQS: Service = Service {
    prefix: "SQS",
    java_name: "AmazonSQS",
};
pub const DYNAMODB: Service = Service {
    prefix: "DynamoDB",
    java_name: "AmazonDynamoDBv2",
};

/// The service answered with an error: `name` is the part after `<Service>.`.
pub fn service_error(
    service: Service,
    name: &str,
    code: &str,
    message: &str,
    http: &HttpMeta,
) -> Failure {
    Failure::new(
        format!("{}.{name}", service.prefix),
        format!(
            "{message} (Service: {}; Status Code: {}; Error Code: {code}; Request ID: {}; Proxy: null)",
            service.java_name,
            http.status,
            http.request_id()
        ),
    )
}

/// No service answer: the Java SDK's `SdkClientException`.
pub fn client_error(service: Service, detail: &str) -> Failure {
    Failure::new(
        format!("{}.SdkClientException", service.prefix),
        format!("Unable to execute HTTP request: {detail}"),
    )
}

/// Maps an SDK error; `name_of` gives the error name for a service error from its code
/// (most services name errors by their code; SQS differs).
pub fn from_sdk<E>(
    service: Service,
    error: &SdkError<E, Response>,
    name_of: impl Fn(&E, &str) -> String,
) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match error {
        SdkError::ServiceError(context) => {
            let err = context.err();
            let raw = context.raw();
            let http = HttpMeta::from_headers(raw.status().as_u16(), raw.headers());
            let code = err.code().unwrap_or("Unknown");
            let message = err.message().unwrap_or_default();
            service_error(service, &name_of(err, code), code, message, &http)
        }
        other => client_error(service, &source_chain(other)),
    }
}

/// The error name of services that name errors by their code (Lambda, DynamoDB).
pub fn by_code<E>(_error: &E, code: &str) -> String {
    code.to_owned()
}

/// An error and its sources, `: `-separated (the SDK's top-level message alone says only
/// "dispatch failure").
pub fn source_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(next) = source {
        text.push_str(": ");
        text.push_str(&next.to_string());
        source = next.source();
    }
    text
}

/// A task's parameters that Step Functions would not accept: `States.Runtime`, naming
/// the state and the problem.
pub fn invalid_parameters(state: &str, resource: &str, problem: impl std::fmt::Display) -> Failure {
    Failure::runtime(format!(
        "An error occurred while executing the state '{state}'. The parameters for resource '{resource}' are invalid: {problem}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_errors_read_as_the_java_sdk_writes_them() {
        let http = HttpMeta {
            status: 400,
            headers: vec![("x-amzn-requestid".into(), "R1".into())],
        };
        let failure = service_error(
            DYNAMODB,
            "ConditionalCheckFailedException",
            "ConditionalCheckFailedException",
            "The conditional request failed",
            &http,
        );
        assert_eq!(
            failure.error.as_deref(),
            Some("DynamoDB.ConditionalCheckFailedException")
        );
        assert_eq!(
            failure.cause.as_deref(),
            Some("The conditional request failed (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException; Request ID: R1; Proxy: null)")
        );
    }

    #[test]
    fn no_answer_is_an_sdk_client_exception() {
        let failure = client_error(LAMBDA, "connection refused");
        assert_eq!(failure.error.as_deref(), Some("Lambda.SdkClientException"));
        assert_eq!(
            failure.cause.as_deref(),
            Some("Unable to execute HTTP request: connection refused")
        );
    }
}
