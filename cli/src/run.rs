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
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _};
use serde_json::{json, Value};
use stepwise_core::entropy::SplitMix64;
use stepwise_core::failure::{names, Failure};
use stepwise_core::interp::{
    Details, Execution, ExecutionInfo, PendingTask, RecordedEvent, Status, TaskId,
};
use stepwise_engine::TaskInvoker;
use stepwise_local_tasks::{Fixed, LocalTasks, Mocked, TestCase};

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
    // `$$.StateMachine.Name` (and the mock configuration's key): --state-machine-name, else
    // the file's stem, or a fixed name for an inline definition.
    let stem = Some(&args.definition)
        .filter(|p| p.is_file())
        .and_then(|p| p.file_stem())
        .and_then(|s| s.to_str())
        .map(|s| s.trim_end_matches(".asl"));
    let machine_name = args
        .state_machine_name
        .as_deref()
        .or(stem)
        .unwrap_or("state-machine")
        .to_owned();
    let runner = Runner::new(&args, &machine_name)?;
    let started = Instant::now();
    let info = ExecutionInfo::local(&machine_name, &name, input, now_ms());
    let execution_arn = info.id.clone();
    let trace = !args.json;
    let mut execution = Execution::start(&definition, info, trace || args.history);
    let mut printed = 0;
    let mut out = std::io::stdout().lock();
    loop {
        execution.run(now_ms(), &mut entropy)?;
        let tasks = execution.take_tasks();
        match &runner {
            Some(runner) => {
                for (id, result) in runner.run(&execution_arn, tasks) {
                    execution.complete_task(id, result);
                }
            }
            None => {
                for task in tasks {
                    // Without task options there is no task runner; failing loudly beats
                    // inventing a result.
                    let cause = format!(
                        "No task runner is configured for resource '{}' (state '{}'): give `stepwise run` a --tasks file, --aws-endpoint or --mock-config.",
                        task.request.resource, task.request.state
                    );
                    execution.complete_task(task.id, Err(Failure::new(names::RUNTIME, cause)));
                }
            }
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

/// The local task port (`--tasks`, `--aws-endpoint`, `--mock-config`) on a runtime of its
/// own: the interpreter stays synchronous and hands over each batch of tasks.
struct Runner {
    runtime: tokio::runtime::Runtime,
    tasks: Mocked<LocalTasks, Fixed>,
}

impl Runner {
    /// `None` without task options, so that Task states fail as they always have.
    fn new(args: &RunArgs, machine_name: &str) -> anyhow::Result<Option<Self>> {
        if !args.tasks.any() {
            return Ok(None);
        }
        let registry = args.tasks.registry()?;
        let mocks = args.tasks.mock_config()?;
        let test_case = match &args.test_case {
            Some(case) => {
                mocks
                    .check(machine_name, case)
                    .map_err(anyhow::Error::msg)?;
                Some(TestCase {
                    machine: machine_name.to_owned(),
                    case: case.clone(),
                })
            }
            None => {
                if args.tasks.mock_config.is_some() {
                    eprintln!("warning: --mock-config without --test-case mocks no state");
                }
                None
            }
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let endpoint = args.tasks.aws_endpoint()?;
        let local = runtime.block_on(LocalTasks::new(registry, endpoint, LOCAL_ACCOUNT));
        let tasks = Mocked::new(Arc::new(mocks), Fixed(test_case), local);
        Ok(Some(Self { runtime, tasks }))
    }

    /// Runs a batch of tasks (a Parallel's branches, a Map's iterations) concurrently, at
    /// most [`MAX_CONCURRENT_TASKS`] at once: a 10,000-item Map must not start 10,000
    /// processes together.
    fn run(
        &self,
        execution: &str,
        tasks: Vec<PendingTask>,
    ) -> Vec<(TaskId, Result<Value, Failure>)> {
        let calls = tasks.into_iter().map(|task| async move {
            let result = self.tasks.invoke(execution, &task.request).await;
            (task.id, result)
        });
        use futures::StreamExt as _;
        let batch = futures::stream::iter(calls).buffer_unordered(MAX_CONCURRENT_TASKS);
        self.runtime.block_on(batch.collect())
    }
}

/// How many tasks `run` has in flight at once.
const MAX_CONCURRENT_TASKS: usize = 32;

/// The account of `ExecutionInfo::local`'s ARNs.
const LOCAL_ACCOUNT: &str = "000000000000";

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
