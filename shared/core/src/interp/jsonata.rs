//! JSONata in the interpreter: what `$states` holds per field, evaluating compiled
//! `{% … %}` values with AWS's `States.QueryEvaluationError` causes, and `Assign` (both
//! languages) with the variable size limits.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::context::Context;
use super::io::{self, compact, eval_template};
use crate::definition::{JsonataExpr, JsonataValue, Payload};
use crate::entropy::Entropy;
use crate::failure::{names, Failure};
use crate::jsonata::Host;

/// AWS's limits on variables: one variable, one `Assign`, all of an execution's.
const MAX_VARIABLE_BYTES: usize = 256 * 1024;
const MAX_ASSIGN_BYTES: usize = 256 * 1024;
const MAX_TOTAL_VARIABLE_BYTES: usize = 10 * 1024 * 1024;

/// `$states` for one field: `input` always, `result` after a Task, Parallel or Map ran,
/// `errorOutput` in a catcher, `context` always; plus the workflow variables.
pub(crate) struct States<'a> {
    pub input: &'a Value,
    pub result: Option<&'a Value>,
    pub error_output: Option<&'a Value>,
    pub ctx: &'a Context<'a>,
}

impl Host for States<'_> {
    fn variable(&self, name: &str) -> Option<Cow<'_, Value>> {
        if name != "states" {
            return self.ctx.variable(name).map(Cow::Borrowed);
        }
        let mut states = Map::with_capacity(4);
        states.insert("input".into(), self.input.clone());
        if let Some(result) = self.result {
            states.insert("result".into(), result.clone());
        }
        if let Some(error_output) = self.error_output {
            states.insert("errorOutput".into(), error_output.clone());
        }
        states.insert("context".into(), self.ctx.value().clone());
        Some(Cow::Owned(Value::Object(states)))
    }

    /// `$states.input` and friends by reference: the common case copies nothing.
    fn member(&self, name: &str, key: &str) -> Option<Cow<'_, Value>> {
        if name != "states" {
            return self.ctx.variable(name)?.get(key).map(Cow::Borrowed);
        }
        match key {
            "input" => Some(Cow::Borrowed(self.input)),
            "result" => self.result.map(Cow::Borrowed),
            "errorOutput" => self.error_output.map(Cow::Borrowed),
            "context" => Some(Cow::Borrowed(self.ctx.value())),
            _ => None,
        }
    }
}

pub(crate) fn query_error(cause: String) -> Failure {
    Failure::new(names::QUERY_EVALUATION_ERROR, cause)
}

/// Evaluates a compiled value; an expression giving `undefined` is an error.
pub(crate) fn eval(
    v: &JsonataValue,
    states: &States<'_>,
    now: i64,
    entropy: &mut dyn Entropy,
) -> Result<Value, Failure> {
    match v {
        JsonataValue::Literal(v) => Ok(v.clone()),
        JsonataValue::Expr(e) => match e.expression.evaluate(states, now, entropy) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(query_error(format!(
                "The JSONata expression '{}' specified for the field '{}' returned nothing (undefined).",
                e.expression.source(),
                e.field
            ))),
            Err(err) => Err(query_error(format!(
                "The JSONata expression '{}' specified for the field '{}' threw an error during evaluation. {}",
                e.expression.source(),
                e.field,
                err
            ))),
        },
        JsonataValue::Object(fields) => {
            let mut out = Map::with_capacity(fields.len());
            for (k, item) in fields {
                out.insert(k.clone(), eval(item, states, now, entropy)?);
            }
            Ok(Value::Object(out))
        }
        JsonataValue::Array(items) => items
            .iter()
            .map(|item| eval(item, states, now, entropy))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
    }
}

/// The expression behind a value, for type errors (`None` for literals).
pub(crate) fn expr_of(v: &JsonataValue) -> Option<&JsonataExpr> {
    match v {
        JsonataValue::Expr(e) => Some(e),
        _ => None,
    }
}

/// JSON type names as AWS prints them in type errors.
pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A field's expression gave a value of the wrong type.
pub(crate) fn unexpected_type(
    field: &JsonataValue,
    expected: &str,
    got: &Value,
    name: &str,
) -> Failure {
    let (source, field) = match expr_of(field) {
        Some(e) => (e.expression.source(), e.field.as_str()),
        None => ("", name),
    };
    query_error(format!(
        "The JSONata expression '{source}' specified for the field '{field}' returned an unexpected result type. Expected '{expected}', but was '{}' for value: {}",
        json_type(got),
        compact(got)
    ))
}

/// Evaluates an `Assign`: a payload template over `dollar` (JSONPath) or a JSONata value
/// over `$states`. All values are computed before any is bound.
pub(crate) fn assignments(
    payload: &Payload,
    dollar: &Value,
    states: &States<'_>,
    now: i64,
    entropy: &mut dyn Entropy,
) -> Result<Map<String, Value>, Failure> {
    let value = match payload {
        Payload::Template(t) => eval_template(t, dollar, states.ctx, entropy)?,
        Payload::Jsonata(v) => eval(v, states, now, entropy)?,
    };
    match value {
        Value::Object(map) => Ok(map),
        _ => Ok(Map::new()),
    }
}

/// A state's JSONata exit: its `Assign` values and its `Output` (`None`: the default),
/// both computed from the variables as they were at state entry.
pub(crate) fn leave(
    assign: Option<&Payload>,
    output: Option<&JsonataValue>,
    states: &States<'_>,
    now: i64,
    entropy: &mut dyn Entropy,
) -> Result<(Option<Value>, Assigned), Failure> {
    let assigned = match assign {
        Some(p) => Some(assignments(p, &Value::Null, states, now, entropy)?),
        None => None,
    };
    let output = match output {
        Some(o) => Some(eval(o, states, now, entropy)?),
        None => None,
    };
    Ok((output, assigned))
}

fn size(v: &Value) -> usize {
    serde_json::to_string(v).map_or(0, |s| s.len())
}

/// A state's evaluated `Assign`; `None` when it has none (the common case costs nothing).
pub(crate) type Assigned = Option<Map<String, Value>>;

/// Binds evaluated assignments into the frame's variables, within AWS's size limits.
pub(crate) fn bind(vars: &mut Map<String, Value>, assigned: Assigned) -> Result<(), Failure> {
    let Some(assigned) = assigned.filter(|a| !a.is_empty()) else {
        return Ok(());
    };
    let mut total = 0;
    for (name, value) in &assigned {
        if !io::exceeds_payload_limit(value) && size(value) <= MAX_VARIABLE_BYTES {
            total += size(value);
            continue;
        }
        return Err(Failure::new(
            names::DATA_LIMIT_EXCEEDED,
            format!("The variable '{name}' has a size exceeding the maximum of {MAX_VARIABLE_BYTES} bytes."),
        ));
    }
    if total > MAX_ASSIGN_BYTES {
        return Err(Failure::new(
            names::DATA_LIMIT_EXCEEDED,
            format!("The variables assigned by one state have a total size exceeding the maximum of {MAX_ASSIGN_BYTES} bytes."),
        ));
    }
    vars.extend(assigned);
    let all: usize = vars.iter().map(|(k, v)| k.len() + size(v)).sum();
    if all > MAX_TOTAL_VARIABLE_BYTES {
        return Err(Failure::new(
            names::DATA_LIMIT_EXCEEDED,
            format!("The workflow variables have a total size exceeding the maximum of {MAX_TOTAL_VARIABLE_BYTES} bytes."),
        ));
    }
    Ok(())
}
