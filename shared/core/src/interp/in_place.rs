//! A Pass state's `Parameters` object written by `ResultPath` over the result it replaces.
//!
//! A state in a loop writes its result where its previous turn's result is: an object
//! with the same keys in the same order. Building the new object (its map and a copy of
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
    // Every value is evaluated before anything is written: the fields read `raw`.
    let values = {
        let effective = effective_input(input_path, &raw, ctx)?;
        let mut values = Vec::with_capacity(object.len());
        for (key, value) in object.fields() {
            values.push(io::eval_field(key, value, &effective, ctx, entropy)?);
        }
        values
    };
    let bound = object
        .fields()
        .iter()
        .zip(&values)
        .fold(2usize, |acc, ((key, _), value)| {
            acc.saturating_add(6 * key.len() + 4)
                .saturating_add(io::size_bound(value))
        });
    let existing = match result_path {
        ResultPath::Path(path) => path.existing_mut(&mut raw),
        ResultPath::Whole | ResultPath::Discard => None,
    };
    if let Some(Value::Object(old)) = existing {
        let same_keys = old.len() == object.len()
            && old
                .keys()
                .zip(object.fields())
                .all(|(old, (new, _))| old == new);
        if same_keys {
            for (slot, value) in old.values_mut().zip(values) {
                *slot = value;
            }
            return Ok((raw, bound));
        }
    }
    let mut result = skeleton.clone();
    for (slot, value) in result.values_mut().zip(values) {
        *slot = value;
    }
    let merged = apply_result_path(result_path, raw, Value::Object(result))?;
    Ok((merged, bound))
}
