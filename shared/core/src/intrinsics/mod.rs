//! The 18 intrinsic functions (`States.Format`, `States.Array`, …): parser and evaluator.
//!
//! An intrinsic is parsed once (when the definition is parsed) into an expression tree
//! whose path arguments are compiled [`crate::jsonpath::Path`]s.
//!
//! - `parse`: lexer and parser (string escapes, numbers, paths, nesting).
//! - `functions`: the functions themselves, one file per family.
//! - `format`: Java-style text renderings (AWS runs on the JVM with Jackson).

mod format;
mod functions;
mod parse;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_functions;

use std::borrow::Cow;

use serde_json::Value;

use crate::entropy::Entropy;
use crate::failure::Failure;
use crate::jsonpath::{Path, Root};
use parse::{Call, Expr};

/// A parsed intrinsic function call.
#[derive(Debug, Clone, PartialEq)]
pub struct Intrinsic {
    source: String,
    call: Call,
    /// Whether an argument reads `$$`, found once here: it is asked on every evaluation.
    uses_context: bool,
}

/// A syntax error in an intrinsic call (reported by the validator with the field's path).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid intrinsic function '{source_text}': {reason}")]
pub struct ParseError {
    pub source_text: String,
    pub reason: String,
}

/// Read access to workflow variables (`$name` arguments), supplied by the interpreter.
pub trait Variables {
    /// The variable's current value, or `None` when it is not bound.
    fn get(&self, name: &str) -> Option<Value>;
}

/// No variables in scope: every `$name` argument fails.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoVariables;

impl Variables for NoVariables {
    fn get(&self, _name: &str) -> Option<Value> {
        None
    }
}

impl Intrinsic {
    /// Whether a string looks like an intrinsic call (`States.Name(`), as opposed to a path.
    pub fn looks_like(s: &str) -> bool {
        s.trim_start().starts_with("States.")
    }

    /// Parses and compiles the call, checking function names, argument counts, string
    /// escapes and the syntax of every path argument.
    pub fn parse(source: &str) -> Result<Intrinsic, ParseError> {
        let call = parse::parse(source).map_err(|reason| ParseError {
            source_text: source.to_string(),
            reason,
        })?;
        Ok(Intrinsic {
            source: source.to_string(),
            uses_context: reads_context(&call),
            call,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether any argument reads the context object (`$$`).
    pub fn uses_context(&self) -> bool {
        self.uses_context
    }

    /// The names of the workflow variables the call reads (`$name` arguments), in order
    /// of appearance, duplicates removed.
    pub fn variable_names(&self) -> Vec<&str> {
        fn collect<'a>(call: &'a Call, out: &mut Vec<&'a str>) {
            for arg in &call.args {
                match arg {
                    Expr::Var(v) if !out.contains(&v.name.as_str()) => out.push(&v.name),
                    Expr::Call(c) => collect(c, out),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        collect(&self.call, &mut out);
        out
    }

    /// Evaluates against the state's input (`$`) and the context object (`$$`).
    pub fn eval(
        &self,
        input: &Value,
        context: &Value,
        entropy: &mut dyn Entropy,
    ) -> Result<Value, Failure> {
        self.eval_with_variables(input, context, &NoVariables, entropy)
    }

    /// [`Intrinsic::eval`] with workflow variables in scope for `$name` arguments.
    pub fn eval_with_variables(
        &self,
        input: &Value,
        context: &Value,
        variables: &dyn Variables,
        entropy: &mut dyn Entropy,
    ) -> Result<Value, Failure> {
        let env = Env {
            input,
            context,
            variables,
        };
        eval_call(&self.call, &env, entropy)
    }
}

fn reads_context(call: &Call) -> bool {
    call.args.iter().any(|arg| match arg {
        Expr::Path(p) => p.root() == Root::Context,
        Expr::Call(c) => reads_context(c),
        _ => false,
    })
}

struct Env<'a> {
    input: &'a Value,
    context: &'a Value,
    variables: &'a dyn Variables,
}

/// Arguments are evaluated left to right, all before the function runs (so a missing
/// path is reported before any type error of the function).
fn eval_call(call: &Call, env: &Env<'_>, entropy: &mut dyn Entropy) -> Result<Value, Failure> {
    // Up to three arguments (all functions but `Format` and `Array` take at most three)
    // are kept on the stack: a `Vec` here was an allocation and a free per call.
    let mut few: [Cow<'_, Value>; 3] = Default::default();
    let mut many = Vec::new();
    let args: &mut [Cow<'_, Value>] = if call.args.len() <= few.len() {
        for (slot, arg) in few.iter_mut().zip(&call.args) {
            *slot = eval_arg(arg, env, entropy)?;
        }
        &mut few[..call.args.len()]
    } else {
        for arg in &call.args {
            many.push(eval_arg(arg, env, entropy)?);
        }
        &mut many
    };
    let template = match call.args.first() {
        Some(Expr::Str(s)) => Some(s.pieces.as_slice()),
        _ => None,
    };
    functions::apply(call.func, args, template, entropy)
}

/// An argument's value, borrowed where it already exists (a path into the input or the
/// context object, a literal): the functions mostly read their arguments, and copying
/// `$.order` only to print or count it cost more than the functions themselves.
fn eval_arg<'v>(
    arg: &'v Expr,
    env: &Env<'v>,
    entropy: &mut dyn Entropy,
) -> Result<Cow<'v, Value>, Failure> {
    match arg {
        Expr::Call(c) => eval_call(c, env, entropy).map(Cow::Owned),
        Expr::Literal(v) => Ok(Cow::Borrowed(v)),
        Expr::Str(s) => Ok(Cow::Borrowed(&s.value)),
        Expr::Path(p) => match p.root() {
            Root::Input => select_ref(p, env.input),
            Root::Context => select_ref(p, env.context),
            // The parser reads `$name` arguments as [`Expr::Var`]; kept for completeness.
            Root::Variable => {
                let name = p.variable().unwrap_or_default();
                let value = env
                    .variables
                    .get(name)
                    .ok_or_else(|| undefined_variable(name))?;
                select(p, &value).map(Cow::Owned)
            }
        },
        Expr::Var(v) => {
            let value = env
                .variables
                .get(&v.name)
                .ok_or_else(|| undefined_variable(&v.name))?;
            match &v.path {
                Some(p) => select(p, &value).map(Cow::Owned),
                None => Ok(Cow::Owned(value)),
            }
        }
    }
}

fn undefined_variable(name: &str) -> Failure {
    Failure::runtime(format!(
        "The variable '${name}' referenced by an intrinsic function argument is not defined"
    ))
}

/// A path argument that matches nothing is a runtime error, as for any `.$` field.
fn select(path: &Path, root: &Value) -> Result<Value, Failure> {
    select_ref(path, root).map(Cow::into_owned)
}

/// [`select`] borrowing a definite match from `root`.
fn select_ref<'v>(path: &Path, root: &'v Value) -> Result<Cow<'v, Value>, Failure> {
    path.select_ref(root).map_err(|_| {
        Failure::runtime(format!(
            "The JsonPath argument for the field '{}' could not be found in the input '{}'",
            path.source(),
            format::to_json_text(root)
        ))
    })
}
