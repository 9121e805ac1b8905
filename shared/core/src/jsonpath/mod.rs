//! JSONPath with AWS Step Functions' semantics (Jayway-style), not RFC 9535.
//!
//! Written by hand because no Rust crate gives AWS's behaviour: Jayway tokenising
//! (`$.Content-Type` is one key), definite/indefinite classification, result shaping
//! (a definite path yields the value itself, an indefinite one an array) and AWS's
//! no-match rules (indefinite → `[]`, definite → an error the caller reports).
//!
//! Paths are parsed once, when the definition is parsed, and evaluated many times.
//!
//! API contract (used by the rest of the core):
//! - [`Path::parse`] compiles `$…` (input-rooted) or `$$…` (context-object-rooted) paths.
//! - [`Path::select`] evaluates against the root the caller picks from [`Path::root`].
//! - [`Path::is_reference`]: a reference path (only `.name`, `['name']`, `[n]`): what
//!   ResultPath and the `*Path` fields of Choice accept.
//! - [`Path::set`] writes a value at a reference path (ResultPath), creating objects.
//! - [`Path::exists`]: whether the path matches anything (Choice `IsPresent`).
//!
//! Why these rules (AWS reports Jayway's own messages, e.g. "No results for path:
//! $['x']", so Jayway's `PathCompiler` and tokens are the reference):
//! - Definite = no wildcard, slice, filter, union of indices, multi-name step that is not
//!   the last, or `..`. `[-1]` is definite; `['a','b']` as the last step is too (Jayway
//!   merges the names present into one object).
//! - Shaping: definite → the value, or [`NoMatch`]; indefinite → always an array, `[]`
//!   when nothing matches (recorded AWS: `$.items[*].itemValue` on `{}` gives `[]`).
//! - A step that does not apply (a name on a non-object, an index out of range, an index
//!   on a non-array) matches nothing; there is no error besides "no match".

mod eval;
mod filter;
mod member;
mod parse;
mod set;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_filter;
#[cfg(test)]
mod tests_props;

use std::borrow::Cow;

use serde_json::Value;

pub(crate) use member::member;

/// Which document a path is evaluated against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    /// `$`: the state's (effective) input.
    Input,
    /// `$$`: the context object.
    Context,
    /// `$name`: a workflow variable ([`Path::variable`] names it).
    Variable,
}

/// A compiled JSONPath.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    source: String,
    root: Root,
    /// The variable of a [`Root::Variable`] path.
    variable: Option<Box<str>>,
    segments: Box<[Segment]>,
    definite: bool,
    reference: bool,
}

/// A syntax error in a path, with a human-readable reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSONPath '{path}': {reason}")]
pub struct ParseError {
    pub path: String,
    pub reason: String,
}

/// A definite path that matched nothing; the caller words the AWS error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the JSONPath '{path}' could not be found")]
pub struct NoMatch {
    pub path: String,
}

/// Why a reference-path write (ResultPath) failed. `reason` is AWS's cause text, e.g.
/// `Unable to apply ReferencePath $.a to input "text"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unable to apply ResultPath '{path}': {reason}")]
pub struct SetError {
    pub path: String,
    pub reason: String,
}

