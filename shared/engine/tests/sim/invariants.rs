//! What must hold after every run, comparing the faulty run with the fault-free one (the
//! same engine, seed and workloads, one worker, no faults) and with the interpreter.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use stepwise_core::interp::Status;
use stepwise_engine::store::{LoadRequest, Store};
use stepwise_engine::{ExecutionRecord, ExecutionStatus, FrameId, HistoryItem};

use super::executor::block_on;
use super::tasks::{AttemptKey, FakeTasks};
use super::{Run, SeedError};

/// Checks every invariant for every execution of the run; the first violation is the
/// error. An execution stuck by a known bug is reported as such once the others pass.
pub fn check(reference: &Run, faulty: &Run, expected: &[Status]) -> Result<(), SeedError> {
    if let Some(problem) = faulty.tally.problems.first() {
        return Err(SeedError::Violation(problem.clone()));
    }
    let queue = faulty.engine.queue();
    let dead = queue.dead_letters();
    if !dead.is_empty() {
        return Err(format!("messages dead-lettered: {dead:?}").into());
    }
    if queue.len() > 0 {
        return Err(format!("{} messages left in the queue", queue.len()).into());
    }
    for (arn, expected) in faulty.arns.iter().zip(expected) {
        if describe(faulty, arn)?.status == ExecutionStatus::Running {
            return Err(format!("{arn}: still RUNNING after the queue drained").into());
        }
        check_execution(reference, faulty, arn, expected).map_err(|e| format!("{arn}: {e}"))?;
    }
    Ok(())
}

fn check_execution(
    reference: &Run,
    faulty: &Run,
    arn: &str,
    expected: &Status,
) -> Result<(), String> {
    let fault_free = describe(reference, arn)?;
    let record = describe(faulty, arn)?;
    if !same_outcome(&fault_free, expected) {
        return Err(format!(
            "the fault-free engine ended {} {:?} {:?}, the interpreter {expected:?}",
            fault_free.status.as_str(),
            fault_free.output,
            fault_free.failure
        ));
    }
    if !same_outcome(&record, expected) {
        return Err(format!(
            "ended {} {:?} {:?}, the fault-free run {expected:?}",
            record.status.as_str(),
            record.output,
            record.failure
        ));
    }
    check_history(reference, faulty, arn)?;
    check_task_results(faulty, arn)
}

fn describe(run: &Run, arn: &str) -> Result<ExecutionRecord, String> {
    block_on(run.engine.describe(arn)).map_err(|e| format!("describe: {e}"))
}

fn same_outcome(record: &ExecutionRecord, expected: &Status) -> bool {
    match (expected, record.status) {
        (Status::Succeeded(output), ExecutionStatus::Succeeded) => {
            record.output.as_ref() == Some(output)
        }
        (Status::Failed(failure), ExecutionStatus::Failed)
        | (Status::TimedOut(failure), ExecutionStatus::TimedOut) => {
            record.failure.as_ref() == Some(failure)
        }
        _ => false,
    }
}

/// No duplicated or missing transition: every commit (frame, version) holds the same
/// events as in the fault-free run, apart from their timestamps (virtual time runs
/// differently under faults). The one allowed difference: a frame that stood down
/// because a sibling failed its Parallel or Map may have gone further in one run than
/// in the other (how far is a race, in Step Functions too), so one run's commits of it
/// must be a prefix of the other's. `GetExecutionHistory` numbers the events 1..n
/// without gaps, each pointing at the one before, and holds each stored event once.
fn check_history(reference: &Run, faulty: &Run, arn: &str) -> Result<(), String> {
    let expected = by_frame(commits(reference, arn)?);
    let actual = by_frame(commits(faulty, arn)?);
    let mut truncated = false;
    for frame in expected.keys().chain(actual.keys()) {
        let e = expected.get(frame).map_or(&[][..], Vec::as_slice);
        let a = actual.get(frame).map_or(&[][..], Vec::as_slice);
        if e == a {
            continue;
        }
        let prefix = e.starts_with(a) || a.starts_with(e);
        if prefix && stood_down(reference, arn, frame)? && stood_down(faulty, arn, frame)? {
            truncated = true;
            continue;
        }
        return Err(first_difference(frame, e, a));
    }
    let history = block_on(faulty.engine.history(arn)).map_err(|e| format!("history: {e}"))?;
    for (i, event) in history.iter().enumerate() {
        let id = i as u64 + 1;
        if event["id"] != id || event["previousEventId"] != id - 1 {
            return Err(format!("history event {i} is numbered {event}"));
        }
    }
    let stored: usize = actual
        .values()
        .flatten()
        .map(|(_, events)| events.len())
        .sum();
    if history.len() != stored {
        return Err(format!(
            "history has {} events, the store {stored}",
            history.len()
        ));
    }
    let fault_free =
        block_on(reference.engine.history(arn)).map_err(|e| format!("history: {e}"))?;
    if !truncated && event_types(&history) != event_types(&fault_free) {
        return Err(format!(
            "history holds {:?}, the fault-free run {:?}",
            event_types(&history),
            event_types(&fault_free)
        ));
    }
    Ok(())
}

