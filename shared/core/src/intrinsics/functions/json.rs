//! `States.StringToJson`, `States.JsonToString` and `States.JsonMerge`.

use std::borrow::Cow;

use serde_json::Value;

use super::{Args, Fn_};
use crate::failure::Failure;
use crate::intrinsics::format::{to_json_text, type_name};

/// Parses a JSON text. Recorded AWS runs: `""` and `" "` give `null`, `"-0"` gives `0`.
pub(super) fn string_to_json(f: Fn_, args: Args<'_>) -> Result<Value, Failure> {
    let [s] = f.take(args)?;
    let s = f.string("argument", &s)?;
    if s.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&integer_negative_zero(s))
        .map_err(|e| f.fail(format!("the string is not valid JSON: {e}")))
}

/// Rewrites each integer token `-0` as `0`. Jackson reads `-0` as the integer 0 (AWS
/// returns `0` for `StringToJson('-0')`), but serde_json reads it as the double `-0.0`.
/// Outside strings a `-` can only start a number, so a lexical pass suffices.
fn integer_negative_zero(s: &str) -> Cow<'_, str> {
    if !s.contains("-0") {
        return Cow::Borrowed(s);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let (mut in_string, mut escaped) = (false, false);
    for (i, &c) in chars.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if c == '-'
            && chars.get(i + 1) == Some(&'0')
            && !matches!(chars.get(i + 2), Some(d) if d.is_ascii_digit() || matches!(d, '.' | 'e' | 'E'))
        {
            continue;
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// Compact JSON text with Jackson's number formatting and escaping.
pub(super) fn json_to_string(f: Fn_, args: Args<'_>) -> Result<Value, Failure> {
    let [v] = f.take(args)?;
    Ok(Value::String(to_json_text(&v)))
}

/// Shallow merge: keys of the second object override the first's, nested objects are
/// replaced, not merged. AWS only supports shallow mode, so the flag must be `false`.
pub(super) fn merge(f: Fn_, args: Args<'_>) -> Result<Value, Failure> {
    let [a, b, deep] = f.take(args)?;
    match &*deep {
        Value::Bool(false) => {}
        Value::Bool(true) => {
            return Err(f.fail(
                "Step Functions only supports the shallow merging mode; \
                 the third argument must be false",
            ))
        }
        other => {
            return Err(f.fail(format!(
                "the deep-merge flag (third argument) must be a boolean, got {}",
                type_name(other)
            )))
        }
    }
    let mut first = object(f, "first", a.into_owned())?;
    let second = object(f, "second", b.into_owned())?;
    // `insert` keeps an existing key's position, like Java's LinkedHashMap.put.
    for (k, v) in second {
        first.insert(k, v);
    }
    Ok(Value::Object(first))
}

fn object(f: Fn_, which: &str, v: Value) -> Result<serde_json::Map<String, Value>, Failure> {
    match v {
        Value::Object(m) => Ok(m),
        other => Err(f.fail(format!(
            "the {which} argument must be a JSON object, got {}",
            type_name(&other)
        ))),
    }
}
