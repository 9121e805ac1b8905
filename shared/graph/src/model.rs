//! The graph model: what every renderer draws, built once from a parsed definition.

use stepwise_core::definition::{Graph, StateKind, StateMachine, Transition};

use crate::label;
use crate::status::Status;

/// A whole state machine as a graph: the top-level states, with Start and End markers.
#[derive(Debug, Clone)]
pub struct Diagram {
    pub root: Cluster,
}

/// The states of one `States` block: the top level, a Parallel branch or a Map's
/// `ItemProcessor`, with the edges between them (edges never cross a cluster's border
/// in ASL: `Next` and `Catch` name states of the same block).
#[derive(Debug, Clone)]
pub struct Cluster {
    /// Unique in the diagram and safe as a DOT, Mermaid or SVG id (`c0`, `c1`, …).
    pub id: String,
    pub label: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// The index in `nodes` of `StartAt`.
    pub start: usize,
}

/// One state.
#[derive(Debug, Clone)]
pub struct Node {
    /// Unique in the diagram and safe as an id (`s0`, `s1`, …); state names may hold
    /// any character.
    pub id: String,
    /// The state's name, as written.
    pub name: String,
    /// `Task`, `Choice`, … .
    pub kind: &'static str,
    /// `Retry` in short (`Retry States.ALL ×3`), one line per retrier.
    pub retry: Vec<String>,
    /// Ends its cluster: `End: true`, `Succeed` or `Fail`.
    pub terminal: bool,
    /// A Parallel's branches or a Map's processor, drawn inside the state's box.
    pub children: Vec<Cluster>,
    /// How an execution went through this state, when a history was given.
    pub status: Option<Status>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// Indexes into the cluster's `nodes`.
    pub from: usize,
    pub to: usize,
    pub kind: EdgeKind,
    /// A Choice rule, `Default`, or a Catch's `ErrorEquals`.
    pub label: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    Next,
    /// A Choice rule.
    Choice,
    /// A Choice's `Default`.
    Default,
    /// A Catch: drawn dashed.
    Catch,
}

impl Diagram {
    /// The diagram of a parsed (hence valid) definition.
    pub fn new(machine: &StateMachine) -> Self {
        let mut ids = Ids::default();
        let label = machine
            .comment
            .clone()
            .unwrap_or_else(|| "State machine".to_owned());
        Diagram {
            root: cluster(&machine.graph, label, &mut ids),
        }
    }

    /// Every state of the diagram, nested ones included, depth first.
    pub fn nodes(&self) -> Vec<&Node> {
        let mut out = Vec::new();
        collect(&self.root, &mut out);
        out
    }

    /// Sets each state's status from `status` (by state name; names are unique in a
    /// whole state machine).
    pub fn colour(&mut self, status: impl Fn(&str) -> Status) {
        fn walk(cluster: &mut Cluster, status: &dyn Fn(&str) -> Status) {
            for node in &mut cluster.nodes {
                node.status = Some(status(&node.name));
                for child in &mut node.children {
                    walk(child, status);
                }
            }
        }
        walk(&mut self.root, &status);
    }
}

fn collect<'a>(cluster: &'a Cluster, out: &mut Vec<&'a Node>) {
    for node in &cluster.nodes {
        out.push(node);
        for child in &node.children {
            collect(child, out);
        }
    }
}

#[derive(Default)]
struct Ids {
    states: usize,
    clusters: usize,
}

impl Ids {
    fn state(&mut self) -> String {
        self.states += 1;
        format!("s{}", self.states - 1)
    }

    fn cluster(&mut self) -> String {
        self.clusters += 1;
        format!("c{}", self.clusters - 1)
    }
}

