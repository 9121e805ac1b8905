// Each state's status, derived from an execution's history alone (no API of its own):
// running, succeeded, failed, caught (failed and handled by a Catch), cancelled (cut
// short by its Parallel or Map ending) or, when absent, not reached.

// The state type whose failures and successes an event reports: Task states report
// through their service (`TaskFailed`, `LambdaFunctionTimedOut`, `ActivityFailed`).
function outcome(type) {
  const task = /^(Task|LambdaFunction|Activity)\w*?(Succeeded|Failed|TimedOut)$/.exec(type);
  if (task) return { kind: 'Task', failed: task[2] !== 'Succeeded' };
  const block = /^(Parallel|Map)State(Succeeded|Failed|Aborted)$/.exec(type);
  if (block) return { kind: block[1], failed: block[2] !== 'Succeeded' };
  return null;
}

/**
 * `Map` from state name to `{status, entered, exited}` for `events` (in ascending id
 * order) of an execution whose status is `executionStatus`. A state that runs many
 * times (in a Map's iterations, or a loop) counts every run.
 */
export function stateStatuses(events, executionStatus) {
  const states = new Map();
  // Runs entered and not yet exited, latest last: a failure event belongs to the latest
  // open run of its kind.
  const open = [];
  // Failure event id → the run it failed. Whether a caught state logs its StateExited
  // varies (Stepwise does); a state entered straight after a failure event is the Catch
  // taken, and ends the failed run either way.
  const failures = new Map();
  for (const event of events) {
    const entered = /^(\w+)StateEntered$/.exec(event.type);
    if (entered) {
      const caught = failures.get(event.previousEventId);
      if (caught && open.includes(caught)) {
        states.get(caught.name).exited += 1;
        open.splice(open.indexOf(caught), 1);
      }
      const name = event.stateEnteredEventDetails?.name;
      const state = states.get(name) || { type: entered[1], entered: 0, exited: 0, failed: false };
      state.entered += 1;
      states.set(name, state);
      open.push({ name, type: entered[1] });
      continue;
    }
    if (/StateExited$/.test(event.type)) {
      const name = event.stateExitedEventDetails?.name;
      const state = states.get(name);
      if (state) state.exited += 1;
      const at = open.map((run) => run.name).lastIndexOf(name);
      if (at >= 0) open.splice(at, 1);
      continue;
    }
    const result = outcome(event.type);
    if (result) {
      const run = [...open].reverse().find((candidate) => candidate.type === result.kind);
      if (run) {
        states.get(run.name).failed = result.failed;
        if (result.failed) failures.set(event.id, run);
      }
    }
  }
  const statuses = new Map();
  for (const [name, state] of states) {
    statuses.set(name, { status: status(state, executionStatus), entered: state.entered, exited: state.exited });
  }
  return statuses;
}

function status(state, executionStatus) {
  if (state.entered > state.exited) {
    // A Fail state never exits: it has failed as soon as it is entered.
    if (state.type === 'Fail') return 'failed';
    if (executionStatus === 'RUNNING') return 'running';
    return executionStatus === 'SUCCEEDED' ? 'cancelled' : 'failed';
  }
  return state.failed ? 'caught' : 'succeeded';
}

/** The failure of an ended execution, from its last event: `{error, cause}` or null. */
export function executionFailure(events) {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const event = events[i];
    const match = /^Execution(Failed|TimedOut|Aborted)$/.exec(event.type);
    if (match) {
      const details = event[`execution${match[1]}EventDetails`] || {};
      return { error: details.error || `Execution${match[1]}`, cause: details.cause || '' };
    }
  }
  return null;
}
