//! Shared input decoding for the fuzz targets in `fuzz_targets/`.
//!
//! Most targets take two things, an expression and the JSON document it runs against, so
//! an input is `expression '\n' document`. A document that is not valid JSON is replaced
//! by [`default_document`] rather than discarded: the expression half still gets fuzzed,
//! and libFuzzer does not waste mutations on inputs that stop at the first line.

use serde_json::{json, Value};

/// Inputs longer than this are skipped. They add no coverage that a short one lacks and
/// would let a single execution run for long enough to be reported as a timeout.
pub const MAX_INPUT_BYTES: usize = 4096;

/// Splits `expression '\n' document`. `None` for oversize or non-UTF-8 inputs.
pub fn split(data: &[u8]) -> Option<(&str, Value)> {
    if data.len() > MAX_INPUT_BYTES {
        return None;
    }
    let text = std::str::from_utf8(data).ok()?;
    let (expression, document) = text.split_once('\n').unwrap_or((text, ""));
    let document = serde_json::from_str(document).unwrap_or_else(|_| default_document());
    Some((expression, document))
}

/// A document with every JSON type, nested, so paths and functions have something to find.
pub fn default_document() -> Value {
    json!({
        "name": "Ada",
        "count": 3,
        "price": 2.5,
        "ok": true,
        "none": null,
        "tags": ["a", "b", "c"],
        "items": [{"id": 1, "qty": 2}, {"id": 2, "qty": 0}],
        "nested": {"deep": {"value": "x"}},
        "text": "a,b,c",
        "b64": "aGVsbG8="
    })
}

/// A context object shaped like the one the interpreter builds (`$$` / `$states.context`).
pub fn context_object() -> Value {
    json!({
        "Execution": {
            "Id": "arn:aws:states:local:000000000000:execution:fuzz:run-1",
            "Input": {"name": "Ada"},
            "Name": "run-1",
            "StartTime": "2024-01-01T00:00:00.000Z"
        },
        "State": {"EnteredTime": "2024-01-01T00:00:00.000Z", "Name": "S"},
        "StateMachine": {"Id": "arn:aws:states:local:000000000000:stateMachine:fuzz"},
        "Task": {"Token": "token"}
    })
}
