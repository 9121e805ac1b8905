//! ASL definitions: the typed model, and the parser that validates JSON into it.
//!
//! [`parse`] reports *all* problems it finds, each with the JSON Pointer of the field it
//! concerns (`/States/Check/Next: no state named "Done"`), so an author fixes a definition
//! in one pass.

mod fields;
mod model;
mod parse;
mod validate;

#[cfg(test)]
mod tests;

pub use model::*;

use serde::Serialize;

/// One problem in a definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// A JSON Pointer into the definition (`/States/Check/Next`); `""` is the whole document.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "{path}: {}", self.message)
    }
}

/// A definition that cannot run, with every problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid state machine definition ({} problem(s)): {}", .diagnostics.len(), .diagnostics.first().map(ToString::to_string).unwrap_or_default())]
pub struct InvalidDefinition {
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses and validates a definition given as JSON text.
pub fn parse(json: &str) -> Result<StateMachine, InvalidDefinition> {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(value) => parse_value(&value),
        Err(e) => Err(InvalidDefinition {
            diagnostics: vec![Diagnostic {
                path: String::new(),
                message: format!("invalid JSON: {e}"),
            }],
        }),
    }
}

/// Parses and validates a definition given as a JSON value.
pub fn parse_value(value: &serde_json::Value) -> Result<StateMachine, InvalidDefinition> {
    let mut cx = parse::ctx::Ctx::default();
    let machine = parse::machine(&mut cx, value);
    validate::check(&mut cx);
    match machine {
        Some(machine) if cx.diags.is_empty() => Ok(machine),
        _ => {
            if cx.diags.is_empty() {
                // Unreachable if every `None` above comes with a diagnostic; never
                // return an invalid model silently.
                cx.diags.push(Diagnostic {
                    path: String::new(),
                    message: "invalid state machine definition".to_owned(),
                });
            }
            Err(InvalidDefinition {
                diagnostics: cx.diags,
            })
        }
    }
}
