//! Payload templates (`Parameters`, `ResultSelector`, `ItemSelector`): JSON objects whose
//! `"key.$"` fields are compiled to paths or intrinsic functions.

use serde_json::Value;

use super::ctx::{type_name, Ctx, Obj, Ptr};
use super::paths;
use crate::definition::{ObjectTemplate, Template, TemplateValue};
use crate::intrinsics::Intrinsic;

/// The payload template in field `key` of `obj` (absent → `None`, no diagnostic).
/// A payload template must be a JSON object (ASL spec, "Payload Template").
pub(crate) fn field(cx: &mut Ctx, obj: &Obj<'_>, key: &str) -> Option<Template> {
    let v = obj.get(key)?;
    let at = obj.at(key);
    if !v.is_object() {
        cx.err(&at, format!("must be an object, not {}", type_name(v)));
        return None;
    }
    let before = cx.diags.len();
    let t = compile(cx, &at, v);
    (cx.diags.len() == before).then_some(t)
}

/// Whether any object inside `v` (at any depth, arrays included) has a `.$` key.
fn is_dynamic(v: &Value) -> bool {
    match v {
        Value::Object(map) => map.iter().any(|(k, v)| k.ends_with(".$") || is_dynamic(v)),
        Value::Array(items) => items.iter().any(is_dynamic),
        _ => false,
    }
}

/// Compiles any JSON value; subtrees without `.$` keys stay literal.
pub(crate) fn compile(cx: &mut Ctx, at: &Ptr, v: &Value) -> Template {
    if !is_dynamic(v) {
        return Template::Literal(v.clone());
    }
    match v {
        Value::Object(map) => Template::Object(ObjectTemplate::new(
            map.iter()
                .map(|(key, value)| {
                    let key_at = at.key(key);
                    match key.strip_suffix(".$") {
                        Some(out_key) => (out_key.to_owned(), dynamic(cx, &key_at, key, value)),
                        None => (
                            key.clone(),
                            TemplateValue::Template(compile(cx, &key_at, value)),
                        ),
                    }
                })
                .collect(),
        )),
        Value::Array(items) => Template::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| compile(cx, &at.index(i), item))
                .collect(),
        ),
        other => Template::Literal(other.clone()),
    }
}

/// The value of a `"key.$"` field: a path (`$…`, `$$…`) or an intrinsic function call.
fn dynamic(cx: &mut Ctx, at: &Ptr, key: &str, value: &Value) -> TemplateValue {
    // Returned when the value is invalid; never used, since the parse then fails.
    let placeholder = || TemplateValue::Template(Template::Literal(Value::Null));
    let Value::String(source) = value else {
        cx.err(
            at,
            format!(
                "the value of \"{key}\" must be a string holding a path or an intrinsic function, not {}",
                type_name(value)
            ),
        );
        return placeholder();
    };
    if Intrinsic::looks_like(source) {
        return paths::intrinsic(cx, at, source)
            .map(TemplateValue::Intrinsic)
            .unwrap_or_else(placeholder);
    }
    if source.starts_with('$') {
        return paths::compile(cx, at, source)
            .map(TemplateValue::Path)
            .unwrap_or_else(placeholder);
    }
    cx.err(
        at,
        format!("the value of \"{key}\" must be a path or an intrinsic function, not \"{source}\""),
    );
    placeholder()
}
