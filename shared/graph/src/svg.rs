//! A self-contained SVG: boxes laid out by our own layered layout, nested groups for
//! Parallel branches and Map processors, and a legend when states carry a status.

use std::fmt::Write as _;

use crate::layout::{self, Item, Layout, Rect, FONT_NAME, FONT_SMALL, MARKER};
use crate::model::{Cluster, Diagram, EdgeKind, Node};
use crate::status::Status;

const MARGIN: f64 = 20.0;
const LEGEND: f64 = 36.0;
const MAX_TITLE: usize = 80;

/// The diagram as an SVG document.
pub fn render(diagram: &Diagram) -> String {
    let laid = layout::layout(&diagram.root, true);
    let coloured = diagram.nodes().iter().any(|n| n.status.is_some());
    // A long Comment is cut: it heads the drawing, it should not set its width.
    let title = crate::label::shorten_to(&diagram.root.label, MAX_TITLE);
    let w = laid.w.max(layout::text_width(&title, FONT_NAME)) + 2.0 * MARGIN;
    let legend = if coloured { LEGEND } else { 0.0 };
    let h = laid.h + 2.0 * MARGIN + 24.0 + legend;
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" font-family="Helvetica, Arial, sans-serif">
<title>{}</title>
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#4a5568"/></marker></defs>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="{MARGIN}" y="{:.0}" font-size="{FONT_NAME}" font-weight="bold" fill="#2d3748">{}</text>
<g transform="translate({MARGIN},{:.0})">
"##,
        escape(&diagram.root.label),
        MARGIN,
        escape(&title),
        MARGIN + 24.0,
    );
    cluster(&diagram.root, &laid, &mut out);
    out.push_str("</g>\n");
    if coloured {
        legend_row(&mut out, h - LEGEND);
    }
    out.push_str("</svg>\n");
    out
}

