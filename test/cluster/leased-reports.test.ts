// Reports a node keeps for its local reporters (the balancers' session counts) in a real
// etcd on loopback: bound to the node's lease, so they vanish with it; written again under a
// new lease; withdrawn by an empty report. The etcd process is ended by PID.

import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Etcd3 } from 'etcd3';
import type { SessionReport } from '../../src/api/protocol.js';
import { etcdClient } from '../../src/cluster/client.js';
import { LeasedReports } from '../../src/cluster/leased-reports.js';
import { leasedSessionBoard } from '../../src/node/session-board.js';
import { eventually, freePort } from '../balancer/support.js';

const dir = mkdtempSync(join(tmpdir(), 'tandem-leased-reports-'));
const callTimeoutMs = 2_000;
let etcd: ChildProcess | undefined;
let client: Etcd3 | undefined;

before(async () => {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  etcd = spawn('etcd', ['--name', 'solo', '--data-dir', join(dir, 'etcd'), '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl, '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `solo=${peerUrl}`], { stdio: 'ignore' });
  client = etcdClient([clientUrl]);
  await eventually('etcd to answer', () => client!.get('probe').options({ deadline: new Date(Date.now() + 500) }).string().then(() => true, () => false), 30_000);
});

after(async () => {
  client?.close();
  if (etcd && etcd.exitCode === null && etcd.signalCode === null) {
    const exited = new Promise((resolve) => etcd!.once('exit', resolve));
    process.kill(etcd.pid!, 'SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

const grant = async () => (await client!.leaseClient.leaseGrant({ TTL: 60 })).ID;
const revoke = (id: string) => client!.leaseClient.leaseRevoke({ ID: id });
const draining = (sessions: number, node = 'node1'): SessionReport => ({ resource: 'cl_api', node, draining: true, sessions });

test('each node keeps its reporters\' latest reports under its lease; every node reads them all', async () => {
  let lease1: string | undefined = await grant();
  const lease2 = await grant();
  const namespace = client!.namespace('tandem/test/sessions/');
  const node1 = new LeasedReports<SessionReport[]>(namespace, 'node1', () => lease1, callTimeoutMs);
  const node2 = new LeasedReports<SessionReport[]>(namespace, 'node2', () => lease2, callTimeoutMs);
  const board1 = leasedSessionBoard(node1);
  const board2 = leasedSessionBoard(node2);

  await board1.report('/etc/tandem/balancer.cfg', [draining(3)]);
  await board1.report('/etc/tandem/balancer.cfg', [draining(1)]);
  await board2.report('/etc/tandem/balancer.cfg', [draining(0, 'node2')]);
  assert.deepEqual(await node1.list(), [
    { node: 'node1', reporter: '/etc/tandem/balancer.cfg', value: [draining(1)] },
    { node: 'node2', reporter: '/etc/tandem/balancer.cfg', value: [draining(0, 'node2')] },
  ]);

  // node1's lease ends (the node died, or was cut off): its reports go with it.
  await revoke(lease1);
  lease1 = undefined;
  assert.deepEqual(await board2.all(), [draining(0, 'node2')]);
  await assert.rejects(board1.report('other', [draining(2)]), /holds no lease yet/);

  // Back with a new lease: what its reporters said last is written again.
  lease1 = await grant();
  await node1.republish();
  assert.deepEqual((await board2.all()).map((report) => `${report.node}:${report.sessions}`).sort(), ['node1:1', 'node1:2', 'node2:0']);

  // An empty report withdraws what the reporter said.
  await board1.report('other', []);
  await board2.report('/etc/tandem/balancer.cfg', []);
  assert.deepEqual(await board2.all(), [draining(1)]);
});
