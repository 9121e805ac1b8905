//! A layered layout for the SVG renderer, small enough to own (no Graphviz here).
//!
//! Per cluster: edges that close a cycle (found depth-first from `StartAt`) are set
//! aside, every state goes on the layer of its longest path from the start, one
//! barycentre sweep orders each layer, and rows are centred. A Parallel or Map box is
//! sized by laying out its branches first, side by side inside it (recursively).
//! Forward edges are straight lines; edges back up a cycle run in a lane on the right.
//! All coordinates are relative to the cluster's top-left corner.

use crate::model::{Cluster, Node};

pub const FONT_NAME: f64 = 13.0;
pub const FONT_SMALL: f64 = 11.0;
/// Average advance of Helvetica/Arial, as a fraction of the font size: text is measured
/// without a font engine, so it is estimated, a little generously.
const CHAR_WIDTH: f64 = 0.6;
const PAD: f64 = 14.0;
const NODE_GAP: f64 = 36.0;
const LAYER_GAP: f64 = 44.0;
/// Extra vertical room per labelled edge leaving a layer, so labels do not overlap.
const LABEL_ROOM: f64 = 18.0;
const LANE: f64 = 14.0;
pub const HEADER: f64 = 40.0;
pub const MARKER: f64 = 34.0;
/// The width a long edge reserves in each layer it crosses.
const BEND: f64 = 16.0;

pub fn text_width(text: &str, font: f64) -> f64 {
    text.chars().count() as f64 * font * CHAR_WIDTH
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    fn top(&self) -> (f64, f64) {
        (self.x + self.w / 2.0, self.y)
    }
    fn bottom(&self) -> (f64, f64) {
        (self.x + self.w / 2.0, self.y + self.h)
    }
    fn right(&self) -> (f64, f64) {
        (self.x + self.w, self.y + self.h / 2.0)
    }
}

/// What a laid-out box holds.
#[derive(Debug)]
pub enum Item {
    /// The state at this index of the cluster's `nodes`, with its branches' layouts.
    State(usize, Vec<(Rect, Layout)>),
    Start,
    End,
    /// Where a long edge crosses a layer (never drawn; filtered out of [`Layout::boxes`]).
    Bend,
}

#[derive(Debug)]
pub struct Layout {
    pub w: f64,
    pub h: f64,
    pub boxes: Vec<(Rect, Item)>,
    /// Polylines, in the order of the cluster's edges (then the start and end markers'),
    /// each with the point where its label goes.
    pub edges: Vec<Routed>,
}

#[derive(Debug)]
pub struct Routed {
    /// Index into the cluster's `edges`; `None` for a Start or End marker's edge.
    pub edge: Option<usize>,
    pub points: Vec<(f64, f64)>,
    pub label_at: (f64, f64),
}

