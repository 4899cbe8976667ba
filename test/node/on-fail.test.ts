// Failure handling on a running node, as Pacemaker does it, with the real ocf:heartbeat:Dummy
// (a monitor finds it stopped when its state file goes): on-fail=ignore leaves it be,
// on-fail=stop stops it for good, on-fail=block leaves it failed and untouched, restart with
// migration-threshold=1 bans it until failure-timeout has passed, and on-fail=standby puts
// the node in standby (everything moves off it).

import { strict as assert } from 'node:assert';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TestNode, waitFor, type Report } from '../support/daemon.js';

const node = new TestNode();
const state = (id: string) => join(node.dir, `${id}.state`);
const dummy = (id: string, onFail: string, meta = '') => `primitive ${id} ocf:heartbeat:Dummy params state=${state(id)} op monitor interval=1s timeout=10s on-fail=${onFail}${meta ? ` meta ${meta}` : ''}`;

function roleOf(report: Report | undefined, id: string): string | undefined {
  return report?.view.resources.find((resource) => resource.id === id)?.role;
}

const failCount = (report: Report | undefined, id: string) => report?.failCounts.find((entry) => entry.resource === id)?.count ?? 0;
const settled = () => node.status()?.pending.length === 0;
const ops = (operation: string, id: string) => node.operations('node.log', operation).filter((entry) => entry.startsWith(`${id}=`)).length;

before(async () => {
  node.start('node.log');
  await waitFor('the control socket', () => node.status() !== undefined);
  writeFileSync(join(node.dir, 'on-fail.crm'), [
    dummy('ignored', 'ignore'),
    dummy('stopped', 'stop'),
    dummy('blocked', 'block'),
    dummy('banned', 'restart', 'migration-threshold=1 failure-timeout=4s'),
    'property stonith-enabled=false cluster-recheck-interval=1s',
    '',
  ].join('\n'));
  const loaded = node.tandem('configure', 'load', join(node.dir, 'on-fail.crm'));
  assert.equal(loaded.status, 0, loaded.stderr);
  await waitFor('everything to start', () => ['ignored', 'stopped', 'blocked', 'banned'].every((id) => existsSync(state(id))) && settled());
});

after(() => node.close());

test('on-fail=ignore: the failure is counted, the resource left as it is', async () => {
  rmSync(state('ignored'));
  await waitFor('the failure to be counted', () => failCount(node.status(), 'ignored') >= 1 && settled());
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  assert.equal(existsSync(state('ignored')), false, 'not restarted');
  assert.equal(ops('start', 'ignored'), 1);
  assert.equal(ops('stop', 'ignored'), 0);
});

test('on-fail=stop: stopped, and not started again', async () => {
  rmSync(state('stopped'));
  await waitFor('it to be stopped', () => roleOf(node.status(), 'stopped') === 'Stopped' && settled());
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  assert.equal(existsSync(state('stopped')), false);
  assert.equal(ops('start', 'stopped'), 1);
  assert.equal(ops('stop', 'stopped'), 1);
});

test('on-fail=block: left failed, nothing done to it', async () => {
  rmSync(state('blocked'));
  await waitFor('the failure to be counted', () => failCount(node.status(), 'blocked') >= 1 && settled());
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  assert.equal(ops('start', 'blocked'), 1);
  assert.equal(ops('stop', 'blocked'), 0);
  assert.match(node.tandem('status').stdout, /blocked/);
});

test('migration-threshold=1: banned from the node after one failure, back once failure-timeout has passed', async () => {
  rmSync(state('banned'));
  await waitFor('it to be stopped (nowhere else to go)', () => roleOf(node.status(), 'banned') === 'Stopped' && settled());
  assert.equal(failCount(node.status(), 'banned'), 1);
  await waitFor('the failure to expire and it to start again', () => existsSync(state('banned')) && roleOf(node.status(), 'banned') === 'Started' && settled(), 20_000);
  assert.equal(ops('start', 'banned'), 2);
});

test('on-fail=standby: the node goes to standby and everything stops', async () => {
  const file = join(node.dir, 'standby.crm');
  writeFileSync(file, `${dummy('sentinel', 'standby')}\n${dummy('bystander', 'restart')}\nproperty stonith-enabled=false\n`);
  const loaded = node.tandem('configure', 'load', file);
  assert.equal(loaded.status, 0, loaded.stderr);
  await waitFor('both to run', () => existsSync(state('sentinel')) && existsSync(state('bystander')) && settled());
  rmSync(state('sentinel'));
  await waitFor('the bystander to stop too', () => !existsSync(state('bystander')) && roleOf(node.status(), 'bystander') === 'Stopped' && settled());
  assert.match(node.tandem('status').stdout, /Node node1: standby \(on-fail\)/);
});
