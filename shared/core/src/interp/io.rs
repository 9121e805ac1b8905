//! Input and output processing, in AWS's order: InputPath → Parameters → (work) →
//! ResultSelector → ResultPath → OutputPath.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::context::Context;
use crate::definition::{InputPath, ResultPath, Template, TemplateValue};
use crate::entropy::Entropy;
use crate::failure::{names, Failure};
use crate::jsonpath::{Path, Root};

/// Step Functions' payload limit for state input, output and task results.
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// Evaluates a path against the root it names (`$` the input, `$$` the context object,
/// `$name` a workflow variable).
pub(crate) fn select(path: &Path, input: &Value, ctx: &Context<'_>) -> Option<Value> {
    select_ref(path, input, ctx).map(Cow::into_owned)
}

/// [`select`] borrowing a definite match instead of copying it.
pub(crate) fn select_ref<'v>(
    path: &Path,
    input: &'v Value,
    ctx: &'v Context<'_>,
) -> Option<Cow<'v, Value>> {
    if let Some(selected) = ctx.select_map_item(path) {
        return selected.ok();
    }
    path.select_ref(root_of(path, input, ctx)?).ok()
}

/// A path that must match: no match is AWS's `Invalid path` runtime error.
pub(crate) fn select_or_fail(
    path: &Path,
    input: &Value,
    ctx: &Context<'_>,
) -> Result<Value, Failure> {
    select(path, input, ctx).ok_or_else(|| invalid_path(path, input, ctx))
}

/// The root a path is evaluated against: `$` the input, `$$` the context object, `$name`
/// the variable (`None` when it is not bound).
pub(crate) fn root_of<'v>(
    path: &Path,
    input: &'v Value,
    ctx: &'v Context<'_>,
) -> Option<&'v Value> {
    match path.root() {
        Root::Input => Some(input),
        Root::Context => Some(ctx.root_for(path)),
        Root::Variable => ctx.variable(path.variable().unwrap_or_default()),
    }
}

/// A `$name` path whose variable is not bound.
fn undefined_variable(path: &Path) -> Failure {
    Failure::runtime(format!(
        "Invalid path '{}': The variable '${}' is not defined.",
        path.source(),
        path.variable().unwrap_or_default()
    ))
}

/// The cause AWS gives when InputPath, OutputPath, ItemsPath or TimeoutSecondsPath match
/// nothing: `Invalid path '$.x' : ` followed by Jayway's own `PathNotFoundException`
/// message. LocalStack (asl/component/common/path/input_path.py, output_path.py,
/// timeouts/timeout.py, written against AWS snapshots) words it
/// `Invalid path '$.x' : No results for path: $['x']`, with no input quoted.
pub(crate) fn invalid_path(path: &Path, input: &Value, ctx: &Context<'_>) -> Failure {
    let Some(root) = root_of(path, input, ctx) else {
        return undefined_variable(path);
    };
    Failure::runtime(format!(
        "Invalid path '{}' : {}",
        path.source(),
        jayway_not_found(path, root)
    ))
}

/// Jayway's message for a definite path that matched nothing (json-path/JsonPath,
/// `PathToken.handleObjectProperty` and `EvaluationContextImpl.getValue`): a missing
/// property before the last step throws `Missing property in path $['a']` (the path up
/// to that property); anything else (a missing last property, an index out of range)
/// yields no result, reported as `No results for path: $['a']['b']` (the whole path).
fn jayway_not_found(path: &Path, root: &Value) -> String {
    let normalized = path.normalized();
    let whole = format!("No results for path: {normalized}");
    let Some(steps) = jayway_steps(&normalized) else {
        return whole;
    };
    let mut node = root;
    for (i, (end, step)) in steps.iter().enumerate() {
        let next = match (step, node) {
            (Step::Name(name), Value::Object(map)) => match map.get(*name) {
                Some(v) => v,
                None if i + 1 < steps.len() => {
                    return format!("Missing property in path {}", &normalized[..*end]);
                }
                None => return whole,
            },
            (Step::Index(i), Value::Array(items)) => {
                let at = if *i < 0 { items.len() as i64 + i } else { *i };
                match usize::try_from(at).ok().and_then(|at| items.get(at)) {
                    Some(v) => v,
                    None => return whole,
                }
            }
            // A name on a non-object makes Jayway quote Java class names we cannot know.
            _ => return whole,
        };
        node = next;
    }
    whole
}

