// One execution: its status, failure, live graph, input, output and history, polled
// about every second while it runs.
import { call, all } from './api.js';
import { h, formatDate, statusBadge, jsonBlock, errorBox } from './dom.js';
import { renderGraph, updateGraph } from './graph.js';
import { stateStatuses, executionFailure } from './status.js';
import { historyTable, appendEvents } from './history.js';

const POLL_MS = 1000;
// AWS's largest GetExecutionHistory page.
const PAGE = 1000;

/**
 * The events after id `after`. The first read takes the history oldest first; later
 * ones read newest first and stop at a known id, so a poll of a long history costs one
 * short page, with any API (AWS's page tokens are opaque: they cannot resume a read).
 */
async function eventsAfter(arn, after) {
  if (after === 0) return all('GetExecutionHistory', { executionArn: arn, maxResults: PAGE }, 'events');
  const fresh = [];
  let nextToken;
  do {
    const page = await call('GetExecutionHistory', {
      executionArn: arn, reverseOrder: true, maxResults: 100, ...(nextToken ? { nextToken } : {}),
    });
    for (const event of page.events || []) {
      if (event.id <= after) return fresh.reverse();
      fresh.push(event);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return fresh.reverse();
}

/** The definition the execution runs: its own version's, else its state machine's. */
async function definitionOf(execution) {
  let described;
  try {
    described = await call('DescribeStateMachineForExecution', { executionArn: execution.executionArn });
  } catch {
    described = await call('DescribeStateMachine', { stateMachineArn: execution.stateMachineArn });
  }
  return JSON.parse(described.definition);
}

/** Renders the execution `arn` into `main` and polls while `alive()` and it runs. */
export async function executionView(main, arn, alive) {
  let execution = await call('DescribeExecution', { executionArn: arn });
  const machineName = execution.stateMachineArn.split(':').slice(6).join(':');
  const status = h('span', { id: 'execution-status' });
  const times = h('span');
  const failure = h('section', { id: 'failure', class: 'failure', hidden: true });
  const io = h('section', { class: 'io' });
  const table = historyTable();
  const graphBox = h('div', { class: 'graph-box', id: 'graph' });
  const note = h('p', { class: 'muted poll-note' });
  main.replaceChildren(
    h('nav', { class: 'crumbs' }, h('a', { href: '#/' }, 'State machines'), ' / ',
      h('a', { href: `#/machine/${encodeURIComponent(execution.stateMachineArn)}` }, machineName), ' / ',
      execution.name),
    h('div', { class: 'title-row' }, h('h1', {}, execution.name), status),
    h('p', { class: 'meta' }, times, h('br'), h('code', {}, arn)),
    failure,
    h('section', { class: 'card' }, h('h2', {}, 'Graph'), legend(), graphBox, note),
    io,
    h('section', { class: 'card' }, h('h2', {}, 'History'), table));

  try {
    graphBox.append(renderGraph(await definitionOf(execution)));
  } catch (error) {
    graphBox.append(errorBox(`No graph: ${error.message}`));
  }
  const svg = graphBox.querySelector('svg');
  // Input and output are drawn again only when the status changes, so an opened block
  // stays open while the page polls.
  let shown = null;

  const events = [];
  for (;;) {
    // Ids ascend: the events not yet shown are those past the last one.
    const last = events.length ? events[events.length - 1].id : 0;
    for (const event of await eventsAfter(arn, last)) {
      if (event.id > (events.length ? events[events.length - 1].id : 0)) events.push(event);
    }
    if (!alive()) return;
    status.replaceChildren(statusBadge(execution.status));
    times.replaceChildren(`Started ${formatDate(execution.startDate)}`,
      execution.stopDate ? ` · stopped ${formatDate(execution.stopDate)}` : '',
      ` · ${events.length} events`);
    if (svg) updateGraph(svg, stateStatuses(events, execution.status));
    appendEvents(table, events);
    showFailure(failure, execution, events);
    if (shown !== execution.status) showIo(io, execution);
    shown = execution.status;
    if (execution.status !== 'RUNNING') {
      note.textContent = '';
      return;
    }
    note.textContent = 'Running: updates every second.';
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if (!alive()) return;
    execution = await call('DescribeExecution', { executionArn: arn });
  }
}

function showFailure(section, execution, events) {
  if (!['FAILED', 'TIMED_OUT', 'ABORTED'].includes(execution.status)) return;
  // DescribeExecution has the error and cause; the history has them on older APIs too.
  const fromHistory = executionFailure(events) || {};
  const error = execution.error ?? fromHistory.error ?? execution.status;
  const cause = execution.cause ?? fromHistory.cause ?? '';
  section.hidden = false;
  section.replaceChildren(
    h('h2', {}, `Execution ${execution.status.toLowerCase().replace('_', ' ')}`),
    h('p', {}, h('span', { class: 'label' }, 'Error'), h('code', { id: 'failure-error' }, error)),
    h('p', {}, h('span', { class: 'label' }, 'Cause'), h('span', { id: 'failure-cause', class: 'cause' }, cause)));
}

function showIo(section, execution) {
  const blocks = [jsonBlock('Input', execution.input ?? '', false)];
  if (execution.output !== undefined) blocks.push(jsonBlock('Output', execution.output, true));
  blocks.forEach((block, i) => block.setAttribute('id', i ? 'execution-output' : 'execution-input'));
  section.replaceChildren(h('div', { class: 'card' }, h('h2', {}, 'Input and output'), ...blocks));
}

function legend() {
  const items = [['running', 'Running'], ['succeeded', 'Succeeded'], ['failed', 'Failed'],
    ['caught', 'Caught'], ['cancelled', 'Cancelled'], ['idle', 'Not reached']];
  return h('ul', { class: 'legend' }, items.map(([key, text]) =>
    h('li', {}, h('span', { class: `swatch swatch-${key}` }), text)));
}
