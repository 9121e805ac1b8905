//! Small real Lambda functions for the integration tests, one binary each, served locally
//! by `cargo lambda watch` (see `stepwise_tests::lambda_api`) so Task states call real
//! function code through the real Lambda Invoke API:
//!
//! - `echo` returns its input unchanged.
//! - `fail` fails with `errorType` `CustomError` (or the input's `"errorType"`) and the
//!   input's `"message"` (default `"it failed"`).
//! - `sleep` sleeps `{"seconds": n}` (fractions allowed, at most 60) and returns
//!   `{"slept": n}`.
//!
//! The handlers are plain functions so unit tests call them in-process.

use std::time::Duration;

use lambda_runtime::Diagnostic;
use serde_json::{json, Value};

pub fn echo(input: Value) -> Value {
    input
}

/// The error a `fail` invocation reports: Lambda puts `error_type` in the payload's
/// `errorType`, which Step Functions uses as the error name.
pub fn fail(input: &Value) -> Diagnostic {
    let text = |key: &str, default: &str| {
        input
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or(default)
            .to_owned()
    };
    Diagnostic {
        error_type: text("errorType", "CustomError"),
        error_message: text("message", "it failed"),
    }
}

/// Longest sleep accepted: longer than any test needs, short enough that a typo cannot
/// hang a test run.
pub const MAX_SLEEP_SECONDS: f64 = 60.0;

/// How long `sleep` sleeps for `input`, or the error naming a bad input.
pub fn sleep_duration(input: &Value) -> Result<Duration, Diagnostic> {
    let seconds = input.get("seconds").and_then(Value::as_f64);
    match seconds {
        Some(s) if (0.0..=MAX_SLEEP_SECONDS).contains(&s) => Ok(Duration::from_secs_f64(s)),
        _ => Err(Diagnostic {
            error_type: "InvalidInput".to_owned(),
            error_message: format!(
                "expected {{\"seconds\": n}} with 0 <= n <= {MAX_SLEEP_SECONDS}, got {input}"
            ),
        }),
    }
}

pub async fn sleep(input: Value) -> Result<Value, Diagnostic> {
    let duration = sleep_duration(&input)?;
    tokio::time::sleep(duration).await;
    Ok(json!({"slept": duration.as_secs_f64()}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_returns_its_input() {
        let input = json!({"a": [1, "two", null]});
        assert_eq!(echo(input.clone()), input);
    }

    #[test]
    fn fail_takes_its_type_and_message_from_the_input() {
        let default = fail(&json!({}));
        assert_eq!(default.error_type, "CustomError");
        assert_eq!(default.error_message, "it failed");
        let custom = fail(&json!({"errorType": "Other", "message": "boom"}));
        assert_eq!(custom.error_type, "Other");
        assert_eq!(custom.error_message, "boom");
    }

    #[test]
    fn sleep_rejects_a_missing_or_out_of_range_duration() {
        assert_eq!(
            sleep_duration(&json!({"seconds": 0.25})).unwrap(),
            Duration::from_millis(250)
        );
        for bad in [json!({}), json!({"seconds": -1}), json!({"seconds": 61})] {
            assert_eq!(sleep_duration(&bad).unwrap_err().error_type, "InvalidInput");
        }
    }

    #[tokio::test]
    async fn sleep_reports_what_it_slept() {
        assert_eq!(
            sleep(json!({"seconds": 0})).await.unwrap(),
            json!({"slept": 0.0})
        );
    }
}
