//! `stepwise run`: one execution in this process, on the wall clock.
//!
//! The `--json` output is a stable contract used by outside tooling: the last line of
//! stdout is exactly one JSON object, `{"status":"SUCCEEDED","output":…}` or
//! `{"status":"FAILED","error":…,"cause":…}`; exit 0 for success, 1 for failure, 2 for an
//! invalid definition or usage error.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _};
use serde_json::{json, Value};
use stepwise_core::entropy::SplitMix64;
use stepwise_core::failure::{names, Failure};
use stepwise_core::interp::{Details, Execution, ExecutionInfo, RecordedEvent, Status};

use crate::args::RunArgs;

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let text = crate::args::read_definition(&args.definition)?;
    let definition = match stepwise_core::definition::parse(&text) {
        Ok(d) => d,
        Err(invalid) => {
            for d in &invalid.diagnostics {
                eprintln!("{d}");
            }
            bail!(
                "{} is not a valid state machine ({} problem(s))",
                args.definition.display(),
                invalid.diagnostics.len()
            );
        }
    };
    let input = read_input(args.input.as_deref())?;
    let seed = RandomState::new().build_hasher().finish();
    let mut entropy = SplitMix64::new(seed);
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| format!("{:016x}", seed.rotate_left(17)));
    // `$$.StateMachine.Name`: the file's stem, or a fixed name for an inline definition.
    let machine_name = Some(&args.definition)
        .filter(|p| p.is_file())
        .and_then(|p| p.file_stem())
        .and_then(|s| s.to_str())
        .map(|s| s.trim_end_matches(".asl"))
        .unwrap_or("state-machine")
        .to_owned();
    let started = Instant::now();
    let info = ExecutionInfo::local(&machine_name, &name, input, now_ms());
    let trace = !args.json;
    let mut execution = Execution::start(&definition, info, trace || args.history);
    let mut printed = 0;
    let mut out = std::io::stdout().lock();
    loop {
        execution.run(now_ms(), &mut entropy)?;
        for task in execution.take_tasks() {
            // Task states need a task runner (the durable engine or a local registry);
            // failing loudly beats inventing a result.
            let cause = format!(
                "No task runner is configured for resource '{}' (state '{}'): `stepwise run` does not run Task states yet.",
                task.request.resource, task.request.state
            );
            execution.complete_task(task.id, Err(Failure::new(names::RUNTIME, cause)));
        }
        if trace || args.history {
            for event in &execution.history()[printed..] {
                print_event(&mut out, event, args.history, started)?;
            }
            printed = execution.history().len();
        }
        if !execution.is_running() {
            break;
        }
        if let Some(at) = execution.next_timer() {
            let wait = at - now_ms();
            if wait > 0 {
                std::thread::sleep(Duration::from_millis(wait as u64));
            }
        }
    }
    let (line, code) = result_line(execution.status());
    if !args.json {
        writeln!(
            out,
            "{} transitions in {:.3}s",
            execution.transitions(),
            started.elapsed().as_secs_f64()
        )?;
    }
    writeln!(out, "{line}")?;
    Ok(ExitCode::from(code))
}

fn result_line(status: &Status) -> (Value, u8) {
    match status {
        Status::Succeeded(output) => (json!({"status": "SUCCEEDED", "output": output}), 0),
        Status::Failed(f) => (
            json!({"status": "FAILED", "error": f.error, "cause": f.cause}),
            1,
        ),
        Status::TimedOut(f) => (
            json!({"status": "TIMED_OUT", "error": f.error, "cause": f.cause}),
            1,
        ),
        Status::Running => (
            json!({"status": "FAILED", "error": "States.Runtime", "cause": "execution stopped"}),
            1,
        ),
    }
}

/// `--input` is a file when such a file exists, else JSON text.
fn read_input(arg: Option<&str>) -> anyhow::Result<Value> {
    let Some(arg) = arg else {
        return Ok(json!({}));
    };
    let path = std::path::Path::new(arg);
    let text = if path.is_file() {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {arg}"))?
    } else {
        arg.to_owned()
    };
    serde_json::from_str(&text)
        .with_context(|| format!("--input is neither a readable file nor valid JSON: {arg}"))
}

fn print_event(
    out: &mut impl Write,
    event: &RecordedEvent,
    full: bool,
    started: Instant,
) -> std::io::Result<()> {
    if full {
        return writeln!(out, "{}", event.to_aws_json());
    }
    let elapsed = started.elapsed().as_secs_f64();
    let indent = "  ".repeat(event.depth);
    let kind = &event.event.event_type;
    let line = match &event.event.details {
        Details::StateEntered { name, .. } => {
            format!("→ {name} ({})", kind.trim_end_matches("StateEntered"))
        }
        Details::ExecutionSucceeded { output } => format!("✓ succeeded: {output}"),
        Details::ExecutionFailed(f) | Details::ExecutionTimedOut(f) => format!("✗ {f}"),
        Details::Failed(f) | Details::TaskFailed { failure: f, .. } => format!("  {kind}: {f}"),
        Details::MapStarted { length } => format!("  map over {length} item(s)"),
        Details::MapIteration { index, .. } if kind == "MapIterationStarted" => {
            format!("[item {index}]")
        }
        _ => return Ok(()),
    };
    writeln!(out, "{elapsed:>8.3}s  {indent}{line}")
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
