//! A frame: one thread of control of an execution (the root, a Parallel branch, or a Map
//! iteration), small and serialisable so a store can persist it between any two steps.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::definition::{Graph, StateKind, StateMachine};

/// Where a frame's graph sits in the definition: the chain of Parallel branches and Map
/// processors from the top level down. Empty for the root frame.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope(Vec<ScopeStep>);

/// One hop into a nested graph: the Parallel or Map state, and the branch index (0 for a
/// Map's processor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeStep {
    pub state: String,
    pub branch: u32,
}

impl Scope {
    pub fn root() -> Self {
        Self::default()
    }

    pub fn steps(&self) -> &[ScopeStep] {
        &self.0
    }

    pub fn child(&self, state: &str, branch: u32) -> Self {
        let mut steps = self.0.clone();
        steps.push(ScopeStep {
            state: state.to_owned(),
            branch,
        });
        Self(steps)
    }

    /// Resolves the graph this scope names, or `None` if the definition has no such graph
    /// (a frame persisted under another version of the definition).
    pub fn resolve<'d>(&self, definition: &'d StateMachine) -> Option<&'d Graph> {
        let mut graph = &definition.graph;
        for step in &self.0 {
            graph = match &graph.state(&step.state)?.kind {
                StateKind::Parallel(p) => p.branches.get(step.branch as usize)?,
                StateKind::Map(m) if step.branch == 0 => &m.processor,
                _ => return None,
            };
        }
        Some(graph)
    }
}

/// What a frame is doing between steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// About to enter `Frame::state` (emits its `…StateEntered` event).
    Entering,
    /// A Wait state is sleeping until `until` (epoch ms).
    Waiting { until: i64 },
    /// A failed state will run again at `until` (retry backoff).
    Backoff { until: i64 },
    /// A Task state waits for its result.
    Task,
    /// A Map state waits for its `ItemReader`'s items (a task whose result is the items).
    Reading,
    /// A Distributed Map waits for its `ResultWriter` (a task whose result is the Map's).
    Writing,
    /// A Parallel or Map state waits for its children.
    Children,
    /// The frame finished; see the step's outcome.
    Done,
}

/// One thread of control. Fields are private: the interpreter owns the transitions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    pub(crate) scope: Scope,
    pub(crate) state: String,
    /// The current state's raw input (what ResultPath merges into). While a Wait state
    /// sleeps it holds the Wait's effective input instead, which is all it still needs.
    pub(crate) input: Value,
    pub(crate) entered_at: i64,
    /// The history event id of the current state's `…StateEntered` event.
    pub(crate) entered_event_id: u64,
    /// Attempts used per retrier of the current state (`Retry[i]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) retries: Vec<u32>,
    pub(crate) phase: Phase,
    /// Workflow variables visible to this frame: its own assignments plus, for a Parallel
    /// branch or Map iteration, a copy of the outer frame's (which it can read but not
    /// assign). Part of the frame so they survive a durable store's commits.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub(crate) vars: Map<String, Value>,
}

impl Frame {
    /// A frame at the start of `graph` (found at `scope`), ready to run.
    pub fn new(scope: Scope, graph: &Graph, input: Value, now: i64) -> Self {
        Self {
            scope,
            state: graph.start_at.clone(),
            input,
            entered_at: now,
            entered_event_id: 0,
            retries: Vec::new(),
            phase: Phase::Entering,
            vars: Map::new(),
        }
    }

    /// The same frame seeing `vars` (a child frame's copy of its parent's variables).
    pub fn with_variables(mut self, vars: Map<String, Value>) -> Self {
        self.vars = vars;
        self
    }

    /// The frame's workflow variables.
    pub fn variables(&self) -> &Map<String, Value> {
        &self.vars
    }

    /// The root frame of an execution.
    pub fn root(definition: &StateMachine, input: Value, now: i64) -> Self {
        Self::new(Scope::root(), &definition.graph, input, now)
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    pub fn state(&self) -> &str {
        &self.state
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    pub fn input(&self) -> &Value {
        &self.input
    }

    /// Total retries so far in the current state (`$$.State.RetryCount`).
    pub fn retry_count(&self) -> u32 {
        self.retries.iter().sum()
    }

    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// Readies a frame of an execution that ended unsuccessfully to go on (a redrive).
    /// A frame that failed, or that was stopped inside a Task or while its Parallel or
    /// Map children ran, enters its current state again with its input and fresh retry
    /// counters (Step Functions resets them on redrive); a frame sleeping in a Wait or a
    /// retry backoff sleeps on until the same time; a frame about to enter a state still
    /// is. The caller resumes it with [`Event::Run`](super::Event::Run) or, while it
    /// sleeps, [`Event::Timer`](super::Event::Timer).
    pub fn redrive(&mut self) {
        match self.phase {
            Phase::Done | Phase::Task | Phase::Reading | Phase::Writing | Phase::Children => {
                self.phase = Phase::Entering;
                self.retries.clear();
            }
            Phase::Entering | Phase::Waiting { .. } | Phase::Backoff { .. } => {}
        }
    }
}
