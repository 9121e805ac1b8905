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

use serde_json::Value;

/// Which document a path is evaluated against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    /// `$`: the state's (effective) input.
    Input,
    /// `$$`: the context object.
    Context,
}

/// A compiled JSONPath.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    source: String,
    root: Root,
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

/// Why a reference-path write (ResultPath) failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unable to apply ResultPath '{path}': {reason}")]
pub struct SetError {
    pub path: String,
    pub reason: String,
}

impl Path {
    pub fn parse(_source: &str) -> Result<Path, ParseError> {
        unimplemented!("jsonpath::Path::parse")
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn root(&self) -> Root {
        self.root
    }

    /// `$` alone (or `$$` alone): selects the whole root.
    pub fn is_root_only(&self) -> bool {
        unimplemented!()
    }

    /// No wildcard, slice, filter, union or recursive descent.
    pub fn is_definite(&self) -> bool {
        unimplemented!()
    }

    /// Only names and non-negative indices: valid as ResultPath.
    pub fn is_reference(&self) -> bool {
        unimplemented!()
    }

    /// Evaluates with AWS's result shaping.
    pub fn select(&self, _root: &Value) -> Result<Value, NoMatch> {
        unimplemented!()
    }

    /// Whether anything matches (for `IsPresent`); never errors.
    pub fn exists(&self, _root: &Value) -> bool {
        unimplemented!()
    }

    /// Writes `value` into `target` at this reference path.
    pub fn set(&self, _target: Value, _value: Value) -> Result<Value, SetError> {
        unimplemented!()
    }
}
