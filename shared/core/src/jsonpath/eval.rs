//! Walking a value along a segment list, with Jayway's evaluation rules.
//!
//! Matches are collected as borrows; only a multi-name leaf (`['a','b']`, which Jayway
//! merges into one new object) produces an owned value.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::{filter, member, Segment, Slice};

pub(super) type Matches<'a> = Vec<Cow<'a, Value>>;

/// Appends every match of `segments` applied to `node` to `out`, in document order.
/// A step that does not apply (a name on a non-object, an index out of range, ...)
/// simply yields nothing; shaping and errors are the caller's business.
pub(super) fn walk<'a>(
    segments: &[Segment],
    node: &'a Value,
    root: &'a Value,
    out: &mut Matches<'a>,
) {
    let Some((segment, rest)) = segments.split_first() else {
        out.push(Cow::Borrowed(node));
        return;
    };
    match segment {
        Segment::Name(name) => {
            if let Some(child) = node.as_object().and_then(|m| member(m, name)) {
                walk(rest, child, root, out);
            }
        }
        Segment::Names(names) => {
            let Value::Object(map) = node else { return };
            if rest.is_empty() {
                // Jayway's "multi property merge": one object of the names present.
                let merged: Map<String, Value> = names
                    .iter()
                    .filter_map(|n| map.get_key_value(&**n))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                out.push(Cow::Owned(Value::Object(merged)));
            } else {
                for child in names.iter().filter_map(|n| map.get(&**n)) {
                    walk(rest, child, root, out);
                }
            }
        }
        Segment::Index(i) => {
            if let Some(child) = node.as_array().and_then(|a| get_index(a, i64::from(*i))) {
                walk(rest, child, root, out);
            }
        }
        Segment::Indexes(indexes) => {
            let Value::Array(items) = node else { return };
            for child in indexes
                .iter()
                .filter_map(|i| get_index(items, i64::from(*i)))
            {
                walk(rest, child, root, out);
            }
        }
        Segment::Slice(slice) => {
            let Value::Array(items) = node else { return };
            for i in slice_range(*slice, items.len()) {
                if let Some(child) = get_index(items, i) {
                    walk(rest, child, root, out);
                }
            }
        }
        Segment::Wildcard => match node {
            Value::Object(map) => map.values().for_each(|v| walk(rest, v, root, out)),
            Value::Array(items) => items.iter().for_each(|v| walk(rest, v, root, out)),
            _ => {}
        },
        Segment::Scan => scan(rest, node, root, out),
        // Jayway tests an object itself, and each element of an array. AWS documents
        // that `@` "does not match scalar values. It only matches objects."
        Segment::Filter(expr) => match node {
            Value::Object(_) if filter::accepts(expr, node, root) => walk(rest, node, root, out),
            Value::Array(items) => {
                for item in items.iter().filter(|v| v.is_object()) {
                    if filter::accepts(expr, item, root) {
                        walk(rest, item, root, out);
                    }
                }
            }
            _ => {}
        },
        // Functions parse, but AWS never evaluates them ("could not be found").
        Segment::Function(_) => {}
    }
}

/// Element `i` of `items`; a negative `i` counts from the end.
pub(super) fn get_index(items: &[Value], i: i64) -> Option<&Value> {
    let len = i64::try_from(items.len()).ok()?;
    let effective = if i < 0 { len + i } else { i };
    usize::try_from(effective).ok().and_then(|e| items.get(e))
}

/// The raw indices Jayway's `ArraySliceToken` visits, each then resolved like `[i]`.
/// `from:to` uses `from` as given (a negative one counts from the end per element) and
/// does not wrap a negative `to`; only the one-sided forms wrap. Kept for fidelity.
fn slice_range(slice: Slice, len: usize) -> std::ops::Range<i64> {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    if len == 0 {
        return 0..0;
    }
    match slice {
        Slice::From(from) => {
            let from = i64::from(from);
            let from = if from < 0 { len + from } else { from };
            from.max(0)..len
        }
        Slice::Between(from, to) => {
            let to = i64::from(to).min(len);
            i64::from(from)..to
        }
        Slice::To(to) => {
            let to = i64::from(to);
            let to = if to < 0 { len + to } else { to };
            0..to.min(len)
        }
    }
}

/// `..` followed by `target`: Jayway's `ScanPathToken.walk`, pre-order. A node is handed
/// to `target` when it could apply (an object holding the name, an array for an index,
/// anything for `*`, an object passing a filter). Jayway's quirk is kept: on an array
/// with more steps after the target, those steps apply to each element directly.
fn scan<'a>(target: &[Segment], node: &'a Value, root: &'a Value, out: &mut Matches<'a>) {
    let Some(first) = target.first() else { return };
    let applies = |node: &Value| match first {
        Segment::Name(name) => node.as_object().is_some_and(|m| m.contains_key(&**name)),
        Segment::Names(names) => node
            .as_object()
            .is_some_and(|m| target.len() > 1 || names.iter().all(|n| m.contains_key(&**n))),
        Segment::Index(_) | Segment::Indexes(_) | Segment::Slice(_) => node.is_array(),
        Segment::Wildcard => true,
        Segment::Filter(expr) => node.is_object() && filter::accepts(expr, node, root),
        Segment::Scan | Segment::Function(_) => false,
    };
    match node {
        Value::Object(map) => {
            if applies(node) {
                walk(target, node, root, out);
            }
            for child in map.values() {
                scan(target, child, root, out);
            }
        }
        Value::Array(items) => {
            if applies(node) {
                if target.len() == 1 {
                    walk(target, node, root, out);
                } else {
                    for item in items {
                        walk(&target[1..], item, root, out);
                    }
                }
            }
            for item in items {
                scan(target, item, root, out);
            }
        }
        _ => {}
    }
}
