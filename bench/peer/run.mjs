// Runs one state machine on aws-local-stepfunctions, the peer `stepwise bench` compares
// against, and prints one JSON object on stdout:
//   {"peer", "version", "seconds": [one per timed run], "states_entered", "output"}
// or {"error": "..."} when the peer cannot run the definition (exit code 1).
//
//   node run.mjs DEFINITION.json INPUT.json [--repeat N]
//
// Only `run(...).result` is timed: the definition is parsed and validated once, before the
// first run, as stepwise parses it once. The first run is a warm-up (the JIT compiles the
// interpreter) and is where the states are counted from the event log, the same way
// stepwise counts transitions: states entered, Map iterations' states included.
import { readFileSync } from 'node:fs';
import { StateMachine } from 'aws-local-stepfunctions';

const [definitionPath, inputPath, ...rest] = process.argv.slice(2);
if (!definitionPath || !inputPath) {
  console.error('usage: node run.mjs DEFINITION.json INPUT.json [--repeat N]');
  process.exit(2);
}
const repeatAt = rest.indexOf('--repeat');
const repeat = repeatAt >= 0 ? Number(rest[repeatAt + 1]) : 5;
const version = JSON.parse(
  readFileSync(new URL('./node_modules/aws-local-stepfunctions/package.json', import.meta.url)),
).version;

try {
  const definition = JSON.parse(readFileSync(definitionPath, 'utf8'));
  const input = JSON.parse(readFileSync(inputPath, 'utf8'));
  const machine = new StateMachine(definition);

  const warmUp = machine.run(input);
  const output = await warmUp.result;
  let statesEntered = 0;
  for await (const event of warmUp.eventLogs) {
    if (event.type === 'StateEntered') statesEntered += 1;
  }

  const seconds = [];
  for (let i = 0; i < repeat; i += 1) {
    const started = process.hrtime.bigint();
    await machine.run(input).result;
    seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
  }
  console.log(
    JSON.stringify({
      peer: 'aws-local-stepfunctions',
      version,
      seconds,
      states_entered: statesEntered,
      output,
    }),
  );
} catch (error) {
  console.log(JSON.stringify({ error: String(error?.message ?? error) }));
  process.exit(1);
}