fn cluster(graph: &Graph, label: String, ids: &mut Ids) -> Cluster {
    let id = ids.cluster();
    let index = |name: &str| graph.states.get_index_of(name);
    let mut nodes = Vec::with_capacity(graph.states.len());
    let mut edges = Vec::new();
    for (from, state) in graph.states.values().enumerate() {
        let node_id = ids.state();
        let children = match &state.kind {
            StateKind::Parallel(parallel) => parallel
                .branches
                .iter()
                .enumerate()
                .map(|(i, branch)| cluster(branch, format!("Branch {}", i + 1), ids))
                .collect(),
            StateKind::Map(map) => vec![cluster(&map.processor, "Item processor".into(), ids)],
            _ => Vec::new(),
        };
        let mut edge = |to: &str, kind, label| {
            // The parser checked every target exists; a missing one draws nothing.
            if let Some(to) = index(to) {
                edges.push(Edge {
                    from,
                    to,
                    kind,
                    label,
                });
            }
        };
        if let Transition::Next(next) = &state.transition {
            edge(next, EdgeKind::Next, None);
        }
        if let StateKind::Choice(choice) = &state.kind {
            for rule in &choice.choices {
                let text = label::condition(&rule.condition);
                edge(&rule.next, EdgeKind::Choice, Some(text));
            }
            if let Some(default) = &choice.default {
                edge(default, EdgeKind::Default, Some("Default".into()));
            }
        }
        for catcher in &state.catch {
            let text = format!("Catch {}", catcher.error_equals.join(", "));
            edge(&catcher.next, EdgeKind::Catch, Some(text));
        }
        nodes.push(Node {
            id: node_id,
            name: state.name.clone(),
            kind: state.type_name(),
            retry: state.retry.iter().map(label::retrier).collect(),
            terminal: matches!(state.transition, Transition::End)
                || matches!(state.kind, StateKind::Succeed | StateKind::Fail(_)),
            children,
            status: None,
        });
    }
    Cluster {
        id,
        label,
        nodes,
        edges,
        start: index(&graph.start_at).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{diagram, NESTED};

    #[test]
    fn every_state_appears_once_and_clusters_nest() {
        let d = diagram(NESTED);
        let mut names: Vec<_> = d.nodes().iter().map(|n| n.name.as_str()).collect();
        names.sort();
        assert_eq!(names, ["A", "B", "C", "Done", "Loop?", "M", "Oops", "P"]);
        let p = &d.root.nodes[0];
        assert_eq!(p.children.len(), 2);
        assert_eq!(p.children[1].nodes[0].name, "B");
        assert_eq!(p.children[1].nodes[0].retry, ["Retry States.Timeout ×2"]);
        assert_eq!(d.root.nodes[1].children[0].nodes[0].name, "C");
        let mut ids: Vec<_> = d.nodes().iter().map(|n| n.id.clone()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 8, "ids are unique");
    }

    #[test]
    fn edges_carry_their_kind_and_label() {
        let d = diagram(NESTED);
        let edges = &d.root.edges;
        let edge = |from, to, kind, label: Option<&str>| Edge {
            from,
            to,
            kind,
            label: label.map(str::to_owned),
        };
        assert!(edges.contains(&edge(0, 1, EdgeKind::Next, None)));
        assert!(edges.contains(&edge(0, 4, EdgeKind::Catch, Some("Catch States.ALL"))));
        assert!(edges.contains(&edge(2, 0, EdgeKind::Choice, Some("$.again == true"))));
        assert!(edges.contains(&edge(2, 3, EdgeKind::Default, Some("Default"))));
        let terminal: Vec<_> = d.root.nodes.iter().map(|n| n.terminal).collect();
        assert_eq!(terminal, [false, false, false, true, true]);
    }

    #[test]
    fn choice_rules_and_default_are_labelled() {
        let d = diagram(
            r#"{"StartAt": "C", "States": {
                "C": {"Type": "Choice", "Default": "D", "Choices": [
                    {"Variable": "$.n", "NumericLessThan": 3, "Next": "D"},
                    {"And": [{"Variable": "$.a", "IsPresent": true},
                             {"Not": {"Variable": "$.s", "StringEquals": "x"}}], "Next": "D"}
                ]},
                "D": {"Type": "Succeed"}}}"#,
        );
        let labels: Vec<_> = d.root.edges.iter().map(|e| e.label.clone()).collect();
        assert_eq!(
            labels,
            [
                Some("$.n < 3".to_owned()),
                Some("And($.a is present, Not($.s == \"x\"))".to_owned()),
                Some("Default".to_owned()),
            ]
        );
    }
}
