// Built-in health checks: tandem:http watches a real HTTP server (supervised by
// tandem:process) on loopback; when the server reports unhealthy, the check fails.

import { strict as assert } from 'node:assert';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TestNode, waitFor } from '../support/daemon.js';

const node = new TestNode();
after(() => node.close());
const port = 20_000 + (process.pid % 10_000);

function role(id: string): string | undefined {
  return node.status()?.view.resources.find((resource) => resource.id === id)?.role;
}

test('an http check follows the health of the service it watches', async () => {
  node.start('node.log');
  await waitFor('the control socket', () => node.status() !== undefined);
  const healthy = join(node.dir, 'healthy');
  writeFileSync(healthy, '');
  const server = `require('http').createServer((q, r) => { r.statusCode = require('fs').existsSync('${healthy}') ? 200 : 503; r.end(); }).listen(${port}, '127.0.0.1')`;
  writeFileSync(join(node.dir, 'checks.crm'), `primitive web tandem:process params command="exec ${process.execPath} -e \\"${server}\\"" op monitor interval=10s
primitive web-check tandem:http params url="http://127.0.0.1:${port}/" op start timeout=3s op monitor interval=1s
order web-first inf: web web-check
colocation check-with-web inf: web-check web
property stonith-enabled=false
`);
  const loaded = node.tandem('configure', 'load', join(node.dir, 'checks.crm'));
  assert.equal(loaded.status, 0, loaded.stderr);
  await waitFor('web and its check to run', () => role('web') === 'Started' && role('web-check') === 'Started' && node.status()?.pending.length === 0);

  rmSync(healthy);
  await waitFor('the check to fail and stay stopped (its start times out while unhealthy)', () => role('web-check') === 'Stopped' && node.status()?.failedActions.some((action) => action.resource === 'web-check') === true);
  assert.equal(role('web'), 'Started');

  writeFileSync(healthy, '');
  assert.equal(node.tandem('resource', 'cleanup', 'web-check').status, 0);
  await waitFor('the check to run again once healthy', () => role('web-check') === 'Started' && node.status()?.pending.length === 0);
});

test('a supervised process with check_url is recovered when it runs but does not answer', async () => {
  const healthy = join(node.dir, 'healthy2');
  const starts = join(node.dir, 'starts2');
  writeFileSync(healthy, '');
  const checkedPort = port + 1;
  const server = `require('fs').appendFileSync('${starts}', process.pid + '\\\\n'); require('http').createServer((q, r) => { r.statusCode = require('fs').existsSync('${healthy}') ? 200 : 503; r.end(); }).listen(${checkedPort}, '127.0.0.1')`;
  writeFileSync(join(node.dir, 'checked.crm'), `primitive api tandem:process params command="exec ${process.execPath} -e \\"${server}\\"" check_url="http://127.0.0.1:${checkedPort}/" op start timeout=30s op monitor interval=1s
property stonith-enabled=false
`);
  const loaded = node.tandem('configure', 'load', join(node.dir, 'checked.crm'));
  assert.equal(loaded.status, 0, loaded.stderr);
  await waitFor('the api to run and answer', () => role('api') === 'Started' && node.status()?.pending.length === 0);
  const startsBefore = readFileSync(starts, 'utf8').trim().split('\n').length;
  assert.equal(startsBefore, 1);

  rmSync(healthy);
  await waitFor('its monitor to fail on the health check', () => node.status()?.failCounts.some((entry) => entry.resource === 'api' && entry.count >= 1) === true);
  // The recovery's start waits for the health check; once the service answers again, it completes.
  writeFileSync(healthy, '');
  await waitFor('the api recovered', () => role('api') === 'Started' && node.status()?.pending.length === 0);
  assert.ok(readFileSync(starts, 'utf8').trim().split('\n').length >= 2, 'the process was started again');
  assert.match(node.tandem('status').stdout, /\* api 1s-interval monitor on node1 returned 'error' \(the process runs but its health check fails\) at /);
});

test('check_port: a process whose port accepts starts; one whose port never opens fails its start', async () => {
  const openPort = port + 2;
  const closedPort = port + 3;
  const listener = `require('net').createServer((s) => s.end()).listen(${openPort}, '127.0.0.1')`;
  writeFileSync(join(node.dir, 'ports.crm'), `primitive listener tandem:process params command="exec ${process.execPath} -e \\"${listener}\\"" check_port=${openPort} op start timeout=20s op monitor interval=1s
primitive silent tandem:process params command="exec sleep 600" check_port=${closedPort} op start timeout=2s op monitor interval=1s
property stonith-enabled=false
`);
  const loaded = node.tandem('configure', 'load', join(node.dir, 'ports.crm'));
  assert.equal(loaded.status, 0, loaded.stderr);
  await waitFor('the listener to run and the silent one to fail its start', () => role('listener') === 'Started' && node.status()?.failedActions.some((action) => action.resource === 'silent' && action.operation === 'start') === true && node.status()?.pending.length === 0);
  assert.notEqual(role('silent'), 'Started');
});

test('a tcp check runs while its port accepts, and fails (with its reason) once nothing listens there', async () => {
  const checkedPort = port + 4;
  const listener = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => listener.listen(checkedPort, '127.0.0.1', resolve));
  writeFileSync(join(node.dir, 'tcp.crm'), `primitive port-check tandem:tcp params port=${checkedPort} op start timeout=3s op monitor interval=1s on-fail=stop
property stonith-enabled=false
`);
  assert.equal(node.tandem('configure', 'load', join(node.dir, 'tcp.crm')).status, 0);
  await waitFor('the tcp check to run', () => role('port-check') === 'Started' && node.status()?.pending.length === 0);
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  await waitFor('the tcp check to fail', () => node.status()?.failedActions.some((action) => action.resource === 'port-check' && action.operation === 'monitor') === true);
  assert.equal(node.status()!.failedActions.find((action) => action.resource === 'port-check')?.exitReason, `127.0.0.1:${checkedPort} did not accept a connection`);
});
