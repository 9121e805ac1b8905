//! `{"command": [PROGRAM, ARG…]}` targets: one process per invocation.
//!
//! The task's input is written to the program's stdin as JSON (then stdin is closed); the
//! program is not run through a shell, and inherits the environment and working
//! directory of `stepwise`.
//!
//! - Exit status 0: stdout is the result (JSON; empty is `null`).
//! - Another status, with a Lambda error document on stdout
//!   (`{"errorType": "…", "errorMessage": "…"}`): the task fails with `errorType` as the
//!   error and that document as the cause, so `Retry` and `Catch` match the program's own
//!   error names.
//! - Another status without one, or death by a signal: `States.TaskFailed`, the cause
//!   naming the status and ending with the last 4 KiB of stderr.
//!
//! When the state's `TimeoutSeconds` runs out the process is killed.

use std::process::Stdio;

use serde_json::Value;
use stepwise_core::failure::{names, Failure};
use tokio::io::AsyncWriteExt;

use crate::answer;

/// How much of stderr a failure's cause keeps.
const STDERR_LIMIT: usize = 4096;

pub async fn run(state: &str, argv: &[String], input: &Value) -> Result<Value, Failure> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| Failure::runtime("empty command"))?;
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A timed-out invocation drops this future; the process must not outlive it.
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Failure::new(names::TASK_FAILED, format!("cannot run '{program}': {e}")))?;
    let body = serde_json::to_vec(input).unwrap_or_default();
    if let Some(mut stdin) = child.stdin.take() {
        // Written beside the reads, so a program that answers before reading all of a
        // large input does not deadlock; a program that ignores stdin is no error.
        tokio::spawn(async move {
            let _ = stdin.write_all(&body).await;
        });
    }
    let output = child
        .wait_with_output()
        .await
        .map_err(|e| Failure::new(names::TASK_FAILED, format!("'{program}' failed: {e}")))?;
    if output.status.success() {
        return answer::result(state, &output.stdout, &format!("the output of '{program}'"));
    }
    // `echo`'s newline is no part of the document.
    if let Some(failure) = answer::function_error(output.stdout.trim_ascii_end()) {
        return Err(failure);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stderr = answer::tail(stderr.trim_end(), STDERR_LIMIT, true);
    let status = match output.status.code() {
        Some(code) => format!("exited with status {code}"),
        None => "was killed by a signal".to_owned(),
    };
    let cause = if stderr.is_empty() {
        format!("'{program}' {status}")
    } else {
        format!("'{program}' {status}: {stderr}")
    };
    Err(Failure::new(names::TASK_FAILED, cause))
}
