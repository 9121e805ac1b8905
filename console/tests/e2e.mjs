// The console in a real browser: Debian's Chromium driven by playwright-core against a
// running `stepwise serve`. Usage: node e2e.mjs <server URL> <artefact dir>.
// It creates state machines and starts executions through the API, then checks what
// the page shows: a run in its Wait state, then succeeded with the Pass state's output
// in the history, the executions list filtered by status, a failure's error and cause,
// and nested Parallel/Map boxes. Screenshots go to the artefact directory.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [url, artefacts = 'target/console-artifacts'] = process.argv.slice(2);
if (!url) {
  console.error('usage: node e2e.mjs <server URL> [artefact dir]');
  process.exit(2);
}
mkdirSync(artefacts, { recursive: true });
const ROLE = 'arn:aws:iam::000000000000:role/stepwise';

async function api(operation, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': `AWSStepFunctions.${operation}` },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${operation}: ${JSON.stringify(json)}`);
  return json;
}

async function machine(name, definition) {
  const created = await api('CreateStateMachine', { name, definition: JSON.stringify(definition), roleArn: ROLE });
  return created.stateMachineArn;
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
  console.log(`ok - ${message}`);
}

const waitThenPass = await machine('console-wait', {
  StartAt: 'Nap',
  States: {
    Nap: { Type: 'Wait', Seconds: 3, Next: 'Done' },
    Done: { Type: 'Pass', Result: { greeting: 'hello from Pass' }, ResultPath: '$.result', End: true },
  },
});
const failing = await machine('console-fail', {
  StartAt: 'Charge',
  States: {
    Charge: { Type: 'Pass', Next: 'Declined' },
    Declined: { Type: 'Fail', Error: 'PaymentDeclined', Cause: 'The card ending 4242 was declined.' },
  },
});
const shapes = await machine('console-shapes', {
  StartAt: 'Fan out',
  States: {
    'Fan out': {
      Type: 'Parallel',
      Branches: [
        { StartAt: 'Left', States: { Left: { Type: 'Pass', End: true } } },
        { StartAt: 'Right', States: { Right: { Type: 'Fail', Error: 'Oops', Cause: 'right branch' } } },
      ],
      Catch: [{ ErrorEquals: ['Oops'], ResultPath: '$.error', Next: 'Each item' }],
      Next: 'Each item',
    },
    'Each item': {
      Type: 'Map', ItemsPath: '$.items', ResultPath: '$.mapped',
      ItemProcessor: { StartAt: 'Double', States: { Double: { Type: 'Pass', End: true } } },
      Next: 'Big?',
    },
    'Big?': {
      Type: 'Choice',
      Choices: [{ Variable: '$.items[0]', NumericGreaterThan: 10, Next: 'Big' }],
      Default: 'Small',
    },
    Big: { Type: 'Succeed' },
    Small: { Type: 'Succeed' },
  },
});

