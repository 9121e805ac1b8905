//! Choice rules: boolean expressions (`And`, `Or`, `Not`) and data-test expressions
//! (`Variable` + exactly one comparison operator).

use serde_json::Value;

use super::ctx::{type_name, Ctx, Obj};
use super::{jsonata, paths, timestamp_millis};
use crate::definition::{fields, ChoiceRule, Comparison, Condition, JsonataValue, Operand};

/// What a field of a Choice rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    And,
    Or,
    Not,
    /// A comparison; `true` for its `…Path` twin.
    Compare(Comparison, bool),
}

fn op_of(key: &str) -> Option<Op> {
    match key {
        "And" => return Some(Op::And),
        "Or" => return Some(Op::Or),
        "Not" => return Some(Op::Not),
        _ => {}
    }
    Comparison::ALL.iter().find_map(|&c| {
        if key == c.name() {
            Some(Op::Compare(c, false))
        } else if c.has_path_form() && key.strip_suffix("Path") == Some(c.name()) {
            Some(Op::Compare(c, true))
        } else {
            None
        }
    })
}

/// The `Choices` of a Choice state: a non-empty array of top-level rules.
pub(crate) fn choices(cx: &mut Ctx, state: &Obj<'_>) -> Option<Vec<ChoiceRule>> {
    let items = state.req_nonempty_array(cx, "Choices")?;
    let at = state.at("Choices");
    let mut out = Vec::with_capacity(items.len());
    let mut complete = true;
    for (i, item) in items.iter().enumerate() {
        let Some(obj) = Obj::from_value(cx, item, at.index(i)) else {
            complete = false;
            continue;
        };
        cx.field_prefix = format!("Choices[{i}]/");
        let assign = jsonata::assign(cx, &obj);
        let output = if cx.jsonata() {
            jsonata::field(cx, &obj, "Output")
        } else {
            None
        };
        let parsed = if cx.jsonata() {
            condition_rule(cx, &obj)
        } else {
            rule(cx, &obj, true)
        };
        cx.field_prefix.clear();
        match (parsed, assign) {
            (Some((condition, Some(next))), Some(assign)) => out.push(ChoiceRule {
                condition,
                next,
                assign,
                output,
            }),
            _ => complete = false,
        }
    }
    complete.then_some(out)
}

/// One rule; `top` rules carry `Next`, nested ones (inside And/Or/Not) must not.
fn rule(cx: &mut Ctx, obj: &Obj<'_>, top: bool) -> Option<(Condition, Option<String>)> {
    let mut ops = Vec::new();
    for key in obj.map.keys() {
        match key.as_str() {
            "Variable" | "Comment" => {}
            "Next" | "Assign" if top => {}
            "Next" => cx.err(
                &obj.at(key),
                "a nested Choice rule (inside And, Or or Not) cannot have \"Next\"",
            ),
            _ => match op_of(key) {
                Some(op) => ops.push((key.as_str(), op)),
                None => {
                    let message = match fields::wrong_language(key, false) {
                        Some(message) => message,
                        None => format!("field \"{key}\" is not supported in a Choice rule"),
                    };
                    cx.err(&obj.at(key), message);
                }
            },
        }
    }
    let next = if top {
        obj.req_string(cx, "Next").map(str::to_owned)
    } else {
        None
    };
    let (key, op) = match ops.as_slice() {
        [] => {
            cx.err(
                &obj.ptr,
                "a Choice rule needs a comparison operator (e.g. \"StringEquals\") or \"And\", \"Or\", \"Not\"",
            );
            return None;
        }
        [one] => *one,
        many => {
            let names: Vec<String> = many.iter().map(|(k, _)| format!("\"{k}\"")).collect();
            cx.err(
                &obj.ptr,
                format!(
                    "a Choice rule must have exactly one comparison operator or And/Or/Not, found {}",
                    names.join(", ")
                ),
            );
            return None;
        }
    };
    let condition = match op {
        Op::And | Op::Or => {
            if obj.has("Variable") {
                cx.err(
                    &obj.at("Variable"),
                    format!("\"Variable\" cannot be used with \"{key}\""),
                );
            }
            let items = obj.req_nonempty_array(cx, key)?;
            let list_at = obj.at(key);
            let mut conds = Vec::with_capacity(items.len());
            let mut complete = true;
            for (i, item) in items.iter().enumerate() {
                match Obj::from_value(cx, item, list_at.index(i)).and_then(|o| rule(cx, &o, false))
                {
                    Some((c, _)) => conds.push(c),
                    None => complete = false,
                }
            }
            if !complete || (top && next.is_none()) {
                return None;
            }
            if op == Op::And {
                Condition::And(conds)
            } else {
                Condition::Or(conds)
            }
        }
        Op::Not => {
            if obj.has("Variable") {
                cx.err(
                    &obj.at("Variable"),
                    "\"Variable\" cannot be used with \"Not\"",
                );
            }
            let inner = obj.object(cx, "Not").and_then(|o| rule(cx, &o, false));
            Condition::Not(Box::new(inner?.0))
        }
        Op::Compare(comparison, is_path) => {
            let variable = if obj.has("Variable") {
                paths::path_field(cx, obj, "Variable")
            } else {
                obj.missing(cx, "Variable");
                None
            };
            let operand = operand(cx, obj, key, comparison, is_path);
            Condition::Compare {
                variable: variable?,
                op: comparison,
                operand: operand?,
            }
        }
    };
    if top && next.is_none() {
        return None;
    }
    Some((condition, next))
}

