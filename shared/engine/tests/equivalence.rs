//! The durable engine must end every recorded AWS case exactly as the in-memory
//! interpreter does: same status, same output, same error and cause. Frames, joins and
//! messages are the engine's own; this catches any drift between the two drivers.

#[path = "../../core/tests/support/mod.rs"]
mod core_support;
mod support;

use serde_json::Value;
use stepwise_core::interp::Status;
use stepwise_engine::{ExecutionStatus, StartRequest};

fn uses_randomness(case: &Value) -> bool {
    case["features"].as_array().is_some_and(|features| {
        features.iter().any(|f| {
            let f = f.as_str().unwrap_or_default();
            f.contains("UUID") || f.contains("MathRandom") || f.contains("Jitter")
        })
    })
}

#[tokio::test]
async fn engine_matches_the_in_memory_interpreter_on_recorded_cases() {
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
        let engine = support::engine_at(core_support::START);
        let started = engine
            .start(StartRequest::new("conformance", &text, input).named("case"))
            .await
            .expect("start");
        support::drain(&engine).await;
        let record = engine
            .describe(&started.execution_arn)
            .await
            .expect("describe");
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
        "engine vs interpreter: {compared} cases compared, {} differ",
        mismatches.len()
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(compared > 250, "only {compared} cases compared");
}
