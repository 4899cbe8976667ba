// drain-delay: a planned stop waits before it runs, so a request in flight when the stop was
// decided still gets its answer (the balancers following the cluster stop sending new ones
// meanwhile); a recovery does not wait. A real daemon, a tandem:process HTTP service on
// loopback that answers slowly and exits at once on SIGTERM.

import { strict as assert } from 'node:assert';
import { request } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TestNode, waitFor } from '../support/daemon.js';

const node = new TestNode();
const address = '127.0.0.62';
const port = 18_000 + (process.pid % 2_000);
const answerAfterMs = 1_500;

const service = `import { createServer } from 'node:http';
createServer((_request, response) => setTimeout(() => response.end('done\\n'), ${answerAfterMs})).listen(${port}, '${address}');
process.on('SIGTERM', () => process.exit(0));
`;

function logEntries(): Array<{ msg: string; resource?: string; operation?: string }> {
  return readFileSync(join(node.dir, 'node.log'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg: string; resource?: string; operation?: string });
}

const drains = () => logEntries().filter((entry) => entry.msg === 'draining before the stop' && entry.resource === 'web').length;

function slowGet(): Promise<number | string> {
  return new Promise((resolve) => {
    const outgoing = request({ host: address, port, path: '/', timeout: 20_000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', (error) => resolve(error.message));
    });
    outgoing.on('error', (error) => resolve(error.message));
    outgoing.on('timeout', () => outgoing.destroy(new Error('timed out')));
    outgoing.end();
  });
}

const running = () => node.status()?.view.resources.find((resource) => resource.id === 'web')?.role === 'Started' && node.status()?.pending.length === 0;

before(async () => {
  node.start('node.log');
  await waitFor('the control socket', () => node.status() !== undefined);
  const script = join(node.dir, 'slow.mjs');
  writeFileSync(script, service);
  writeFileSync(join(node.dir, 'web.crm'), `primitive web tandem:process params command="exec ${process.execPath} ${script}" op monitor interval=10s timeout=20s meta drain-delay=5s\nproperty stonith-enabled=false\n`);
  const loaded = node.tandem('configure', 'load', join(node.dir, 'web.crm'));
  assert.equal(loaded.status, 0, loaded.stderr);
  await waitFor('web to run', running);
});

after(() => node.close());

test('a request in flight when a planned stop is decided gets its answer: the stop waits drain-delay first', async () => {
  // The service listens a moment after its process starts.
  for (let attempt = 0; attempt < 50 && typeof (await slowGet()) !== 'number'; attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
  const answer = slowGet();
  const stop = node.tandem('resource', 'stop', 'web');
  assert.equal(stop.status, 0, stop.stderr);
  assert.equal(await answer, 200, 'the request in flight was answered');
  await waitFor('web to stop', () => node.status()?.view.resources.find((resource) => resource.id === 'web')?.role === 'Stopped');
  assert.equal(drains(), 1);
  const order = logEntries().filter((entry) => entry.msg === 'draining before the stop' || (entry.msg === 'operation finished' && entry.operation === 'stop' && entry.resource === 'web')).map((entry) => entry.msg);
  assert.deepEqual(order, ['draining before the stop', 'operation finished']);
});

test('a recovery does not wait: the failed service is stopped and started again without draining', async () => {
  const start = node.tandem('resource', 'start', 'web');
  assert.equal(start.status, 0, start.stderr);
  await waitFor('web to run again', running);
  const pid = Number.parseInt(readFileSync(join(node.dataDir, 'run', 'web.pid'), 'utf8'), 10);
  process.kill(-pid, 'SIGKILL');
  await waitFor('the fail count', () => node.status()?.failCounts.some((entry) => entry.resource === 'web' && entry.count === 1) === true);
  await waitFor('web to run after its recovery', running);
  assert.equal(drains(), 1, 'no drain for the recovery');
});
