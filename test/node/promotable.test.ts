// A promotable clone of the real ocf:pacemaker:Stateful agent on one node: the agent sets
// its promotion score with crm_attribute (tandem's own, through HA_SBIN_DIR), and tandem
// promotes it; a failed promoted instance is recovered and promoted again.

import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TestNode, waitFor } from '../support/daemon.js';

const node = new TestNode();
after(() => node.close());

function promoted(): string[] {
  const clone = node.status()?.view.resources.find((resource) => resource.id === 'ms');
  return clone?.byRole?.Promoted ?? [];
}

test('Stateful is started, scores itself through crm_attribute, and is promoted', async () => {
  node.start('node.log');
  await waitFor('the control socket', () => node.status() !== undefined);
  const state = join(node.dir, 's.state');
  writeFileSync(join(node.dir, 'ms.crm'), `primitive s ocf:pacemaker:Stateful params state=${state} op monitor interval=2s role=Promoted op monitor interval=3s role=Unpromoted
clone ms s meta promotable=true
property stonith-enabled=false
`);
  const loaded = node.tandem('configure', 'load', join(node.dir, 'ms.crm'));
  assert.equal(loaded.status, 0, loaded.stderr);
  await waitFor('promotion', () => promoted().join() === 'node1' && node.status()?.pending.length === 0);
  assert.equal(readFileSync(state, 'utf8').trim(), 'Promoted');
  assert.deepEqual(node.operations('node.log', 'promote'), ['s=0']);

  // The promoted instance loses its state behind tandem's back: recovered and promoted again.
  rmSync(state);
  await waitFor('recovery to the promoted role', () => existsSync(state) && promoted().join() === 'node1' && node.status()?.pending.length === 0 && node.status()!.failCounts.length === 1);
  assert.equal(readFileSync(state, 'utf8').trim(), 'Promoted');
  assert.deepEqual(node.operations('node.log', 'promote'), ['s=0', 's=0']);
});

test('resource demote and promote set its target-role: the agent is demoted, then promoted again', async () => {
  const state = join(node.dir, 's.state');
  const unpromoted = () => node.status()?.view.resources.find((resource) => resource.id === 'ms')?.byRole?.Unpromoted ?? [];
  assert.equal(node.tandem('resource', 'demote', 'ms').status, 0);
  await waitFor('the demotion', () => promoted().length === 0 && unpromoted().join() === 'node1' && node.status()?.pending.length === 0);
  assert.equal(readFileSync(state, 'utf8').trim(), 'Unpromoted');
  assert.match(node.tandem('configure', 'show').stdout, /target-role=Unpromoted/);
  assert.equal(node.tandem('resource', 'promote', 'ms').status, 0);
  await waitFor('the promotion again', () => promoted().join() === 'node1' && node.status()?.pending.length === 0);
  assert.equal(readFileSync(state, 'utf8').trim(), 'Promoted');
});

test('node maintenance leaves what runs alone (shown unmanaged, as crm_mon) until the node is ready again', async () => {
  assert.equal(node.tandem('node', 'maintenance', 'node1').status, 0);
  await waitFor('the node in maintenance', () => /Node node1: maintenance/.test(node.tandem('status').stdout));
  // Demoting now is asked for but not done: nothing is managed on a node in maintenance.
  assert.equal(node.tandem('resource', 'demote', 'ms').status, 0);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  assert.equal(readFileSync(join(node.dir, 's.state'), 'utf8').trim(), 'Promoted');
  assert.match(node.tandem('status').stdout, /Promoted node1 \(target-role:Unpromoted, unmanaged\)/);
  assert.equal(node.tandem('node', 'ready', 'node1').status, 0);
  await waitFor('the demotion once the node is ready', () => readFileSync(join(node.dir, 's.state'), 'utf8').trim() === 'Unpromoted' && node.status()?.pending.length === 0);
});

test('an unpromoted instance whose monitor says it is promoted (8) has failed, as in Pacemaker: counted and brought back to its role', async () => {
  const state = join(node.dir, 's.state');
  const unpromoted = () => node.status()?.view.resources.find((resource) => resource.id === 'ms')?.byRole?.Unpromoted ?? [];
  await waitFor('the instance unpromoted', () => unpromoted().join() === 'node1' && node.status()?.pending.length === 0);
  const failuresBefore = node.status()!.failedActions.filter((action) => action.operation === 'monitor' && action.rc === 8).length;
  const startsBefore = node.operations('node.log', 'start').length;
  // Behind tandem's back: the next 3 s monitor, which expects unpromoted (0), gets 8.
  writeFileSync(state, 'Promoted\n');
  await waitFor('the failure and the demotion', () => {
    const report = node.status();
    const failed = report?.failedActions.filter((action) => action.operation === 'monitor' && action.rc === 8).length ?? 0;
    return failed > failuresBefore && unpromoted().join() === 'node1' && report?.pending.length === 0 && readFileSync(state, 'utf8').trim() === 'Unpromoted';
  });
  // Recovered as a failure (stopped and started again), not merely demoted.
  assert.equal(node.operations('node.log', 'start').length, startsBefore + 1);
});

test('resource restart of a demoted clone stops and starts it and gives it back its target-role: it comes back unpromoted', async () => {
  const state = join(node.dir, 's.state');
  const starts = node.operations('node.log', 'start').length;
  const restarted = node.tandem('resource', 'restart', 'ms');
  assert.equal(restarted.status, 0, restarted.stderr);
  assert.equal(node.operations('node.log', 'start').length, starts + 1, 'started once more');
  assert.match(node.tandem('configure', 'show').stdout, /target-role=Unpromoted/);
  await waitFor('it to settle unpromoted', () => node.status()?.pending.length === 0);
  assert.equal(readFileSync(state, 'utf8').trim(), 'Unpromoted');
  assert.deepEqual(promoted(), []);
});
