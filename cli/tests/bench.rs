//! `stepwise bench --quick`: the tables' shape, the JSON report and the plot. The figures
//! are only checked to be measured (positive); speed is the bench's business, not a test's.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn stepwise(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_stepwise"))
        .args(args)
        .output()
        .expect("the stepwise binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stepwise-bench-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

/// The table lines (`| ... |`) of stdout, each split into its trimmed cells.
fn table_rows(stdout: &str) -> Vec<Vec<String>> {
    stdout
        .lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|-"))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

/// A peer cell holds a rate, or says why there is none: the peer is optional here (CI's
/// fresh clone has not run `npm ci`), but a peer that ran must agree with stepwise.
fn assert_peer_cell(cell: &Value) {
    match cell {
        Value::Number(n) => assert!(n.as_f64().is_some_and(|r| r > 0.0), "{cell}"),
        Value::String(why) => assert!(
            why.starts_with("not installed") || why == "no node on PATH",
            "the peer ran but: {why}"
        ),
        other => panic!("peer cell {other}"),
    }
}

#[test]
fn quick_run_prints_both_tables_and_writes_json_and_plot() {
    let json = scratch("report.json");
    let svg = scratch("plot.svg");
    let out = stepwise(&[
        "bench",
        "--quick",
        "--json",
        json.to_str().expect("utf-8 path"),
        "--plot",
        svg.to_str().expect("utf-8 path"),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("## Interpreter vs. peer"), "{stdout}");
    assert!(stdout.contains("## Interpreter throughput against workload size"));
    let rows = table_rows(&stdout);
    let headers: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "workload").collect();
    assert_eq!(headers.len(), 4, "{stdout}");
    assert_eq!(
        headers[0],
        &[
            "workload",
            "transitions",
            "stepwise tr/s",
            "peer tr/s",
            "vs 1 M tr/s target",
            "vs baseline"
        ]
    );
    assert_eq!(
        headers[2],
        &["workload", "transitions", "tr/s", "vs baseline"],
        "{stdout}"
    );
    assert_eq!(headers[3].len(), 7, "{stdout}");

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json written"))
            .expect("the report is JSON");
    assert_eq!(report["quick"], true);
    let sections = report["sections"].as_array().expect("sections");
    let keys: Vec<&str> = sections.iter().filter_map(|s| s["key"].as_str()).collect();
    assert_eq!(keys, ["interpreter", "scaling", "embedded", "long-run"]);

    // Quick sizes: 499 loop turns, 100 Map items, 200 chain turns; transitions are states
    // entered (2n + 2, 3n + 1, 5n + 1).
    let interpreter = &sections[0]["rows"];
    let transitions: Vec<u64> = interpreter
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["figures"][0].as_u64())
        .collect();
    assert_eq!(transitions, [1_000, 301, 1_001]);
    for section in &sections[..2] {
        for row in section["rows"].as_array().expect("rows") {
            let rate = row["figures"][1].as_f64().expect("stepwise tr/s");
            assert!(rate > 0.0, "{row}");
            assert_peer_cell(&row["figures"][2]);
        }
    }

    // Three charts (loop, Map, chain), each with a stepwise series of two sizes.
    let charts = sections[1]["charts"].as_array().expect("charts");
    assert_eq!(charts.len(), 3);
    for chart in charts {
        assert_eq!(
            chart["series"][0]["points"].as_array().map(Vec::len),
            Some(2)
        );
    }
    // The embedded backend: every execution's transitions counted (three per turn plus
    // the end), a rate measured, and the long run's two windows compared.
    for row in sections[2]["rows"].as_array().expect("rows") {
        assert!(row["figures"][0].as_u64().is_some_and(|n| n > 0), "{row}");
        assert!(row["figures"][1].as_f64().is_some_and(|r| r > 0.0), "{row}");
    }
    let long = &sections[3]["rows"][0];
    assert!(
        long["figures"][0].as_u64().is_some_and(|n| n >= 20_000),
        "{long}"
    );
    assert!(long["ratio"].as_f64().is_some_and(|r| r > 0.0), "{long}");

    let svg = std::fs::read_to_string(&svg).expect("plot written");
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(svg.matches("<circle").count() >= 6);
}

#[test]
fn one_section_without_the_peer_says_why_in_its_column() {
    let out = stepwise(&[
        "bench",
        "--quick",
        "--section",
        "interpreter",
        "--peer",
        "/nonexistent/peer",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("against workload size"), "{stdout}");
    let rows = table_rows(&stdout);
    let body: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] != "workload").collect();
    assert_eq!(body.len(), 3, "{stdout}");
    for row in body {
        assert!(row[3].starts_with("not installed"), "{row:?}");
        assert_eq!(row[5], "n/a");
    }
}
