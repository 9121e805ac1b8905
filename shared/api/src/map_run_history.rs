//! Map Runs read from what the engine already keeps: the definition says which Map
//! states are DISTRIBUTED (and their concurrency and tolerance), the execution's history
//! says when each ran and how each child ended (`MapStateStarted.length`,
//! `MapIteration*`). Nothing is stored for a Map Run of its own, so no write path changes.

use std::collections::HashMap;

use serde_json::Value;
use stepwise_core::interp::map_run;

/// What the definition says about one Distributed Map state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DistributedMap {
    /// `Label`, or the state name made ARN-safe.
    pub label: String,
    pub max_concurrency: u64,
    pub tolerated_count: u64,
    pub tolerated_percentage: f64,
}

/// The Distributed Map states of a definition, by state name, at any depth.
pub(crate) fn distributed_maps(definition: &Value) -> HashMap<String, DistributedMap> {
    let mut found = HashMap::new();
    collect(definition, &mut found);
    found
}

fn collect(machine: &Value, found: &mut HashMap<String, DistributedMap>) {
    let Some(states) = machine["States"].as_object() else {
        return;
    };
    for (name, state) in states {
        for branch in state["Branches"].as_array().into_iter().flatten() {
            collect(branch, found);
        }
        let processor = match &state["ItemProcessor"] {
            Value::Null => &state["Iterator"],
            p => p,
        };
        collect(processor, found);
        let mode = match &processor["ProcessorConfig"] {
            Value::Null => &state["ItemProcessorConfig"]["Mode"],
            config => &config["Mode"],
        };
        if state["Type"] == "Map" && mode == "DISTRIBUTED" {
            // Only literal values are known here; a `…Path` form resolves at run time
            // and is reported as 0, AWS's "not set".
            found.insert(
                name.clone(),
                DistributedMap {
                    label: map_run::label(name, state["Label"].as_str()),
                    max_concurrency: state["MaxConcurrency"].as_u64().unwrap_or(0),
                    tolerated_count: state["ToleratedFailureCount"].as_u64().unwrap_or(0),
                    tolerated_percentage: state["ToleratedFailurePercentage"]
                        .as_f64()
                        .unwrap_or(0.0),
                },
            );
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunStatus {
    Running,
    Succeeded,
    Failed,
    Aborted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::Aborted => "ABORTED",
        }
    }
}

/// How a child ended, by its index: the same four states as a run.
pub(crate) type Child = RunStatus;

/// One child as the history shows it: its status and the times of its iteration events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seen {
    pub status: Child,
    pub start: i64,
    pub stop: Option<i64>,
}

/// Counts in `MapRunItemCounts` / `MapRunExecutionCounts` shape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub pending: u64,
    pub running: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub aborted: u64,
    pub total: u64,
}

/// One run of a Distributed Map state in one execution.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MapRun {
    pub state: String,
    /// The id of its `MapStateEntered` event: tells apart runs of one state in a loop.
    pub entered_id: u64,
    pub start: i64,
    pub stop: Option<i64>,
    pub status: RunStatus,
    /// Which `MapStateStarted` of the history (0 for the first) opened this run's
    /// children: it leads to the run's join in the store.
    pub started: Option<usize>,
    total: u64,
    children: HashMap<u64, Seen>,
}

impl MapRun {
    /// Children counted one each (`executionCounts`).
    pub fn counts(&self) -> Counts {
        self.weighed(self.total, |_| 1)
    }

    /// Children counted by `weight` (an ItemBatcher's batch counts its items), out of
    /// `total` (`itemCounts`).
    pub fn weighed(&self, total: u64, weight: impl Fn(u64) -> u64) -> Counts {
        let mut counts = Counts {
            total,
            ..Counts::default()
        };
        for (index, child) in &self.children {
            let n = weight(*index);
            match child.status {
                Child::Running => counts.running += n,
                Child::Succeeded => counts.succeeded += n,
                Child::Failed => counts.failed += n,
                Child::Aborted => counts.aborted += n,
            }
        }
        let started: u64 = self.children.keys().map(|i| weight(*i)).sum();
        // Children never started when the run ended were not run: aborted, not pending.
        match self.status {
            RunStatus::Running => counts.pending = total.saturating_sub(started),
            _ => counts.aborted += total.saturating_sub(started),
        }
        counts
    }

    /// The children started so far, by index.
    pub fn children(&self) -> Vec<(u64, Seen)> {
        let mut children: Vec<(u64, Seen)> = self.children.iter().map(|(i, s)| (*i, *s)).collect();
        children.sort_by_key(|(i, _)| *i);
        children
    }

    pub fn child(&self, index: u64) -> Option<Seen> {
        self.children.get(&index).copied()
    }
}