/// One step of a compiled path.
#[derive(Debug, Clone, PartialEq)]
enum Segment {
    /// `.name` or `['name']`
    Name(Box<str>),
    /// `['a','b']`
    Names(Box<[Box<str>]>),
    /// `[n]`, negative from the end.
    Index(i32),
    /// `[0,2]`
    Indexes(Box<[i32]>),
    /// `[from:to]`, `[from:]`, `[:to]`
    Slice(Slice),
    /// `.*` or `[*]`
    Wildcard,
    /// `..`, always followed by another segment.
    Scan,
    /// `[?(...)]`
    Filter(Box<filter::Expr>),
    /// `.name(...)`: accepted, never matches.
    Function(Box<str>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slice {
    From(i32),
    To(i32),
    Between(i32, i32),
}

/// `$name.rest` → (`name`, `.rest`) when the path starts with a variable name (a letter or
/// `_` after the `$`); `$`, `$$`, `$.x` and `$[0]` are not variables.
fn split_variable(source: &str) -> Option<(&str, &str)> {
    let text = source.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
    let body = text.strip_prefix('$')?;
    if !body.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        return None;
    }
    let end = body
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(body.len());
    Some((&body[..end], &body[end..]))
}

/// Jayway's `isPathDefinite`.
fn segments_definite(segments: &[Segment]) -> bool {
    let last = segments.len().saturating_sub(1);
    segments.iter().enumerate().all(|(i, s)| match s {
        Segment::Name(_) | Segment::Index(_) | Segment::Function(_) => true,
        Segment::Names(_) => i == last,
        _ => false,
    })
}

impl Path {
    /// Leading and trailing blanks are trimmed, as Jayway does; [`Path::source`] keeps
    /// the text as given.
    pub fn parse(source: &str) -> Result<Path, ParseError> {
        let error = |reason: String| ParseError {
            path: source.to_owned(),
            reason,
        };
        // `$name…` reads a workflow variable: the rest is a path into its value.
        if let Some((name, rest)) = split_variable(source) {
            let mut path = Path::parse(&format!("${rest}")).map_err(|e| error(e.reason))?;
            path.source = source.to_owned();
            path.root = Root::Variable;
            path.variable = Some(name.into());
            path.reference = false;
            return Ok(path);
        }
        let parsed = parse::parse(source, false).map_err(error)?;
        let root = match parsed.anchor {
            parse::Anchor::Input => Root::Input,
            parse::Anchor::Context => Root::Context,
            parse::Anchor::Current => return Err(error("a path must start with '$'".to_owned())),
        };
        let reference = !parsed.dotted_operator
            && parsed.segments.iter().all(|s| {
                matches!(s, Segment::Name(_)) || matches!(s, Segment::Index(i) if *i >= 0)
            });
        Ok(Path {
            source: source.to_owned(),
            root,
            variable: None,
            definite: segments_definite(&parsed.segments),
            reference,
            segments: parsed.segments.into(),
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn root(&self) -> Root {
        self.root
    }

    /// The workflow variable a `$name…` path reads.
    pub fn variable(&self) -> Option<&str> {
        self.variable.as_deref()
    }

    /// The member a path starts with (`Map` in `$$.Map.Item.Value`), when its first step
    /// is a plain name: everything it selects lies under that member.
    pub fn first_name(&self) -> Option<&str> {
        match self.segments.first() {
            Some(Segment::Name(name)) => Some(name),
            _ => None,
        }
    }

    /// The names the path steps through, in order (indices and other steps left out).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Name(name) => Some(&**name),
            _ => None,
        })
    }

