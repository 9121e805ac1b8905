//! Every definition in the recorded AWS conformance cases was accepted by AWS: the parser
//! must accept all of them (except JSONata / variables, which it rejects cleanly).

use std::path::PathBuf;

use serde_json::Value;

use crate::definition::parse_value;

fn cases_dir() -> PathBuf {
    match std::env::var_os("STEPWISE_CONFORMANCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/cases"),
    }
}

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
    let dir = cases_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("note: no conformance cases at {}; skipped", dir.display());
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let (mut accepted, mut rejected) = (0, 0);
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let case: Value = serde_json::from_str(&text).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let result = parse_value(&case["definition"]);
        if uses_unsupported_feature(&case) {
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
