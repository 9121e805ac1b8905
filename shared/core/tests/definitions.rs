//! Every definition in the recorded AWS conformance cases was accepted by AWS: the parser
//! must accept all of them, except JSONata / variables ones, which it rejects cleanly.

mod support;

use serde_json::Value;
use stepwise_core::definition::parse_value;

fn uses_unsupported_feature(case: &Value) -> bool {
    let category = case["category"].as_str().unwrap_or("");
    let features = case["features"].as_array().cloned().unwrap_or_default();
    matches!(category, "jsonata" | "variables")
        || features
            .iter()
            .any(|f| matches!(f.as_str(), Some("jsonata" | "variables")))
}

#[test]
fn aws_accepted_definitions_parse() {
    let Some(cases) = support::load_cases() else {
        println!(
            "note: no conformance cases at {}; skipped",
            support::cases_dir().display()
        );
        return;
    };
    let (mut accepted, mut rejected) = (0, 0);
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["id"].as_str().unwrap_or("?");
        let result = parse_value(&case["definition"]);
        if uses_unsupported_feature(case) {
            match result {
                Err(e) => {
                    assert!(!e.diagnostics.is_empty());
                    rejected += 1;
                }
                Ok(_) => failures.push(format!("{name}: JSONata/variables case was accepted")),
            }
        } else {
            match result {
                Ok(_) => accepted += 1,
                Err(e) => failures.push(format!("{name}: {:?}", e.diagnostics)),
            }
        }
    }
    println!("conformance: {accepted} accepted, {rejected} rejected as unsupported");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
