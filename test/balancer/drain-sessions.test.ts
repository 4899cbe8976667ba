// A planned stop drains the resource's servers and waits until no session is left on them,
// drain-delay (60 s here) being only the upper bound: a real single-node daemon, a
// tandem:process TCP service on loopback (says "web", then echoes; exits at once on SIGTERM)
// tied to a balancer's backend that follows the node. While a client's connection through
// the balancer lives, the stop waits; once it closes, the stop runs, long before the delay.
// With no connection, the stop runs at once. Every wait is bounded; processes end by PID.

import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { call } from '../../src/api/client.js';
import type { Request } from '../../src/api/protocol.js';
import { TestNode, waitFor } from '../support/daemon.js';
import { startTandem, type Running } from './process-support.js';
import { eventually, freePort, openClient } from './support.js';

const node = new TestNode();
const serviceAddress = '127.0.0.63';
const drainDelayS = 60;
/** Far below drain-delay, far above what a stop takes on a slow machine. */
const promptStopLimitMs = 40_000;
let balancer: Running | undefined;
let front = 0;

const service = `import { createServer } from 'node:net';
const [host, port] = process.argv.slice(2);
createServer((socket) => { socket.on('error', () => {}); socket.write('web\\n'); socket.pipe(socket); }).listen(Number(port), host);
process.on('SIGTERM', () => process.exit(0));
`;

interface LogEntry {
  msg: string;
  time: string;
  resource?: string;
  operation?: string;
  reason?: string;
  elapsedMs?: number;
}

function logEntries(): LogEntry[] {
  return readFileSync(join(node.dir, 'node.log'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogEntry);
}

/** The daemon's drain and stop lines for web, from the `from`th log entry on. */
function stopEvents(from: number): LogEntry[] {
  return logEntries()
    .slice(from)
    .filter((entry) => entry.resource === 'web' && (entry.msg === 'draining before the stop' || entry.msg === 'drain over' || (entry.msg === 'operation finished' && entry.operation === 'stop')));
}

const webRole = () => node.status()?.view.resources.find((resource) => resource.id === 'web')?.role;

/** A client through the balancer that got the service's greeting: its session is on the server. */
async function connectedClient(): Promise<ReturnType<typeof openClient>> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const client = openClient(front);
    if ((await client.firstLine.catch(() => undefined)) === 'web') return client;
    client.socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail('no connection through the balancer reached the service');
}

async function startWeb(): Promise<void> {
  const start = node.tandem('resource', 'start', 'web');
  assert.equal(start.status, 0, start.stderr);
  await waitFor('web to run', () => webRole() === 'Started');
  (await connectedClient()).socket.destroy();
}

before(async () => {
  node.start('node.log');
  await waitFor('the control socket', () => node.status() !== undefined);
  const port = await freePort(serviceAddress);
  front = await freePort();
  const script = join(node.dir, 'echo.mjs');
  writeFileSync(script, service);
  writeFileSync(join(node.dir, 'web.crm'), `primitive web tandem:process params command="exec ${process.execPath} ${script} ${serviceAddress} ${port}" op monitor interval=10s timeout=20s meta drain-delay=${drainDelayS}s target-role=Stopped\nproperty stonith-enabled=false\n`);
  const loaded = node.tandem('configure', 'load', join(node.dir, 'web.crm'));
  assert.equal(loaded.status, 0, loaded.stderr);
  const config = join(node.dir, 'balancer.cfg');
  writeFileSync(config, `defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 5m\n  timeout server 5m\nlisten web\n  bind 127.0.0.1:${front}\n  server node1 ${serviceAddress}:${port} check inter 60s fastinter 200 downinter 200 rise 1 fall 3\n`);
  balancer = startTandem(['balancer', '--config', config, '--cluster-data-dir', node.dataDir, '--resource', 'web=web']);
  await balancer.waitForLine(/^cluster: following node node1 through /, 30_000);
  await startWeb();
});

after(async () => {
  await balancer?.stop();
  await node.close();
});

test('a stop waits while a session lives on the drained server, and runs once it closes, long before drain-delay', async () => {
  const client = await connectedClient();
  const from = logEntries().length;
  const drains = balancer!.lines.length;
  const stop = node.tandem('resource', 'stop', 'web');
  assert.equal(stop.status, 0, stop.stderr);
  await eventually('the balancer to drain the server', () => balancer!.lines.slice(drains).some((line) => line === 'cluster: web/node1 up -> drain: web is being stopped on node1'), 20_000);
  await waitFor('the DC to start draining', () => stopEvents(from).length > 0);

  // The connection lives on: the balancer reports its session, and the DC keeps waiting.
  for (let round = 0; round < 3; round++) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const echoed = new Promise<string>((resolve) => client.socket.once('data', (chunk) => resolve(String(chunk))));
    client.socket.write(`still here ${round}\n`);
    assert.equal(await echoed, `still here ${round}\n`, 'the drained server still serves the running session');
  }
  assert.deepEqual(stopEvents(from).map((entry) => entry.msg), ['draining before the stop'], 'not stopped while the session lives');
  assert.equal(webRole(), 'Started');

  const closedAtMs = Date.now();
  client.socket.end();
  await waitFor('web to stop', () => webRole() === 'Stopped', promptStopLimitMs);
  const events = stopEvents(from);
  assert.deepEqual(events.map((entry) => entry.msg), ['draining before the stop', 'drain over', 'operation finished']);
  const over = events[1]!;
  assert.equal(over.reason, 'sessions gone');
  assert.ok(Date.parse(over.time) >= closedAtMs - 1, `the drain ended (${over.time}) after the client closed (${new Date(closedAtMs).toISOString()})`);
  assert.ok(over.elapsedMs! < drainDelayS * 1000, `ended after ${over.elapsedMs} ms, before drain-delay`);
});

test('with no session on the drained server, the stop runs at once', async () => {
  await startWeb();
  const from = logEntries().length;
  const stop = node.tandem('resource', 'stop', 'web');
  assert.equal(stop.status, 0, stop.stderr);
  await waitFor('web to stop', () => webRole() === 'Stopped', promptStopLimitMs);
  const events = stopEvents(from);
  assert.deepEqual(events.map((entry) => entry.msg), ['draining before the stop', 'drain over', 'operation finished']);
  assert.equal(events[1]!.reason, 'sessions gone');
});

test('a malformed session report is refused with what is wrong, and changes nothing', async () => {
  const malformed: Request = { method: 'sessions.report', balancer: 'probe', servers: [{ resource: 'web', node: 'node1', draining: true, sessions: -1 }] };
  await assert.rejects(call(node.dataDir, malformed), /sessions\.report from probe: server entry 1 needs resource, node, draining and a session count/);
  await assert.rejects(call(node.dataDir, { method: 'sessions.report', balancer: '', servers: [] }), /expected a balancer id/);
});