    /// For a definite path that begins with the names `prefix`: the rest of it applied to
    /// `node`, the value those names lead to (which the caller has without building the
    /// document around it). `None` when the path does not begin so or is indefinite.
    pub fn select_under<'a>(
        &self,
        prefix: &[&str],
        node: &'a Value,
    ) -> Option<Result<Cow<'a, Value>, NoMatch>> {
        if !self.definite || !self.begins_with(prefix) {
            return None;
        }
        Some(
            Self::resolve_segments(&self.segments[prefix.len()..], node).ok_or_else(|| NoMatch {
                path: self.source.clone(),
            }),
        )
    }

    /// Whether the path is exactly the names `names`.
    pub fn is_names(&self, names: &[&str]) -> bool {
        self.segments.len() == names.len() && self.begins_with(names)
    }

    fn begins_with(&self, prefix: &[&str]) -> bool {
        self.segments.len() >= prefix.len()
            && prefix
                .iter()
                .zip(self.segments.iter())
                .all(|(want, segment)| matches!(segment, Segment::Name(name) if **name == **want))
    }

    /// `$` alone (or `$$` alone): selects the whole root.
    pub fn is_root_only(&self) -> bool {
        self.segments.is_empty()
    }

    /// No wildcard, slice, filter, union or recursive descent.
    pub fn is_definite(&self) -> bool {
        self.definite
    }

    /// Only names and non-negative indices: valid as ResultPath.
    pub fn is_reference(&self) -> bool {
        self.reference
    }

    /// Evaluates with AWS's result shaping.
    pub fn select(&self, root: &Value) -> Result<Value, NoMatch> {
        self.select_ref(root).map(Cow::into_owned)
    }

    /// [`Path::select`] without copying: a definite match is borrowed from `root`.
    pub fn select_ref<'a>(&self, root: &'a Value) -> Result<Cow<'a, Value>, NoMatch> {
        if self.definite {
            return self.resolve(root).ok_or_else(|| NoMatch {
                path: self.source.clone(),
            });
        }
        let mut out = Vec::new();
        eval::walk(&self.segments, root, root, &mut out);
        Ok(Cow::Owned(Value::Array(
            out.into_iter().map(Cow::into_owned).collect(),
        )))
    }

    /// Whether anything matches (for `IsPresent`); never errors. As `select` succeeding:
    /// an indefinite path is always present (it yields `[]` rather than failing), which
    /// is how LocalStack's `IsPresent` behaves against its AWS-recorded tests.
    pub fn exists(&self, root: &Value) -> bool {
        !self.definite || self.resolve(root).is_some()
    }

    /// Writes `value` into `target` at this reference path. `$` returns `value`.
    pub fn set(&self, target: Value, value: Value) -> Result<Value, SetError> {
        set::set(self, target, value)
    }

    /// The value [`Path::set`] would replace: the existing node at this reference path
    /// below `$` (not `$` itself, not `$$`), writable.
    pub(crate) fn existing_mut<'a>(&self, target: &'a mut Value) -> Option<&'a mut Value> {
        set::existing_mut(self, target)
    }

    /// The path in Jayway's normal form, as AWS quotes it in some causes
    /// (`No results for path: $['a'][0]`).
    pub fn normalized(&self) -> String {
        use std::fmt::Write;
        let mut out = String::from("$");
        let join = |items: &mut dyn Iterator<Item = String>| items.collect::<Vec<_>>().join(",");
        for segment in self.segments.iter() {
            let _ = match segment {
                Segment::Name(n) => write!(out, "['{n}']"),
                Segment::Names(ns) => {
                    write!(out, "[{}]", join(&mut ns.iter().map(|n| format!("'{n}'"))))
                }
                Segment::Index(i) => write!(out, "[{i}]"),
                Segment::Indexes(is) => {
                    write!(out, "[{}]", join(&mut is.iter().map(i32::to_string)))
                }
                Segment::Slice(Slice::From(f)) => write!(out, "[{f}:]"),
                Segment::Slice(Slice::To(t)) => write!(out, "[:{t}]"),
                Segment::Slice(Slice::Between(f, t)) => write!(out, "[{f}:{t}]"),
                Segment::Wildcard => write!(out, "[*]"),
                Segment::Scan => write!(out, ".."),
                Segment::Filter(_) => write!(out, "[?]"),
                Segment::Function(f) => write!(out, ".{f}()"),
            };
        }
        out
    }

    /// A definite path's single match. Names and indices are walked by reference, so
    /// only the caller's final `into_owned` copies anything.
    fn resolve<'a>(&self, root: &'a Value) -> Option<Cow<'a, Value>> {
        Self::resolve_segments(&self.segments, root)
    }

    fn resolve_segments<'a>(segments: &[Segment], root: &'a Value) -> Option<Cow<'a, Value>> {
        let mut node = root;
        for (i, segment) in segments.iter().enumerate() {
            node = match segment {
                Segment::Name(name) => member(node.as_object()?, name)?,
                Segment::Index(index) => eval::get_index(node.as_array()?, i64::from(*index))?,
                _ => {
                    let mut out = Vec::new();
                    eval::walk(&segments[i..], node, root, &mut out);
                    return out.into_iter().next();
                }
            };
        }
        Some(Cow::Borrowed(node))
    }
}
