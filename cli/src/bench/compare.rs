//! One workload at one size, side by side: timed in stepwise-core, then in the peer, and
//! checked to agree (the same output, the same number of states entered) before the two
//! rates are compared.

use serde_json::Value;

use super::peer::{Missing, PeerRun};
use super::stepwise::{self, Measured};
use super::workloads::Workload;
use super::Options;

#[derive(Debug)]
pub struct Comparison {
    pub ours: Measured,
    pub peer: Result<PeerRun, Missing>,
}

impl Comparison {
    /// The peer's median transitions/s, counted as stepwise counts them; or why there is
    /// none (not installed, cannot run the workload, or entered a different number of
    /// states). A different output does not hide the rate: [`Comparison::differences`]
    /// says where, and the table's notes print it.
    pub fn peer_rate(&self) -> Result<f64, Missing> {
        let peer = self.peer.as_ref().map_err(Clone::clone)?;
        if peer.states_entered != self.ours.transitions {
            return Err(format!("{} states entered", peer.states_entered));
        }
        Ok(peer.median_rate(self.ours.transitions))
    }

    /// Where the peer's output differs from stepwise's, as `$.path: ours vs peer's`.
    pub fn differences(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Ok(peer) = &self.peer {
            diff("$", &self.ours.output, &peer.output, &mut out);
        }
        out
    }

    /// stepwise's median over the peer's: how many times faster.
    pub fn ratio(&self) -> Option<f64> {
        self.peer_rate().ok().map(|peer| self.ours.median() / peer)
    }
}

/// Runs `workload` at `size` in both; the peer only when `with_peer`, as it takes
/// seconds where stepwise takes milliseconds.
pub fn compare(
    workload: &Workload,
    size: u64,
    options: &Options,
    with_peer: bool,
) -> anyhow::Result<Comparison> {
    let definition = stepwise_core::definition::parse(workload.definition)
        .map_err(|e| anyhow::anyhow!("{}: {e:?}", workload.key))?;
    let input: Value = workload.input(size)?;
    let ours = stepwise::measure(&definition, &input, options.sampling())?;
    let peer = match (&options.peer, with_peer) {
        (Ok(peer), true) => peer.run(workload.definition, &input, options.peer_repeat()),
        (Ok(_), false) => Err("not run at this size".to_owned()),
        (Err(missing), _) => Err(missing.clone()),
    };
    Ok(Comparison { ours, peer })
}

/// Collects the paths where `ours` and `theirs` differ, down to the first differing leaf.
fn diff(path: &str, ours: &Value, theirs: &Value, out: &mut Vec<String>) {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) if a.len() == b.len() => {
            for (key, value) in a {
                match b.get(key) {
                    Some(other) => diff(&format!("{path}.{key}"), value, other, out),
                    None => out.push(format!("{path}.{key}: missing from the peer's")),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (value, other)) in a.iter().zip(b).enumerate() {
                diff(&format!("{path}[{i}]"), value, other, out);
            }
        }
        _ if ours == theirs => {}
        _ => out.push(format!("{path}: stepwise {ours}, peer {theirs}")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::diff;

    #[test]
    fn diff_names_the_differing_leaves() {
        let mut out = Vec::new();
        diff(
            "$",
            &json!({"a": [1, {"b": "x"}], "c": 1, "d": [1]}),
            &json!({"a": [1, {"b": "y"}], "c": 1, "d": [1, 2]}),
            &mut out,
        );
        assert_eq!(
            out,
            [
                r#"$.a[1].b: stepwise "x", peer "y""#,
                "$.d: stepwise [1], peer [1,2]"
            ]
        );
    }
}
