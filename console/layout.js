// A layered layout of a state machine definition, computed here so the page needs no
// graph library: states in rows by their longest distance from StartAt, Parallel
// branches and Map processors as nested layouts inside their state's box. Edges going
// back up (loops) are drawn round the right-hand side, edges past a row round the left.

export const NODE = { width: 176, height: 40 };
const GAP_X = 32;
const GAP_Y = 52;
const PAD = 16;
const HEADER = 30;
const MARKER = 14;
const SIDE = 56;

const COMPARATORS = {
  StringEquals: '==', NumericEquals: '==', BooleanEquals: '==', TimestampEquals: '==',
  StringLessThan: '<', NumericLessThan: '<', TimestampLessThan: '<',
  StringGreaterThan: '>', NumericGreaterThan: '>', TimestampGreaterThan: '>',
  StringLessThanEquals: '<=', NumericLessThanEquals: '<=', TimestampLessThanEquals: '<=',
  StringGreaterThanEquals: '>=', NumericGreaterThanEquals: '>=', TimestampGreaterThanEquals: '>=',
  StringMatches: 'matches', IsPresent: 'is present', IsNull: 'is null', IsString: 'is string',
  IsNumeric: 'is numeric', IsBoolean: 'is boolean', IsTimestamp: 'is timestamp',
};

/** A short label for a Choice rule: `$.x == 1`, `not(…)`, a JSONata condition. */
export function ruleLabel(rule) {
  let text;
  if (typeof rule.Condition === 'string') text = rule.Condition;
  else if (rule.Not) text = `not(${ruleLabel(rule.Not)})`;
  else if (Array.isArray(rule.And)) text = rule.And.map(ruleLabel).join(' and ');
  else if (Array.isArray(rule.Or)) text = rule.Or.map(ruleLabel).join(' or ');
  else {
    const key = Object.keys(rule).find((k) => k.replace(/Path$/, '') in COMPARATORS);
    if (!key) text = 'rule';
    else {
      const op = COMPARATORS[key.replace(/Path$/, '')];
      // A path (`NumericEqualsPath`) is shown as written, a literal as JSON.
      let value = ` ${JSON.stringify(rule[key])}`;
      if (/^Is/.test(key)) value = rule[key] ? '' : ' (false)';
      else if (key.endsWith('Path')) value = ` ${rule[key]}`;
      text = `${rule.Variable ?? ''} ${op}${value}`.trim();
    }
  }
  return text.length > 32 ? `${text.slice(0, 31)}…` : text;
}

/** The edges leaving `state`: `{to, kind: next|choice|default|catch|end, label}`. */
function edgesOf(state) {
  const edges = [];
  if (state.Type === 'Choice') {
    for (const rule of state.Choices || []) edges.push({ to: rule.Next, kind: 'choice', label: ruleLabel(rule) });
    if (state.Default) edges.push({ to: state.Default, kind: 'default', label: 'Default' });
  } else if (state.Next) {
    edges.push({ to: state.Next, kind: 'next' });
  }
  for (const handler of state.Catch || []) {
    edges.push({ to: handler.Next, kind: 'catch', label: (handler.ErrorEquals || []).join(', ') });
  }
  if (state.End || state.Type === 'Succeed' || state.Type === 'Fail') edges.push({ to: END, kind: 'end' });
  return edges;
}

const START = '\u0000start';
const END = '\u0000end';

/** The nested blocks a state holds: Parallel branches, a Map's processor. */
function blocksOf(state) {
  if (state.Type === 'Parallel') return state.Branches || [];
  if (state.Type === 'Map') {
    const processor = state.ItemProcessor || state.Iterator;
    return processor ? [processor] : [];
  }
  return [];
}

/**
 * The layout of a block (`{StartAt, States}`): `{width, height, nodes, edges}` in the
 * block's own coordinates. A node is `{name, state, x, y, width, height, marker?,
 * inner?: [{x, y, layout}]}`; an edge is `{from, to, kind, label, back, long}` (`back`:
 * to a row above or its own; `long`: past a row). `markers`
 * adds Start and End circles (the top level has them).
 */
