//! Writing at a reference path (ResultPath).
//!
//! Missing object keys are created as objects. Nothing else is created or converted:
//! an index must name an existing element (arrays are neither created nor extended),
//! and a step may only go through an object (for a name) or an array (for an index).
//!
//! Causes, as AWS words them (reports quoted in aws/aws-cdk#29473 and
//! cdklabs/construct-hub#459):
//! - the whole input is not an object or array:
//!   `Unable to apply ReferencePath $.partitioned to input "{\"min_size\":10000}"`
//! - a step cannot be applied: `Unable to apply step "catalogBuilderOutput" to input [...]`
//!
//! The input is quoted as compact JSON.

use serde_json::{Map, Value};

use super::member::{member, member_mut};
use super::{Path, Root, Segment, SetError};

pub(super) fn set(path: &Path, mut target: Value, value: Value) -> Result<Value, SetError> {
    let fail = |reason: String| SetError {
        path: path.source().to_owned(),
        reason,
    };
    if path.root() == Root::Context {
        return Err(fail(
            "a ResultPath cannot write into the context object ($$)".to_owned(),
        ));
    }
    if !path.is_reference() {
        return Err(fail(format!(
            "'{}' is not a reference path: only names and non-negative indices are allowed",
            path.source()
        )));
    }
    let segments = &path.segments;
    if segments.is_empty() {
        return Ok(value);
    }
    if !(target.is_object() || target.is_array()) {
        return Err(fail(format!(
            "Unable to apply ReferencePath {} to input {}",
            path.source(),
            compact(&target)
        )));
    }
    // Validate before writing, so the cause can quote the input as it was.
    if let Some(step) = failing_step(segments, &target) {
        return Err(fail(format!(
            "Unable to apply step \"{step}\" to input {}",
            compact(&target)
        )));
    }
    write(&mut target, segments, value);
    Ok(target)
}

/// See [`Path::existing_mut`].
pub(super) fn existing_mut<'a>(path: &Path, target: &'a mut Value) -> Option<&'a mut Value> {
    if path.root() != Root::Input || !path.is_reference() || path.segments.is_empty() {
        return None;
    }
    let mut node = target;
    for segment in path.segments.iter() {
        node = match (segment, node) {
            (Segment::Name(name), Value::Object(map)) => member_mut(map, name)?,
            (Segment::Index(i), Value::Array(items)) => items.get_mut(usize::try_from(*i).ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

/// The first step that cannot be applied, as AWS names it.
fn failing_step(segments: &[Segment], target: &Value) -> Option<String> {
    // `None` below: a key that will be created as an empty object.
    let mut node = Some(target);
    for segment in segments {
        node = match (segment, node) {
            (Segment::Name(_), None) => None,
            (Segment::Name(name), Some(Value::Object(map))) => member(map, name),
            (Segment::Index(i), Some(Value::Array(items))) => match usize::try_from(*i) {
                Ok(i) if i < items.len() => items.get(i),
                _ => return Some(i.to_string()),
            },
            (Segment::Name(name), Some(_)) => return Some(name.to_string()),
            (Segment::Index(i), _) => return Some(i.to_string()),
            // Unreachable for a reference path; refuse rather than guess.
            (_, _) => return Some(String::new()),
        };
    }
    None
}

/// Applies a write `failing_step` has accepted.
fn write(node: &mut Value, segments: &[Segment], value: Value) {
    let Some((segment, rest)) = segments.split_first() else {
        *node = value;
        return;
    };
    match (segment, node) {
        (Segment::Name(name), Value::Object(map)) => {
            if let Some(child) = member_mut(map, name) {
                // Replaced in place, as Jackson's ObjectNode keeps an existing key's position.
                write(child, rest, value);
            } else if rest.is_empty() {
                map.insert(name.to_string(), value);
            } else {
                let mut child = Value::Object(Map::new());
                write(&mut child, rest, value);
                map.insert(name.to_string(), child);
            }
        }
        (Segment::Index(i), Value::Array(items)) => {
            if let Some(slot) = usize::try_from(*i).ok().and_then(|i| items.get_mut(i)) {
                write(slot, rest, value);
            }
        }
        _ => {}
    }
}

fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
