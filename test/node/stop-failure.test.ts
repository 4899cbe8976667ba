// A stop that fails with fencing off: Pacemaker blocks the resource where it is (failed,
// left alone) rather than risk it running twice: nothing is started anywhere, nothing retried.
// The real ocf:pacemaker:Dummy, whose operations sleep op_sleep seconds, with a stop timeout
// shorter than that.

import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TestNode, waitFor } from '../support/daemon.js';

const node = new TestNode();
const resource = () => node.status()?.view.resources.find((entry) => entry.id === 'slow');
const settled = () => node.status()?.pending.length === 0;

before(async () => {
  node.start('node.log');
  await waitFor('the control socket', () => node.status() !== undefined);
  const file = join(node.dir, 'slow.crm');
  writeFileSync(file, [
    `primitive slow ocf:pacemaker:Dummy params state=${join(node.dir, 'slow.state')} op_sleep=3 op start timeout=20s op stop timeout=1s op monitor interval=30s timeout=20s`,
    'property stonith-enabled=false',
    '',
  ].join('\n'));
  const loaded = node.tandem('configure', 'load', file);
  assert.equal(loaded.status, 0, loaded.stderr);
  await waitFor('it to start', () => resource()?.role === 'Started' && settled(), 60_000);
});

after(() => node.close());

test('a stop that times out with stonith-enabled=false leaves the resource blocked: failed, unmanaged, not stopped again', async () => {
  assert.equal(node.tandem('resource', 'stop', 'slow').status, 0);
  await waitFor('the stop to fail', () => node.status()?.failedActions.some((action) => action.resource === 'slow' && action.operation === 'stop') === true, 30_000);
  // As crm_mon shows it: failed where it is, held back by its target-role and blocked.
  await waitFor('it to show blocked', () => /slow\s+\(ocf:pacemaker:Dummy\):\s+FAILED node1 \(disabled, blocked\)/.test(node.tandem('status').stdout));
  // Recorded as Pacemaker records a timeout (op-status Timed Out), and shown as crm_mon shows one.
  assert.equal(node.status()!.failedActions.find((action) => action.resource === 'slow')?.opStatus, 2);
  assert.match(node.tandem('status').stdout, /\* slow stop on node1 could not be executed \(Timed Out: Resource agent did not complete within 1s\) at \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} after 1\.\d{3}s/);
  // Blocked: no second stop is tried while it stays so.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  assert.equal(node.operations('node.log', 'stop').filter((entry) => entry.startsWith('slow=')).length, 1);
});
