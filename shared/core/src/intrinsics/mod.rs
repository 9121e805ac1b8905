//! The 18 intrinsic functions (`States.Format`, `States.Array`, …): parser and evaluator.
//!
//! An intrinsic is parsed once (when the definition is parsed) into an expression tree
//! whose path arguments are compiled [`crate::jsonpath::Path`]s.

use serde_json::Value;

use crate::entropy::Entropy;
use crate::failure::Failure;

/// A parsed intrinsic function call.
#[derive(Debug, Clone, PartialEq)]
pub struct Intrinsic {
    source: String,
}

/// A syntax error in an intrinsic call (reported by the validator with the field's path).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid intrinsic function '{source_text}': {reason}")]
pub struct ParseError {
    pub source_text: String,
    pub reason: String,
}

impl Intrinsic {
    /// Whether a string looks like an intrinsic call (`States.Name(`), as opposed to a path.
    pub fn looks_like(s: &str) -> bool {
        s.trim_start().starts_with("States.")
    }

    pub fn parse(_source: &str) -> Result<Intrinsic, ParseError> {
        unimplemented!()
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether any argument reads the context object (`$$`).
    pub fn uses_context(&self) -> bool {
        unimplemented!()
    }

    /// Evaluates against the state's input (`$`) and the context object (`$$`).
    pub fn eval(
        &self,
        _input: &Value,
        _context: &Value,
        _entropy: &mut dyn Entropy,
    ) -> Result<Value, Failure> {
        unimplemented!()
    }
}
