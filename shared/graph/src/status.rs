//! How an execution went through each state, from its `GetExecutionHistory` events.
//!
//! Step Functions' events do not say which thread of control (Parallel branch, Map
//! iteration) they belong to, and `previousEventId` is not a reliable link between them,
//! so the state an event concerns is found from the definition: a `TaskFailed` belongs to
//! the most recently entered Task still open, a `ParallelStateFailed` to the most recent
//! open Parallel, and so on. A state that failed and whose Catch target is entered next
//! (in the same `States` block) was caught. Map iterations run the same states many times:
//! a state's status sums up all its visits, the worst first (failed, caught, running,
//! aborted, succeeded).

use std::collections::HashMap;

use serde_json::Value;

use crate::model::{Cluster, Diagram, EdgeKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Entered and left normally (a Task that failed, then succeeded on a retry, too).
    Succeeded,
    /// Failed, and nothing in the state caught it.
    Failed,
    /// Failed, and one of its `Catch` clauses took over.
    Caught,
    /// Entered, and the execution is still in it.
    Running,
    /// Stopped from outside: a sibling branch failed, or the execution was stopped.
    Aborted,
    NotReached,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Caught => "caught",
            Status::Running => "running",
            Status::Aborted => "aborted",
            Status::NotReached => "not reached",
        }
    }
}

/// What the definition says about one state, to place history events.
#[derive(Debug)]
struct Info {
    kind: &'static str,
    /// The cluster (`States` block) the state is in.
    scope: String,
    /// The Parallel or Map state whose branch or processor holds it.
    parent: Option<String>,
    /// The states its Catch clauses lead to.
    catch_targets: Vec<String>,
    /// The states its `Next`, Choice rules and `Default` lead to.
    next_targets: Vec<String>,
}

/// One state's visits so far.
#[derive(Debug, Default)]
struct Visits {
    /// Entered and not yet left.
    open: u32,
    /// Of the open visits, those that met a failure (a retry may still save them).
    failing: u32,
    succeeded: bool,
    failed: bool,
    caught: bool,
    aborted: bool,
}

/// The status of every state of `diagram` after `events` (the `events` array of a
/// `GetExecutionHistory` answer, in order). States absent from the result were not
/// reached.
#[derive(Debug, Clone, Default)]
pub struct Statuses {
    by_state: HashMap<String, Status>,
}

impl Statuses {
    pub fn of(&self, state: &str) -> Status {
        self.by_state
            .get(state)
            .copied()
            .unwrap_or(Status::NotReached)
    }

    pub fn from_history(diagram: &Diagram, events: &[Value]) -> Self {
        let mut infos = HashMap::new();
        describe(&diagram.root, None, &mut infos);
        let mut tracker = Tracker {
            infos,
            visits: HashMap::new(),
            entered: Vec::new(),
            last_exit: HashMap::new(),
            ended: false,
        };
        for event in events {
            tracker.apply(event);
        }
        tracker.finish()
    }
}

fn describe(cluster: &Cluster, parent: Option<&str>, out: &mut HashMap<String, Info>) {
    for (i, node) in cluster.nodes.iter().enumerate() {
        let targets = |catch: bool| {
            cluster
                .edges
                .iter()
                .filter(|e| e.from == i && (e.kind == EdgeKind::Catch) == catch)
                .map(|e| cluster.nodes[e.to].name.clone())
                .collect()
        };
        out.insert(
            node.name.clone(),
            Info {
                kind: node.kind,
                scope: cluster.id.clone(),
                parent: parent.map(str::to_owned),
                catch_targets: targets(true),
                next_targets: targets(false),
            },
        );
        for child in &node.children {
            describe(child, Some(&node.name), out);
        }
    }
}

