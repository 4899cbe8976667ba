// Clone notifications reach a real agent: ocf:pacemaker:Stateful (with notify=true and its
// envfile parameter, where it writes the environment of every action it runs) hears the
// post-start, pre-promote and post-promote notifications with the lists Pacemaker gives.

import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TestNode, waitFor } from '../support/daemon.js';

const node = new TestNode();
after(() => node.close());

/** Each action the agent ran, with the notification variables it was given. */
function agentCalls(file: string): Array<{ action: string; env: Record<string, string> }> {
  return readFileSync(file, 'utf8')
    .split(/^### /m)
    .filter(Boolean)
    .map((block) => {
      const [header, ...lines] = block.split('\n');
      const env = Object.fromEntries(lines.filter((line) => line.startsWith('OCF_RESKEY_CRM_meta_notify')).map((line) => [line.slice('OCF_RESKEY_CRM_meta_'.length, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
      return { action: header!.split(' ')[0]!, env };
    });
}

test('Stateful with notify=true hears post-start, pre-promote and post-promote, with the lists', async () => {
  node.start('node.log');
  await waitFor('the control socket', () => node.status() !== undefined);
  const envfile = join(node.dir, 'env.log');
  writeFileSync(join(node.dir, 'ms.crm'), `primitive s ocf:pacemaker:Stateful params state=${join(node.dir, 's.state')} envfile=${envfile} op monitor interval=2s role=Promoted op monitor interval=3s role=Unpromoted
clone ms s meta promotable=true notify=true
property stonith-enabled=false
`);
  const loaded = node.tandem('configure', 'load', join(node.dir, 'ms.crm'));
  assert.equal(loaded.status, 0, loaded.stderr);
  await waitFor('promotion and its notifications', () => existsSync(envfile) && agentCalls(envfile).filter((call) => call.action === 'notify').length === 3 && node.status()?.pending.length === 0);
  const calls = agentCalls(envfile).filter((call) => ['start', 'promote', 'notify'].includes(call.action));
  const described = calls.map((call) => (call.action === 'notify' ? `${call.env.notify_type}-${call.env.notify_operation}` : call.action));
  assert.deepEqual(described, ['start', 'post-start', 'pre-promote', 'promote', 'post-promote']);
  const postStart = calls[1]!.env;
  assert.equal(postStart.notify_start_uname, 'node1');
  assert.equal(postStart.notify_active_uname, '');
  // Promoted in a later transition, once the agent has given its promotion score.
  const prePromote = calls[2]!.env;
  assert.equal(prePromote.notify_promote_uname, 'node1');
  assert.equal(prePromote.notify_active_uname, 'node1');
  assert.equal(prePromote.notify_unpromoted_uname, 'node1');
  assert.equal(prePromote.notify_available_uname, 'node1');
  // The notifications leave no trace in the resource's history: it is promoted, nothing failed.
  assert.equal(node.status()!.failCounts.length, 0);
});
