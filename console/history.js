// The history table: one row per event, appended as events arrive (the history only
// grows), so the JSON a reader has opened stays open while the page polls.
import { h, formatDate, jsonBlock } from './dom.js';

/** The details object of an event (`stateEnteredEventDetails`, …), if any. */
function detailsOf(event) {
  const key = Object.keys(event).find((k) => k.endsWith('EventDetails'));
  return key ? event[key] : {};
}

function row(event) {
  const details = detailsOf(event);
  const failed = /(Failed|TimedOut|Aborted)$/.test(event.type);
  const cells = [];
  if (details.input !== undefined) cells.push(jsonBlock('input', details.input));
  if (details.output !== undefined) cells.push(jsonBlock('output', details.output));
  if (details.error !== undefined || details.cause !== undefined) {
    cells.push(h('div', { class: 'event-error' }, h('b', {}, details.error || ''), ' ', details.cause || ''));
  }
  // Whatever else the event says (a resource, a Map's length, an iteration's index).
  const rest = Object.fromEntries(Object.entries(details).filter(([key]) =>
    !['name', 'input', 'output', 'inputDetails', 'outputDetails', 'error', 'cause'].includes(key)));
  if (Object.keys(rest).length) cells.push(h('code', { class: 'event-extra' }, JSON.stringify(rest)));
  return h('tr', { 'data-event-id': event.id, class: failed ? 'event-failed' : '' },
    h('td', { class: 'num' }, event.id),
    h('td', { class: 'time' }, formatDate(event.timestamp)),
    h('td', {}, event.type),
    h('td', { class: 'state-name' }, details.name ?? ''),
    h('td', { class: 'payload' }, cells));
}

/** An empty history table; `appendEvents(table, events)` fills it. */
export function historyTable() {
  return h('table', { class: 'history', id: 'history' },
    h('thead', {}, h('tr', {},
      h('th', {}, 'ID'), h('th', {}, 'Timestamp'), h('th', {}, 'Type'), h('th', {}, 'State'),
      h('th', {}, 'Input / output'))),
    h('tbody'));
}

/** Adds the events of `events` not yet in `table`. */
export function appendEvents(table, events) {
  const body = table.tBodies[0];
  for (const event of events.slice(body.rows.length)) body.append(row(event));
}
