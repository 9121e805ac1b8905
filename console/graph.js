// The state machine as SVG, from layout.js's boxes: one `<g data-state=NAME
// data-status=STATUS>` per state, so a status update only changes attributes.
import { layout } from './layout.js';

const SVG = 'http://www.w3.org/2000/svg';
const MARGIN = 16;

function s(tag, attrs = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, value);
  for (const child of children) element.append(child);
  return element;
}

/** An SVG of `definition`; `update(graph, statuses)` colours it. */
export function renderGraph(definition) {
  const top = layout(definition, true);
  const svg = s('svg', {
    class: 'graph',
    width: top.width + 2 * MARGIN,
    height: top.height + 2 * MARGIN,
    viewBox: `${-MARGIN} ${-MARGIN} ${top.width + 2 * MARGIN} ${top.height + 2 * MARGIN}`,
    role: 'img',
    'aria-label': 'State machine graph',
  });
  svg.append(s('defs', {},
    s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
      s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }))));
  svg.append(drawBlock(top));
  return svg;
}

function drawBlock(block) {
  const group = s('g');
  const nodes = new Map(block.nodes.map((node) => [node.name, node]));
  const edges = s('g', { class: 'edges' });
  const labels = s('g', { class: 'labels' });
  // Edges between the same two states (a Next and a Catch to one state) side by side.
  const pairs = new Map();
  for (const edge of block.edges) {
    const key = `${edge.from}\u0000${edge.to}`;
    (pairs.get(key) || pairs.set(key, []).get(key)).push(edge);
  }
  const sides = { back: 0, long: 0 };
  for (const list of pairs.values()) {
    list.forEach((edge, i) => {
      const side = edge.back ? 'back' : 'long';
      const sideIndex = edge.back || edge.long ? sides[side]++ : 0;
      drawEdge(edge, nodes, edges, labels, (i - (list.length - 1) / 2) * 28, sideIndex);
    });
  }
  group.append(edges);
  for (const node of block.nodes) group.append(drawNode(node));
  // Labels last, above the boxes they may cross.
  group.append(labels);
  return group;
}

function drawNode(node) {
  if (node.marker) {
    const r = node.width / 2;
    return s('g', { class: `marker marker-${node.marker}` },
      s('circle', { cx: node.x + r, cy: node.y + r, r }),
      s('text', { x: node.x + r, y: node.y + r + 4, 'text-anchor': 'middle' }, node.marker === 'start' ? '▶' : '■'));
  }
  const group = s('g', {
    class: `node type-${node.state.Type}${node.inner ? ' container' : ''}`,
    'data-state': node.name,
    'data-status': 'idle',
  });
  group.append(s('title', {}, `${node.name} (${node.state.Type})`));
  group.append(s('rect', { x: node.x, y: node.y, width: node.width, height: node.height, rx: 8 }));
  const name = node.name.length > 24 ? `${node.name.slice(0, 23)}…` : node.name;
  if (node.inner) {
    group.append(s('text', { x: node.x + 12, y: node.y + 19, class: 'name' }, name));
    group.append(s('text', { x: node.x + node.width - 10, y: node.y + 19, class: 'kind', 'text-anchor': 'end' }, node.state.Type));
    for (const entry of node.inner) {
      const inner = drawBlock(entry.layout);
      inner.setAttribute('transform', `translate(${node.x + entry.x} ${node.y + entry.y})`);
      group.append(s('rect', {
        class: 'lane', x: node.x + entry.x - 8, y: node.y + entry.y - 8,
        width: entry.layout.width + 16, height: entry.layout.height + 16, rx: 6,
      }));
      group.append(inner);
    }
  } else {
    group.append(s('text', { x: node.x + node.width / 2, y: node.y + 17, 'text-anchor': 'middle', class: 'name' }, name));
    group.append(s('text', { x: node.x + node.width / 2, y: node.y + 31, 'text-anchor': 'middle', class: 'kind' }, node.state.Type));
  }
  // How many times the state ran (Map iterations, loops), inside its box's corner.
  const countY = node.inner ? node.y + node.height - 6 : node.y + node.height / 2 + 4;
  group.append(s('text', { x: node.x + node.width - 8, y: countY, 'text-anchor': 'end', class: 'count' }, ''));
  return group;
}

function drawEdge(edge, nodes, edges, labels, offset, sideIndex) {
  const from = nodes.get(edge.from);
  const to = nodes.get(edge.to);
  if (!from || !to) return;
  let d;
  let mid;
  if (edge.back || edge.long) {
    // Round the side, clear of every state between the two rows: loops on the right,
    // long edges on the left, each a little further out than the one before.
    const right = edge.back;
    const y1 = from.y + from.height / 2;
    const y2 = to.y + to.height / 2;
    const top = Math.min(from.y, to.y);
    const bottom = Math.max(from.y + from.height, to.y + to.height);
    const between = [...nodes.values()].filter((node) => node.y < bottom && node.y + node.height > top);
    const step = 18 + 8 * Math.min(sideIndex, 3);
    const out = right
      ? Math.max(...between.map((node) => node.x + node.width)) + step
      : Math.min(...between.map((node) => node.x)) - step;
    const x1 = right ? from.x + from.width : from.x;
    const x2 = right ? to.x + to.width : to.x;
    const r = 8;
    const dx = right ? -r : r;
    const dy = y2 > y1 ? r : -r;
    d = `M${x1},${y1} H${out + dx} Q${out},${y1} ${out},${y1 + dy} V${y2 - dy} Q${out},${y2} ${out + dx},${y2} H${x2}`;
    mid = { x: out, y: (y1 + y2) / 2 };
  } else {
    const x1 = from.x + from.width / 2 + offset;
    const y1 = from.y + from.height;
    const x2 = to.x + to.width / 2 + offset;
    const y2 = to.y;
    const bend = Math.max(20, (y2 - y1) / 2);
    d = `M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}`;
    mid = { x: (x1 + x2) / 2, y: (y1 + y2) / 2 };
  }
  edges.append(s('path', {
    d, class: `edge edge-${edge.kind}`, 'marker-end': 'url(#arrow)',
    'data-from': edge.from, 'data-to': edge.to,
  }));
  if (edge.label) {
    const width = edge.label.length * 6.4 + 10;
    labels.append(s('g', { class: `edge-label edge-label-${edge.kind}` },
      s('rect', { x: mid.x - width / 2, y: mid.y - 9, width, height: 16, rx: 4 }),
      s('text', { x: mid.x, y: mid.y + 3, 'text-anchor': 'middle' }, edge.label)));
  }
}

/** Colours `svg`'s states with `statuses` (from status.js); the rest are not reached. */
export function updateGraph(svg, statuses) {
  for (const node of svg.querySelectorAll('g.node')) {
    const entry = statuses.get(node.dataset.state);
    node.dataset.status = entry ? entry.status : 'idle';
    const count = node.querySelector(':scope > text.count');
    count.textContent = entry && entry.entered > 1 ? `×${entry.entered}` : '';
  }
}