export function layout(block, markers = false) {
  const states = (block && typeof block.States === 'object' && block.States) || {};
  const names = Object.keys(states);
  const outgoing = new Map(names.map((name) => [name, edgesOf(states[name]).filter(
    (edge) => edge.to === END ? markers : edge.to in states)]));
  if (markers) {
    outgoing.set(START, block.StartAt in states ? [{ to: block.StartAt, kind: 'next' }] : []);
    outgoing.set(END, []);
  }
  const all = markers ? [START, ...names, END] : names;

  // Depth-first from StartAt, then from any state not reached, marking edges into a
  // state still on the stack as back edges (loops).
  const order = [];
  const seen = new Set();
  const onStack = new Set();
  const visit = (name) => {
    seen.add(name);
    onStack.add(name);
    for (const edge of outgoing.get(name)) {
      if (onStack.has(edge.to)) edge.back = true;
      else if (!seen.has(edge.to)) visit(edge.to);
    }
    onStack.delete(name);
    order.push(name);
  };
  const roots = markers ? [START, ...names] : [block.StartAt, ...names];
  for (const name of roots) if (outgoing.has(name) && !seen.has(name)) visit(name);
  if (outgoing.has(END) && !seen.has(END)) visit(END);
  order.reverse();

  // Longest path over forward edges, in topological order.
  const layer = new Map(all.map((name) => [name, 0]));
  for (const name of order) {
    for (const edge of outgoing.get(name)) {
      if (!edge.back) layer.set(edge.to, Math.max(layer.get(edge.to), layer.get(name) + 1));
    }
  }
  if (markers) {
    // The End circle sits below every state.
    layer.set(END, Math.max(1, ...names.map((name) => layer.get(name) + 1)));
  }

  const nodes = new Map(all.map((name) => [name, sized(name, states[name])]));
  const rows = [];
  for (const name of order) {
    const row = layer.get(name);
    (rows[row] ||= []).push(name);
  }
  // One pass of barycentres: a state goes under the mean position of its parents.
  const position = new Map();
  rows.forEach((row, r) => {
    if (r > 0) {
      const parents = new Map();
      for (const name of order) {
        for (const edge of outgoing.get(name)) {
          if (!edge.back && layer.get(edge.to) === r) {
            (parents.get(edge.to) || parents.set(edge.to, []).get(edge.to)).push(position.get(name) ?? 0);
          }
        }
      }
      const mean = (name) => {
        const list = parents.get(name) || [];
        return list.length ? list.reduce((a, b) => a + b, 0) / list.length : Infinity;
      };
      row.sort((a, b) => mean(a) - mean(b));
    }
    row.forEach((name, i) => position.set(name, i));
  });

  // Rows centred on the widest one, each as tall as its tallest node.
  const rowWidth = (row) => row.reduce((sum, name) => sum + nodes.get(name).width, 0) + GAP_X * (row.length - 1);
  const width = Math.max(NODE.width, ...rows.filter(Boolean).map(rowWidth));
  let y = 0;
  for (const row of rows.filter(Boolean)) {
    const height = Math.max(...row.map((name) => nodes.get(name).height));
    let x = (width - rowWidth(row)) / 2;
    for (const name of row) {
      const node = nodes.get(name);
      node.x = x;
      node.y = y + (height - node.height) / 2;
      x += node.width + GAP_X;
    }
    y += height + GAP_Y;
  }

  const edges = [];
  for (const [from, list] of outgoing) {
    for (const edge of list) {
      const back = Boolean(edge.back) || layer.get(edge.to) <= layer.get(from);
      // An edge past a row would cross its states: it goes round the left-hand side.
      const long = !back && layer.get(edge.to) - layer.get(from) > 1;
      edges.push({ from, ...edge, back, long });
    }
  }
  // Room for the edges drawn round the sides: loops on the right, long edges on the left.
  const right = edges.some((edge) => edge.back) ? SIDE : 0;
  const left = edges.some((edge) => edge.long) ? SIDE : 0;
  for (const node of nodes.values()) node.x += left;
  return { width: width + left + right, height: Math.max(0, y - GAP_Y), nodes: [...nodes.values()], edges };
}

function sized(name, state) {
  if (name === START || name === END) {
    return { name, marker: name === START ? 'start' : 'end', width: MARKER * 2, height: MARKER * 2 };
  }
  const blocks = blocksOf(state);
  if (!blocks.length) return { name, state, ...NODE };
  const inner = blocks.map((block) => ({ layout: layout(block) }));
  let x = PAD;
  for (const entry of inner) {
    entry.x = x;
    entry.y = HEADER;
    x += entry.layout.width + GAP_X;
  }
  const width = Math.max(NODE.width, x - GAP_X + PAD);
  // A lone block is centred in a box made wider by its name.
  if (inner.length === 1) inner[0].x = (width - inner[0].layout.width) / 2;
  const height = HEADER + Math.max(0, ...inner.map((entry) => entry.layout.height)) + PAD;
  return { name, state, width, height, inner };
}
