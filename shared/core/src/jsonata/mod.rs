//! JSONata 2.x, as AWS Step Functions runs it (`{% … %}` expressions in JSONata states).
//!
//! Written here rather than taken from crates.io: every Rust JSONata crate we evaluated
//! (`jsonata-core` 2.2.13, `jsonata-rs` 0.3.4, `seuil` 0.1.1) depends on `rand`
//! unconditionally and reads the system clock, which the pure core forbids; see
//! `docs/jsonata.md` for the evaluation.
//!
//! An [`Expression`] is parsed once, when the definition is parsed, and evaluated many
//! times. Variables (`$states`, workflow variables) come from a [`Host`]; `$now()` and
//! `$millis()` read the caller's clock and `$random()`/`$uuid()` its entropy source.
//!
//! - `lexer`, `parser`: text → the processed AST (jsonata-js `parser.js`).
//! - `eval`: the evaluator and its sequence rules; `value`: runtime values, number
//!   formatting; `functions`: the function library.

mod eval;
mod functions;
mod lexer;
mod ops;
mod parser;
#[cfg(test)]
mod tests;
mod value;

use std::borrow::Cow;
use std::rc::Rc;

use serde_json::Value;

use crate::entropy::Entropy;

/// Where an expression's `$name` variables come from (besides its own `:=` bindings and
/// the function library).
pub trait Host {
    /// The variable's value, or `None` when it is not bound (JSONata: undefined).
    fn variable(&self, name: &str) -> Option<Cow<'_, Value>>;

    /// `$name.key`, for hosts that can hand out one member without building the whole
    /// variable (`$states.input` without `$states.context`). `None`: no such member.
    fn member(&self, name: &str, key: &str) -> Option<Cow<'_, Value>> {
        match self.variable(name)? {
            Cow::Borrowed(v) => v.get(key).map(Cow::Borrowed),
            Cow::Owned(v) => v.get(key).cloned().map(Cow::Owned),
        }
    }
}

/// No variables at all.
impl Host for () {
    fn variable(&self, _: &str) -> Option<Cow<'_, Value>> {
        None
    }
}

/// A parsed JSONata expression.
#[derive(Clone)]
pub struct Expression {
    source: String,
    ast: parser::Expr,
}

impl std::fmt::Debug for Expression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Expression({:?})", self.source)
    }
}

impl PartialEq for Expression {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// A syntax error, with jsonata's code in the reason (`S0201: …`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSONata expression '{source_text}': {reason}")]
pub struct ParseError {
    pub source_text: String,
    pub reason: String,
}

/// An evaluation error, with jsonata's error code (`T2001`, `D3030`, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Error {
    pub code: &'static str,
    pub message: String,
}

impl Expression {
    pub fn parse(source: &str) -> Result<Expression, ParseError> {
        let ast = parser::parse(source).map_err(|reason| ParseError {
            source_text: source.to_string(),
            reason,
        })?;
        Ok(Expression {
            source: source.to_string(),
            ast,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the expression reads `$states.<member>` (for the availability checks the
    /// definition parser makes: `$states.result` only after a task ran, …).
    pub fn reads_states_member(&self, member: &str) -> bool {
        fn walk(e: &parser::Expr, member: &str) -> bool {
            if let parser::Kind::Path { steps, .. } = &e.kind {
                if let [first, second, ..] = steps.as_slice() {
                    if matches!(&first.kind, parser::Kind::Var(v) if v == "states")
                        && matches!(&second.kind, parser::Kind::Name(n) if n == member)
                    {
                        return true;
                    }
                }
            }
            e.children().into_iter().any(|c| walk(c, member))
        }
        walk(&self.ast, member)
    }

    /// Evaluates with no input document (Step Functions reads data through `$states`).
    /// `Ok(None)` is JSONata's `undefined`.
    pub fn evaluate(
        &self,
        host: &dyn Host,
        now_ms: i64,
        entropy: &mut dyn Entropy,
    ) -> Result<Option<Value>, Error> {
        let mut ev = eval::Ev::new(host, entropy, now_ms, value::V::Undef);
        let env = Rc::new(eval::Env::default());
        let result = ev.eval(&self.ast, &value::V::Undef, &env)?;
        Ok(result.to_json())
    }
}
