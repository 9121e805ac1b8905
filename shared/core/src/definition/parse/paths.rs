//! Path-valued fields: `InputPath`, `OutputPath`, `ResultPath`, `ItemsPath`, the `…Path`
//! twins of literal fields, and intrinsic-or-path fields (`ErrorPath`, `CausePath`).

use serde_json::Value;

use super::ctx::{type_name, Ctx, Obj, Ptr};
use crate::definition::{FailField, InputPath, ResultPath};
use crate::intrinsics::Intrinsic;
use crate::jsonpath::{Path, Root};

/// Compiles `source` as a JSONPath (`$…` or `$$…`), reporting syntax errors at `at`.
pub(crate) fn compile(cx: &mut Ctx, at: &Ptr, source: &str) -> Option<Path> {
    if !source.starts_with('$') {
        cx.err(
            at,
            format!("\"{source}\" is not a path (paths start with \"$\")"),
        );
        return None;
    }
    match Path::parse(source) {
        Ok(path) => Some(path),
        Err(e) => {
            cx.err(
                at,
                format!("\"{source}\" is not a valid path: {}", e.reason),
            );
            None
        }
    }
}

/// A string field holding a path (absent → `None`, no diagnostic).
pub(crate) fn path_field(cx: &mut Ctx, obj: &Obj<'_>, key: &str) -> Option<Path> {
    let source = obj.string(cx, key)?;
    compile(cx, &obj.at(key), source)
}

/// A string field holding a Reference Path (`SecondsPath`, `TimeoutSecondsPath`, …): the
/// fields that read one value, where the spec (and statelint's `referencePath`) allows no
/// wildcard, filter, slice, union or recursive descent. `$$…` and `$var…` stay allowed.
pub(crate) fn reference_path_field(cx: &mut Ctx, obj: &Obj<'_>, key: &str) -> Option<Path> {
    let path = path_field(cx, obj, key)?;
    definite(cx, &obj.at(key), path)
}

/// Rejects a path that can select more than one value.
fn definite(cx: &mut Ctx, at: &Ptr, path: Path) -> Option<Path> {
    if path.is_definite() {
        return Some(path);
    }
    cx.err(
        at,
        format!(
            "\"{}\" is not a reference path (no wildcards, filters, slices, unions or \"..\")",
            path.source()
        ),
    );
    None
}

/// `InputPath` / `OutputPath`: absent or `"$"` → whole, `null` → `{}`, else a path.
pub(crate) fn input_path(cx: &mut Ctx, obj: &Obj<'_>, key: &str) -> Option<InputPath> {
    match obj.get(key) {
        None => Some(InputPath::Whole),
        Some(Value::Null) => Some(InputPath::Null),
        Some(Value::String(s)) if s == "$" => Some(InputPath::Whole),
        Some(Value::String(s)) => compile(cx, &obj.at(key), s).map(InputPath::Path),
        Some(other) => {
            cx.err(
                &obj.at(key),
                format!("must be a path string or null, not {}", type_name(other)),
            );
            None
        }
    }
}

/// `ItemsPath`: like `InputPath` but `null` is rejected (statelint: "should be non-null")
/// and the path must be a reference path (statelint: `referencePath`).
pub(crate) fn items_path(cx: &mut Ctx, obj: &Obj<'_>) -> Option<InputPath> {
    match obj.get("ItemsPath") {
        Some(Value::Null) => {
            cx.err(
                &obj.at("ItemsPath"),
                "must be a path string; null is not allowed here",
            );
            None
        }
        _ => match input_path(cx, obj, "ItemsPath")? {
            InputPath::Path(path) => definite(cx, &obj.at("ItemsPath"), path).map(InputPath::Path),
            other => Some(other),
        },
    }
}

/// `ResultPath` (of a state or a catcher): absent or `"$"` → whole, `null` → discard,
/// else a reference path into the state input.
pub(crate) fn result_path(cx: &mut Ctx, obj: &Obj<'_>) -> Option<ResultPath> {
    let at = obj.at("ResultPath");
    match obj.get("ResultPath") {
        None => Some(ResultPath::Whole),
        Some(Value::Null) => Some(ResultPath::Discard),
        Some(Value::String(s)) if s == "$" => Some(ResultPath::Whole),
        Some(Value::String(s)) => {
            if s.starts_with("$$") {
                cx.err(
                    &at,
                    format!(
                        "\"{s}\" is not a reference path (the context object cannot be written)"
                    ),
                );
                return None;
            }
            let path = compile(cx, &at, s)?;
            if path.root() != Root::Input || !path.is_reference() {
                cx.err(&at, format!("\"{s}\" is not a reference path"));
                return None;
            }
            Some(ResultPath::Path(path))
        }
        Some(other) => {
            cx.err(
                &at,
                format!("must be a path string or null, not {}", type_name(other)),
            );
            None
        }
    }
}

/// `ErrorPath` / `CausePath`: a path or an intrinsic function.
pub(crate) fn path_or_intrinsic(cx: &mut Ctx, obj: &Obj<'_>, key: &str) -> Option<FailField> {
    let source = obj.string(cx, key)?;
    let at = obj.at(key);
    if Intrinsic::looks_like(source) {
        intrinsic(cx, &at, source).map(FailField::Intrinsic)
    } else if source.starts_with('$') {
        compile(cx, &at, source).map(FailField::Path)
    } else {
        cx.err(
            &at,
            format!("\"{source}\" is neither a path nor an intrinsic function"),
        );
        None
    }
}

/// Compiles an intrinsic function call, reporting syntax errors at `at`.
pub(crate) fn intrinsic(cx: &mut Ctx, at: &Ptr, source: &str) -> Option<Intrinsic> {
    match Intrinsic::parse(source) {
        Ok(i) => Some(i),
        Err(e) => {
            cx.err(
                at,
                format!(
                    "\"{source}\" is not a valid intrinsic function: {}",
                    e.reason
                ),
            );
            None
        }
    }
}
