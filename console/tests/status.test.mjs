// status.js and layout.js on histories and definitions written out here, including
// shapes the browser test cannot produce without Task runners (retries, caught Tasks
// with and without a StateExited, timeouts). Run: node --test console/tests/status.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stateStatuses, executionFailure } from '../status.js';
import { layout, ruleLabel } from '../layout.js';

// Events from types and state names: ids ascend, each after the one before.
function history(...steps) {
  return steps.map(([type, name], i) => {
    const event = { id: i + 1, previousEventId: i, type };
    if (/StateEntered$/.test(type)) event.stateEnteredEventDetails = { name, input: '{}' };
    if (/StateExited$/.test(type)) event.stateExitedEventDetails = { name, output: '{}' };
    return event;
  });
}

const statusOf = (events, executionStatus) =>
  Object.fromEntries([...stateStatuses(events, executionStatus)].map(([name, entry]) => [name, entry.status]));

test('a Task retried after a failure and then succeeding has succeeded, not been caught', () => {
  const events = history(['ExecutionStarted'], ['TaskStateEntered', 'Call'], ['TaskScheduled'],
    ['TaskStarted'], ['TaskFailed'], ['TaskScheduled'], ['TaskStarted'], ['TaskSucceeded'],
    ['TaskStateExited', 'Call'], ['ExecutionSucceeded']);
  assert.deepEqual(statusOf(events, 'SUCCEEDED'), { Call: 'succeeded' });
});

test('a caught Task is caught, with or without its StateExited', () => {
  const withExit = history(['ExecutionStarted'], ['TaskStateEntered', 'Call'],
    ['LambdaFunctionScheduled'], ['LambdaFunctionStarted'], ['LambdaFunctionFailed'],
    ['TaskStateExited', 'Call'], ['PassStateEntered', 'Recover'], ['PassStateExited', 'Recover'],
    ['ExecutionSucceeded']);
  assert.deepEqual(statusOf(withExit, 'SUCCEEDED'), { Call: 'caught', Recover: 'succeeded' });
  const withoutExit = history(['ExecutionStarted'], ['TaskStateEntered', 'Call'], ['TaskScheduled'],
    ['TaskStarted'], ['TaskTimedOut'], ['PassStateEntered', 'Recover']);
  assert.deepEqual(statusOf(withoutExit, 'RUNNING'), { Call: 'caught', Recover: 'running' });
});

test('the state an execution fails in is failed; one a success cuts short is cancelled', () => {
  const failed = history(['ExecutionStarted'], ['TaskStateEntered', 'Call'], ['TaskScheduled'],
    ['TaskStarted'], ['TaskFailed'], ['ExecutionFailed']);
  assert.deepEqual(statusOf(failed, 'FAILED'), { Call: 'failed' });
  const cut = history(['ExecutionStarted'], ['ParallelStateEntered', 'Both'], ['ParallelStateStarted'],
    ['FailStateEntered', 'Left'], ['WaitStateEntered', 'Right'], ['ParallelStateFailed'],
    ['ParallelStateExited', 'Both'], ['SucceedStateEntered', 'Done'], ['SucceedStateExited', 'Done'],
    ['ExecutionSucceeded']);
  assert.deepEqual(statusOf(cut, 'SUCCEEDED'),
    { Both: 'caught', Left: 'failed', Right: 'cancelled', Done: 'succeeded' });
});

test('a state run by several Map iterations counts them and runs while one does', () => {
  const events = history(['ExecutionStarted'], ['MapStateEntered', 'Each'], ['MapStateStarted'],
    ['PassStateEntered', 'Item'], ['PassStateExited', 'Item'], ['PassStateEntered', 'Item']);
  const statuses = stateStatuses(events, 'RUNNING');
  assert.deepEqual(statuses.get('Item'), { status: 'running', entered: 2, exited: 1 });
  assert.equal(statuses.get('Each').status, 'running');
});

test('a failure is read from the last execution event', () => {
  const events = history(['ExecutionStarted'], ['ExecutionTimedOut']);
  events[1].executionTimedOutEventDetails = { error: 'States.Timeout', cause: 'too slow' };
  assert.deepEqual(executionFailure(events), { error: 'States.Timeout', cause: 'too slow' });
  assert.equal(executionFailure(history(['ExecutionStarted'], ['ExecutionSucceeded'])), null);
});

test('the layout puts states in rows by distance, loops back and long edges aside', () => {
  const definition = {
    StartAt: 'A',
    States: {
      A: { Type: 'Choice', Choices: [{ Variable: '$.n', NumericLessThan: 3, Next: 'B' }], Default: 'D' },
      B: { Type: 'Pass', Next: 'C' },
      C: { Type: 'Pass', Next: 'A' },
      D: { Type: 'Succeed' },
    },
  };
  const { nodes, edges } = layout(definition);
  const y = Object.fromEntries(nodes.map((node) => [node.name, node.y]));
  assert.ok(y.A < y.B && y.B < y.C, JSON.stringify(y));
  const edge = (from, to) => edges.find((e) => e.from === from && e.to === to);
  assert.equal(edge('C', 'A').back, true);
  assert.equal(edge('A', 'B').label, '$.n < 3');
  assert.equal(edge('A', 'D').label, 'Default');
  // D sits one row below A (its only parent): no edge past a row.
  assert.equal(edges.some((e) => e.long), false);
  assert.equal(y.D, y.B);
});

test('Parallel branches and Map processors are nested layouts', () => {
  const { nodes } = layout({
    StartAt: 'P',
    States: {
      P: {
        Type: 'Parallel', End: true,
        Branches: [
          { StartAt: 'X', States: { X: { Type: 'Pass', End: true } } },
          { StartAt: 'M', States: { M: { Type: 'Map', End: true, ItemProcessor: { StartAt: 'Y', States: { Y: { Type: 'Pass', End: true } } } } } },
        ],
      },
    },
  });
  const [parallel] = nodes;
  assert.equal(parallel.inner.length, 2);
  const map = parallel.inner[1].layout.nodes[0];
  assert.equal(map.name, 'M');
  assert.equal(map.inner[0].layout.nodes[0].name, 'Y');
  // The boxes hold their contents.
  assert.ok(parallel.width >= parallel.inner[1].x + parallel.inner[1].layout.width);
});

test('Choice labels', () => {
  assert.equal(ruleLabel({ Variable: '$.tier', StringEquals: 'gold', Next: 'x' }), '$.tier == "gold"');
  assert.equal(ruleLabel({ Not: { Variable: '$.a', IsPresent: true }, Next: 'x' }), 'not($.a is present)');
  assert.equal(ruleLabel({ Condition: '{% $states.input.n > 1 %}', Next: 'x' }), '{% $states.input.n > 1 %}');
  assert.equal(ruleLabel({ Variable: '$.a', NumericEqualsPath: '$.b', Next: 'x' }), '$.a == $.b');
});
