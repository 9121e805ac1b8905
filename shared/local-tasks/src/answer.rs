//! What a local program's answer means for the task: the conventions `http` and `command`
//! targets share, borrowed from Lambda so that a function's error handling carries over.

use serde_json::Value;
use stepwise_core::failure::{names, Failure};
use stepwise_core::interp::exceeds_payload_limit;

/// Step Functions keeps at most this much of a cause.
const CAUSE_LIMIT: usize = 32_768;

/// A successful answer's body: empty is `null` (a handler that returns nothing), else it
/// must be JSON.
pub fn result(state: &str, body: &[u8], what: &str) -> Result<Value, Failure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        Failure::new(
            names::TASK_FAILED,
            bounded(&format!(
                "{what} is not JSON ({e}): {}",
                String::from_utf8_lossy(body)
            )),
        )
    })?;
    if exceeds_payload_limit(&value) {
        return Err(Failure::data_limit(format!(
            "The state/task '{state}' returned a result with a size exceeding the maximum number of bytes service limit."
        )));
    }
    Ok(value)
}

/// A Lambda-style error document, `{"errorType": …, "errorMessage": …}`: the error is
/// `errorType` and the cause the document's text, exactly as Step Functions reports a
/// Lambda function's error. `None` when `body` is not such a document.
pub fn function_error(body: &[u8]) -> Option<Failure> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let error_type = value.get("errorType")?.as_str().filter(|t| !t.is_empty())?;
    Some(Failure::new(
        error_type,
        bounded(&String::from_utf8_lossy(body)),
    ))
}

/// `text` cut to Step Functions' cause limit, at a character boundary.
pub fn bounded(text: &str) -> String {
    tail(text, CAUSE_LIMIT, false)
}

/// At most `limit` bytes of `text`: its end when `keep_end` (a program's last words say
/// why it failed), else its start.
pub fn tail(text: &str, limit: usize, keep_end: bool) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    if keep_end {
        let mut start = text.len() - limit;
        while !text.is_char_boundary(start) {
            start += 1;
        }
        format!("…{}", &text[start..])
    } else {
        let mut end = limit;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &text[..end])
    }
}
