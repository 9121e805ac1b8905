//! The array intrinsics (`States.Array` itself needs no code: it returns its arguments).

use serde_json::Value;

use super::{Args, Fn_};
use crate::failure::Failure;
use crate::intrinsics::format::{json_eq, type_name};

/// AWS: "The newly generated array can't contain more than 1000 items."
const MAX_RANGE_ITEMS: i128 = 1000;

/// Chunks of `size` items, the last possibly shorter. AWS requires "a non-zero, positive
/// integer" and rounds a non-integer size to the nearest integer.
pub(super) fn partition(f: Fn_, args: Args<'_, '_>) -> Result<Value, Failure> {
    let [array, size] = f.take(args)?;
    let array = f.array("first argument", array)?;
    let size = f.rounded_int("chunk size", size)?;
    let size = usize::try_from(size)
        .ok()
        .filter(|s| *s > 0)
        .ok_or_else(|| {
            f.fail(format!(
                "the chunk size must be a positive integer, got {size}"
            ))
        })?;
    let chunks = array
        .chunks(size)
        .map(|c| Value::Array(c.to_vec()))
        .collect();
    Ok(Value::Array(chunks))
}

/// Membership with Jackson's equality (`1` does not equal `1.0`).
pub(super) fn contains(f: Fn_, args: Args<'_, '_>) -> Result<Value, Failure> {
    let [array, needle] = f.take(args)?;
    let array = f.array("first argument", array)?;
    Ok(Value::Bool(array.iter().any(|item| json_eq(item, needle))))
}

/// `start, start+step, …` up to and including `end`; the step may be negative but not 0.
/// Arguments are rounded to the nearest integer, as AWS documents.
pub(super) fn range(f: Fn_, args: Args<'_, '_>) -> Result<Value, Failure> {
    let [start, end, step] = f.take(args)?;
    let start = f.rounded_int("start (first argument)", start)?;
    let end = f.rounded_int("end (second argument)", end)?;
    let step = f.rounded_int("step (third argument)", step)?;
    if step == 0 {
        return Err(f.fail("the step (third argument) must be a non-zero integer"));
    }
    // Counted in i128 so that extreme bounds cannot overflow or loop for long.
    let (s, e, st) = (i128::from(start), i128::from(end), i128::from(step));
    let count = if (st > 0 && s <= e) || (st < 0 && s >= e) {
        (e - s) / st + 1
    } else {
        0
    };
    if count > MAX_RANGE_ITEMS {
        return Err(f.fail(format!(
            "the range would contain {count} items; arrays cannot contain more than \
             {MAX_RANGE_ITEMS} items"
        )));
    }
    let items = (0..count)
        .filter_map(|i| i64::try_from(s + i * st).ok())
        .map(Value::from)
        .collect();
    Ok(Value::Array(items))
}

/// Zero-based index. The index must be an integer within the array.
pub(super) fn get_item(f: Fn_, args: Args<'_, '_>) -> Result<Value, Failure> {
    let [array, index] = f.take(args)?;
    let array = f.array("first argument", array)?;
    let i = match &**index {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| {
                // An integral decimal such as 2.0 still names an item.
                n.as_f64()
                    .filter(|x| x.fract() == 0.0 && x.abs() < 9.0e15)
                    .map(|x| x as i64)
            })
            .ok_or_else(|| f.fail(format!("the index must be an integer, got {n}")))?,
        other => {
            return Err(f.fail(format!(
                "the index (second argument) must be an integer, got {}",
                type_name(other)
            )))
        }
    };
    let len = array.len();
    usize::try_from(i)
        .ok()
        .filter(|i| *i < len)
        .map(|i| array[i].clone())
        .ok_or_else(|| {
            f.fail(format!(
                "the index {i} is out of bounds for an array of length {len}"
            ))
        })
}

pub(super) fn length(f: Fn_, args: Args<'_, '_>) -> Result<Value, Failure> {
    let [array] = f.take(args)?;
    let array = f.array("argument", array)?;
    Ok(Value::from(array.len()))
}

/// Removes later duplicates, keeping the first occurrence's position (AWS's example
/// `[1,2,3,3,3,3,3,3,4]` → `[1,2,3,4]`), with Jackson's equality.
pub(super) fn unique(f: Fn_, args: Args<'_, '_>) -> Result<Value, Failure> {
    let [array] = f.take(args)?;
    let array = f.array("argument", array)?;
    let mut out: Vec<Value> = Vec::with_capacity(array.len());
    for item in array {
        if !out.iter().any(|seen| json_eq(seen, item)) {
            out.push(item.clone());
        }
    }
    Ok(Value::Array(out))
}
