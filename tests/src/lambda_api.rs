//! A local Lambda Invoke API serving real function binaries: `cargo lambda watch` over the
//! workspace's `stepwise-test-lambdas` crate (`echo`, `fail`, `sleep`), started by a test
//! and stopped when the [`LambdaApi`] guard drops.
//!
//! Functions are reached as `http://127.0.0.1:<port>/2015-03-31/functions/<bin>/invocations`,
//! so a Lambda SDK client pointed at [`LambdaApi::endpoint`] invokes them by name. Each
//! binary is compiled on its first invocation, so that one call can take a while.
//!
//! Without `cargo lambda` on the machine, [`LambdaApi::start`] prints
//! "skipped: cargo lambda not installed" and returns `None` (the test passes), unless
//! `STEPWISE_REQUIRE_EMULATOR` is set, when it is an error.

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// The variable that turns a missing emulator into a failure instead of a skip.
pub const REQUIRE_VAR: &str = "STEPWISE_REQUIRE_EMULATOR";

/// How long the API may take to listen (cargo checks the workspace first).
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// A running `cargo lambda watch`; dropping it stops the server and its functions.
#[derive(Debug)]
pub struct LambdaApi {
    child: Child,
    endpoint: String,
    log: PathBuf,
}

impl LambdaApi {
    /// Starts the API on a free loopback port and waits until it listens.
    pub async fn start() -> anyhow::Result<Option<Self>> {
        let installed = Command::new("cargo")
            .args(["lambda", "--version"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            if std::env::var(REQUIRE_VAR).is_ok_and(|v| !v.is_empty()) {
                bail!("cargo lambda is not installed (pip install cargo-lambda) and {REQUIRE_VAR} is set");
            }
            println!("skipped: cargo lambda not installed");
            return Ok(None);
        }
        let port = free_port()?;
        let log = std::env::temp_dir().join(format!("stepwise-lambda-api-{port}.log"));
        let output = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let mut command = Command::new("cargo");
        command
            .args(["lambda", "watch", "--ignore-changes", "-q"])
            .args(["-A", "127.0.0.1", "-P", &port.to_string()])
            .args(["-p", "stepwise-test-lambdas"])
            .args(["--env-var", "AWS_REGION=us-east-1"])
            .current_dir(workspace_root())
            .stdin(Stdio::null())
            .stdout(output.try_clone()?)
            .stderr(output);
        // Its own process group, so dropping the guard also stops a `cargo build` it is
        // running; the function processes it starts, it stops itself on SIGTERM.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().context("starting cargo lambda watch")?;
        let api = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            log,
        };
        api.wait_listening(port).await?;
        Ok(Some(api))
    }

    /// `http://127.0.0.1:<port>`, for a Lambda client's endpoint.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Where the server's output goes (to read when a test fails).
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// SDK configuration for this API: region `us-east-1`, test credentials (the local API
    /// checks none), endpoint this API.
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(aws_sdk_lambda::config::Credentials::new(
                "test", "test", None, None, "tests",
            ))
            .endpoint_url(&self.endpoint)
            .load()
            .await
    }

    async fn wait_listening(&self, port: u16) -> anyhow::Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        bail!(
            "cargo lambda watch did not listen on port {port} within {START_TIMEOUT:?}; see {}",
            self.log.display()
        )
    }
}

/// How long `cargo lambda` gets to stop its functions before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);

impl Drop for LambdaApi {
    fn drop(&mut self) {
        // SIGTERM first: killed outright, `cargo lambda` would leave its function
        // processes running. The group's id is the child's pid (process_group(0)).
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-TERM", "--", &group])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}
