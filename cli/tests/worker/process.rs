//! `stepwise worker` as a child process: started with the environment the Lambda functions
//! read, its `/healthz` and `/metrics` read over raw HTTP, stopped with SIGTERM.

use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// A running `stepwise worker`; killed when dropped.
pub struct WorkerProcess {
    child: Child,
    address: String,
    log: PathBuf,
}

impl WorkerProcess {
    /// Starts the binary with `env` on top of the test's own (the emulator's endpoint and
    /// credentials) and waits for the line that names its HTTP address.
    pub fn start(label: &str, env: &[(&str, String)], args: &[&str]) -> anyhow::Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let log = std::env::temp_dir().join(format!(
            "stepwise-worker-{label}-{}-{}.log",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let output = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let mut command = Command::new(env!("CARGO_BIN_EXE_stepwise"));
        command
            .args([
                "worker",
                "--listen",
                "127.0.0.1:0",
                "--wait-time-seconds",
                "1",
            ])
            .args(args)
            .env_remove("STEPWISE_START_QUEUE_URL")
            .env_remove("STEPWISE_COMPLETE_QUEUE_URL")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(output);
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command.spawn().context("spawning stepwise worker")?;
        let mut worker = Self {
            child,
            address: String::new(),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = worker.log_text();
            if let Some(rest) = text.split("health and metrics on http://").nth(1) {
                worker.address = rest.lines().next().unwrap_or_default().trim().to_owned();
                return Ok(worker);
            }
            if let Some(status) = worker.child.try_wait()? {
                bail!("stepwise worker exited with {status} before listening:\n{text}");
            }
            if Instant::now() > deadline {
                bail!("stepwise worker did not listen within 30 s:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `GET path`: the status code and body.
    pub fn get(&self, path: &str) -> anyhow::Result<(u16, String)> {
        let mut stream = TcpStream::connect(&self.address)
            .with_context(|| format!("connecting to {}", self.address))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.address
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .with_context(|| format!("no status in {response:?}"))?;
        let body = response
            .split_once("\r\n\r\n")
            .map_or("", |(_, body)| body)
            .to_owned();
        Ok((status, body))
    }

    /// The scraped value of one sample, `name{labels}` as the exposition writes it; 0 when
    /// the sample is absent (a labelled counter appears at its first increment).
    pub fn metric(&self, sample: &str) -> anyhow::Result<f64> {
        let (status, body) = self.get("/metrics")?;
        if status != 200 {
            bail!("/metrics answered {status}: {body}");
        }
        Ok(sample_value(&body, sample))
    }

    /// SIGTERM; the exit status, which must come within `within`.
    pub fn terminate(&mut self, within: Duration) -> anyhow::Result<ExitStatus> {
        self.signal_term()?;
        self.wait(within)
    }

    pub fn signal_term(&self) -> anyhow::Result<()> {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status()?;
        if !sent.success() {
            bail!("kill -TERM {pid} failed");
        }
        Ok(())
    }

    pub fn wait(&mut self, within: Duration) -> anyhow::Result<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() > deadline {
                bail!("no exit within {within:?} of SIGTERM:\n{}", self.log_text());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// The value of `sample` in a Prometheus text exposition; 0 when absent.
pub fn sample_value(text: &str, sample: &str) -> f64 {
    text.lines()
        .filter_map(|line| line.strip_prefix(sample)?.strip_prefix(' '))
        .filter_map(|value| value.trim().parse().ok())
        .next()
        .unwrap_or(0.0)
}