/// The Map Runs in `history`, oldest first. Map events other than `MapStateEntered` name
/// no state, so they belong to the innermost Map still open: a Map closes only after its
/// children's inner Maps have. Two Distributed Maps open at once in Parallel branches
/// would be confused by this; see docs/distributed-map.md.
pub(crate) fn map_runs(history: &[Value], maps: &HashMap<String, DistributedMap>) -> Vec<MapRun> {
    let mut runs: Vec<MapRun> = Vec::new();
    // The open Map states, innermost last, with their run's index when DISTRIBUTED.
    let mut open: Vec<Option<usize>> = Vec::new();
    let mut map_starts = 0;
    for event in history {
        let at = timestamp(event);
        let kind = event["type"].as_str().unwrap_or_default();
        match kind {
            "MapStateEntered" => {
                let name = event["stateEnteredEventDetails"]["name"]
                    .as_str()
                    .unwrap_or_default();
                open.push(maps.contains_key(name).then(|| {
                    runs.push(MapRun {
                        state: name.to_owned(),
                        entered_id: event["id"].as_u64().unwrap_or(0),
                        start: at,
                        stop: None,
                        status: RunStatus::Running,
                        started: None,
                        total: 0,
                        children: HashMap::new(),
                    });
                    runs.len() - 1
                }));
            }
            "MapStateStarted" => {
                if let Some(Some(run)) = open.last() {
                    runs[*run].total = event["mapStateStartedEventDetails"]["length"]
                        .as_u64()
                        .unwrap_or(0);
                    runs[*run].started = Some(map_starts);
                }
                map_starts += 1;
            }
            "MapIterationStarted"
            | "MapIterationSucceeded"
            | "MapIterationFailed"
            | "MapIterationAborted" => {
                let details = event
                    .as_object()
                    .and_then(|o| o.iter().find(|(k, _)| k.ends_with("EventDetails")))
                    .map(|(_, d)| d);
                let (Some(name), Some(index)) = (
                    details.and_then(|d| d["name"].as_str()),
                    details.and_then(|d| d["index"].as_u64()),
                ) else {
                    continue;
                };
                let child = match kind {
                    "MapIterationStarted" => Child::Running,
                    "MapIterationSucceeded" => Child::Succeeded,
                    "MapIterationFailed" => Child::Failed,
                    _ => Child::Aborted,
                };
                // The innermost open run of that state, else its latest: history is
                // ordered by time, and a child's end can share the millisecond of (and
                // sort after) the Map's own failure.
                let run = open
                    .iter()
                    .rev()
                    .flatten()
                    .copied()
                    .find(|r| runs[*r].state == name)
                    .or_else(|| runs.iter().rposition(|r| r.state == name));
                if let Some(run) = run {
                    let seen = runs[run].children.entry(index).or_insert(Seen {
                        status: child,
                        start: at,
                        stop: None,
                    });
                    seen.status = child;
                    if child != Child::Running {
                        seen.stop = Some(at);
                    }
                }
            }
            "MapStateSucceeded" | "MapStateFailed" | "MapStateAborted" => {
                if let Some(Some(run)) = open.pop() {
                    runs[run].stop = Some(at);
                    runs[run].status = match kind {
                        "MapStateSucceeded" => RunStatus::Succeeded,
                        "MapStateFailed" => RunStatus::Failed,
                        _ => RunStatus::Aborted,
                    };
                }
            }
            "ExecutionAborted" | "ExecutionTimedOut" | "ExecutionFailed" => {
                // The execution ended around Maps still open: they were stopped.
                for run in open.drain(..).flatten() {
                    runs[run].stop = Some(at);
                    runs[run].status = RunStatus::Aborted;
                }
            }
            _ => {}
        }
    }
    runs
}

