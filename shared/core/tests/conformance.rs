//! Conformance: executions recorded against AWS Step Functions, replayed through the core.
//!
//! Reads the cases from `$STEPWISE_CONFORMANCE_DIR` (default: the team handbook's
//! `conformance/cases` beside the repository), runs each on a virtual clock, compares as
//! the cases' README prescribes, prints a per-category table, and fails when fewer cases
//! pass than `conformance-ratchet.txt` records. Raise the ratchet as the engine improves.

mod support;

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;

use serde_json::Value;
use stepwise_core::interp::Status;

#[derive(Debug, PartialEq)]
enum Verdict {
    Pass,
    /// Status, output and error right; the cause text differs.
    PassCauseDiffers(String),
    Fail(String),
}

fn run_case(case: &Value) -> (String, Option<String>, Option<String>, Option<Value>) {
    let definition = match stepwise_core::definition::parse_value(&case["definition"]) {
        Ok(d) => d,
        Err(invalid) => return ("INVALID".into(), None, Some(invalid.to_string()), None),
    };
    match support::run_in_memory(&definition, case["input"].clone()) {
        Status::Succeeded(output) => ("SUCCEEDED".into(), None, None, Some(output)),
        Status::Failed(f) => ("FAILED".into(), f.error, f.cause, None),
        Status::TimedOut(f) => ("TIMED_OUT".into(), f.error, f.cause, None),
        Status::Running => ("STUCK".into(), None, None, None),
    }
}

fn judge(case: &Value) -> Verdict {
    let expected = &case["expected"];
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| run_case(case)));
    let Ok((status, error, cause, output)) = outcome else {
        return Verdict::Fail("panicked".into());
    };
    let want_status = expected["status"].as_str().unwrap_or("");
    if status != want_status {
        return Verdict::Fail(format!(
            "status {status} (error {error:?}, cause {cause:?}), expected {want_status}"
        ));
    }
    if status == "SUCCEEDED" {
        let mut actual = output.unwrap_or(Value::Null);
        if let Some(pattern) = expected["redaction"]["regex"].as_str() {
            if let Ok(re) = regex::Regex::new(pattern) {
                redact(&mut actual, &re);
            }
        }
        return if json_eq(&actual, &expected["output"]) {
            Verdict::Pass
        } else {
            Verdict::Fail(format!("output {actual}, expected {}", expected["output"]))
        };
    }
    if error.as_deref() != expected["error"].as_str() {
        return Verdict::Fail(format!(
            "error {error:?} (cause {cause:?}), expected {}",
            expected["error"]
        ));
    }
    let cause_ok = match (&cause, &expected["cause"]) {
        _ if expected.get("cause_regex").is_some_and(|r| r.is_string()) => {
            let pattern = format!("^(?:{})$", expected["cause_regex"].as_str().unwrap_or(""));
            regex::Regex::new(&pattern)
                .map(|re| re.is_match(cause.as_deref().unwrap_or("")))
                .unwrap_or(false)
        }
        _ if expected["cause_is_json"] == Value::Bool(true) => {
            let parsed: Option<Value> = cause.as_deref().and_then(|c| serde_json::from_str(c).ok());
            let want: Option<Value> = expected["cause"]
                .as_str()
                .and_then(|c| serde_json::from_str(c).ok());
            parsed.is_some() && parsed == want
        }
        (c, Value::Null) => c.is_none(),
        (Some(c), Value::String(w)) => c == w,
        _ => false,
    };
    if cause_ok {
        Verdict::Pass
    } else {
        Verdict::PassCauseDiffers(format!("cause {cause:?}, expected {}", expected["cause"]))
    }
}

fn redact(value: &mut Value, re: &regex::Regex) {
    match value {
        Value::String(s) if re.is_match(s) => {
            *s = re.replace_all(s, "date").into_owned();
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact(v, re)),
        Value::Object(map) => map.values_mut().for_each(|v| redact(v, re)),
        _ => {}
    }
}

/// JSON equality with numbers by value (`1` equals `1.0`) and object key order ignored.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            _ if x == y => true,
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn ratchet() -> usize {
    let text = include_str!("conformance-ratchet.txt");
    text.lines()
        .find_map(|l| l.trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn recorded_aws_executions() {
    let Some(cases) = support::load_cases() else {
        println!(
            "conformance: skipped, no cases at {}",
            support::cases_dir().display()
        );
        return;
    };
    // category → (cases, passed, cause differs)
    let mut table: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut passed = 0;
    let filter = std::env::var("STEPWISE_CONFORMANCE_FILTER").ok();
    for case in &cases {
        let id = case["id"].as_str().unwrap_or("?").to_owned();
        if filter.as_deref().is_some_and(|f| !id.contains(f)) {
            continue;
        }
        let category = case["category"].as_str().unwrap_or("?").to_owned();
        let row = table.entry(category).or_default();
        row.0 += 1;
        match judge(case) {
            Verdict::Pass => {
                row.1 += 1;
                passed += 1;
            }
            Verdict::PassCauseDiffers(why) => {
                row.1 += 1;
                row.2 += 1;
                passed += 1;
                failures.push(format!("  (cause only) {id}: {why}"));
            }
            Verdict::Fail(why) => failures.push(format!("  FAIL {id}: {why}")),
        }
    }
    println!("\nconformance against {}", support::cases_dir().display());
    println!(
        "{:<22} {:>6} {:>7} {:>14}",
        "category", "cases", "passed", "cause differs"
    );
    let total: usize = table.values().map(|r| r.0).sum();
    for (category, (cases, ok, cause)) in &table {
        println!("{category:<22} {cases:>6} {ok:>7} {cause:>14}");
    }
    println!("{:<22} {total:>6} {passed:>7}", "total");
    for line in &failures {
        println!("{}", truncate(line, 400));
    }
    if filter.is_none() {
        let floor = ratchet();
        assert!(
            passed >= floor,
            "conformance regressed: {passed} cases pass, the ratchet requires {floor}"
        );
        println!("ratchet: {passed} pass, floor {floor}");
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