/// Lays out `cluster`; `markers` adds Start and End (the top level only).
pub fn layout(cluster: &Cluster, markers: bool) -> Layout {
    let mut sizes: Vec<(f64, f64, Item)> = cluster
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let (w, h, children) = size(node);
            (w, h, Item::State(i, children))
        })
        .collect();
    // (from, to, cluster edge index, has a label)
    let mut edges: Vec<(usize, usize, Option<usize>, bool)> = cluster
        .edges
        .iter()
        .enumerate()
        .map(|(i, e)| (e.from, e.to, Some(i), e.label.is_some()))
        .collect();
    let mut start = cluster.start;
    if markers {
        let (s, e) = (sizes.len(), sizes.len() + 1);
        sizes.push((MARKER, MARKER, Item::Start));
        sizes.push((MARKER, MARKER, Item::End));
        edges.push((s, cluster.start, None, false));
        for (i, node) in cluster.nodes.iter().enumerate() {
            if node.terminal {
                edges.push((i, e, None, false));
            }
        }
        start = s;
    }
    let real = sizes.len();
    let back = back_edges(real, start, &edges);
    let mut layer = layers(real, &edges, &back);

    // An edge that spans several layers passes through a thin placeholder in each layer
    // between, which keeps a lane free for it among the boxes it would otherwise cross.
    let mut bends: Vec<Vec<usize>> = vec![Vec::new(); edges.len()];
    let mut segments: Vec<(usize, usize)> = Vec::new();
    for (k, &(from, to, _, _)) in edges.iter().enumerate() {
        if back.contains(&k) {
            continue;
        }
        let mut previous = from;
        for l in layer[from] + 1..layer[to] {
            let bend = sizes.len();
            sizes.push((BEND, 0.0, Item::Bend));
            layer.push(l);
            bends[k].push(bend);
            segments.push((previous, bend));
            previous = bend;
        }
        segments.push((previous, to));
    }
    let n = sizes.len();
    let rows = order(n, &layer, &segments);

    // Vertical placement: each row as tall as its tallest box, with room under it for
    // the labels of the edges that leave it.
    let mut row_y = Vec::with_capacity(rows.len());
    let mut row_h = Vec::with_capacity(rows.len());
    let mut y = 0.0;
    for row in &rows {
        row_y.push(y);
        let height = row.iter().map(|&i| sizes[i].1).fold(0.0, f64::max);
        row_h.push(height);
        let labelled = row
            .iter()
            .map(|&i| labels_from(i, &edges, &back))
            .max()
            .unwrap_or(0);
        y += height + LAYER_GAP + LABEL_ROOM * labelled.min(4) as f64;
    }
    let row_width = |row: &Vec<usize>| {
        row.iter().map(|&i| sizes[i].0).sum::<f64>() + NODE_GAP * row.len().saturating_sub(1) as f64
    };
    let width = rows.iter().map(row_width).fold(0.0, f64::max);
    let mut rects = vec![
        Rect {
            x: 0.0,
            y: 0.0,
            w: 0.0,
            h: 0.0
        };
        n
    ];
    for (r, row) in rows.iter().enumerate() {
        let mut x = (width - row_width(row)) / 2.0;
        for &i in row {
            let (w, h, _) = &sizes[i];
            rects[i] = Rect {
                x,
                y: row_y[r] + (row_h[r] - h) / 2.0,
                w: *w,
                h: *h,
            };
            x += w + NODE_GAP;
        }
    }
    let height = rows
        .iter()
        .flatten()
        .map(|&i| rects[i].y + rects[i].h)
        .fold(0.0, f64::max);

    // Edges: forward ones down through their bends; back ones through their own lane on
    // the right. Labels sit just below their source, one under the other.
    let mut routed = Vec::with_capacity(edges.len());
    let mut lanes = 0;
    let mut labels_placed = vec![0usize; n];
    let mut right = width;
    for (k, &(from, to, edge, labelled)) in edges.iter().enumerate() {
        let (a, b) = (rects[from], rects[to]);
        let stack = labels_placed[from] as f64;
        if labelled {
            labels_placed[from] += 1;
        }
        let (points, label_at) = if back.contains(&k) {
            lanes += 1;
            let lane = width + LANE * lanes as f64;
            let (sx, sy) = a.right();
            let (tx, ty) = b.right();
            let points = vec![(sx, sy), (lane, sy), (lane, ty), (tx, ty)];
            (points, (lane + 4.0, (sy + ty) / 2.0 + stack * LABEL_ROOM))
        } else {
            let mut points = vec![a.bottom()];
            for &bend in &bends[k] {
                let x = rects[bend].x + rects[bend].w / 2.0;
                let r = layer[bend];
                points.push((x, row_y[r]));
                points.push((x, row_y[r] + row_h[r]));
            }
            points.push(b.top());
            let ((sx, sy), (tx, ty)) = (points[0], points[1]);
            let at_y = sy + 12.0 + stack * LABEL_ROOM;
            let t = ((at_y - sy) / (ty - sy).max(1.0)).min(0.9);
            (points, (sx + (tx - sx) * t, sy + (ty - sy) * t))
        };
        if let Some(label) = edge.and_then(|e| cluster.edges[e].label.as_deref()) {
            right = right.max(label_at.0 + text_width(label, FONT_SMALL) + 16.0);
        }
        routed.push(Routed {
            edge,
            points,
            label_at,
        });
    }
    let lane_room = if lanes > 0 {
        LANE * (lanes as f64 + 1.0)
    } else {
        0.0
    };
    let boxes = sizes
        .into_iter()
        .zip(rects)
        .filter(|((_, _, item), _)| !matches!(item, Item::Bend))
        .map(|((_, _, item), rect)| (rect, item))
        .collect();
    Layout {
        w: (width + lane_room).max(right),
        h: height,
        boxes,
        edges: routed,
    }
}

