//! JSONata fields: `{% … %}` strings compiled once into [`Expression`]s, `Assign` (in both
//! languages) with its variable-name and scope rules, and the fields that take either a
//! literal or an expression (`Seconds`, `MaxConcurrency`, `Condition`, …).

use serde_json::Value;

use super::ctx::{type_name, Ctx, Obj, Ptr};
use super::template;
use crate::definition::{JsonataExpr, JsonataValue, Payload, QueryLanguage};
use crate::jsonata::Expression;

/// AWS's limit on a variable name's length.
const MAX_VARIABLE_NAME_CHARS: usize = 80;

/// The expression inside `"{% … %}"`, if `s` is one.
pub(crate) fn expression_text(s: &str) -> Option<&str> {
    s.strip_prefix("{%")?.strip_suffix("%}").map(str::trim)
}

/// Compiles a JSON value whose `{% … %}` strings are expressions; `field` names it in
/// errors (`Output`, `Assign/total`).
pub(crate) fn value(cx: &mut Ctx, at: &Ptr, v: &Value, field: &str) -> JsonataValue {
    if !has_expression(v) {
        return JsonataValue::Literal(v.clone());
    }
    match v {
        Value::String(s) => match expression_text(s) {
            Some(text) => expr(cx, at, text, field),
            None => JsonataValue::Literal(v.clone()),
        },
        Value::Object(map) => JsonataValue::Object(
            map.iter()
                .map(|(k, item)| {
                    (
                        k.clone(),
                        value(cx, &at.key(k), item, &format!("{field}/{k}")),
                    )
                })
                .collect(),
        ),
        Value::Array(items) => JsonataValue::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| value(cx, &at.index(i), item, &format!("{field}[{i}]")))
                .collect(),
        ),
        other => JsonataValue::Literal(other.clone()),
    }
}

fn has_expression(v: &Value) -> bool {
    match v {
        Value::String(s) => expression_text(s).is_some(),
        Value::Object(map) => map.values().any(has_expression),
        Value::Array(items) => items.iter().any(has_expression),
        _ => false,
    }
}

fn expr(cx: &mut Ctx, at: &Ptr, text: &str, field: &str) -> JsonataValue {
    match Expression::parse(text) {
        Ok(expression) => {
            if !cx.result_available && expression.reads_states_member("result") {
                cx.err(
                    at,
                    "$states.result is only available in the Output and Assign of Task, Parallel and Map states",
                );
            }
            if !cx.error_output_available && expression.reads_states_member("errorOutput") {
                cx.err(
                    at,
                    "$states.errorOutput is only available in the Output and Assign of a Catch",
                );
            }
            JsonataValue::Expr(Box::new(JsonataExpr {
                expression,
                field: field.to_owned(),
            }))
        }
        Err(e) => {
            cx.err(
                at,
                format!("\"{text}\" is not a valid JSONata expression: {}", e.reason),
            );
            JsonataValue::Literal(Value::Null)
        }
    }
}

/// Field `key` of `obj` compiled as a JSONata value (absent → `None`).
pub(crate) fn field(cx: &mut Ctx, obj: &Obj<'_>, key: &str) -> Option<JsonataValue> {
    let v = obj.get(key)?;
    let name = format!("{}{key}", cx.field_prefix);
    Some(value(cx, &obj.at(key), v, &name))
}

/// A field that is either a `{% … %}` string or a literal checked by `literal`:
/// `None` when absent or invalid (with a diagnostic), else the compiled value.
pub(crate) fn expr_or<T>(
    cx: &mut Ctx,
    obj: &Obj<'_>,
    key: &str,
    literal: impl FnOnce(&mut Ctx, &Obj<'_>, &str) -> Option<T>,
    wrap: impl FnOnce(JsonataValue) -> T,
) -> Option<T> {
    match obj.get(key)? {
        Value::String(s) if cx.jsonata() && expression_text(s).is_some() => {
            let before = cx.diags.len();
            let v = value(cx, &obj.at(key), &Value::String(s.clone()), key);
            (cx.diags.len() == before).then(|| wrap(v))
        }
        _ => literal(cx, obj, key),
    }
}

/// `Assign` of a state, a Choice rule or a catcher: `Some(None)` when absent, `None`
/// when invalid. JSONPath states use payload-template rules (`"x.$": "$.path"`).
pub(crate) fn assign(cx: &mut Ctx, obj: &Obj<'_>) -> Option<Option<Payload>> {
    let Some(v) = obj.get("Assign") else {
        return Some(None);
    };
    let at = obj.at("Assign");
    let Value::Object(map) = v else {
        cx.err(&at, format!("must be an object, not {}", type_name(v)));
        return None;
    };
    let before = cx.diags.len();
    for key in map.keys() {
        let name = match cx.state_language {
            QueryLanguage::JsonPath => key.strip_suffix(".$").unwrap_or(key),
            QueryLanguage::Jsonata => key,
        };
        check_name(cx, &at.key(key), name);
    }
    let payload = match cx.state_language {
        QueryLanguage::JsonPath => Payload::Template(template::compile(cx, &at, v)),
        QueryLanguage::Jsonata => {
            let name = format!("{}Assign", cx.field_prefix);
            Payload::Jsonata(value(cx, &at, v, &name))
        }
    };
    (cx.diags.len() == before).then_some(Some(payload))
}

fn check_name(cx: &mut Ctx, at: &Ptr, name: &str) {
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_');
    if !valid {
        cx.err(
            at,
            format!("\"{name}\" is not a valid variable name (a letter or _, then letters, digits or _)"),
        );
    } else if name.chars().count() > MAX_VARIABLE_NAME_CHARS {
        cx.err(
            at,
            format!("variable name is longer than {MAX_VARIABLE_NAME_CHARS} characters"),
        );
    } else if name == "states" {
        cx.err(
            at,
            "\"states\" is reserved ($states) and cannot be assigned",
        );
    } else if let Some(depth) = cx
        .assigned
        .iter()
        .rev()
        .skip(1)
        .position(|names| names.iter().any(|n| n == name))
    {
        let _ = depth;
        cx.err(
            at,
            format!(
                "variable \"{name}\" is assigned in an outer scope; a Parallel branch or Map iteration can read it but not assign it"
            ),
        );
    }
}

/// The names a graph's states assign (state, Choice rule and catcher `Assign`s), read
/// from the raw JSON before the states are parsed.
pub(crate) fn assigned_names(states: &serde_json::Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |v: Option<&Value>| {
        if let Some(Value::Object(map)) = v {
            for k in map.keys() {
                out.push(k.strip_suffix(".$").unwrap_or(k).to_owned());
            }
        }
    };
    for state in states.values() {
        add(state.get("Assign"));
        for list in ["Choices", "Catch"] {
            if let Some(Value::Array(items)) = state.get(list) {
                items.iter().for_each(|i| add(i.get("Assign")));
            }
        }
    }
    out
}