/// Whether a join above `frame` was closed (a sibling failed it, so the frame stood
/// down wherever it was).
fn stood_down(run: &Run, arn: &str, frame: &str) -> Result<bool, String> {
    let mut current = FrameId::parse(frame).ok_or_else(|| format!("bad frame id {frame}"))?;
    while let Some((join, _)) = current.join() {
        let loaded = block_on(run.engine.store().inner().load(&LoadRequest {
            execution: arn.to_owned(),
            frame: join.parent.clone(),
            joins: vec![join.clone()],
            with_frame: false,
            version: None,
        }))
        .map_err(|e| format!("load: {e}"))?;
        if loaded
            .joins
            .first()
            .is_some_and(|j| j.as_ref().is_some_and(|j| j.closed))
        {
            return Ok(true);
        }
        current = join.parent;
    }
    Ok(false)
}

type Commits = Vec<(String, u64, Vec<Value>)>;

/// Each frame's commits (version, events), in version order.
type FrameCommits = BTreeMap<String, Vec<(u64, Vec<Value>)>>;

fn by_frame(commits: Commits) -> FrameCommits {
    let mut frames = FrameCommits::new();
    for (frame, version, events) in commits {
        frames.entry(frame).or_default().push((version, events));
    }
    for commits in frames.values_mut() {
        commits.sort_by_key(|(version, _)| *version);
    }
    frames
}

/// The stored history items in key order, timestamps removed.
fn commits(run: &Run, arn: &str) -> Result<Commits, String> {
    Ok(history_items(run, arn)?
        .into_iter()
        .map(|item| {
            let events = item
                .events
                .into_iter()
                .map(|mut event| {
                    if let Some(object) = event.as_object_mut() {
                        object.remove("timestamp");
                    }
                    event
                })
                .collect();
            (item.frame.to_string(), item.version, events)
        })
        .collect())
}

fn history_items(run: &Run, arn: &str) -> Result<Vec<HistoryItem>, String> {
    let store = run.engine.store().inner();
    let mut items = Vec::new();
    let mut page = None;
    loop {
        let next = block_on(store.history(arn, page)).map_err(|e| format!("history: {e}"))?;
        items.extend(next.items);
        match next.next {
            Some(token) => page = Some(token),
            None => return Ok(items),
        }
    }
}