/// A JSONata rule: `Condition` (a boolean or an expression), `Next`, `Assign`.
fn condition_rule(cx: &mut Ctx, obj: &Obj<'_>) -> Option<(Condition, Option<String>)> {
    for key in obj.map.keys() {
        if !matches!(
            key.as_str(),
            "Condition" | "Next" | "Assign" | "Output" | "Comment"
        ) {
            let message = match fields::wrong_language(key, true) {
                Some(message) => message,
                None if op_of(key).is_some() || key == "Variable" => format!(
                    "field \"{key}\" is not supported in JSONata states (use \"Condition\")"
                ),
                None => format!("field \"{key}\" is not supported in a Choice rule"),
            };
            cx.err(&obj.at(key), message);
        }
    }
    let next = obj.req_string(cx, "Next").map(str::to_owned);
    let condition = match obj.get("Condition") {
        None => {
            obj.missing(cx, "Condition");
            None
        }
        Some(Value::Bool(b)) => Some(Condition::Jsonata(JsonataValue::Literal(Value::Bool(*b)))),
        Some(Value::String(s)) if jsonata::expression_text(s).is_some() => {
            let before = cx.diags.len();
            let name = format!("{}Condition", cx.field_prefix);
            let v = jsonata::value(cx, &obj.at("Condition"), &Value::String(s.clone()), &name);
            (cx.diags.len() == before).then_some(Condition::Jsonata(v))
        }
        Some(other) => {
            cx.err(
                &obj.at("Condition"),
                format!(
                    "must be a boolean or a JSONata expression (\"{{% … %}}\"), not {}",
                    type_name(other)
                ),
            );
            None
        }
    };
    Some((condition?, Some(next?)))
}

/// The right-hand side of a comparison, type-checked for the operator.
fn operand(
    cx: &mut Ctx,
    obj: &Obj<'_>,
    key: &str,
    comparison: Comparison,
    is_path: bool,
) -> Option<Operand> {
    if is_path {
        obj.string(cx, key)?;
        return paths::path_field(cx, obj, key).map(Operand::Path);
    }
    let v = obj.get(key)?;
    let at = obj.at(key);
    let expected = expected_type(comparison);
    let ok = match (expected, v) {
        (Expected::String, Value::String(_)) => true,
        (Expected::Number, Value::Number(_)) => true,
        (Expected::Boolean, Value::Bool(_)) => true,
        (Expected::Timestamp, Value::String(s)) => {
            if timestamp_millis(s).is_none() {
                cx.err(
                    &at,
                    format!("\"{s}\" is not a timestamp (RFC 3339, e.g. \"2016-03-14T01:59:00Z\")"),
                );
                return None;
            }
            true
        }
        _ => false,
    };
    if !ok {
        cx.err(
            &at,
            format!("must be {}, not {}", expected.describe(), type_name(v)),
        );
        return None;
    }
    Some(Operand::Literal(v.clone()))
}

#[derive(Debug, Clone, Copy)]
enum Expected {
    String,
    Number,
    Boolean,
    Timestamp,
}

impl Expected {
    fn describe(self) -> &'static str {
        match self {
            Expected::String => "a string",
            Expected::Number => "a number",
            Expected::Boolean => "a boolean",
            Expected::Timestamp => "a timestamp string",
        }
    }
}

fn expected_type(c: Comparison) -> Expected {
    use Comparison::*;
    match c {
        StringEquals
        | StringLessThan
        | StringGreaterThan
        | StringLessThanEquals
        | StringGreaterThanEquals
        | StringMatches => Expected::String,
        NumericEquals
        | NumericLessThan
        | NumericGreaterThan
        | NumericLessThanEquals
        | NumericGreaterThanEquals => Expected::Number,
        TimestampEquals
        | TimestampLessThan
        | TimestampGreaterThan
        | TimestampLessThanEquals
        | TimestampGreaterThanEquals => Expected::Timestamp,
        BooleanEquals | IsNull | IsPresent | IsNumeric | IsString | IsBoolean | IsTimestamp => {
            Expected::Boolean
        }
    }
}
