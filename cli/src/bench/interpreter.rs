//! Interpreter vs. peer: the three workloads the benchmarks issue names, at its sizes, in
//! stepwise-core and in aws-local-stepfunctions, in the same run.

use super::compare::compare;
use super::report::{Figure, Row, Section};
use super::workloads::ALL;
use super::Options;

/// The project's target for the interpreter, on one core.
const TARGET_TPS: f64 = 1_000_000.0;

pub fn section(options: &Options) -> anyhow::Result<Section> {
    let mut rows = Vec::new();
    let mut peer_version = None;
    let sampling = options.sampling();
    let mut notes = vec![format!(
        "Transitions are states entered, counted by stepwise; the peer's run is checked to \
         enter as many states and to end with the same output. Medians: stepwise of {} \
         sample(s) of at least {} ms, the peer of {} run(s) after a warm-up run.",
        sampling.samples,
        sampling.min_sample.as_millis(),
        options.peer_repeat()
    )];
    for workload in ALL {
        // --quick runs a tenth of each workload: it checks the harness, not the figures.
        let size = if options.quick {
            workload.size / 10
        } else {
            workload.size
        };
        eprintln!("bench: interpreter: {} ...", workload.key);
        let comparison = compare(&workload, size, options, true)?;
        if let Ok(run) = &comparison.peer {
            peer_version = Some(run.version.clone());
        }
        let differences = comparison.differences();
        if let Some(first) = differences.first() {
            notes.push(format!(
                "{}: the peer's output differs at {} place(s), first at {first}.",
                workload.key,
                differences.len()
            ));
        }
        let ours = comparison.ours.median();
        let name = if options.quick {
            format!("{} (quick: {size})", workload.key)
        } else {
            workload.name.to_owned()
        };
        rows.push(Row {
            workload: name,
            figures: vec![
                Figure::Count(comparison.ours.transitions),
                Figure::Rate(ours),
                match comparison.peer_rate() {
                    Ok(rate) => Figure::Rate(rate),
                    Err(missing) => Figure::Missing(missing),
                },
                Figure::Ratio(ours / TARGET_TPS),
            ],
            ratio: comparison.ratio(),
        });
    }
    let peer = match (&options.peer, peer_version) {
        (_, Some(version)) => format!("aws-local-stepfunctions {version} (Node {})", node()),
        (Err(missing), None) => format!("aws-local-stepfunctions: {missing}"),
        (Ok(_), None) => "aws-local-stepfunctions".to_owned(),
    };
    Ok(Section {
        key: "interpreter",
        title: "Interpreter vs. peer (one core, history off)".to_owned(),
        baseline: format!("{peer}, same definition and input files, same run"),
        columns: vec![
            "transitions".to_owned(),
            "stepwise tr/s".to_owned(),
            "peer tr/s".to_owned(),
            "vs 1 M tr/s target".to_owned(),
        ],
        rows,
        notes,
        charts: vec![],
    })
}

/// `v20.20.2`, for the baseline's name; the peer's speed depends on it.
fn node() -> String {
    std::process::Command::new("node")
        .arg("--version")
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_default()
}
