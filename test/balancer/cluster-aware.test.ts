// The balancer following a real single-node tandem daemon through `status.watch`: a
// tandem:process resource (a tiny HTTP server on 127.0.0.61) behind `--resource`, and a server
// the test runs itself on the same address (node-level awareness only). Also the control
// socket's feed on its own: a slow reader gets the latest value, a closed client ends it.
// Every wait is bounded; processes are ended by PID; only loopback addresses are used.

import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import pino from 'pino';
import { follow } from '../../src/api/client.js';
import type { ClusterSnapshot } from '../../src/api/protocol.js';
import { Feed, listen } from '../../src/api/server.js';
import { ClusterLink } from '../../src/balancer/cluster-link.js';
import { planBalancer } from '../../src/balancer/plan.js';
import type { ClusterState } from '../../src/balancer/server-state.js';
import type { StatsRow } from '../../src/balancer/stats.js';
import { readHaproxy } from '../../src/formats/haproxy/index.js';
import { startTandem, runTandem, type Running } from './process-support.js';
import { eventually, freePort, httpGet } from './support.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tandem-cluster-aware-'));
const dataDir = join(dir, 'data');
const nodeAddress = '127.0.0.61';
const children: ChildProcess[] = [];
const servers: Server[] = [];
let balancer: Running | undefined;
let balancerStatsPort = 0;
const statsPort = () => balancerStatsPort;

