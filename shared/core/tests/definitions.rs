//! Every definition in the recorded AWS conformance cases was accepted by AWS: the parser
//! must accept all of them, JSONata and workflow-variable ones included.

mod support;

use stepwise_core::definition::parse_value;

#[test]
fn aws_accepted_definitions_parse() {
    let Some(cases) = support::load_cases() else {
        println!(
            "note: no conformance cases at {}; skipped",
            support::cases_dir().display()
        );
        return;
    };
    let mut accepted = 0;
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["id"].as_str().unwrap_or("?");
        match parse_value(&case["definition"]) {
            Ok(_) => accepted += 1,
            Err(e) => failures.push(format!("{name}: {:?}", e.diagnostics)),
        }
    }
    println!("conformance: {accepted} accepted");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
