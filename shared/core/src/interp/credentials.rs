//! A Task's `Credentials`, resolved for the task runner: `{"RoleArn": "arn:…"}`.
//!
//! Evaluated when the task is scheduled, like `Parameters` (JSONPath: over the input after
//! `InputPath`, with `$$` and variables) or `Arguments` (JSONata: `$states.input`,
//! `$states.context`). A `RoleArn.$` path that selects nothing fails the state with
//! `States.Runtime` and the message Parameters gives for the field `RoleArn.$`.

use serde_json::Value;

use super::io::{compact, eval_template};
use super::jsonata::{self, States};
use crate::definition::{JsonataValue, Payload};
use crate::entropy::Entropy;
use crate::failure::Failure;

/// The resolved credentials: an object whose `RoleArn` is a string.
pub(super) fn resolve(
    payload: &Payload,
    dollar: &Value,
    states: &States<'_>,
    now: i64,
    entropy: &mut dyn Entropy,
) -> Result<Value, Failure> {
    let value = match payload {
        Payload::Template(t) => eval_template(t, dollar, states.ctx, entropy)?,
        Payload::Jsonata(v) => jsonata::eval(v, states, now, entropy)?,
    };
    match value.get("RoleArn") {
        Some(Value::String(_)) => Ok(value),
        Some(other) => Err(not_a_string(payload, other)),
        // The parser requires the field; only a JSONata object value could drop it.
        None => Err(Failure::runtime(
            "The Credentials field resolved to an object without a RoleArn".to_owned(),
        )),
    }
}

/// A role ARN that resolved to a non-string: a query error for a JSONata expression (as
/// for any JSONata field of the wrong type), a runtime error for a path or intrinsic.
fn not_a_string(payload: &Payload, got: &Value) -> Failure {
    if let Payload::Jsonata(JsonataValue::Object(fields)) = payload {
        if let Some((_, field)) = fields.iter().find(|(k, _)| k == "RoleArn") {
            return jsonata::unexpected_type(field, "string", got, "Credentials/RoleArn");
        }
    }
    Failure::runtime(format!(
        "The value of the field 'RoleArn.$' in Credentials is not a string: {}",
        compact(got)
    ))
}
