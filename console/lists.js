// The lists: state machines, and executions filtered by status, for every state machine
// (the home page) or one (a state machine's page, with its graph).
import { call, all } from './api.js';
import { h, formatDate, statusBadge, errorBox } from './dom.js';
import { renderGraph } from './graph.js';

export const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];
const REFRESH_MS = 2000;
// Executions listed per state machine on the home page: the newest first.
const PER_MACHINE = 100;

function machineLink(arn, name) {
  return h('a', { href: `#/machine/${encodeURIComponent(arn)}` }, name);
}

function statusFilter(current, onChange) {
  return h('label', { class: 'filter' }, 'Status ',
    h('select', { id: 'status-filter', onchange: (event) => onChange(event.target.value) },
      h('option', { value: '', selected: !current }, 'All'),
      STATUSES.map((status) => h('option', { value: status, selected: current === status }, status))));
}

function executionsTable(executions, withMachine) {
  if (!executions.length) return h('p', { class: 'muted', id: 'no-executions' }, 'No executions.');
  return h('table', { class: 'list', id: 'executions' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Name'), withMachine && h('th', {}, 'State machine'),
      h('th', {}, 'Status'), h('th', {}, 'Started'), h('th', {}, 'Stopped'))),
    h('tbody', {}, executions.map((execution) => h('tr', { 'data-execution-arn': execution.executionArn, 'data-status': execution.status },
      h('td', {}, h('a', { href: `#/execution/${encodeURIComponent(execution.executionArn)}` }, execution.name)),
      withMachine && h('td', {}, machineLink(execution.stateMachineArn, execution.stateMachineArn.split(':').slice(6).join(':'))),
      h('td', {}, statusBadge(execution.status)),
      h('td', { class: 'time' }, formatDate(execution.startDate)),
      h('td', { class: 'time' }, formatDate(execution.stopDate))))));
}

/** Keeps `box` showing `load()`'s executions, refreshed while `alive()`. */
async function refreshing(box, load, withMachine, alive) {
  for (;;) {
    let content;
    try {
      content = executionsTable(await load(), withMachine);
    } catch (error) {
      content = errorBox(error);
    }
    if (!alive()) return;
    box.replaceChildren(content);
    await new Promise((resolve) => setTimeout(resolve, REFRESH_MS));
    if (!alive()) return;
  }
}

/** The home page: every state machine, and their executions with `status`. */
export async function homeView(main, query, navigate, alive) {
  const machines = await all('ListStateMachines', { maxResults: 1000 }, 'stateMachines');
  const status = query.get('status') || '';
  const box = h('div', { class: 'executions-box' });
  main.replaceChildren(
    h('section', { class: 'card' }, h('h2', {}, 'State machines'),
      machines.length
        ? h('table', { class: 'list', id: 'state-machines' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Type'), h('th', {}, 'Created'))),
          h('tbody', {}, machines.map((machine) => h('tr', { 'data-arn': machine.stateMachineArn },
            h('td', {}, machineLink(machine.stateMachineArn, machine.name)),
            h('td', {}, machine.type),
            h('td', { class: 'time' }, formatDate(machine.creationDate))))))
        : h('p', { class: 'muted' }, 'No state machines yet: create one with CreateStateMachine.')),
    h('section', { class: 'card' },
      h('div', { class: 'card-head' }, h('h2', {}, 'Executions'),
        statusFilter(status, (value) => navigate('/', value))),
      box));
  const load = async () => {
    const lists = await Promise.all(machines.map((machine) => call('ListExecutions', {
      stateMachineArn: machine.stateMachineArn,
      maxResults: PER_MACHINE,
      ...(status ? { statusFilter: status } : {}),
    })));
    return lists.flatMap((list) => list.executions || []).sort((a, b) => b.startDate - a.startDate);
  };
  await refreshing(box, load, true, alive);
}

/** A state machine's page: its graph and its executions with `status`. */
export async function machineView(main, arn, query, navigate, alive) {
  const machine = await call('DescribeStateMachine', { stateMachineArn: arn });
  const status = query.get('status') || '';
  const graphBox = h('div', { class: 'graph-box' });
  try {
    graphBox.append(renderGraph(JSON.parse(machine.definition)));
  } catch (error) {
    graphBox.append(errorBox(`No graph: ${error.message}`));
  }
  const box = h('div', { class: 'executions-box' });
  main.replaceChildren(
    h('nav', { class: 'crumbs' }, h('a', { href: '#/' }, 'State machines'), ' / ', machine.name),
    h('div', { class: 'title-row' }, h('h1', {}, machine.name), h('span', { class: 'badge' }, machine.type)),
    h('p', { class: 'meta' }, `Created ${formatDate(machine.creationDate)}`, h('br'), h('code', {}, arn)),
    h('section', { class: 'card' },
      h('div', { class: 'card-head' }, h('h2', {}, 'Executions'),
        statusFilter(status, (value) => navigate(`/machine/${encodeURIComponent(arn)}`, value))),
      box),
    h('section', { class: 'card' }, h('h2', {}, 'Definition'), graphBox));
  const load = () => all('ListExecutions', {
    stateMachineArn: arn,
    maxResults: 100,
    ...(status ? { statusFilter: status } : {}),
  }, 'executions', 1000);
  await refreshing(box, load, false, alive);
}
