// What an operator configures on an operation reaches the real agents, and what an agent
// says of a failure reaches the operator: OCF_CHECK_LEVEL (ocf:pacemaker:Dummy fails its
// level-30 monitor, saying why), enabled=false (a monitor switched off does not run), and
// the exit reason (ocf_exit_reason) shown in the failed actions, as crm_mon's exitreason.

import { strict as assert } from 'node:assert';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TestNode, waitFor } from '../support/daemon.js';

const node = new TestNode();
after(() => node.close());

const failedOf = (resource: string) => node.status()?.failedActions.filter((action) => action.resource === resource) ?? [];
const running = (resource: string) => node.status()?.view.resources.some((view) => view.id === resource && view.role === 'Started') === true;

test('OCF_CHECK_LEVEL, enabled=false and exit reasons, with the real Dummy agents', async () => {
  node.start('node.log');
  await waitFor('the control socket', () => node.status() !== undefined);
  const state = (id: string) => join(node.dir, `${id}.state`);
  writeFileSync(
    join(node.dir, 'detail.crm'),
    `primitive deep ocf:pacemaker:Dummy params state=${state('deep')} op monitor interval=2s OCF_CHECK_LEVEL=30 on-fail=stop
primitive lost ocf:heartbeat:Dummy params state=${state('lost')} op monitor interval=1s on-fail=stop
primitive quiet ocf:heartbeat:Dummy params state=${state('quiet')} op monitor interval=1s enabled=false
property stonith-enabled=false
`,
  );
  const loaded = node.tandem('configure', 'load', join(node.dir, 'detail.crm'));
  assert.equal(loaded.status, 0, loaded.stderr);
  await waitFor('lost and quiet to run', () => running('lost') && running('quiet'));

  // Level 30 always fails, with the agent's own words.
  await waitFor('deep to fail its level-30 monitor', () => failedOf('deep').some((action) => action.operation === 'monitor'));
  assert.equal(failedOf('deep').find((action) => action.operation === 'monitor')?.exitReason, 'hyperdrive quota reached');

  rmSync(state('lost'));
  rmSync(state('quiet'));
  await waitFor('lost to be found gone by its monitor', () => failedOf('lost').length > 0);
  assert.equal(failedOf('lost')[0]!.exitReason, 'No process state file found');
  assert.match(node.tandem('status').stdout, /\* lost 1s-interval monitor on node1 returned 'not running' \(No process state file found\) at /);
  // quiet lost its state file as lost did, at the same time: its monitor is off, so nothing noticed.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  assert.deepEqual(failedOf('quiet'), []);
  assert.ok(running('quiet'));
});

test('a real agent that cannot start: fatal by default (one try, fail count INFINITY); with start-failure-is-fatal=false, retried until migration-threshold', async () => {
  const unwritable = '/proc/tandem-cannot-write-here.state';
  writeFileSync(
    join(node.dir, 'starts.crm'),
    `primitive fatal ocf:heartbeat:Dummy params state=${unwritable}
primitive patient ocf:heartbeat:Dummy params state=${unwritable} meta migration-threshold=3
property stonith-enabled=false
`,
  );
  assert.equal(node.tandem('configure', 'load', join(node.dir, 'starts.crm')).status, 0);
  const starts = (resource: string) => node.operations('node.log', 'start').filter((entry) => entry.startsWith(`${resource}=`));
  const countOf = (resource: string) => node.status()?.failCounts.find((entry) => entry.resource === resource)?.count;
  await waitFor('fatal to be given up', () => countOf('fatal') !== undefined && node.status()?.pending.length === 0);
  assert.deepEqual(starts('fatal'), ['fatal=1'], 'the real agent failed its start once, and once is enough');
  assert.match(node.tandem('status').stdout, /\* fatal: migration-threshold=1000000 fail-count=INFINITY last-failure='\w{3} /);

  assert.equal(node.tandem('property', 'set', 'start-failure-is-fatal', 'false').status, 0);
  assert.equal(node.tandem('resource', 'cleanup', 'patient').status, 0);
  await waitFor('patient to reach its migration-threshold', () => countOf('patient') === 3 && node.status()?.pending.length === 0, 30_000);
  assert.ok(starts('patient').length >= 3, starts('patient').join(' '));
  assert.ok(starts('patient').every((entry) => entry === 'patient=1'));
  assert.ok(!running('patient'));
});