/// How many labelled forward edges leave box `i`.
fn labels_from(i: usize, edges: &[(usize, usize, Option<usize>, bool)], back: &[usize]) -> usize {
    edges
        .iter()
        .enumerate()
        .filter(|(k, e)| e.0 == i && e.3 && !back.contains(k))
        .count()
}

/// A state's box: text for a plain state; header plus branches for Parallel and Map.
fn size(node: &Node) -> (f64, f64, Vec<(Rect, Layout)>) {
    let text = text_width(&node.name, FONT_NAME)
        .max(text_width(node.kind, FONT_SMALL))
        .max(
            node.retry
                .iter()
                .map(|r| text_width(r, FONT_SMALL))
                .fold(0.0, f64::max),
        );
    let lines_h = 20.0 + 16.0 + 14.0 * node.retry.len() as f64;
    if node.children.is_empty() {
        return ((text + 2.0 * PAD).max(110.0), lines_h + 8.0, Vec::new());
    }
    let header = HEADER + 14.0 * node.retry.len() as f64;
    let mut x = PAD;
    let mut tallest: f64 = 0.0;
    let mut children = Vec::new();
    for child in &node.children {
        let inner = layout(child, false);
        let label = text_width(&child.label, FONT_SMALL) + 2.0 * PAD;
        let w = (inner.w + 2.0 * PAD).max(label);
        let h = inner.h + 2.0 * PAD + 18.0;
        children.push((Rect { x, y: header, w, h }, inner));
        x += w + PAD;
        tallest = tallest.max(h);
    }
    let w = x.max(text + 2.0 * PAD);
    (w, header + tallest + PAD, children)
}

/// Edges (by index) that close a cycle: depth-first from the start, then from any
/// state not reached (an unreachable state is still drawn).
fn back_edges(n: usize, start: usize, edges: &[(usize, usize, Option<usize>, bool)]) -> Vec<usize> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut marks = vec![Mark::New; n];
    let mut back = Vec::new();
    let roots = std::iter::once(start).chain(0..n);
    for root in roots {
        if marks[root] != Mark::New {
            continue;
        }
        // Iterative DFS: (node, next outgoing edge to look at).
        let mut stack = vec![(root, 0usize)];
        marks[root] = Mark::Open;
        while let Some((node, next)) = stack.last_mut() {
            let node = *node;
            match edges
                .iter()
                .enumerate()
                .skip(*next)
                .find(|(_, e)| e.0 == node)
            {
                Some((k, &(_, to, _, _))) => {
                    *next = k + 1;
                    match marks[to] {
                        Mark::Open => back.push(k),
                        Mark::New => {
                            marks[to] = Mark::Open;
                            stack.push((to, 0));
                        }
                        Mark::Done => {}
                    }
                }
                None => {
                    marks[node] = Mark::Done;
                    stack.pop();
                }
            }
        }
    }
    back
}

/// Longest path from the sources over the forward edges.
fn layers(n: usize, edges: &[(usize, usize, Option<usize>, bool)], back: &[usize]) -> Vec<usize> {
    let forward: Vec<(usize, usize)> = edges
        .iter()
        .enumerate()
        .filter(|(k, _)| !back.contains(k))
        .map(|(_, e)| (e.0, e.1))
        .collect();
    let mut indegree = vec![0usize; n];
    for &(_, to) in &forward {
        indegree[to] += 1;
    }
    let mut layer = vec![0usize; n];
    let mut ready: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).rev().collect();
    while let Some(node) = ready.pop() {
        for &(from, to) in forward.iter().filter(|e| e.0 == node) {
            layer[to] = layer[to].max(layer[from] + 1);
            indegree[to] -= 1;
            if indegree[to] == 0 {
                ready.push(to);
            }
        }
    }
    layer
}