const profile = mkdtempSync(join(tmpdir(), 'stepwise-console-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  viewport: { width: 1280, height: 1000 },
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  // The background-networking flags keep Chromium from reaching out (this machine's
  // network refuses it); a fresh profile keeps runs independent.
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const failures = [];
try {
  const page = await browser.newPage();
  page.on('pageerror', (error) => failures.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') failures.push(`console error: ${message.text()}`);
  });
  const shot = async (name) => {
    await page.screenshot({ path: join(artefacts, name), fullPage: true });
    console.log(`screenshot ${join(artefacts, name)}`);
  };

  // GET / leads to the console, which lists the state machines.
  await page.goto(url);
  check(new URL(page.url()).pathname === '/console/', `GET / redirects to /console/ (at ${page.url()})`);
  await page.locator('#state-machines').getByText('console-wait').waitFor();
  check(await page.locator('#state-machines tbody tr').count() === 3, 'the home page lists the 3 state machines');

  // A run: RUNNING with its Wait state highlighted, then SUCCEEDED.
  // The page is loaded already: following a link (a new fragment) starts no new load,
  // so the page sees the run well within its 3 s Wait even on a busy machine.
  const run = await api('StartExecution', { stateMachineArn: waitThenPass, name: 'run-1', input: '{"order":7}' });
  const started = Date.now();
  await page.evaluate((arn) => { location.hash = `#/execution/${encodeURIComponent(arn)}`; }, run.executionArn);
  await page.locator('#execution-status [data-status="RUNNING"]').waitFor({ timeout: 2500 });
  await page.locator('g.node[data-state="Nap"][data-status="running"]').waitFor({ timeout: 2500 });
  console.log(`the page showed the run RUNNING ${Date.now() - started} ms after StartExecution`);
  check(await page.locator('g.node[data-state="Done"]').getAttribute('data-status') === 'idle',
    'while it runs: RUNNING, Nap running, Done not reached');
  await shot('running.png');

  await page.locator('#execution-status [data-status="SUCCEEDED"]').waitFor({ timeout: 15000 });
  console.log(`the page showed it SUCCEEDED ${Date.now() - started} ms after StartExecution (Wait 3 s)`);
  await page.locator('g.node[data-state="Done"][data-status="succeeded"]').waitFor({ timeout: 2000 });
  check(await page.locator('g.node[data-state="Nap"]').getAttribute('data-status') === 'succeeded',
    'once ended: SUCCEEDED, Nap and Done succeeded');
  const exited = page.locator('#history tbody tr', { hasText: 'PassStateExited' });
  check(await exited.locator('td.state-name').innerText() === 'Done', 'the history has Done\'s PassStateExited');
  await exited.locator('details summary').click();
  const output = JSON.parse(await exited.locator('details pre').innerText());
  check(output.result?.greeting === 'hello from Pass' && output.order === 7,
    `the history shows Done's output ${JSON.stringify(output)}`);
  check(await page.locator('#failure').isHidden(), 'a success shows no failure panel');
  await shot('succeeded.png');

  // A failure: its error and cause, and the Fail state in red.
  const failed = await api('StartExecution', { stateMachineArn: failing, name: 'fail-1' });
  await page.goto(`${url.replace(/\/$/, '')}/console/#/execution/${encodeURIComponent(failed.executionArn)}`);
  await page.locator('#execution-status [data-status="FAILED"]').waitFor({ timeout: 10000 });
  check(await page.locator('#failure-error').innerText() === 'PaymentDeclined', 'the failure shows its error');
  check(await page.locator('#failure-cause').innerText() === 'The card ending 4242 was declined.',
    'the failure shows its cause');
  check(await page.locator('g.node[data-state="Declined"]').getAttribute('data-status') === 'failed'
    && await page.locator('g.node[data-state="Charge"]').getAttribute('data-status') === 'succeeded',
  'the graph shows Charge succeeded and Declined failed');
  await shot('failed.png');

  // Nested boxes: Parallel branches and the Map processor inside their states; the
  // failed branch caught.
  const shaped = await api('StartExecution', { stateMachineArn: shapes, name: 'shapes-1', input: '{"items":[1,2,3]}' });
  await page.goto(`${url.replace(/\/$/, '')}/console/#/execution/${encodeURIComponent(shaped.executionArn)}`);
  await page.locator('#execution-status [data-status="SUCCEEDED"]').waitFor({ timeout: 10000 });
  check(await page.locator('g.node[data-state="Fan out"] g.node[data-state="Right"]').count() === 1
    && await page.locator('g.node[data-state="Each item"] g.node[data-state="Double"]').count() === 1,
  'Parallel branches and the Map processor are drawn inside their states');
  check(await page.locator('g.node[data-state="Fan out"]').getAttribute('data-status') === 'caught'
    && await page.locator('g.node[data-state="Small"]').getAttribute('data-status') === 'succeeded'
    && await page.locator('g.node[data-state="Big"]').getAttribute('data-status') === 'idle',
  'the caught Parallel, the Choice\'s Default taken, the other branch not reached');
  check(await page.locator('path.edge-catch').count() === 1
    && (await page.locator('.edge-label').allTextContents()).some((text) => text.includes('$.items[0] > 10')),
  'the Catch edge is dashed and the Choice edge labelled');
  check(await page.locator('g.node[data-state="Double"] text.count').textContent() === '×3',
    'the Map processor ran 3 times');
  await shot('shapes.png');

  // The executions list, filtered by status with the select.
  await page.goto(`${url.replace(/\/$/, '')}/console/#/`);
  await page.locator('#executions').waitFor();
  const listed = async () => page.locator('#executions tbody tr a[href^="#/execution/"]').allInnerTexts();
  await page.waitForFunction(() => document.querySelectorAll('#executions tbody tr').length === 3);
  check((await listed()).sort().join() === 'fail-1,run-1,shapes-1', 'All lists every execution');
  await page.locator('#status-filter').selectOption('FAILED');
  await page.waitForFunction(() => location.hash === '#/?status=FAILED'
    && document.querySelectorAll('#executions tbody tr').length === 1);
  check((await listed()).join() === 'fail-1', 'FAILED lists only fail-1');
  await shot('list-failed.png');
  await page.locator('#status-filter').selectOption('SUCCEEDED');
  await page.waitForFunction(() => location.hash === '#/?status=SUCCEEDED'
    && document.querySelectorAll('#executions tbody tr').length === 2);
  check((await listed()).sort().join() === 'run-1,shapes-1', 'SUCCEEDED lists run-1 and shapes-1');
  await page.locator('#status-filter').selectOption('RUNNING');
  await page.waitForFunction(() => location.hash === '#/?status=RUNNING'
    && document.getElementById('no-executions'));
  console.log('ok - RUNNING lists none');

  // A state machine's page: its executions and its graph.
  await page.goto(`${url.replace(/\/$/, '')}/console/#/machine/${encodeURIComponent(waitThenPass)}`);
  await page.locator('#executions tbody tr').first().waitFor();
  check((await listed()).join() === 'run-1' && await page.locator('g.node[data-state="Nap"]').count() === 1,
    'the state machine page lists its execution and draws its graph');
  await shot('machine.png');

  // An execution that does not exist: the API's error, word for word.
  const errors = failures.length;
  const unknown = run.executionArn.replace(/run-1$/, 'no-such-run');
  await page.goto(`${url.replace(/\/$/, '')}/console/#/execution/${encodeURIComponent(unknown)}`);
  await page.locator('.error-box').waitFor();
  check((await page.locator('.error-box').innerText()).startsWith('ExecutionDoesNotExist: '),
    `an unknown execution shows the API's error (${await page.locator('.error-box').innerText()})`);

  // ?endpoint= chooses the API: one that does not answer is reported, not hidden.
  const unreachable = 'http://127.0.0.1:9/';
  await page.goto(`${url.replace(/\/$/, '')}/console/?endpoint=${encodeURIComponent(unreachable)}#/`);
  await page.locator('.error-box').waitFor();
  check((await page.locator('.error-box').innerText()).includes(`could not reach ${unreachable}`),
    '?endpoint= is the API the page calls');
  // The browser itself logs the 400 and the refused connection: not page faults.
  failures.splice(errors);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
if (failures.length) {
  console.error(failures.join('\n'));
  process.exit(1);
}
console.log('console e2e: all checks passed');
