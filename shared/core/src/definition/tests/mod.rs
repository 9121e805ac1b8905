//! Tests of the definition parser and validator, from AWS's documented rules.

mod choice;
mod jsonata;
mod machine;
mod nested;
mod retry;
mod states;
mod template;

use serde_json::{json, Value};

use super::{parse_value, Diagnostic, StateMachine};

/// Parses a definition that must be valid.
#[track_caller]
fn ok(v: Value) -> StateMachine {
    match parse_value(&v) {
        Ok(m) => m,
        Err(e) => panic!("expected a valid definition, got {:#?}", e.diagnostics),
    }
}

/// The diagnostics of a definition that must be invalid.
#[track_caller]
fn diags(v: Value) -> Vec<Diagnostic> {
    match parse_value(&v) {
        Ok(_) => panic!("expected an invalid definition: {v:#}"),
        Err(e) => e.diagnostics,
    }
}

/// Asserts `v` is rejected with a diagnostic at `path` whose message contains `needle`.
#[track_caller]
fn rejects(v: Value, path: &str, needle: &str) {
    let d = diags(v);
    assert!(
        d.iter()
            .any(|d| d.path == path && d.message.contains(needle)),
        "expected a diagnostic at {path:?} containing {needle:?}, got {d:#?}"
    );
}

/// A machine whose single state `S` is `state`.
fn one(state: Value) -> Value {
    json!({"StartAt": "S", "States": {"S": state}})
}

/// A machine whose state `S` is `state`, followed by a terminal `Done` state.
fn then_done(state: Value) -> Value {
    json!({"StartAt": "S", "States": {"S": state, "Done": {"Type": "Succeed"}}})
}
