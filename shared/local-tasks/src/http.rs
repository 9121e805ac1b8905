//! `{"http": URL}` targets: the task's input is POSTed as JSON.
//!
//! - A 2xx answer's body is the result (JSON; an empty body is `null`).
//! - An answer with a Lambda error document, `{"errorType": "…", "errorMessage": "…"}`
//!   (any status, or a 2xx with `X-Amz-Function-Error`, as Lambda's API answers), fails
//!   the task with `errorType` as the error and the body as the cause, so `Retry` and
//!   `Catch` on the workflow's own error names work as on AWS.
//! - Any other non-2xx answer fails it with `States.Http.StatusCode.<status>` (the name
//!   Step Functions' HTTP Task uses) and the body as the cause.
//! - No answer (connection refused, reset) fails it with `States.TaskFailed`.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use stepwise_core::failure::{names, Failure};

use crate::answer;

/// One connection pool for every `http` target.
#[derive(Debug, Clone)]
pub struct HttpClient(Client<HttpConnector, Full<Bytes>>);

impl Default for HttpClient {
    fn default() -> Self {
        Self(Client::builder(TokioExecutor::new()).build_http())
    }
}

impl HttpClient {
    pub async fn post(&self, state: &str, url: &str, input: &Value) -> Result<Value, Failure> {
        let body = serde_json::to_vec(input).unwrap_or_default();
        let request = hyper::Request::post(url)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| unreachable_target(url, &e))?;
        let response = self
            .0
            .request(request)
            .await
            .map_err(|e| unreachable_target(url, &e))?;
        let status = response.status();
        let function_error = response.headers().contains_key("x-amz-function-error");
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| unreachable_target(url, &e))?
            .to_bytes();
        if status.is_success() && !function_error {
            return answer::result(state, &body, &format!("the answer of {url}"));
        }
        Err(answer::function_error(&body).unwrap_or_else(|| {
            Failure::new(
                format!("States.Http.StatusCode.{}", status.as_u16()),
                answer::bounded(&String::from_utf8_lossy(&body)),
            )
        }))
    }
}

fn unreachable_target(url: &str, error: &dyn std::error::Error) -> Failure {
    // hyper's top-level message ("client error (Connect)") hides the reason; its sources
    // hold it ("Connection refused").
    let mut reason = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        reason = format!("{reason}: {inner}");
        source = inner.source();
    }
    Failure::new(names::TASK_FAILED, format!("POST {url} failed: {reason}"))
}
