//! Throughput against workload size: each workload from ten turns or items up, in
//! stepwise-core and (up to 10,000) in the peer. Its figures are the plot's series.

use super::compare::compare;
use super::plot::{Chart, Series};
use super::report::{Figure, Row, Section};
use super::workloads::{Workload, ALL};
use super::Options;

/// Each workload's sizes: powers of ten from 10 to its largest (100 in a quick run).
fn sizes(workload: &Workload, quick: bool) -> Vec<u64> {
    let largest = if quick { 100 } else { workload.largest };
    std::iter::successors(Some(10u64), |s| Some(s * 10))
        .take_while(|s| *s <= largest)
        .collect()
}

/// The peer takes seconds at 10,000 turns; past that it would be most of the bench's time.
const PEER_MAX_SIZE: u64 = 10_000;

pub fn section(options: &Options) -> anyhow::Result<Section> {
    let mut rows = Vec::new();
    let mut charts = Vec::new();
    for workload in ALL {
        let mut ours = Series::new("stepwise-core");
        let mut peer = Series::new("aws-local-stepfunctions");
        for size in sizes(&workload, options.quick) {
            eprintln!("bench: scaling: {} at {size} ...", workload.key);
            let comparison = compare(&workload, size, options, size <= PEER_MAX_SIZE)?;
            let transitions = comparison.ours.transitions as f64;
            ours.push(size as f64, comparison.ours.median());
            let peer_rate = comparison.peer_rate();
            if let Ok(rate) = peer_rate {
                peer.push(size as f64, rate);
            }
            rows.push(Row {
                workload: format!(
                    "{}, {} {}",
                    workload.key,
                    thousands(size),
                    workload.size_unit
                ),
                figures: vec![
                    Figure::Count(transitions as u64),
                    Figure::Rate(comparison.ours.median()),
                    match peer_rate {
                        Ok(rate) => Figure::Rate(rate),
                        Err(missing) => Figure::Missing(missing),
                    },
                ],
                ratio: comparison.ratio(),
            });
        }
        charts.push(Chart {
            title: workload.family.to_owned(),
            x_label: workload.size_unit.to_owned(),
            y_label: "transitions/s".to_owned(),
            series: vec![ours, peer],
        });
    }
    Ok(Section {
        key: "scaling",
        title: "Interpreter throughput against workload size".to_owned(),
        baseline: "aws-local-stepfunctions at the same size".to_owned(),
        columns: vec![
            "transitions".to_owned(),
            "stepwise tr/s".to_owned(),
            "peer tr/s".to_owned(),
        ],
        rows,
        notes: vec![format!(
            "The peer runs sizes up to {}; an inline Map stops at 10,000 items: 100,000 \
             make an input past Step Functions' 256 KiB payload limit. Outputs are checked \
             as in the table above.",
            thousands(PEER_MAX_SIZE)
        )],
        charts,
    })
}

fn thousands(n: u64) -> String {
    super::report::thousands(n)
}