/// Rows of box indexes, top to bottom; within a row, ordered by the mean position of
/// their predecessors (one sweep), the author's order breaking ties.
fn order(n: usize, layer: &[usize], segments: &[(usize, usize)]) -> Vec<Vec<usize>> {
    let depth = layer.iter().copied().max().map_or(0, |d| d + 1);
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); depth];
    for (i, &l) in layer.iter().enumerate().take(n) {
        rows[l].push(i);
    }
    let mut position = vec![0.0; n];
    for row in &mut rows {
        let key = |i: usize| {
            let preds: Vec<f64> = segments
                .iter()
                .filter(|s| s.1 == i)
                .map(|s| position[s.0])
                .collect();
            if preds.is_empty() {
                i as f64
            } else {
                preds.iter().sum::<f64>() / preds.len() as f64
            }
        };
        let mut keyed: Vec<(f64, usize)> = row.iter().map(|&i| (key(i), i)).collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        *row = keyed.into_iter().map(|(_, i)| i).collect();
        for (p, &i) in row.iter().enumerate() {
            position[i] = p as f64;
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{diagram, NESTED};

    fn overlap(a: &Rect, b: &Rect) -> bool {
        a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
    }

    #[test]
    fn boxes_do_not_overlap_and_fit_their_cluster() {
        let d = diagram(NESTED);
        let layout = layout(&d.root, true);
        assert_eq!(layout.boxes.len(), d.root.nodes.len() + 2);
        for (i, (a, _)) in layout.boxes.iter().enumerate() {
            assert!(a.x >= 0.0 && a.y >= 0.0 && a.x + a.w <= layout.w && a.y + a.h <= layout.h);
            for (b, _) in &layout.boxes[i + 1..] {
                assert!(!overlap(a, b), "{a:?} overlaps {b:?}");
            }
        }
    }

    #[test]
    fn forward_edges_go_down_and_cycles_use_a_lane() {
        let d = diagram(NESTED);
        let layout = layout(&d.root, true);
        let rect = |i: usize| layout.boxes[i].0;
        // Start is above P, P above M, M above Loop?, Loop? above Done.
        let start = rect(d.root.nodes.len());
        assert!(start.y + start.h <= rect(0).y);
        assert!(rect(0).y + rect(0).h <= rect(1).y);
        assert!(rect(1).y + rect(1).h <= rect(2).y);
        assert!(rect(2).y + rect(2).h <= rect(3).y);
        // Loop? → P goes back up, through a lane right of every box.
        let back = layout
            .edges
            .iter()
            .find(|r| {
                r.edge
                    .is_some_and(|e| d.root.edges[e].from == 2 && d.root.edges[e].to == 0)
            })
            .expect("routed");
        assert_eq!(back.points.len(), 4);
        let widest = layout
            .boxes
            .iter()
            .map(|(r, _)| r.x + r.w)
            .fold(0.0, f64::max);
        assert!(back.points[1].0 > widest);
    }

    #[test]
    fn branches_sit_inside_their_parallel() {
        let d = diagram(NESTED);
        let layout = layout(&d.root, true);
        let (p, Item::State(0, branches)) = &layout.boxes[0] else {
            panic!("P first");
        };
        assert_eq!(branches.len(), 2);
        let (b1, b2) = (branches[0].0, branches[1].0);
        assert!(b1.x + b1.w <= b2.x, "side by side");
        for (r, inner) in branches {
            assert!(r.x + r.w <= p.w && r.y + r.h <= p.h);
            assert!(inner.w <= r.w && inner.h <= r.h);
        }
    }
}
