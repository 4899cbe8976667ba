// kill -9 of the daemon while a start is in flight (issue 3): the restarted daemon must
// not probe, and so start again, a resource whose start the dead one left running. The
// agents are the real ocf:pacemaker:Dummy with op_sleep, so every operation takes a while
// and two overlapping operations on one resource are caught by the agent itself; each
// agent call is counted from the agent's own envfile, not from tandem's log.

import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TestNode, waitFor, type Report } from '../support/daemon.js';

const node = new TestNode();
const { dir } = node;
after(() => node.close());

/** Long enough that a restarted daemon is up before the start it interrupted ends. */
const opSleepS = 6;

const dummy = (id: string) => `primitive ${id} ocf:pacemaker:Dummy params state=${dir}/${id}.state envfile=${dir}/${id}.env op_sleep=${opSleepS} op start timeout=30s op stop timeout=30s op monitor interval=30s timeout=30s`;
const config = `${dummy('ip')}\n${dummy('web')}\ngroup g ip web\nproperty stonith-enabled=false\n`;

/** How often the agent ran `action` for a resource, from the agent's own record of every call. */
function agentCalls(id: string, action: string): number {
  const file = join(dir, `${id}.env`);
  if (!existsSync(file)) return 0;
  return readFileSync(file, 'utf8').split('\n').filter((line) => line.startsWith(`### ${action} @ `)).length;
}

function roles(report: Report | undefined): string {
  const group = report?.view.resources.find((resource) => resource.kind === 'group');
  return (group?.members ?? []).map((member) => `${member.id}:${member.role}@${member.nodes.join(',')}`).join(' ');
}

interface LogLine {
  msg: string;
  resource?: string;
  operation?: string;
}

function logLines(logName: string): LogLine[] {
  return readFileSync(join(dir, logName), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogLine);
}

test('kill -9 of the daemon during a start: the restarted daemon waits for it, and nothing starts twice', async () => {
  const first = node.start('first.log');
  await waitFor('the control socket', () => node.status() !== undefined);
  writeFileSync(join(dir, 'cluster.crm'), config);
  const loaded = node.tandem('configure', 'load', join(dir, 'cluster.crm'));
  assert.equal(loaded.status, 0, loaded.stderr);

  await waitFor("ip's start to be in flight", () => agentCalls('ip', 'start') === 1, 60_000);
  first.kill('SIGKILL');
  await new Promise((resolve) => first.once('exit', resolve));
  assert.equal(existsSync(join(dir, 'ip.state')), false, 'the start was still in flight when the daemon died');

  node.start('second.log');
  // While it waits for the start its predecessor left running, it holds the data directory but answers nothing yet.
  await waitFor('the starting daemon to be told apart from none', () => /^tandem: the node daemon \(pid \d+\) is starting and not answering yet/.test(node.tandem('status').stderr), 5_000);
  await waitFor(
    'the restarted node to settle',
    () => {
      const report = node.status();
      return report !== undefined && report.pending.length === 0 && roles(report) === 'ip:Started@node1 web:Started@node1';
    },
    90_000,
    () => ({ roles: roles(node.status()), pending: node.status()?.pending }),
  );

  assert.equal(agentCalls('ip', 'start'), 1, 'ip was started once, by the first daemon');
  assert.equal(agentCalls('web', 'start'), 1, 'web was started once, by the second daemon');
  assert.equal(agentCalls('ip', 'stop') + agentCalls('web', 'stop'), 0, 'nothing was stopped to recover');
  assert.deepEqual(node.status()!.failedActions, []);
  const waited = logLines('second.log').filter((line) => line.msg.startsWith('operation of the previous incarnation'));
  assert.ok(waited.some((line) => line.resource === 'ip' && line.operation === 'start'), 'the second daemon says it waited for the start it found');
});
