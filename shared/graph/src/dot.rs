//! Graphviz DOT: Parallel branches and Map processors as nested clusters.

use std::fmt::Write as _;

use crate::model::{Cluster, Diagram, EdgeKind, Node};

/// The diagram as a DOT `digraph`, for `dot -Tsvg` and the tools that read DOT.
pub fn render(diagram: &Diagram) -> String {
    let mut out = String::from("digraph stepwise {\n");
    out.push_str("  compound=true;\n  rankdir=TB;\n");
    out.push_str("  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fillcolor=\"#ffffff\"];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=10];\n");
    out.push_str("  __start [shape=circle, label=\"Start\"];\n  __end [shape=doublecircle, label=\"End\"];\n");
    nodes(&diagram.root, 1, &mut out);
    let root = &diagram.root;
    if let Some(start) = root.nodes.get(root.start) {
        let _ = writeln!(
            out,
            "  __start -> {}{};",
            start.id,
            attach(None, Some(start))
        );
    }
    edges(root, &mut out);
    for node in root.nodes.iter().filter(|n| n.terminal) {
        let _ = writeln!(out, "  {} -> __end{};", node.id, attach(Some(node), None));
    }
    out.push_str("}\n");
    out
}

fn nodes(cluster: &Cluster, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    for node in &cluster.nodes {
        let (fill, stroke) = crate::colours(node.status);
        let label = quote(&node_label(node));
        if node.children.is_empty() {
            let _ = writeln!(
                out,
                "{pad}{} [label={label}, fillcolor=\"{fill}\", color=\"{stroke}\"];",
                node.id
            );
            continue;
        }
        // A Parallel or Map is a cluster; the state itself is a plain header node inside
        // it, which edges attach to (clipped at the cluster's border by lhead/ltail).
        let _ = writeln!(out, "{pad}subgraph cluster_{} {{", node.id);
        let _ = writeln!(
            out,
            "{pad}  label=\"\"; style=\"rounded,filled\"; fillcolor=\"{fill}\"; color=\"{stroke}\";"
        );
        let _ = writeln!(out, "{pad}  {} [label={label}, shape=plaintext];", node.id);
        for child in &node.children {
            let _ = writeln!(out, "{pad}  subgraph cluster_{} {{", child.id);
            let _ = writeln!(
                out,
                "{pad}    label={}; style=\"dashed,filled\"; fillcolor=\"#ffffff\"; color=\"#a0aec0\";",
                quote(&child.label)
            );
            nodes(child, depth + 2, out);
            let _ = writeln!(out, "{pad}  }}");
            // Keeps the header above the branches it heads.
            if let Some(start) = child.nodes.get(child.start) {
                let _ = writeln!(
                    out,
                    "{pad}  {} -> {} [style=invis{}];",
                    node.id,
                    start.id,
                    lhead(start)
                );
            }
        }
        let _ = writeln!(out, "{pad}}}");
    }
}

fn node_label(node: &Node) -> String {
    let mut label = format!("{}\n{}", node.name, node.kind);
    for retry in &node.retry {
        label.push('\n');
        label.push_str(retry);
    }
    label
}

fn edges(cluster: &Cluster, out: &mut String) {
    for edge in &cluster.edges {
        let from = &cluster.nodes[edge.from];
        let to = &cluster.nodes[edge.to];
        let mut attrs = attach(Some(from), Some(to));
        if edge.kind == EdgeKind::Catch {
            attrs = with(attrs, "style=dashed");
        }
        if let Some(label) = &edge.label {
            attrs = with(attrs, &format!("label={}", quote(label)));
        }
        let _ = writeln!(out, "  {} -> {}{attrs};", from.id, to.id);
    }
    for node in &cluster.nodes {
        for child in &node.children {
            edges(child, out);
        }
    }
}

/// `ltail`/`lhead` for edges leaving or entering a Parallel or Map cluster.
fn attach(from: Option<&Node>, to: Option<&Node>) -> String {
    let mut attrs = String::new();
    if let Some(from) = from.filter(|n| !n.children.is_empty()) {
        attrs = with(attrs, &format!("ltail=cluster_{}", from.id));
    }
    if let Some(to) = to.filter(|n| !n.children.is_empty()) {
        attrs = with(attrs, &format!("lhead=cluster_{}", to.id));
    }
    attrs
}

fn lhead(node: &Node) -> String {
    if node.children.is_empty() {
        String::new()
    } else {
        format!(", lhead=cluster_{}", node.id)
    }
}

fn with(attrs: String, attr: &str) -> String {
    if attrs.is_empty() {
        format!(" [{attr}]")
    } else {
        format!("{}, {attr}]", attrs.trim_end_matches(']'))
    }
}

/// A DOT quoted string: backslashes and quotes escaped, newlines as `\n`.
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{diagram, NESTED};
    use crate::status::Status;

    /// The text between `subgraph cluster_<id> {` and its matching `}`.
    fn cluster_body<'a>(text: &'a str, id: &str) -> &'a str {
        let open = format!("subgraph cluster_{id} {{");
        let start = text.find(&open).expect("cluster present") + open.len();
        let mut depth = 1;
        for (i, c) in text[start..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return &text[start..start + i];
                    }
                }
                _ => {}
            }
        }
        panic!("cluster_{id} is not closed");
    }

    #[test]
    fn clusters_nest_and_braces_balance() {
        let text = render(&diagram(NESTED));
        assert!(text.starts_with("digraph stepwise {") && text.trim_end().ends_with('}'));
        assert_eq!(text.matches('{').count(), text.matches('}').count());
        let parallel = cluster_body(&text, "s0");
        assert!(
            parallel.contains("subgraph cluster_c1 {")
                && parallel.contains("subgraph cluster_c2 {")
        );
        assert!(cluster_body(parallel, "c2")
            .contains("s2 [label=\"B\\nTask\\nRetry States.Timeout ×2\""));
        assert!(cluster_body(&text, "s3").contains("s4 [label=\"C\\nPass\""));
        assert!(
            !parallel.contains("s4 ["),
            "the Map's state is not in the Parallel"
        );
    }

    #[test]
    fn edges_attach_to_clusters_and_catches_are_dashed() {
        let text = render(&diagram(NESTED));
        assert!(text.contains("__start -> s0 [lhead=cluster_s0];"));
        assert!(text.contains("s0 -> s3 [ltail=cluster_s0, lhead=cluster_s3];"));
        assert!(
            text.contains("s0 -> s7 [ltail=cluster_s0, style=dashed, label=\"Catch States.ALL\"];")
        );
        assert!(text.contains("s5 -> s0 [lhead=cluster_s0, label=\"$.again == true\"];"));
        assert!(text.contains("s6 -> __end;"));
    }

    #[test]
    fn quotes_are_escaped_and_statuses_coloured() {
        let mut d = diagram(
            r#"{"StartAt": "a \"q\" \\ b", "States": {"a \"q\" \\ b": {"Type": "Pass", "End": true}}}"#,
        );
        d.colour(|_| Status::Failed);
        let text = render(&d);
        assert!(text.contains(
            r##"s0 [label="a \"q\" \\ b\nPass", fillcolor="#fed7d7", color="#c53030"];"##
        ));
    }
}
