//! Mermaid flowcharts: Parallel branches and Map processors as nested subgraphs.

use std::fmt::Write as _;

use crate::model::{Cluster, Diagram, EdgeKind, Node};
use crate::status::Status;

const STATUSES: [Status; 6] = [
    Status::Succeeded,
    Status::Failed,
    Status::Caught,
    Status::Running,
    Status::Aborted,
    Status::NotReached,
];

/// The diagram as a Mermaid `flowchart TD`.
pub fn render(diagram: &Diagram) -> String {
    let mut out = String::from("flowchart TD\n");
    out.push_str("  __start((\"Start\"))\n  __end((\"End\"))\n");
    nodes(&diagram.root, 1, &mut out);
    let root = &diagram.root;
    if let Some(start) = root.nodes.get(root.start) {
        let _ = writeln!(out, "  __start --> {}", start.id);
    }
    edges(root, &mut out);
    for node in root.nodes.iter().filter(|n| n.terminal) {
        let _ = writeln!(out, "  {} --> __end", node.id);
    }
    let nodes = diagram.nodes();
    if nodes.iter().any(|n| n.status.is_some()) {
        for status in STATUSES {
            let (fill, stroke) = crate::colours(Some(status));
            let _ = writeln!(
                out,
                "  classDef {} fill:{fill},stroke:{stroke},stroke-width:2px",
                class(status)
            );
        }
        for node in nodes {
            if let Some(status) = node.status {
                let _ = writeln!(out, "  class {} {}", node.id, class(status));
            }
        }
    }
    out
}

fn class(status: Status) -> String {
    status.name().replace(' ', "_")
}

fn nodes(cluster: &Cluster, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    for node in &cluster.nodes {
        if node.children.is_empty() {
            let _ = writeln!(out, "{pad}{}[\"{}\"]", node.id, node_label(node));
            continue;
        }
        // A Parallel or Map is a subgraph holding its branches (or processor), so edges
        // to and from it attach to the whole box.
        let _ = writeln!(out, "{pad}subgraph {} [\"{}\"]", node.id, node_label(node));
        let _ = writeln!(out, "{pad}  direction TB");
        for child in &node.children {
            let _ = writeln!(
                out,
                "{pad}  subgraph {} [\"{}\"]",
                child.id,
                escape(&child.label)
            );
            let _ = writeln!(out, "{pad}    direction TB");
            nodes(child, depth + 2, out);
            let _ = writeln!(out, "{pad}  end");
        }
        let _ = writeln!(out, "{pad}end");
    }
}

fn node_label(node: &Node) -> String {
    let mut label = format!("{}<br/><i>{}</i>", escape(&node.name), node.kind);
    for retry in &node.retry {
        let _ = write!(label, "<br/><small>{}</small>", escape(retry));
    }
    label
}

/// Edges are written after every node, at the top level: an edge written inside a
/// subgraph would pull its nodes into that subgraph.
fn edges(cluster: &Cluster, out: &mut String) {
    for edge in &cluster.edges {
        let from = &cluster.nodes[edge.from].id;
        let to = &cluster.nodes[edge.to].id;
        let arrow = if edge.kind == EdgeKind::Catch {
            "-.->"
        } else {
            "-->"
        };
        match &edge.label {
            Some(label) => {
                let _ = writeln!(out, "  {from} {arrow}|\"{}\"| {to}", escape(label));
            }
            None => {
                let _ = writeln!(out, "  {from} {arrow} {to}");
            }
        }
    }
    for node in &cluster.nodes {
        for child in &node.children {
            edges(child, out);
        }
    }
}

/// Mermaid's entity codes for what its label syntax or its HTML labels would read.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '|' => out.push_str("#124;"),
            '#' => out.push_str("#35;"),
            '&' => out.push_str("#amp;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{diagram, NESTED};

    #[test]
    fn subgraphs_nest_and_balance() {
        let text = render(&diagram(NESTED));
        assert!(text.starts_with("flowchart TD\n"));
        let opened = text
            .lines()
            .filter(|l| l.trim_start().starts_with("subgraph "))
            .count();
        let closed = text.lines().filter(|l| l.trim() == "end").count();
        // P, its two branches, M and its processor.
        assert_eq!((opened, closed), (5, 5));
        // Branch B sits inside P: its line comes after P's subgraph opens, deeper.
        let p = text.find("subgraph s0 ").expect("P is a subgraph");
        let b = text.find("[\"B<br/>").expect("B is a node");
        assert!(p < b);
        assert!(text.contains("<small>Retry States.Timeout ×2</small>"));
    }

    #[test]
    fn every_state_and_edge_is_written() {
        let d = diagram(NESTED);
        let text = render(&d);
        for node in d.nodes() {
            assert!(
                text.contains(&format!("{}[\"{}<br/>", node.id, escape(&node.name)))
                    || text.contains(&format!("subgraph {} [\"{}<br/>", node.id, node.name)),
                "{} missing",
                node.name
            );
        }
        assert!(text.contains("__start --> s0"));
        assert!(text.contains("s0 -.->|\"Catch States.ALL\"| s7"));
        assert!(text.contains("s6 --> __end") && text.contains("s7 --> __end"));
        assert!(text.contains("s5 -->|\"$.again == true\"| s0"));
        assert!(!text.contains("classDef"), "no history, no colours");
    }

    #[test]
    fn labels_cannot_break_the_syntax() {
        let d = diagram(
            r#"{"StartAt": "say \"hi\" | <b>", "States": {
                "say \"hi\" | <b>": {"Type": "Choice", "Default": "x", "Choices": [
                    {"Variable": "$.s", "StringEquals": "a|\"b\"", "Next": "x"}]},
                "x": {"Type": "Succeed"}}}"#,
        );
        let text = render(&d);
        assert!(text.contains("s0[\"say #quot;hi#quot; #124; #lt;b#gt;<br/>"));
        assert!(text.contains("-->|\"$.s == #quot;a#124;\\#quot;b\\#quot;#quot;\"| s1"));
        for line in text.lines().filter(|l| l.contains("-->")) {
            assert_eq!(line.matches('|').count() % 2, 0, "{line}");
        }
    }

    #[test]
    fn statuses_become_classes() {
        let mut d = diagram(NESTED);
        d.colour(|name| {
            if name == "B" {
                Status::Failed
            } else {
                Status::NotReached
            }
        });
        let text = render(&d);
        assert!(text.contains("classDef failed fill:#fed7d7"));
        assert!(text.contains("class s2 failed"));
        assert!(text.contains("class s0 not_reached"));
    }
}