fn first_difference(
    frame: &str,
    expected: &[(u64, Vec<Value>)],
    actual: &[(u64, Vec<Value>)],
) -> String {
    let versions = |c: &[(u64, Vec<Value>)]| c.iter().map(|(v, _)| *v).collect::<Vec<_>>();
    for (e, a) in expected.iter().zip(actual) {
        if e != a {
            return format!(
                "frame {frame}: commit {} holds other events than in the fault-free run (commit {}):\n  fault-free: {}\n  faulty:     {}",
                a.0,
                e.0,
                short(&Value::from(e.1.clone())),
                short(&Value::from(a.1.clone()))
            );
        }
    }
    format!(
        "frame {frame}: commits {:?}, the fault-free run {:?}",
        versions(actual),
        versions(expected)
    )
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(3000) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// Event types with their counts (the order across concurrent branches follows virtual
/// timestamps, which faults shift).
fn event_types(history: &[Value]) -> BTreeMap<String, usize> {
    let mut types = BTreeMap::new();
    for event in history {
        let name = event["type"].as_str().unwrap_or_default().to_owned();
        *types.entry(name).or_default() += 1;
    }
    types
}

/// Each task attempt's result is committed at most once, and it is a result the task
/// resource gave for that attempt. A frame's commits tell which attempt a result
/// belongs to: the state last entered, the path in the last `TaskScheduled`'s
/// parameters, and how many times that state has scheduled its task so far.
fn check_task_results(faulty: &Run, arn: &str) -> Result<(), String> {
    let answers = answers_of(&faulty.tasks, arn);
    let mut committed: HashMap<AttemptKey, usize> = HashMap::new();
    for (frame, commits) in by_frame(commits(faulty, arn)?) {
        let mut state = String::new();
        let mut scheduled: u32 = 0;
        let mut current: Option<AttemptKey> = None;
        for event in commits.iter().flat_map(|(_, events)| events) {
            let details = |key: &str| &event[key];
            match event["type"].as_str().unwrap_or_default() {
                "TaskStateEntered" => {
                    state = details("stateEnteredEventDetails")["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    scheduled = 0;
                }
                "TaskScheduled" => {
                    let text = details("taskScheduledEventDetails")["parameters"]
                        .as_str()
                        .unwrap_or_default();
                    let parameters: Value = serde_json::from_str(text)
                        .map_err(|e| format!("frame {frame}: parameters {text:?}: {e}"))?;
                    current = Some(AttemptKey {
                        execution: arn.to_owned(),
                        path: parameters["path"].as_str().unwrap_or_default().to_owned(),
                        state: state.clone(),
                        attempt: scheduled,
                    });
                    scheduled += 1;
                }
                kind @ ("TaskSucceeded" | "TaskFailed") => {
                    let key = current.clone().ok_or_else(|| {
                        format!("frame {frame}: {kind} without TaskScheduled: {event}")
                    })?;
                    let result = if kind == "TaskSucceeded" {
                        let text = details("taskSucceededEventDetails")["output"]
                            .as_str()
                            .unwrap_or_default();
                        Ok(serde_json::from_str(text)
                            .map_err(|e| format!("frame {frame}: output {text:?}: {e}"))?)
                    } else {
                        let failed = details("taskFailedEventDetails");
                        Err((
                            failed["error"].as_str().unwrap_or_default().to_owned(),
                            failed["cause"].as_str().unwrap_or_default().to_owned(),
                        ))
                    };
                    let given = answers.get(&key).ok_or_else(|| {
                        format!("{key:?}: committed a result the task never gave: {event}")
                    })?;
                    if !given.iter().any(|r| r == &result) {
                        return Err(format!(
                            "{key:?}: committed {result:?}, the task gave {given:?}"
                        ));
                    }
                    let count = committed.entry(key.clone()).or_default();
                    *count += 1;
                    if *count > 1 {
                        return Err(format!("{key:?}: result committed {count} times"));
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// What a result looks like once committed: the success output, or the error name and
/// cause.
type Committed = Result<Value, (String, String)>;

fn answers_of(tasks: &FakeTasks, arn: &str) -> HashMap<AttemptKey, Vec<Committed>> {
    let mut answers: HashMap<AttemptKey, Vec<Committed>> = HashMap::new();
    for answer in tasks.answers() {
        if answer.key.execution != arn {
            continue;
        }
        let result = answer
            .result
            .map_err(|f| (f.error.unwrap_or_default(), f.cause.unwrap_or_default()));
        answers.entry(answer.key).or_default().push(result);
    }
    answers
}

#[cfg(test)]
mod tests {
    use super::super::{runs, Settings};
    use super::*;

    /// The checks can fail: a seed that passes stops passing when its evidence is
    /// tampered with.
    #[test]
    fn tampered_runs_are_caught() {
        let seed = 14;
        let runs = runs(seed, Settings::default(), false).expect("runs");
        check(&runs.reference, &runs.faulty, &runs.expected).expect("seed 14 passes");
        assert!(
            !runs.faulty.tasks.answers().is_empty(),
            "seed {seed} runs no task"
        );

        // Another outcome than the interpreter's.
        let mut wrong = runs.expected.clone();
        wrong[0] = Status::Succeeded(Value::from("something else"));
        let error = check(&runs.reference, &runs.faulty, &wrong).expect_err("wrong outcome");
        assert!(error.to_string().contains("the interpreter"), "{error}");

        // A committed result the task resource never gave.
        runs.faulty.tasks.forget();
        let error = check(&runs.reference, &runs.faulty, &runs.expected).expect_err("no answers");
        assert!(error.to_string().contains("never gave"), "{error}");
    }

    #[test]
    fn a_differing_commit_is_reported_by_frame_and_version() {
        let fault_free = vec![(1, vec![Value::from("PassStateEntered")])];
        let faulty = vec![(
            1,
            vec![Value::from("PassStateEntered"), Value::from("Again")],
        )];
        let report = first_difference("0/3/1", &fault_free, &faulty);
        assert!(
            report.starts_with("frame 0/3/1: commit 1 holds other events"),
            "{report}"
        );
    }
}
