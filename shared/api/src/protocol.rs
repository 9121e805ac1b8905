//! The AWS JSON 1.0 protocol as the SDKs speak it: `POST /` with
//! `X-Amz-Target: AWSStepFunctions.<Operation>` and a JSON object body; answers are JSON
//! objects with dates as epoch seconds.

use serde_json::{Map, Value};

use crate::errors::{ApiError, Result};

/// The content type of requests and responses.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// The `X-Amz-Target` prefix of every Step Functions operation.
const TARGET_PREFIX: &str = "AWSStepFunctions.";

/// Step Functions' limit on an execution's input or a task's output, in bytes.
pub const PAYLOAD_LIMIT: usize = 262_144;

/// What a transport sends back: an HTTP status and a JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Response {
    pub(crate) fn ok(body: &Value) -> Self {
        Self {
            status: 200,
            body: body.to_string().into_bytes(),
        }
    }

    pub(crate) fn error(error: &ApiError) -> Self {
        Self {
            status: error.status(),
            body: error.body(),
        }
    }
}

/// The operation a target header names.
pub(crate) fn operation(target: &str) -> Result<&str> {
    target
        .strip_prefix(TARGET_PREFIX)
        .filter(|op| !op.is_empty())
        .ok_or_else(|| ApiError::unknown_operation(target))
}

/// Whether a `Content-Type` header is one the JSON protocols use (absent is taken as
/// JSON: some hand-written clients leave it out).
pub fn content_type_accepted(value: Option<&str>) -> bool {
    value.is_none_or(|v| {
        let essence = v.split(';').next().unwrap_or_default().trim();
        essence.eq_ignore_ascii_case(CONTENT_TYPE)
            || essence.eq_ignore_ascii_case("application/x-amz-json-1.1")
            || essence.eq_ignore_ascii_case("application/json")
    })
}

/// A request's JSON object, read field by field with AWS's errors.
#[derive(Debug, Clone, Default)]
pub(crate) struct Input(Map<String, Value>);

impl Input {
    /// An empty body is an empty object; anything but an object is a
    /// `SerializationException`.
    pub fn parse(body: &[u8]) -> Result<Self> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        match serde_json::from_slice(body) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Err(ApiError::serialization(
                "Start of structure or map found where not expected",
            )),
            Err(e) => Err(ApiError::serialization(format!("Malformed JSON: {e}"))),
        }
    }

    fn field(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    pub fn string(&self, name: &str) -> Result<Option<&str>> {
        match self.field(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::serialization(format!(
                "Expected a string for '{name}'"
            ))),
        }
    }

    pub fn required(&self, name: &str) -> Result<&str> {
        self.string(name)?.ok_or_else(|| ApiError::missing(name))
    }

    pub fn boolean(&self, name: &str) -> Result<bool> {
        self.flag(name, false)
    }

    /// A boolean field that is `default` when absent.
    pub fn flag(&self, name: &str, default: bool) -> Result<bool> {
        match self.field(name) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(ApiError::serialization(format!(
                "Expected a boolean for '{name}'"
            ))),
        }
    }

    pub fn array(&self, name: &str) -> Result<Option<&Vec<Value>>> {
        match self.field(name) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(_) => Err(ApiError::serialization(format!(
                "Expected a list for '{name}'"
            ))),
        }
    }

    /// A `nextToken` that is the number of items already returned (the listings that page
    /// over a list they rebuild per call); absent is 0.
    pub fn offset_token(&self) -> Result<usize> {
        match self.string("nextToken")? {
            None => Ok(0),
            Some(token) => token
                .parse::<usize>()
                .map_err(|_| ApiError::new("InvalidToken", format!("Invalid Token: '{token}'"))),
        }
    }

    /// `maxResults`: 1 to 1000; absent or 0 means AWS's default page of 100.
    pub fn max_results(&self) -> Result<usize> {
        match self.field("maxResults") {
            None => Ok(100),
            Some(Value::Number(n)) => match n.as_u64() {
                Some(0) => Ok(100),
                Some(n @ 1..=1000) => Ok(n as usize),
                _ => Err(ApiError::validation(
                    "maxResults",
                    "Member must have value less than or equal to 1000",
                )),
            },
            Some(_) => Err(ApiError::serialization(
                "Expected a number for 'maxResults'",
            )),
        }
    }

    /// An optional string field with AWS's length limit.
    pub fn bounded(&self, name: &str, max: usize) -> Result<Option<&str>> {
        let value = self.string(name)?;
        if value.is_some_and(|v| v.len() > max) {
            return Err(ApiError::validation(
                name,
                &format!("Member must have length less than or equal to {max}"),
            ));
        }
        Ok(value)
    }

    /// A JSON document sent as a string (`input`, `output`), at most
    /// [`PAYLOAD_LIMIT`] bytes; `invalid` names the error type for text that is not JSON.
    pub fn document(&self, name: &str, invalid: &'static str, default: &str) -> Result<Value> {
        let text = self.bounded(name, PAYLOAD_LIMIT)?.unwrap_or(default);
        serde_json::from_str(text).map_err(|e| {
            let what = if invalid == "InvalidOutput" {
                "Invalid Output"
            } else {
                "Invalid State Machine Execution Input"
            };
            ApiError::new(invalid, format!("{what}: '{e}'"))
        })
    }
}

