// A supervised process that a daemon killed with -9 left running is found again by the next
// daemon (its pidfile, with the start time that tells a reused pid apart) and supervised as
// closely: when it dies, recovery starts at once, not at its next monitor two minutes later.

import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TestNode, waitFor } from '../support/daemon.js';

const node = new TestNode();
after(() => node.close());

const pidfile = join(node.dataDir, 'run', 'svc.pid');
const pidOf = () => Number(readFileSync(pidfile, 'utf8').split(' ')[0]);
const settled = () => {
  const report = node.status();
  const svc = report?.view.resources.find((resource) => resource.id === 'svc');
  return report !== undefined && report.pending.length === 0 && svc?.kind === 'primitive' && svc.role === 'Started';
};

test('a process found running after a daemon restart is supervised: its death is recovered at once', async () => {
  const first = node.start('first.log');
  await waitFor('the control socket', () => node.status() !== undefined);
  writeFileSync(join(node.dir, 'svc.crm'), 'primitive svc tandem:process params command="exec sleep 600" op monitor interval=120s\nproperty stonith-enabled=false\n');
  assert.equal(node.tandem('configure', 'load', join(node.dir, 'svc.crm')).status, 0);
  await waitFor('svc to run', settled);
  const adopted = pidOf();
  assert.match(readFileSync(pidfile, 'utf8'), /^\d+ \d+$/, 'the pidfile holds the start time beside the pid');

  first.kill('SIGKILL');
  await new Promise((resolve) => first.once('exit', resolve));
  node.start('second.log');
  await waitFor('the second daemon to find svc running', settled);
  assert.equal(pidOf(), adopted, 'found running, not started again');

  process.kill(adopted, 'SIGKILL');
  // Within 15 s: its monitor (every 120 s) cannot be what noticed.
  await waitFor('svc to be recovered', () => {
    try {
      return pidOf() !== adopted && settled();
    } catch {
      return false;
    }
  }, 15_000);
  assert.ok(node.status()!.failedActions.some((action) => action.resource === 'svc'), 'the death is recorded as a failure');
});
