//! The workloads both interpreters run: the definitions are bench/workloads/*.json, the
//! same files the peer script reads, compiled in so `stepwise bench` runs from anywhere.

use serde_json::{json, Value};

#[derive(Debug, Clone, Copy)]
pub struct Workload {
    pub key: &'static str,
    /// How the table names it, at its canonical size.
    pub name: &'static str,
    /// The chart's title: the workload at any size.
    pub family: &'static str,
    /// What `size` counts in [`Workload::input`], for the plot's x axis.
    pub size_unit: &'static str,
    /// The largest size the scaling section runs.
    pub largest: u64,
    /// The size the issue names (10,000 transitions; 1,000 items).
    pub size: u64,
    pub definition: &'static str,
    /// The committed input at `size`: [`Workload::input`] changes only its size field.
    canonical_input: &'static str,
}

pub const LOOP: Workload = Workload {
    key: "loop",
    name: "Pass/Choice loop, 10,000 transitions (4,999 turns)",
    family: "Pass/Choice counting loop",
    size_unit: "loop turns",
    largest: 100_000,
    size: 4_999,
    definition: include_str!("../../../bench/workloads/loop.asl.json"),
    canonical_input: include_str!("../../../bench/workloads/loop.input.json"),
};

pub const MAP: Workload = Workload {
    key: "map",
    name: "inline Map over 1,000 items (Choice, Pass, Pass each)",
    family: "Inline Map (Choice, Pass, Pass per item)",
    size_unit: "Map items",
    // 100,000 items make an input past Step Functions' 256 KiB payload limit, which
    // stepwise enforces as AWS does: bigger fan-outs are a Distributed Map's.
    largest: 10_000,
    size: 1_000,
    definition: include_str!("../../../bench/workloads/map.asl.json"),
    canonical_input: include_str!("../../../bench/workloads/map.input.json"),
};

pub const INTRINSICS: Workload = Workload {
    key: "intrinsics",
    name: "intrinsic-heavy Parameters chain, 12 intrinsics a turn, 10,001 transitions",
    family: "Intrinsic-heavy Parameters chain",
    size_unit: "chain turns",
    largest: 100_000,
    size: 2_000,
    definition: include_str!("../../../bench/workloads/intrinsics.asl.json"),
    canonical_input: include_str!("../../../bench/workloads/intrinsics.input.json"),
};

pub const ALL: [Workload; 3] = [LOOP, MAP, INTRINSICS];

impl Workload {
    /// The input that runs the workload at `size`: loop and chain turns (`n`), or Map
    /// items (`items`, the numbers 1 to `size`).
    pub fn input(&self, size: u64) -> anyhow::Result<Value> {
        let mut input: Value = serde_json::from_str(self.canonical_input)?;
        if let Some(items) = input.get_mut("items") {
            *items = json!((1..=size).collect::<Vec<u64>>());
        } else if let Some(n) = input.get_mut("n") {
            *n = json!(size);
        } else {
            anyhow::bail!("{} has no size field in its input", self.key);
        }
        Ok(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_inputs_are_the_canonical_sizes() {
        for workload in ALL {
            let committed: Value =
                serde_json::from_str(workload.canonical_input).expect("input is JSON");
            assert_eq!(
                workload.input(workload.size).expect("input"),
                committed,
                "{}",
                workload.key
            );
        }
    }

    #[test]
    fn every_definition_parses() {
        for workload in ALL {
            stepwise_core::definition::parse(workload.definition)
                .unwrap_or_else(|e| panic!("{}: {e:?}", workload.key));
        }
    }
}
