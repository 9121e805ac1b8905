//! `States.Format` and `States.StringSplit`.

use serde_json::Value;

use super::{Args, Fn_};
use crate::failure::Failure;
use crate::intrinsics::format::write_format_arg;
use crate::intrinsics::parse::Piece;

/// Replaces each `{}` of the template with the next argument. AWS requires as many
/// arguments as placeholders ("There must be as many remaining arguments … as there are
/// occurrences of `{}`").
pub(super) fn format(
    f: Fn_,
    args: Args<'_, '_>,
    literal: Option<&[Piece]>,
) -> Result<Value, Failure> {
    let (first, values) = args
        .split_first()
        .ok_or_else(|| f.fail("a format string is required"))?;
    let template = f.string("format string (first argument)", first)?;
    // A literal template was split at parse time, where `\{\}` (literal braces) is still
    // distinguishable from `{}`; a template read from a path is split on every `{}`.
    let split;
    let pieces = match literal {
        Some(p) => p,
        None => {
            split = split_template(template);
            split.as_slice()
        }
    };
    let holes = pieces.iter().filter(|p| **p == Piece::Hole).count();
    if holes != values.len() {
        return Err(f.fail(format!(
            "the format string has {holes} placeholder{} but {} value{} were given",
            if holes == 1 { "" } else { "s" },
            values.len(),
            if values.len() == 1 { "" } else { "s" }
        )));
    }
    // Sized for the usual case (text and short scalars) so the result is allocated once.
    let text: usize = pieces
        .iter()
        .map(|p| match p {
            Piece::Text(t) => t.len(),
            Piece::Hole => 0,
        })
        .sum();
    let filled: usize = values
        .iter()
        .map(|v| match &**v {
            Value::String(s) => s.len(),
            _ => 8,
        })
        .sum();
    let mut out = String::with_capacity(text + filled);
    let mut values = values.iter();
    for piece in pieces {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Hole => {
                if let Some(v) = values.next() {
                    write_format_arg(v, &mut out);
                }
            }
        }
    }
    Ok(Value::String(out))
}

fn split_template(template: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    for (i, part) in template.split("{}").enumerate() {
        if i > 0 {
            pieces.push(Piece::Hole);
        }
        if !part.is_empty() {
            pieces.push(Piece::Text(part.to_string()));
        }
    }
    pieces
}

/// Splits on any of the delimiter's characters and drops empty parts: recorded AWS
/// output for `", , ,"` on `","` is `[" ", " "]`, for `",,,,"` it is `[]`.
pub(super) fn split(f: Fn_, args: Args<'_, '_>) -> Result<Value, Failure> {
    let [s, delims] = f.take(args)?;
    let s = f.string("input (first argument)", s)?;
    let delims = f.string("delimiter (second argument)", delims)?;
    let parts = s
        .split(|c: char| delims.contains(c))
        .filter(|p| !p.is_empty())
        .map(|p| Value::String(p.to_string()))
        .collect();
    Ok(Value::Array(parts))
}