struct Tracker {
    infos: HashMap<String, Info>,
    visits: HashMap<String, Visits>,
    /// State names in the order they were entered: the most recent open one of a kind is
    /// the one a task or container event concerns.
    entered: Vec<String>,
    /// The state that last exited normally, by cluster: if the next state entered there
    /// is one of its Catch targets (and not a normal successor), it had been caught.
    last_exit: HashMap<String, String>,
    /// The execution ended (succeeded, failed, timed out or was aborted).
    ended: bool,
}

impl Tracker {
    fn apply(&mut self, event: &Value) {
        let kind = event["type"].as_str().unwrap_or_default();
        let name = |key: &str| event[key]["name"].as_str().map(str::to_owned);
        match kind {
            _ if kind.ends_with("StateEntered") => {
                if let Some(name) = name("stateEnteredEventDetails") {
                    self.enter(name, kind == "FailStateEntered");
                }
            }
            _ if kind.ends_with("StateExited") => {
                if let Some(name) = name("stateExitedEventDetails") {
                    self.exit(name);
                }
            }
            "ParallelStateFailed" | "ParallelStateAborted" => {
                self.container_failed("Parallel", kind.ends_with("Failed"))
            }
            "MapStateFailed" | "MapStateAborted" | "MapRunFailed" | "MapRunAborted" => {
                self.container_failed("Map", !kind.ends_with("Aborted"))
            }
            "MapIterationFailed" | "MapIterationAborted" => {
                if let Some(map) = name("mapIterationFailedEventDetails")
                    .or_else(|| name("mapIterationAbortedEventDetails"))
                {
                    self.close_inside(&map, kind == "MapIterationFailed");
                }
            }
            "ExecutionSucceeded" => self.ended = true,
            "ExecutionFailed" | "ExecutionTimedOut" => self.execution_ended(true),
            "ExecutionAborted" => self.execution_ended(false),
            // A new attempt: a retrier handled the failure before it.
            _ if is_task_event(kind, &["Scheduled"]) => {
                if let Some(task) = self.most_recent_open("Task") {
                    if let Some(visits) = self.visits.get_mut(&task) {
                        visits.failing = visits.failing.saturating_sub(1);
                    }
                }
            }
            _ if is_task_event(kind, &["Failed", "TimedOut"]) => {
                if let Some(task) = self.most_recent_open("Task") {
                    self.mark_failing(&task);
                }
            }
            _ => {}
        }
    }

    /// Step Functions exits a state when a Catch takes over, as when it succeeds: a visit
    /// that met a failure (not cleared by a retry) and exits was caught.
    fn exit(&mut self, name: String) {
        let visits = self.visits.entry(name.clone()).or_default();
        visits.open = visits.open.saturating_sub(1);
        if visits.failing > 0 {
            visits.failing -= 1;
            visits.caught = true;
        } else {
            visits.succeeded = true;
            if let Some(scope) = self.infos.get(&name).map(|i| i.scope.clone()) {
                self.last_exit.insert(scope, name);
            }
        }
        visits.failing = visits.failing.min(visits.open);
    }

    fn enter(&mut self, name: String, fails: bool) {
        let scope = self.infos.get(&name).map(|i| i.scope.clone());
        // A runtime error (a bad path) has no event of its own: the state exits and its
        // Catch target is entered next.
        if let Some(previous) = scope.as_ref().and_then(|s| self.last_exit.remove(s)) {
            let caught = self.infos.get(&previous).is_some_and(|i| {
                i.catch_targets.contains(&name) && !i.next_targets.contains(&name)
            });
            if caught {
                self.visits.entry(previous).or_default().caught = true;
            }
        }
        // Were a Catch taken without an exit event, entering its target in the same
        // block ends the failed state: it was caught.
        let catchers: Vec<String> = self
            .infos
            .iter()
            .filter(|(other, info)| {
                Some(&info.scope) == scope.as_ref()
                    && info.catch_targets.contains(&name)
                    && self.visits.get(*other).is_some_and(|v| v.open > 0)
            })
            .map(|(other, _)| other.clone())
            .collect();
        // Prefer a state that met a failure event; a runtime error (a bad path) leaves none.
        let caught = catchers
            .iter()
            .find(|c| self.visits.get(*c).is_some_and(|v| v.failing > 0))
            .or(catchers.first())
            .cloned();
        if let Some(caught) = caught {
            self.close_inside(&caught, false);
            let visits = self.visits.entry(caught).or_default();
            visits.open -= 1;
            visits.failing = visits.failing.saturating_sub(1).min(visits.open);
            visits.caught = true;
        }
        let visits = self.visits.entry(name.clone()).or_default();
        visits.open += 1;
        if fails {
            visits.failing += 1;
        }
        self.entered.push(name);
    }

