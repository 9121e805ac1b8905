//! A Pass state's `Parameters` object written by `ResultPath` over the value it replaces.
//!
//! A state in a loop writes its result where its previous turn's result is, or over its
//! whole input when that is the previous turn's result: an object with the same keys in
//! the same order. Building the new object (its map and a copy of
//! every key) and freeing the old one cost more than the values themselves did; writing
//! the new values over the old ones gives the same output. Anything else (no object
//! there yet, other keys, another order) builds the object and goes through `ResultPath`
//! as usual.

use serde_json::{Map, Value};

use super::context::Context;
use super::io::{self, apply_result_path, effective_input};
use crate::definition::{InputPath, ObjectTemplate, ResultPath};
use crate::entropy::Entropy;
use crate::failure::Failure;

/// The Parameters' output object, evaluated against `raw` (through `input_path`) and
/// written into `raw` by `result_path`: the merged value and an upper bound of the
/// result's size (what [`io::size_bound`] gives for the object).
pub(super) fn write_parameters(
    object: &ObjectTemplate,
    skeleton: &Map<String, Value>,
    input_path: &InputPath,
    result_path: &ResultPath,
    mut raw: Value,
    ctx: &Context<'_>,
    entropy: &mut dyn Entropy,
) -> Result<(Value, usize), Failure> {
    // Every value is evaluated before anything is written: the fields read `raw`. Up to
    // four are kept on the stack.
    let mut few: [Value; 4] = Default::default();
    let mut many = Vec::new();
    let values: &mut [Value] = if object.len() <= few.len() {
        &mut few[..object.len()]
    } else {
        many.resize(object.len(), Value::Null);
        &mut many
    };
    {
        let effective = effective_input(input_path, &raw, ctx)?;
        for (slot, (key, value)) in values.iter_mut().zip(object.fields()) {
            *slot = io::eval_field(key, value, &effective, ctx, entropy)?;
        }
    }
    let bound = object
        .fields()
        .iter()
        .zip(values.iter())
        .fold(2usize, |acc, ((key, _), value)| {
            acc.saturating_add(6 * key.len() + 4)
                .saturating_add(io::size_bound(value))
        });
    if let Some(Value::Object(old)) = replaced(result_path, &mut raw) {
        if same_keys(old, object) {
            for (slot, value) in old.values_mut().zip(values) {
                *slot = std::mem::take(value);
            }
            return Ok((raw, bound));
        }
    }
    let mut result = skeleton.clone();
    for (slot, value) in result.values_mut().zip(values) {
        *slot = std::mem::take(value);
    }
    let merged = apply_result_path(result_path, raw, Value::Object(result))?;
    Ok((merged, bound))
}

/// The value `result_path` replaces in `raw`, when there is one.
fn replaced<'a>(result_path: &ResultPath, raw: &'a mut Value) -> Option<&'a mut Value> {
    match result_path {
        ResultPath::Path(path) => path.existing_mut(raw),
        // The result replaces the whole input: a loop's `{"i.$": …, "n.$": "$.n"}`.
        ResultPath::Whole => Some(raw),
        ResultPath::Discard => None,
    }
}

fn same_keys(old: &Map<String, Value>, object: &ObjectTemplate) -> bool {
    old.len() == object.len()
        && old
            .keys()
            .zip(object.fields())
            .all(|(old, (new, _))| old == new)
}
