//! The recorded-case comparison, generic over the backend: a durable engine must end
//! every recorded AWS case exactly as the in-memory interpreter does (same status, same
//! output, same error and cause). The engine's tests run it over `MemoryStore`;
//! `stepwise-local` includes this file and runs it over SQLite.

#[path = "../../../core/tests/support/mod.rs"]
mod core_support;

use std::future::Future;

use serde_json::Value;
use stepwise_core::interp::Status;
use stepwise_engine::{ExecutionRecord, ExecutionStatus};

/// The instant each case starts at.
pub const START: i64 = core_support::START;

fn uses_randomness(case: &Value) -> bool {
    case["features"].as_array().is_some_and(|features| {
        features.iter().any(|f| {
            let f = f.as_str().unwrap_or_default();
            f.contains("UUID") || f.contains("MathRandom") || f.contains("Jitter")
        })
    })
}

/// Runs every deterministic case through `run(definition, input)`, which must start an
/// execution at [`START`] on a fresh backend, drive it to its end and return its header;
/// fails with every case whose end differs from the interpreter's.
pub async fn compare_with_interpreter<F, Fut>(backend: &str, mut run: F)
where
    F: FnMut(String, Value) -> Fut,
    Fut: Future<Output = ExecutionRecord>,
{
    let Some(cases) = core_support::load_cases() else {
        eprintln!(
            "conformance cases not found at {}: skipped",
            core_support::cases_dir().display()
        );
        return;
    };
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for case in &cases {
        let text = case["definition"].to_string();
        let Ok(definition) = stepwise_core::definition::parse(&text) else {
            continue;
        };
        if uses_randomness(case) {
            continue;
        }
        let input = case["input"].clone();
        let expected = core_support::run_in_memory(&definition, input.clone());
        let record = run(text, input).await;
        let same = match (&expected, record.status) {
            (Status::Succeeded(output), ExecutionStatus::Succeeded) => {
                record.output.as_ref() == Some(output)
            }
            (Status::Failed(failure), ExecutionStatus::Failed)
            | (Status::TimedOut(failure), ExecutionStatus::TimedOut) => {
                record.failure.as_ref() == Some(failure)
            }
            _ => false,
        };
        compared += 1;
        if !same {
            mismatches.push(format!(
                "{}: interpreter {:?}\n    engine {:?} {:?} {:?}",
                case["id"], expected, record.status, record.output, record.failure
            ));
        }
    }
    eprintln!(
        "engine on {backend} vs interpreter: {compared} cases compared, {} differ",
        mismatches.len()
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(compared > 250, "only {compared} cases compared");
}