/// A date as the SDKs read it: epoch seconds, with milliseconds as the fraction.
pub(crate) fn date(epoch_millis: i64) -> Value {
    Value::from(epoch_millis as f64 / 1000.0)
}

/// Step Functions' rules for state machine, execution and alias names.
pub(crate) fn valid_name(name: &str) -> bool {
    const FORBIDDEN: &str = "<>{}[]?*\"#%\\^|~`$&,;:/";
    !name.is_empty()
        && name.chars().count() <= 80
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || FORBIDDEN.contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_name_step_functions_operations() {
        assert_eq!(
            operation("AWSStepFunctions.StartExecution").unwrap(),
            "StartExecution"
        );
        let unknown = operation("DynamoDB_20120810.PutItem").unwrap_err();
        assert_eq!(unknown.kind(), "UnknownOperationException");
        assert!(operation("AWSStepFunctions.").is_err());
    }

    #[test]
    fn bodies_must_be_json_objects() {
        assert_eq!(
            Input::parse(b"{not json").unwrap_err().kind(),
            "SerializationException"
        );
        assert_eq!(
            Input::parse(b"[1]").unwrap_err().kind(),
            "SerializationException"
        );
        assert!(Input::parse(b"").is_ok());
    }

    #[test]
    fn fields_are_checked_with_aws_errors() {
        let input = Input::parse(br#"{"name": 3, "maxResults": 1001, "ok": "x"}"#).unwrap();
        assert_eq!(
            input.string("name").unwrap_err().kind(),
            "SerializationException"
        );
        assert_eq!(
            input.max_results().unwrap_err().kind(),
            "ValidationException"
        );
        let missing = input.required("definition").unwrap_err();
        assert_eq!(
            missing.message(),
            "1 validation error detected: Value null at 'definition' failed to satisfy constraint: Member must not be null"
        );
        assert_eq!(input.required("ok").unwrap(), "x");
    }

    #[test]
    fn documents_are_json_within_the_payload_limit() {
        let big = format!(r#"{{"input": "\"{}\""}}"#, "a".repeat(PAYLOAD_LIMIT));
        let input = Input::parse(big.as_bytes()).unwrap();
        let error = input
            .document("input", "InvalidExecutionInput", "{}")
            .unwrap_err();
        assert_eq!(error.kind(), "ValidationException");
        let bad = Input::parse(br#"{"input": "{oops"}"#).unwrap();
        let error = bad
            .document("input", "InvalidExecutionInput", "{}")
            .unwrap_err();
        assert_eq!(error.kind(), "InvalidExecutionInput");
        assert_eq!(
            Input::default()
                .document("input", "InvalidExecutionInput", "{}")
                .unwrap(),
            serde_json::json!({})
        );
    }

    #[test]
    fn content_types_of_the_json_protocols_are_accepted() {
        assert!(content_type_accepted(Some("application/x-amz-json-1.0")));
        assert!(content_type_accepted(None));
        assert!(!content_type_accepted(Some("text/plain")));
    }

    #[test]
    fn dates_are_epoch_seconds() {
        assert_eq!(date(1_704_067_200_123), Value::from(1_704_067_200.123));
    }
}