after(async () => {
  await balancer?.stop();
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid!, 'SIGTERM'); // the daemon stops what it runs first
    const killer = setTimeout(() => process.kill(child.pid!, 'SIGKILL'), 30_000);
    await exited;
    clearTimeout(killer);
  }
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  if (process.env.TANDEM_KEEP_TEST_DIR) process.stdout.write(`# kept ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
});

const tandem = (...args: string[]) => runTandem([...args, '--data-dir', dataDir]);

function startDaemon(): ChildProcess {
  mkdirSync(dataDir, { recursive: true });
  const log = openSync(join(dir, 'node.log'), 'a');
  const daemon = spawn(process.execPath, [cli, 'node', '--data-dir', dataDir, '--name', 'node1', '--address', nodeAddress], { stdio: ['ignore', log, log] });
  closeSync(log);
  children.push(daemon);
  return daemon;
}

/**
 * The resource's service: answers every request with "web". On SIGTERM it goes on serving
 * until the release file exists (at most 30 s), so that a stop takes as long as the test says.
 */
const serviceScript = `import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
const [host, port, release] = process.argv.slice(2);
createServer((request, response) => response.end('web\\n')).listen(Number(port), host);
process.on('SIGTERM', () => {
  const deadline = Date.now() + 30000;
  setInterval(() => { if (existsSync(release) || Date.now() > deadline) process.exit(0); }, 50);
});
`;

test('--resource must name a backend of the file, and needs --cluster-data-dir', async () => {
  const config = join(dir, 'refused.cfg');
  writeFileSync(config, `defaults\n  mode tcp\n  timeout connect 1s\nlisten web\n  bind 127.0.0.1:${await freePort()}\n  server s 127.0.0.2:80\n`);
  const unknown = await runTandem(['balancer', '--config', config, '--cluster-data-dir', dataDir, '--resource', 'wbe=web']);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr, `tandem: --resource wbe=web: ${config} has no backend or listen section named 'wbe' (it has: web)\n`);
  const alone = await runTandem(['balancer', '--config', config, '--resource', 'web=web']);
  assert.equal(alone.code, 1);
  assert.match(alone.stderr, /--resource needs --cluster-data-dir/);
});

test('a feed keeps the connection: a slow reader gets the latest value, not every one; a closed client ends the feed', async () => {
  const feedDir = join(dir, 'feed');
  mkdirSync(feedDir);
  let send: ((value: unknown) => void) | undefined;
  let stopped = false;
  const server = await listen(feedDir, async () => new Feed((sender) => {
    send = sender;
    return () => (stopped = true);
  }), pino({ level: 'silent' }));
  try {
    const socket = connect(join(feedDir, 'tandem.sock'));
    socket.write(`${JSON.stringify({ method: 'status.watch' })}\n`);
    await eventually('the feed to start', () => send !== undefined, 5000);
    socket.pause(); // a reader that reads nothing for now
    const padding = 'x'.repeat(64 * 1024);
    const sent = 400; // 25 MiB in all: far more than the socket buffers hold
    for (let index = 1; index <= sent; index += 1) send!({ index, padding });
    const received: number[] = [];
    let partial = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) received.push((JSON.parse(line) as { result: { index: number } }).result.index);
    });
    socket.resume();
    await eventually('the last value to arrive', () => received.at(-1) === sent, 10_000);
    assert.ok(received.length < sent / 2, `the slow reader got ${received.length} of ${sent} values: intermediate ones were kept`);
    assert.deepEqual(received, [...received].sort((a, b) => a - b), 'in order');
    assert.equal(stopped, false);
    socket.destroy();
    await eventually('closing the client to stop the feed', () => stopped, 5000);
  } finally {
    server.close();
  }
});

test('the link applies each snapshot as it comes, logs each change with its reason, re-applies after a reload, and says once that the node is not there', async () => {
  const linkDir = join(dir, 'link');
  mkdirSync(linkDir);
  const planOf = (servers: string) => planBalancer(readHaproxy(`defaults\n  mode tcp\nbackend web\n${servers}backend other\n  server n1 n1.lab:80\n`, 'link.cfg').config);
  let plan = planOf('  server n1 n1.lab:80\n');
  const states = new Map<string, ClusterState>();
  const target = {
    get plan() {
      return plan;
    },
    clusterState: (proxy: string, server: string) => (plan.backends.some((backend) => backend.name === proxy && backend.servers.some((candidate) => candidate.name === server)) ? (states.get(`${proxy}/${server}`) ?? 'up') : undefined),
    setClusterState: (proxy: string, server: string, state: ClusterState) => void states.set(`${proxy}/${server}`, state),
    serverSessions: () => 0,
  };
  const lines: string[] = [];
  const link = new ClusterLink({ dataDir: linkDir, resources: new Map([['web', 'web']]), target, log: (line) => lines.push(line) });
  link.start();
  let server: NetServer | undefined;
  try {
    await eventually('a word that the node is not there', () => lines.length > 0, 5000);
    assert.match(lines[0]!, /^cluster: the node daemon is not running \(no socket at .*link\/tandem\.sock\)/);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // a few more tries
    assert.equal(lines.length, 1, 'said once');

    let send: ((value: unknown) => void) | undefined;
    const sockets = new Set<Socket>();
    const feedServer = await listen(linkDir, async () => new Feed((sender) => {
      send = sender;
      return () => (send = undefined);
    }), pino({ level: 'silent' }));
    server = feedServer;
    feedServer.on('connection', (socket) => sockets.add(socket));
    await eventually('the link to connect', () => send !== undefined, 10_000);
    const snapshot = (role: 'Started' | 'Stopped', leaving: string[] = []): ClusterSnapshot => ({
      node: 'node1',
      revision: 1,
      view: { haveQuorum: true, nodes: [{ name: 'node1', condition: 'online', state: 'online', individual: false }, { name: 'node2', condition: 'online', state: 'online', individual: false }], resources: [{ kind: 'primitive', id: 'web', agent: 'tandem:process', role, nodes: role === 'Started' ? ['node1'] : [], failed: false, managed: true, orphaned: false, flags: [] }], tickets: [] },
      leaving: leaving.length > 0 ? { web: leaving } : {},
      members: [{ name: 'node1', addresses: ['n1.lab'] }, { name: 'node2', addresses: ['n2.lab'] }],
    });
    send!(snapshot('Started'));
    await eventually('the first snapshot', () => lines.some((line) => line.startsWith('cluster: following node node1 through ')), 5000);
    assert.deepEqual([...states], [], 'everything up already: nothing to change, nothing logged');
    send!(snapshot('Started', ['node1']));
    await eventually('the drain', () => states.get('web/n1') === 'drain', 5000);
    send!(snapshot('Stopped'));
    await eventually('the stop', () => states.get('web/n1') === 'down', 5000);
    assert.deepEqual(lines.slice(2), ['cluster: web/n1 up -> drain: web is being stopped on node1', 'cluster: web/n1 drain -> down: web is not Started on node1']);

    // A reload adds a server: the latest snapshot applies to it at once.
    plan = planOf('  server n1 n1.lab:80\n  server n2 n2.lab:80\n');
    link.refresh();
    assert.equal(states.get('web/n2'), 'down');
    assert.equal(lines.at(-1), 'cluster: web/n2 up -> down: web is not Started on node2');

    // The node goes away: said once; the servers keep their verdicts.
    for (const socket of sockets) socket.destroy();
    await eventually('word of the lost node', () => lines.some((line) => line.startsWith('cluster: lost the node daemon')), 5000);
    assert.equal(states.get('web/n1'), 'down');
  } finally {
    link.close();
    server?.close();
  }
});

async function stats(port: number): Promise<StatsRow[]> {
  return JSON.parse((await httpGet(port, '/json')).body) as StatsRow[];
}

async function row(port: number, proxy: string, server: string): Promise<StatsRow> {
  const found = (await stats(port)).find((candidate) => candidate.pxname === proxy && candidate.svname === server);
  assert.ok(found, `no stats row for ${proxy}/${server}`);
  return found;
}

test('the balancer follows the node: waits for it, resource stop drains then takes out, start puts back once checked, standby drains the node', async () => {
  const [webPort, plainPort, webFront, plainFront] = [await freePort(nodeAddress), await freePort(nodeAddress), await freePort(), await freePort()];
  const statsPort = balancerStatsPort = await freePort();
  // A service on the node that is no tandem resource: node-level awareness only.
  const plain = createServer((_request, response) => response.end('plain\n'));
  servers.push(plain);
  await new Promise<void>((resolve) => plain.listen(plainPort, nodeAddress, resolve));

  // Checks every minute once up: whatever changes within the test is the cluster's doing.
  const checks = 'check inter 60s fastinter 200 downinter 200 rise 1 fall 3';
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(
    config,
    `defaults\n  mode http\n  timeout connect 1s\n  timeout client 10s\n  timeout server 10s\n  option httpchk GET /\n` +
      `listen web\n  bind 127.0.0.1:${webFront}\n  server node1 ${nodeAddress}:${webPort} ${checks}\n` +
      `listen plain\n  bind 127.0.0.1:${plainFront}\n  server node1 ${nodeAddress}:${plainPort} ${checks}\n`,
  );
  balancer = startTandem(['balancer', '--config', config, '--stats-port', String(statsPort), '--cluster-data-dir', dataDir, '--resource', 'web=web']);
  const log = balancer;

  // No node yet: said once, tried again until it answers.
  await log.waitForLine(/^cluster: the node daemon is not running/);
  startDaemon();
  await log.waitForLine(/^cluster: following node node1 through /, 30_000);
  assert.equal(log.lines.filter((line) => line.includes('the node daemon is not running')).length, 1, log.lines.join('\n'));

  // web is not configured yet: the cluster has no such resource (or, the moment the daemon starts, no node1 yet).
  await log.waitForLine(/^cluster: web\/node1 up -> down: (the cluster has no resource web|node1 is not a node of the cluster)$/);
  assert.equal((await row(statsPort, 'web', 'node1')).status, 'DOWN (cluster)');
  await eventually('plain/node1 UP: node1 is online', async () => (await row(statsPort, 'plain', 'node1')).status === 'UP', 10_000);

  const release = join(dir, 'release');
  const script = join(dir, 'service.mjs');
  writeFileSync(script, serviceScript);
  const crm = join(dir, 'web.crm');
  writeFileSync(crm, `primitive web tandem:process params command="exec ${process.execPath} ${script} ${nodeAddress} ${webPort} ${release}" op monitor interval=10s timeout=20s op stop timeout=40s interval=0\nproperty stonith-enabled=false\n`);
  const loaded = await tandem('configure', 'load', crm);
  assert.equal(loaded.code, 0, loaded.stderr);
  await log.waitForLine(/^cluster: web\/node1 down -> up: web is Started on node1$/, 20_000);
  await eventually('web/node1 UP once its check passed', async () => (await row(statsPort, 'web', 'node1')).status === 'UP', 20_000);
  assert.deepEqual(await httpGet(webFront), { status: 200, body: 'web\n' });
  const failedChecks = (await row(statsPort, 'web', 'node1')).chkfail;

  // A planned stop: drained while the service still runs and passes its check.
  const stop = await tandem('resource', 'stop', 'web');
  assert.equal(stop.code, 0, stop.stderr);
  await log.waitForLine(/^cluster: web\/node1 up -> drain: web is being stopped on node1$/, 20_000);
  const draining = await row(statsPort, 'web', 'node1');
  assert.deepEqual([draining.status, draining.check_status], ['DRAIN (cluster)', 'L7OK']);
  assert.equal((await httpGet(webPort, '/', 5000, nodeAddress)).body, 'web\n', 'the service still answers');
  assert.equal((await httpGet(webFront)).status, 503, 'no new request goes to a draining server');
  assert.equal((await row(statsPort, 'plain', 'node1')).status, 'UP', 'a resource stop is nothing to the node');

  // Stopped: out at once, long before a check (every 60 s, 3 to fall) could notice.
  writeFileSync(release, '');
  await log.waitForLine(/^cluster: web\/node1 drain -> down: web is not Started on node1$/, 40_000);
  const stopped = await row(statsPort, 'web', 'node1');
  assert.deepEqual([stopped.status, stopped.check_status, stopped.chkfail], ['DOWN (cluster)', 'L7OK', failedChecks], 'no check failed since');

  // Started again: back once a check passes.
  const start = await tandem('resource', 'start', 'web');
  assert.equal(start.code, 0, start.stderr);
  await log.waitForLine(/^cluster: web\/node1 down -> up: web is Started on node1$/, 20_000);
  await eventually('web/node1 UP again', async () => (await row(statsPort, 'web', 'node1')).status === 'UP', 20_000);
  assert.deepEqual(await httpGet(webFront), { status: 200, body: 'web\n' });

  // Standby: every server on the node drains, the node's own service too; online brings them back.
  const standby = await tandem('node', 'standby', 'node1');
  assert.equal(standby.code, 0, standby.stderr);
  await log.waitForLine(/^cluster: plain\/node1 up -> drain: node1 is in standby$/, 20_000);
  assert.equal((await row(statsPort, 'plain', 'node1')).status, 'DRAIN (cluster)');
  assert.equal((await httpGet(plainFront)).status, 503);
  await eventually('web/node1 out', async () => (await row(statsPort, 'web', 'node1')).status === 'DOWN (cluster)', 40_000);
  const online = await tandem('node', 'online', 'node1');
  assert.equal(online.code, 0, online.stderr);
  await log.waitForLine(/^cluster: plain\/node1 drain -> up: node1 is online$/, 20_000);
  assert.deepEqual(await httpGet(plainFront), { status: 200, body: 'plain\n' });
  await eventually('web/node1 UP after online', async () => (await row(statsPort, 'web', 'node1')).status === 'UP', 30_000);
  assert.ok(readFileSync(join(dir, 'node.log'), 'utf8').includes('"resource":"web"'), 'the daemon ran web');
});

test('a node that stops while the balancer follows it: drained, then out; its process ends; the balancer follows it again when it is back', async () => {
  assert.ok(balancer, 'the balancer of the test before runs');
  const log = balancer;
  const daemon = children.at(-1)!;
  const exited = new Promise((resolve) => daemon.once('exit', resolve));
  const seen = log.lines.length;
  process.kill(daemon.pid!, 'SIGTERM'); // a planned shutdown: it stops what it runs first
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise((_resolve, reject) => (timer = setTimeout(() => reject(new Error('the daemon did not exit within 30 s (does a follower keep it alive?)')), 30_000)));
  await Promise.race([exited, limit]).finally(() => clearTimeout(timer));
  await log.waitForLine(/^cluster: lost the node daemon \(/, 10_000);
  const after = log.lines.slice(seen);
  const index = (pattern: RegExp) => after.findIndex((line) => pattern.test(line));
  assert.ok(index(/^cluster: plain\/node1 up -> drain: node1 is shutting down$/) >= 0, after.join('\n'));
  assert.ok(index(/^cluster: plain\/node1 drain -> down: node1 is offline$/) > index(/shutting down/), after.join('\n'));
  assert.equal((await row(statsPort(), 'plain', 'node1')).status, 'DOWN (cluster)', 'the last verdict stays while there is no node to ask');

  startDaemon();
  await eventually('the balancer to follow the node again', () => log.lines.slice(seen).some((line) => line.startsWith('cluster: following node node1')), 30_000);
  await eventually('plain/node1 UP again', async () => (await row(statsPort(), 'plain', 'node1')).status === 'UP', 30_000);
  await eventually('web/node1 UP again', async () => (await row(statsPort(), 'web', 'node1')).status === 'UP', 30_000);
});

test('status.watch: the current view at once, and a new line when the cluster changes', async () => {
  const snapshots: ClusterSnapshot[] = [];
  const following = follow(dataDir, { method: 'status.watch' }, (result) => snapshots.push(result as ClusterSnapshot));
  try {
    await eventually('the first snapshot', () => snapshots.length >= 1, 10_000);
    const first = snapshots[0]!;
    assert.equal(first.node, 'node1');
    assert.deepEqual(first.members, [{ name: 'node1', addresses: [nodeAddress] }]);
    assert.deepEqual(first.view.nodes, [{ name: 'node1', condition: 'online', state: 'online', individual: false }]);
    assert.ok(first.view.resources.some((resource) => resource.kind === 'primitive' && resource.id === 'web' && resource.role === 'Started'), JSON.stringify(first.view));
    const maintenance = await tandem('node', 'maintenance', 'node1');
    assert.equal(maintenance.code, 0, maintenance.stderr);
    await eventually('a snapshot with node1 in maintenance', () => snapshots.at(-1)!.view.nodes[0]!.condition === 'maintenance', 10_000);
    assert.ok(snapshots.at(-1)!.revision > first.revision);
    const ready = await tandem('node', 'ready', 'node1');
    assert.equal(ready.code, 0, ready.stderr);
    await eventually('a snapshot with node1 online again', () => snapshots.at(-1)!.view.nodes[0]!.condition === 'online', 10_000);
    // Identical snapshots are not sent twice.
    const keys = snapshots.map((snapshot) => JSON.stringify({ ...snapshot, revision: 0 }));
    assert.ok(keys.every((key, index) => index === 0 || key !== keys[index - 1]), 'two identical snapshots in a row');
  } finally {
    following.close();
  }
  assert.equal(await following.ended, undefined, 'closed by the client, not failed');
});
