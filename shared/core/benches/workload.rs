//! Runs one of `bench/workloads/*` a given number of times and prints its transitions:
//! a driver for instruction counts, which (unlike wall-clock time) stay repeatable on a
//! loaded machine.
//!
//! ```sh
//! cargo bench -p stepwise-core --bench workload --no-run   # prints the binary's path
//! valgrind --tool=callgrind BINARY intrinsics 1
//! valgrind --tool=callgrind BINARY intrinsics 3
//! ```
//!
//! The difference between the two counts divided by two runs' transitions is the cost of
//! a transition with parsing and start-up taken out.

use serde_json::Value;
use stepwise_core::definition::parse;
use stepwise_core::entropy::SplitMix64;
use stepwise_core::interp::{Execution, ExecutionInfo, Status};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(name) = args.first().filter(|a| !a.starts_with('-')) else {
        eprintln!("usage: workload NAME [RUNS]   (NAME: loop, map or intrinsics)");
        return;
    };
    let runs: u32 = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(1);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/workloads");
    let read = |suffix: &str| {
        let path = format!("{dir}/{name}.{suffix}.json");
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    let definition = parse(&read("asl")).expect("the workload parses");
    let input: Value = serde_json::from_str(&read("input")).expect("the input is JSON");
    let mut transitions = 0;
    for _ in 0..runs {
        let info = ExecutionInfo::local("bench", "bench", input.clone(), 0);
        let mut execution = Execution::start(&definition, info, false);
        let mut entropy = SplitMix64::new(1);
        while execution.is_running() {
            execution.run(0, &mut entropy).expect("the workload runs");
        }
        assert!(
            matches!(execution.status(), Status::Succeeded(_)),
            "{:?}",
            execution.status()
        );
        transitions += execution.transitions();
    }
    println!("{name}: {runs} run(s), {transitions} transitions");
}
