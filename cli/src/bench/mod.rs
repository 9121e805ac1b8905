//! `stepwise bench`: the benchmarks side by side, in one run, as tables.
//!
//! Each section is a function from [`Options`] to a [`Section`] (a table of rows, each with
//! its figures and its ratio against the section's named baseline, and the charts it adds
//! to the plot). The command runs the sections asked for, prints each table, and writes
//! them all with `--json` and their charts with `--plot`.

mod compare;
mod embedded;
mod interpreter;
mod peer;
mod plot;
mod report;
mod scaling;
mod stepwise;
mod workloads;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;

use crate::args::BenchArgs;
pub use report::Section;

/// What every section is given.
#[derive(Debug)]
pub struct Options {
    /// A short smoke run: small sizes, one sample. Its figures check the harness only.
    quick: bool,
    /// The peer, or why it cannot run (the tables then say so in its column).
    peer: Result<peer::Peer, peer::Missing>,
}

impl Options {
    fn sampling(&self) -> stepwise::Sampling {
        if self.quick {
            stepwise::Sampling {
                samples: 1,
                min_sample: Duration::ZERO,
            }
        } else {
            stepwise::Sampling {
                samples: 7,
                min_sample: Duration::from_millis(200),
            }
        }
    }

    fn peer_repeat(&self) -> usize {
        if self.quick {
            1
        } else {
            5
        }
    }
}

type SectionFn = fn(&Options) -> anyhow::Result<Section>;

/// The sections, in the order they run and print.
pub const SECTIONS: [(&str, SectionFn); 4] = [
    ("interpreter", interpreter::section),
    ("scaling", scaling::section),
    ("embedded", embedded::section),
    ("long-run", embedded::long_run),
];

#[derive(Debug, Serialize)]
struct Report<'a> {
    quick: bool,
    sections: &'a [Section],
}

pub fn bench(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let peer_dir = args.peer.unwrap_or_else(peer::default_dir);
    let options = Options {
        quick: args.quick,
        peer: peer::Peer::find(&peer_dir),
    };
    let mut sections = Vec::new();
    for (key, run) in SECTIONS {
        if args.section.as_deref().is_some_and(|s| s != key) {
            continue;
        }
        let section = run(&options).with_context(|| format!("section {key}"))?;
        println!("{}", report::table(&section));
        sections.push(section);
    }
    if let Some(path) = args.json {
        let report = Report {
            quick: args.quick,
            sections: &sections,
        };
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(&path, text + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = args.plot {
        let charts: Vec<&plot::Chart> = sections.iter().flat_map(|s| &s.charts).collect();
        let svg = plot::svg(
            "stepwise bench: throughput against workload size (log-log)",
            &charts,
        );
        std::fs::write(&path, svg).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The names `--section` accepts.
pub fn section_names() -> [&'static str; SECTIONS.len()] {
    SECTIONS.map(|(key, _)| key)
}