    fn most_recent_open(&self, kind: &str) -> Option<String> {
        self.entered
            .iter()
            .rev()
            .find(|name| {
                self.infos.get(*name).is_some_and(|i| i.kind == kind)
                    && self.visits.get(*name).is_some_and(|v| v.open > 0)
            })
            .cloned()
    }

    fn mark_failing(&mut self, name: &str) {
        if let Some(visits) = self.visits.get_mut(name) {
            visits.failing = (visits.failing + 1).min(visits.open);
        }
    }

    /// A Parallel or Map failed: what still runs inside it ends, and the container itself
    /// now waits to be caught or to fail the execution.
    fn container_failed(&mut self, kind: &str, failed: bool) {
        if let Some(container) = self.most_recent_open(kind) {
            self.close_inside(&container, failed);
            if failed {
                self.mark_failing(&container);
            }
        }
    }

    /// Ends every open visit of the states nested in `container`: those that met a
    /// failure failed (when `failed`), the others were aborted.
    fn close_inside(&mut self, container: &str, failed: bool) {
        let inside: Vec<String> = self
            .infos
            .keys()
            .filter(|name| self.is_inside(name, container))
            .cloned()
            .collect();
        for name in inside {
            if let Some(visits) = self.visits.get_mut(&name) {
                if visits.open == 0 {
                    continue;
                }
                if visits.failing > 0 && failed {
                    visits.failed = true;
                }
                if visits.open > visits.failing || !failed {
                    visits.aborted = true;
                }
                visits.open = 0;
                visits.failing = 0;
            }
        }
    }

    fn is_inside(&self, name: &str, container: &str) -> bool {
        let mut parent = self.infos.get(name).and_then(|i| i.parent.as_deref());
        while let Some(p) = parent {
            if p == container {
                return true;
            }
            parent = self.infos.get(p).and_then(|i| i.parent.as_deref());
        }
        false
    }

    /// The execution failed (`failed`) or was stopped: every state still open ends so.
    fn execution_ended(&mut self, failed: bool) {
        self.ended = true;
        for visits in self.visits.values_mut() {
            if visits.open > 0 {
                if failed {
                    visits.failed = true;
                } else {
                    visits.aborted = true;
                }
                visits.open = 0;
                visits.failing = 0;
            }
        }
    }

    fn finish(self) -> Statuses {
        let ended = self.ended;
        let by_state = self
            .visits
            .into_iter()
            .map(|(name, v)| {
                let status = if v.failed || (ended && v.failing > 0) {
                    Status::Failed
                } else if v.caught {
                    Status::Caught
                } else if v.open > 0 {
                    Status::Running
                } else if v.aborted {
                    Status::Aborted
                } else {
                    Status::Succeeded
                };
                (name, status)
            })
            .collect();
        Statuses { by_state }
    }
}

/// A task's own events ending in one of `suffixes`: `TaskFailed`,
/// `LambdaFunctionTimedOut`, `ActivityScheduleFailed`, `TaskScheduled`, … (not the
/// `TaskState…` events, which are the state's).
fn is_task_event(kind: &str, suffixes: &[&str]) -> bool {
    ["Task", "LambdaFunction", "Activity"]
        .iter()
        .any(|family| kind.starts_with(family) && !kind.starts_with("TaskState"))
        && suffixes.iter().any(|s| kind.ends_with(s))
}

#[cfg(test)]
mod tests;
