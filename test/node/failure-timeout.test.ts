// A failure expires at its failure-timeout, not at the next cluster-recheck-interval: the
// scheduler says when the next counted failure expires and the DC decides again then
// (Pacemaker's "recheck-by"). One resource and nothing else, so that no other change can
// wake the DC up: only the expiry can bring the resource back before the 15 min recheck.

import { strict as assert } from 'node:assert';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TestNode, waitFor } from '../support/daemon.js';

const node = new TestNode();
const state = join(node.dir, 'banned.state');
const roleOf = () => node.status()?.view.resources.find((resource) => resource.id === 'banned')?.role;
const settled = () => node.status()?.pending.length === 0;
const starts = () => node.operations('node.log', 'start').filter((entry) => entry.startsWith('banned=')).length;

before(async () => {
  node.start('node.log');
  await waitFor('the control socket', () => node.status() !== undefined);
  const file = join(node.dir, 'failure-timeout.crm');
  writeFileSync(file, [
    `primitive banned ocf:heartbeat:Dummy params state=${state} op monitor interval=1s timeout=10s meta migration-threshold=1 failure-timeout=3s`,
    'property stonith-enabled=false cluster-recheck-interval=15min',
    '',
  ].join('\n'));
  const loaded = node.tandem('configure', 'load', file);
  assert.equal(loaded.status, 0, loaded.stderr);
  await waitFor('it to start', () => existsSync(state) && roleOf() === 'Started' && settled());
});

after(() => node.close());

test('banned after one failure, started again once failure-timeout has passed, with rechecks 15 min apart', async () => {
  rmSync(state);
  await waitFor('it to be stopped (nowhere else to go)', () => roleOf() === 'Stopped' && settled());
  assert.equal(starts(), 1);
  await waitFor('the failure to expire and it to start again', () => existsSync(state) && roleOf() === 'Started' && settled(), 30_000);
  assert.equal(starts(), 2);
});