fn cluster(cluster: &Cluster, laid: &Layout, out: &mut String) {
    // Edges first, so boxes cover their ends; labels last, so nothing covers them.
    for routed in &laid.edges {
        let dashed = routed
            .edge
            .is_some_and(|e| cluster.edges[e].kind == EdgeKind::Catch);
        let points: Vec<String> = routed
            .points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let dash = if dashed {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        let _ = writeln!(
            out,
            r##"<polyline class="edge" points="{}" fill="none" stroke="#4a5568" stroke-width="1.4"{dash} marker-end="url(#arrow)"/>"##,
            points.join(" ")
        );
    }
    for (rect, item) in &laid.boxes {
        match item {
            Item::Start => marker(out, rect, "Start"),
            Item::End => marker(out, rect, "End"),
            Item::State(i, branches) => state(&cluster.nodes[*i], rect, branches, out),
            Item::Bend => {}
        }
    }
    for routed in &laid.edges {
        let Some(label) = routed.edge.and_then(|e| cluster.edges[e].label.as_deref()) else {
            continue;
        };
        let (x, y) = routed.label_at;
        let w = layout::text_width(label, FONT_SMALL) + 8.0;
        let _ = writeln!(
            out,
            r##"<g class="edge-label"><rect x="{:.1}" y="{:.1}" width="{w:.1}" height="15" rx="3" fill="#ffffff" fill-opacity="0.9"/><text x="{:.1}" y="{:.1}" font-size="{FONT_SMALL}" fill="#2d3748">{}</text></g>"##,
            x + 4.0,
            y - 7.5,
            x + 8.0,
            y + 4.0,
            escape(label)
        );
    }
}

fn marker(out: &mut String, rect: &Rect, text: &str) {
    let r = MARKER / 2.0;
    let _ = writeln!(
        out,
        r##"<g class="marker"><circle cx="{:.1}" cy="{:.1}" r="{r}" fill="#edf2f7" stroke="#4a5568"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="#2d3748">{text}</text></g>"##,
        rect.x + r,
        rect.y + r,
        rect.x + r,
        rect.y + r + 3.5,
    );
}

fn state(node: &Node, rect: &Rect, branches: &[(Rect, Layout)], out: &mut String) {
    let (fill, stroke) = crate::colours(node.status);
    let status = node.status.map(Status::name).unwrap_or("none");
    let _ = writeln!(
        out,
        r#"<g class="state" id="{}" data-state="{}" data-status="{status}" transform="translate({:.1},{:.1})">"#,
        node.id,
        escape(&node.name),
        rect.x,
        rect.y
    );
    let _ = writeln!(
        out,
        r#"<title>{} ({}): {status}</title>"#,
        escape(&node.name),
        node.kind
    );
    let _ = writeln!(
        out,
        r#"<rect width="{:.1}" height="{:.1}" rx="8" fill="{fill}" stroke="{stroke}" stroke-width="1.6"/>"#,
        rect.w, rect.h
    );
    let cx = rect.w / 2.0;
    let compound = !branches.is_empty();
    let top = if compound { 18.0 } else { 20.0 };
    let _ = writeln!(
        out,
        r##"<text x="{cx:.1}" y="{top}" font-size="{FONT_NAME}" font-weight="bold" text-anchor="middle" fill="#1a202c">{}</text>"##,
        escape(&node.name)
    );
    let _ = writeln!(
        out,
        r##"<text x="{cx:.1}" y="{}" font-size="{FONT_SMALL}" text-anchor="middle" fill="#4a5568">{}</text>"##,
        top + 15.0,
        node.kind
    );
    for (i, retry) in node.retry.iter().enumerate() {
        let _ = writeln!(
            out,
            r##"<text x="{cx:.1}" y="{}" font-size="{FONT_SMALL}" font-style="italic" text-anchor="middle" fill="#744210">{}</text>"##,
            top + 29.0 + 14.0 * i as f64,
            escape(retry)
        );
    }
    for (child, (area, laid)) in node.children.iter().zip(branches) {
        let _ = writeln!(
            out,
            r#"<g class="cluster" id="{}" transform="translate({:.1},{:.1})">"#,
            child.id, area.x, area.y
        );
        let _ = writeln!(
            out,
            r##"<rect width="{:.1}" height="{:.1}" rx="6" fill="#ffffff" fill-opacity="0.7" stroke="#a0aec0" stroke-dasharray="4 3"/>"##,
            area.w, area.h
        );
        let _ = writeln!(
            out,
            r##"<text x="8" y="14" font-size="{FONT_SMALL}" fill="#718096">{}</text>"##,
            escape(&child.label)
        );
        // The inner layout is centred in the branch's box, below its label.
        let _ = writeln!(
            out,
            r#"<g transform="translate({:.1},{:.1})">"#,
            (area.w - laid.w) / 2.0,
            (area.h - laid.h + 18.0) / 2.0
        );
        cluster(child, laid, out);
        out.push_str("</g>\n</g>\n");
    }
    out.push_str("</g>\n");
}

fn legend_row(out: &mut String, y: f64) {
    let _ = writeln!(
        out,
        r#"<g class="legend" transform="translate({MARGIN},{y:.0})">"#
    );
    let mut x = 0.0;
    for status in [
        Status::Succeeded,
        Status::Failed,
        Status::Caught,
        Status::Running,
        Status::Aborted,
        Status::NotReached,
    ] {
        let (fill, stroke) = crate::colours(Some(status));
        let _ = writeln!(
            out,
            r##"<rect x="{x:.1}" y="4" width="14" height="14" rx="3" fill="{fill}" stroke="{stroke}"/><text x="{:.1}" y="15" font-size="{FONT_SMALL}" fill="#2d3748">{}</text>"##,
            x + 20.0,
            status.name()
        );
        x += 34.0 + layout::text_width(status.name(), FONT_SMALL);
    }
    out.push_str("</g>\n");
}

/// XML text and attribute escaping.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{diagram, NESTED};

    fn parse(text: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(text).expect("well-formed XML")
    }

    #[test]
    fn well_formed_with_every_state_once() {
        let d = diagram(NESTED);
        let text = render(&d);
        let doc = parse(&text);
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        let states: Vec<_> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("state"))
            .map(|n| n.attribute("data-state").unwrap_or_default().to_owned())
            .collect();
        let mut sorted = states.clone();
        sorted.sort();
        assert_eq!(sorted, ["A", "B", "C", "Done", "Loop?", "M", "Oops", "P"]);
        // The Parallel's branches are groups inside the Parallel's group.
        let p = doc
            .descendants()
            .find(|n| n.attribute("data-state") == Some("P"))
            .expect("P");
        let inner: Vec<_> = p
            .descendants()
            .filter_map(|n| n.attribute("data-state"))
            .collect();
        assert_eq!(inner, ["P", "A", "B"]);
        let clusters = p
            .descendants()
            .filter(|n| n.attribute("class") == Some("cluster"))
            .count();
        assert_eq!(clusters, 2);
    }

    #[test]
    fn catch_edges_are_dashed_and_labels_escaped() {
        let d = diagram(
            r#"{"StartAt": "T<&>", "States": {
                "T<&>": {"Type": "Pass", "Next": "C"},
                "C": {"Type": "Choice", "Default": "F", "Choices": [
                    {"Variable": "$.n", "NumericLessThan": 3, "Next": "T<&>"}]},
                "F": {"Type": "Fail"}}}"#,
        );
        let text = render(&d);
        let doc = parse(&text);
        let labels: Vec<_> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("edge-label"))
            .filter_map(|n| n.descendants().find(|t| t.has_tag_name("text")))
            .filter_map(|t| t.text())
            .collect();
        assert_eq!(labels, ["$.n < 3", "Default"]);
        assert!(doc
            .descendants()
            .any(|n| n.attribute("data-state") == Some("T<&>")));

        let text = render(&diagram(NESTED));
        let doc = parse(&text);
        let dashed = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("edge"))
            .filter(|n| n.attribute("stroke-dasharray").is_some())
            .count();
        assert_eq!(dashed, 1, "one Catch");
    }

    #[test]
    fn statuses_fill_states_and_add_a_legend() {
        let mut d = diagram(NESTED);
        let text = render(&d);
        assert!(!text.contains("class=\"legend\""));
        d.colour(|name| {
            if name == "B" {
                Status::Failed
            } else {
                Status::Succeeded
            }
        });
        let text = render(&d);
        let doc = parse(&text);
        let b = doc
            .descendants()
            .find(|n| n.attribute("data-state") == Some("B"))
            .expect("B");
        assert_eq!(b.attribute("data-status"), Some("failed"));
        let fill = b
            .children()
            .find(|n| n.has_tag_name("rect"))
            .and_then(|r| r.attribute("fill"));
        assert_eq!(fill, Some(crate::colours(Some(Status::Failed)).0));
        assert!(doc
            .descendants()
            .any(|n| n.attribute("class") == Some("legend")));
    }
}