/// An event's timestamp in epoch milliseconds.
fn timestamp(event: &Value) -> i64 {
    event["timestamp"]
        .as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map_or(0, |at| at.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(id: u64, kind: &str, details: Option<(&str, Value)>) -> Value {
        let mut e =
            json!({"id": id, "type": kind, "timestamp": format!("2024-01-01T00:00:{id:02}.000Z")});
        if let Some((key, d)) = details {
            e[key] = d;
        }
        e
    }

    fn entered(id: u64, name: &str) -> Value {
        event(
            id,
            "MapStateEntered",
            Some(("stateEnteredEventDetails", json!({"name": name}))),
        )
    }

    fn started(id: u64, length: u64) -> Value {
        event(
            id,
            "MapStateStarted",
            Some(("mapStateStartedEventDetails", json!({"length": length}))),
        )
    }

    fn definition() -> Value {
        json!({"StartAt": "D", "States": {
            "D": {"Type": "Map", "MaxConcurrency": 2, "ToleratedFailureCount": 1,
                  "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "I", "States": {
                      "I": {"Type": "Map", "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}
                  }}, "Next": "L"},
            "L": {"Type": "Map", "Label": "second", "ItemProcessorConfig": {}, "Iterator": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "Q", "States": {"Q": {"Type": "Pass", "End": true}}}, "End": true}
        }})
    }

    #[test]
    fn finds_distributed_maps_only_with_their_settings() {
        let maps = distributed_maps(&definition());
        assert_eq!(maps.len(), 2, "{maps:?}");
        assert_eq!(maps["D"].label, "D");
        assert_eq!(maps["D"].max_concurrency, 2);
        assert_eq!(maps["D"].tolerated_count, 1);
        assert_eq!(maps["L"].label, "second");
    }

    #[test]
    fn counts_children_and_attributes_inner_map_events() {
        let maps = distributed_maps(&definition());
        let iteration = |id, kind: &str, key: &str, index: u64| {
            event(id, kind, Some((key, json!({"name": "D", "index": index}))))
        };
        let history = vec![
            entered(2, "D"),
            started(3, 3),
            iteration(
                4,
                "MapIterationStarted",
                "mapIterationStartedEventDetails",
                0,
            ),
            iteration(
                5,
                "MapIterationStarted",
                "mapIterationStartedEventDetails",
                1,
            ),
            entered(6, "I"),
            event(7, "MapStateSucceeded", None),
            iteration(
                8,
                "MapIterationSucceeded",
                "mapIterationSucceededEventDetails",
                0,
            ),
        ];
        let runs = map_runs(&history, &maps);
        assert_eq!(runs.len(), 1);
        assert_eq!(
            runs[0].status,
            RunStatus::Running,
            "the inner Map closed, not D"
        );
        let counts = runs[0].counts();
        assert_eq!(
            (
                counts.pending,
                counts.running,
                counts.succeeded,
                counts.total
            ),
            (1, 1, 1, 3)
        );

        let mut ended = history.clone();
        ended.push(iteration(
            9,
            "MapIterationFailed",
            "mapIterationFailedEventDetails",
            1,
        ));
        ended.push(event(10, "MapStateFailed", None));
        let runs = map_runs(&ended, &maps);
        assert_eq!(runs[0].status, RunStatus::Failed);
        assert_eq!(runs[0].stop, Some(1_704_067_210_000));
        let counts = runs[0].counts();
        assert_eq!(
            (counts.pending, counts.failed, counts.aborted, counts.total),
            (0, 1, 1, 3),
            "the child never started counts as aborted"
        );
    }

    /// Regression: a child's end that sorts after the Map's failure (same millisecond)
    /// was dropped, and the child counted as aborted.
    #[test]
    fn a_child_ending_after_the_map_failed_still_counts() {
        let maps = distributed_maps(&definition());
        let history = vec![
            entered(2, "D"),
            started(3, 1),
            event(
                4,
                "MapIterationStarted",
                Some((
                    "mapIterationStartedEventDetails",
                    json!({"name": "D", "index": 0}),
                )),
            ),
            event(5, "MapStateFailed", None),
            event(
                6,
                "MapIterationFailed",
                Some((
                    "mapIterationFailedEventDetails",
                    json!({"name": "D", "index": 0}),
                )),
            ),
        ];
        let runs = map_runs(&history, &maps);
        assert_eq!(runs[0].status, RunStatus::Failed);
        assert_eq!((runs[0].counts().failed, runs[0].counts().aborted), (1, 0));
    }

    #[test]
    fn batches_weigh_item_counts_and_children_keep_their_times() {
        let maps = distributed_maps(&definition());
        let iteration = |id, kind: &str, index: u64| {
            let key = format!("{}EventDetails", kind[..1].to_lowercase() + &kind[1..]);
            event(id, kind, Some((&key, json!({"name": "D", "index": index}))))
        };
        let history = vec![
            entered(2, "D"),
            started(3, 2),
            iteration(4, "MapIterationStarted", 0),
            iteration(5, "MapIterationStarted", 1),
            iteration(6, "MapIterationFailed", 1),
        ];
        let runs = map_runs(&history, &maps);
        assert_eq!(runs[0].started, Some(0));
        // Child 0 carries 3 items, child 1 carries 2.
        let items = runs[0].weighed(5, |i| [3, 2][i as usize]);
        assert_eq!((items.running, items.failed, items.total), (3, 2, 5));
        assert_eq!(runs[0].counts().failed, 1);
        let children = runs[0].children();
        assert_eq!(children[1].1.status, Child::Failed);
        assert_eq!(
            (children[1].1.start, children[1].1.stop),
            (1_704_067_205_000, Some(1_704_067_206_000))
        );
        assert_eq!(children[0].1.stop, None);
    }

    #[test]
    fn an_ended_execution_aborts_open_runs() {
        let maps = distributed_maps(&definition());
        let history = vec![entered(2, "L"), event(3, "ExecutionAborted", None)];
        let runs = map_runs(&history, &maps);
        assert_eq!(runs[0].status, RunStatus::Aborted);
        assert_eq!(runs[0].stop, Some(1_704_067_203_000));
    }
}