enum Step<'a> {
    Name(&'a str),
    Index(i64),
}

/// Splits `$['a'][0]` into its steps, each with the offset where it ends; `None` when the
/// path has anything but single names and indices (those never reach here as errors).
fn jayway_steps(normalized: &str) -> Option<Vec<(usize, Step<'_>)>> {
    let mut steps = Vec::new();
    let mut rest = normalized.strip_prefix('$')?;
    let mut offset = 1;
    while !rest.is_empty() {
        let (step, len) = if let Some(tail) = rest.strip_prefix("['") {
            let close = tail.find("']")?;
            (Step::Name(&tail[..close]), close + 4)
        } else {
            let tail = rest.strip_prefix('[')?;
            let close = tail.find(']')?;
            (Step::Index(tail[..close].parse().ok()?), close + 2)
        };
        offset += len;
        steps.push((offset, step));
        rest = &rest[len..];
    }
    Some(steps)
}

/// InputPath, OutputPath and ItemsPath: `$` keeps all, `null` gives `{}`.
pub(crate) fn apply_input_path(
    spec: &InputPath,
    value: Value,
    ctx: &Context<'_>,
) -> Result<Value, Failure> {
    match spec {
        // Moves the value: the common case copies nothing.
        InputPath::Whole => Ok(value),
        _ => effective_input(spec, &value, ctx).map(Cow::into_owned),
    }
}

/// The same paths applied by reference, for inputs the state must keep.
pub(crate) fn effective_input<'v>(
    spec: &InputPath,
    raw: &'v Value,
    ctx: &Context<'_>,
) -> Result<Cow<'v, Value>, Failure> {
    match spec {
        InputPath::Whole => Ok(Cow::Borrowed(raw)),
        InputPath::Null => Ok(Cow::Owned(Value::Object(Map::new()))),
        InputPath::Path(path) => select_or_fail(path, raw, ctx).map(Cow::Owned),
    }
}

/// ResultPath: where the result goes in the *raw* state input.
pub(crate) fn apply_result_path(
    spec: &ResultPath,
    raw_input: Value,
    result: Value,
) -> Result<Value, Failure> {
    match spec {
        ResultPath::Whole => Ok(result),
        ResultPath::Discard => Ok(raw_input),
        ResultPath::Path(path) => path
            .set(raw_input, result)
            .map_err(|e| Failure::new(names::RESULT_PATH_MATCH_FAILURE, e.reason)),
    }
}

/// Evaluates `Parameters`, `ResultSelector` or `ItemSelector` against `input`.
pub(crate) fn eval_template(
    template: &Template,
    input: &Value,
    ctx: &Context<'_>,
    entropy: &mut dyn Entropy,
) -> Result<Value, Failure> {
    match template {
        Template::Literal(value) => Ok(value.clone()),
        Template::Array(items) => items
            .iter()
            .map(|item| eval_template(item, input, ctx, entropy))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Template::Object(object) => {
            if let Some(skeleton) = object.skeleton() {
                let mut out = skeleton.clone();
                for ((key, value), slot) in object.fields().iter().zip(out.values_mut()) {
                    *slot = eval_field(key, value, input, ctx, entropy)?;
                }
                return Ok(Value::Object(out));
            }
            let mut out = Map::with_capacity(object.len());
            for (key, value) in object.fields() {
                let v = eval_field(key, value, input, ctx, entropy)?;
                out.insert(key.clone(), v);
            }
            Ok(Value::Object(out))
        }
    }
}

/// The value of one field of an object template.
pub(super) fn eval_field(
    key: &str,
    value: &TemplateValue,
    input: &Value,
    ctx: &Context<'_>,
    entropy: &mut dyn Entropy,
) -> Result<Value, Failure> {
    match value {
        TemplateValue::Template(t) => eval_template(t, input, ctx, entropy),
        TemplateValue::Path(path) => select(path, input, ctx).ok_or_else(|| {
            let Some(searched) = root_of(path, input, ctx) else {
                return undefined_variable(path);
            };
            Failure::runtime(format!(
                "The JSONPath '{}' specified for the field '{}.$' could not be found in the input '{}'",
                path.source(),
                key,
                compact(searched)
            ))
        }),
        TemplateValue::Intrinsic(f) => f.eval_with_variables(
            input,
            ctx.value_if(f.uses_context()),
            ctx,
            entropy,
        ),
    }
}

