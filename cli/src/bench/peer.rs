//! The peer: aws-local-stepfunctions (npm), run by bench/peer/run.mjs under Node on the
//! same definition and input files. Installed by `npm ci` in bench/peer (scripts/bench
//! does it); when it is missing the tables say so instead of failing the bench.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
pub struct PeerRun {
    pub version: String,
    /// One figure per timed run (the warm-up run is not among them).
    pub seconds: Vec<f64>,
    pub states_entered: u64,
    pub output: Value,
}

impl PeerRun {
    /// The median run's transitions per second, counting `transitions` per run.
    pub fn median_rate(&self, transitions: u64) -> f64 {
        let mut rates: Vec<f64> = self
            .seconds
            .iter()
            .map(|s| transitions as f64 / s)
            .collect();
        rates.sort_by(f64::total_cmp);
        super::stepwise::median(&rates)
    }
}

/// Where the peer is installed: `--peer DIR`, else the checkout this binary was built in.
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/peer")
}

/// Why the peer did not run, as a table cell says it.
pub type Missing = String;

#[derive(Debug)]
pub struct Peer {
    dir: PathBuf,
    scratch: PathBuf,
}

impl Peer {
    /// The peer in `dir`, or why it cannot run there.
    pub fn find(dir: &Path) -> Result<Peer, Missing> {
        if !dir.join("node_modules/aws-local-stepfunctions").is_dir() {
            return Err("not installed (npm ci in bench/peer)".to_owned());
        }
        match Command::new("node").arg("--version").output() {
            Ok(out) if out.status.success() => {}
            _ => return Err("no node on PATH".to_owned()),
        }
        let scratch = std::env::temp_dir().join(format!("stepwise-bench-{}", std::process::id()));
        std::fs::create_dir_all(&scratch).map_err(|e| format!("temp dir: {e}"))?;
        Ok(Peer {
            dir: dir.to_owned(),
            scratch,
        })
    }

    /// Runs `definition` on `input` once to warm up and count, then `repeat` timed runs.
    pub fn run(&self, definition: &str, input: &Value, repeat: usize) -> Result<PeerRun, Missing> {
        let definition_path = self.scratch.join("definition.json");
        let input_path = self.scratch.join("input.json");
        std::fs::write(&definition_path, definition).map_err(|e| format!("write: {e}"))?;
        std::fs::write(&input_path, input.to_string()).map_err(|e| format!("write: {e}"))?;
        let out = Command::new("node")
            .arg(self.dir.join("run.mjs"))
            .arg(&definition_path)
            .arg(&input_path)
            .args(["--repeat", &repeat.to_string()])
            .output()
            .map_err(|e| format!("node: {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let last = stdout.lines().last().unwrap_or_default();
        if let Ok(Value::Object(answer)) = serde_json::from_str::<Value>(last) {
            if let Some(error) = answer.get("error").and_then(Value::as_str) {
                return Err(format!("peer cannot run it: {error}"));
            }
        }
        serde_json::from_str(last).map_err(|_| {
            let stderr = String::from_utf8_lossy(&out.stderr);
            format!(
                "peer failed: {}",
                stderr.lines().last().unwrap_or("no output")
            )
        })
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}
