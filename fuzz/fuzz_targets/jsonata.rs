//! JSONata: parse an expression, then evaluate it with `$states` bound as a state sees it.
#![no_main]

use std::borrow::Cow;

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use stepwise_core::entropy::SplitMix64;
use stepwise_core::jsonata::{Expression, Host};
use stepwise_fuzz::{context_object, split};

/// `$states` as the interpreter binds it, plus one workflow variable.
struct States(Value);

impl Host for States {
    fn variable(&self, name: &str) -> Option<Cow<'_, Value>> {
        match name {
            "states" => Some(Cow::Borrowed(&self.0)),
            "count" => Some(Cow::Owned(json!(3))),
            _ => None,
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((source, document)) = split(data) else {
        return;
    };
    let Ok(expression) = Expression::parse(source) else {
        return;
    };
    let _ = expression.reads_states_member("input");
    let host = States(json!({
        "input": document,
        "context": context_object(),
        "result": {"ok": true},
        "errorOutput": {"Error": "States.TaskFailed", "Cause": "boom"}
    }));
    // An evaluation error (T2001, D3030, …) is a workflow error and fine; a panic or a
    // runaway evaluation (reported by libFuzzer's -timeout) is not.
    let _ = expression.evaluate(&host, 1_700_000_000_000, &mut SplitMix64::new(7));
});