/// Compact JSON as AWS quotes values in causes.
pub(crate) fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Whether `value` serialises to more than [`MAX_PAYLOAD_BYTES`].
///
/// Runs on every state output, so it first bounds the size from above without formatting
/// anything (every string byte may escape to six, every number takes at most 24); only a
/// value whose bound passes the limit is serialised, and that stops counting early.
pub fn exceeds_payload_limit(value: &Value) -> bool {
    within_payload_limit(value, None).is_none()
}

/// An upper bound of `value`'s serialised size when it is within the limit, `None` when
/// it is over. `known` is a bound the caller already has (built from the parts the value
/// was made of): when it is within the limit nothing is walked at all.
pub(crate) fn within_payload_limit(value: &Value, known: Option<usize>) -> Option<usize> {
    if let Some(known) = known.filter(|k| *k <= MAX_PAYLOAD_BYTES) {
        return Some(known);
    }
    let bound = size_upper_bound(value, 0);
    if bound <= MAX_PAYLOAD_BYTES {
        return Some(bound);
    }
    exact_size(value)
}

/// An upper bound of `value`'s serialised size; past the limit, only "past the limit".
pub(crate) fn size_bound(value: &Value) -> usize {
    size_upper_bound(value, 0)
}

/// The most ResultPath `path` adds around the result when it creates its keys: each name
/// may become `,"name":{…}` (every byte escaped to six at worst).
pub(crate) fn result_path_overhead(path: &Path) -> usize {
    path.names().map(|name| 6 * name.len() + 8).sum()
}

/// A bound of the value `spec` selects, given a bound of the value it selects from.
pub(crate) fn bound_after_path(spec: &InputPath, before: Option<usize>) -> Option<usize> {
    match spec {
        InputPath::Whole => before,
        // `{}`
        InputPath::Null => Some(2),
        // A definite path on the value selects a part of it, which serialises within the
        // whole; an indefinite one builds an array of its matches, which may repeat parts.
        InputPath::Path(path) if path.is_definite() && path.root() == Root::Input => before,
        InputPath::Path(_) => None,
    }
}

/// The exact serialised size when within the limit; stops counting once past it.
fn exact_size(value: &Value) -> Option<usize> {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            if self.0 > MAX_PAYLOAD_BYTES {
                return Err(std::io::Error::other("limit"));
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    serde_json::to_writer(&mut counter, value)
        .ok()
        .map(|()| counter.0)
}

/// An upper bound of `value`'s compact JSON size added to `acc`; stops once past the limit.
fn size_upper_bound(value: &Value, acc: usize) -> usize {
    if acc > MAX_PAYLOAD_BYTES {
        return acc;
    }
    match value {
        Value::Null | Value::Bool(_) => acc + 5,
        Value::Number(_) => acc + 24,
        Value::String(s) => acc + 6 * s.len() + 2,
        Value::Array(items) => items
            .iter()
            .fold(acc + 2, |acc, v| size_upper_bound(v, acc + 1)),
        Value::Object(map) => map.iter().fold(acc + 2, |acc, (k, v)| {
            size_upper_bound(v, acc + 6 * k.len() + 4)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn payload_limit_counts_the_serialised_size_including_escapes() {
        // 200 KiB of plain text fits; its upper bound does not, so it is measured exactly.
        assert!(!exceeds_payload_limit(
            &json!({"s": "a".repeat(200 * 1024)})
        ));
        // 50 K control characters escape to six bytes each: 300 KB serialised.
        assert!(exceeds_payload_limit(&json!(["\u{1}".repeat(50 * 1024)])));
        assert!(exceeds_payload_limit(&json!(vec!["x".repeat(1000); 300])));
        assert!(!exceeds_payload_limit(&json!(vec![1; 1000])));
        // Exactly at the limit is allowed; one byte over is not.
        let at = MAX_PAYLOAD_BYTES - 2;
        assert!(!exceeds_payload_limit(&json!("b".repeat(at))));
        assert!(exceeds_payload_limit(&json!("b".repeat(at + 1))));
    }
}
