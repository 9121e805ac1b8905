//! The API function's handler: the Step Functions API ([`stepwise_api::Api`]) behind an
//! API Gateway HTTP API, payload format 2.0.
//!
//! `POST /` with `X-Amz-Target: AWSStepFunctions.<Operation>` goes to
//! [`Api::dispatch`], exactly as `stepwise serve` does over axum, so the AWS SDKs and CLI
//! work against the API's URL with `--endpoint-url`. Anything else (another method or
//! path) is a 404 in AWS's error shape. The module's route is `POST /` on the `$default`
//! stage, so API Gateway answers most of those itself; the check here keeps the
//! function correct behind any route.

pub use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
pub use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::header::CONTENT_TYPE as CONTENT_TYPE_HEADER;
use aws_lambda_events::http::{HeaderMap, HeaderValue, Method};
use base64::Engine as _;
use stepwise_api::{content_type_accepted, Api, ApiError, Catalog, Response, CONTENT_TYPE};
use stepwise_engine::{Clock, Queue, Store, TaskInvoker};

/// The header naming the operation (header names are case-insensitive: `HeaderMap`
/// lowercases them as it parses the event).
const TARGET_HEADER: &str = "x-amz-target";

/// Answers one API Gateway request.
pub async fn handle<S, Q, T, C>(
    api: &Api<S, Q, T, C>,
    request: ApiGatewayV2httpRequest,
) -> ApiGatewayV2httpResponse
where
    S: Store + Catalog,
    Q: Queue,
    T: TaskInvoker,
    C: Clock,
{
    let http = &request.request_context.http;
    let path = request
        .raw_path
        .as_deref()
        .or(http.path.as_deref())
        .unwrap_or("/");
    if http.method != Method::POST || path != "/" {
        let error = ApiError::new(
            "UnknownOperationException",
            format!(
                "No route for {} {path}: the Step Functions API is POST / with an X-Amz-Target header",
                http.method
            ),
        );
        return reply(Response {
            status: 404,
            body: error.body(),
        });
    }
    let header = |name| request.headers.get(name).and_then(|v| v.to_str().ok());
    let content_type = header(CONTENT_TYPE_HEADER.as_str());
    if !content_type_accepted(content_type) {
        let error = ApiError::new(
            "SerializationException",
            format!(
                "Unsupported content type '{}': use {CONTENT_TYPE}",
                content_type.unwrap_or_default()
            ),
        );
        return reply(error_response(&error));
    }
    let body = match body_bytes(&request) {
        Ok(body) => body,
        Err(error) => return reply(error_response(&error)),
    };
    let target = header(TARGET_HEADER).unwrap_or_default();
    reply(api.dispatch(target, &body).await)
}

fn error_response(error: &ApiError) -> Response {
    Response {
        status: error.status(),
        body: error.body(),
    }
}

/// The request body: API Gateway base64-encodes bodies it does not take for text.
fn body_bytes(request: &ApiGatewayV2httpRequest) -> Result<Vec<u8>, ApiError> {
    let text = request.body.as_deref().unwrap_or_default();
    if !request.is_base64_encoded {
        return Ok(text.as_bytes().to_vec());
    }
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| {
            ApiError::new(
                "SerializationException",
                format!("The request body is not valid base64: {e}"),
            )
        })
}

fn reply(response: Response) -> ApiGatewayV2httpResponse {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE_HEADER, HeaderValue::from_static(CONTENT_TYPE));
    let mut reply = ApiGatewayV2httpResponse::default();
    reply.status_code = i64::from(response.status);
    reply.headers = headers;
    // The API answers JSON, which is UTF-8 text: no base64 needed.
    reply.body = Some(Body::Text(
        String::from_utf8_lossy(&response.body).into_owned(),
    ));
    reply.is_base64_encoded = false;
    reply
}

#[cfg(test)]
mod tests;
