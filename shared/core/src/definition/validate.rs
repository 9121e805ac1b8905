//! Graph checks, run once every state has been parsed: transition targets exist, every
//! state is reachable from `StartAt`, each graph can terminate, and state names are
//! unique across the whole machine (nested graphs included).
//!
//! They work on [`GraphInfo`]s taken from the raw JSON, so they run even when some states
//! failed to parse (an invalid state still has its transitions checked).

use std::collections::HashMap;

use serde_json::Value;

use crate::definition::parse::ctx::{Ctx, Obj, Ptr};

/// The transitions of one graph (top level, Parallel branch or Map processor).
#[derive(Debug, Clone)]
pub(crate) struct GraphInfo {
    /// Pointer to the object holding `StartAt` and `States`.
    pub(crate) ptr: Ptr,
    pub(crate) start_at: Option<String>,
    pub(crate) states: Vec<StateInfo>,
}

#[derive(Debug, Clone)]
pub(crate) struct StateInfo {
    pub(crate) name: String,
    pub(crate) ptr: Ptr,
    /// Each named target with the pointer of the field naming it.
    pub(crate) edges: Vec<(String, Ptr)>,
    /// Succeed, Fail, or `"End": true`.
    pub(crate) terminal: bool,
}

impl GraphInfo {
    /// Reads the transitions of every state in `states` (the `States` object).
    pub(crate) fn collect(ptr: Ptr, start_at: Option<&str>, states: &Obj<'_>) -> GraphInfo {
        let states = states
            .map
            .iter()
            .map(|(name, v)| {
                let at = states.at(name);
                let mut edges = Vec::new();
                let mut terminal = false;
                if let Value::Object(s) = v {
                    let mut edge = |v: Option<&Value>, at: Ptr| {
                        if let Some(Value::String(target)) = v {
                            edges.push((target.clone(), at));
                        }
                    };
                    edge(s.get("Next"), at.key("Next"));
                    edge(s.get("Default"), at.key("Default"));
                    for list in ["Choices", "Catch"] {
                        if let Some(Value::Array(items)) = s.get(list) {
                            for (i, item) in items.iter().enumerate() {
                                edge(item.get("Next"), at.key(list).index(i).key("Next"));
                            }
                        }
                    }
                    terminal = matches!(
                        s.get("Type").and_then(Value::as_str),
                        Some("Succeed" | "Fail")
                    ) || s.get("End") == Some(&Value::Bool(true));
                }
                StateInfo {
                    name: name.clone(),
                    ptr: at,
                    edges,
                    terminal,
                }
            })
            .collect();
        GraphInfo {
            ptr,
            start_at: start_at.map(str::to_owned),
            states,
        }
    }
}

/// Runs every graph check over the graphs recorded in `cx`.
pub(crate) fn check(cx: &mut Ctx) {
    let graphs = std::mem::take(&mut cx.graphs);
    for g in &graphs {
        check_graph(cx, g);
    }
    check_unique_names(cx, &graphs);
    cx.graphs = graphs;
}

fn check_graph(cx: &mut Ctx, g: &GraphInfo) {
    let index: HashMap<&str, usize> = g
        .states
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    if g.states.is_empty() {
        return; // reported by the parser ("must contain at least one state")
    }
    let start = match &g.start_at {
        Some(name) => match index.get(name.as_str()) {
            Some(&i) => Some(i),
            None => {
                cx.err(&g.ptr.key("StartAt"), format!("no state named \"{name}\""));
                None
            }
        },
        None => None,
    };
    for s in &g.states {
        for (target, at) in &s.edges {
            if !index.contains_key(target.as_str()) {
                cx.err(at, format!("no state named \"{target}\""));
            }
        }
    }
    if !g.states.iter().any(|s| s.terminal) {
        cx.err(
            &g.ptr.key("States"),
            "no terminal state: at least one state must be a Succeed or Fail state or have \"End\": true",
        );
    }
    // Reachability is only meaningful from a valid StartAt.
    let Some(start) = start else {
        return;
    };
    let mut seen = vec![false; g.states.len()];
    let mut stack = vec![start];
    seen[start] = true;
    while let Some(i) = stack.pop() {
        for (target, _) in &g.states[i].edges {
            if let Some(&j) = index.get(target.as_str()) {
                if !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            }
        }
    }
    for (s, reached) in g.states.iter().zip(seen) {
        if !reached {
            cx.err(&s.ptr, "state is not reachable from StartAt");
        }
    }
}

/// State names must be unique in the whole machine (ASL spec, "States"; statelint).
fn check_unique_names(cx: &mut Ctx, graphs: &[GraphInfo]) {
    // Graphs are recorded in pre-order (a graph before the graphs nested in it), so the
    // first occurrence is the outermost one.
    let mut first: HashMap<&str, &Ptr> = HashMap::new();
    for s in graphs.iter().flat_map(|g| g.states.iter()) {
        match first.get(s.name.as_str()) {
            None => {
                first.insert(&s.name, &s.ptr);
            }
            Some(prev) => {
                cx.err(
                    &s.ptr,
                    format!(
                        "duplicate state name \"{}\" (also defined at {prev}); state names must be unique in the whole state machine",
                        s.name
                    ),
                );
            }
        }
    }
}
