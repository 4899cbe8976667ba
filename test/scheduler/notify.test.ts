// Clone notifications (notify=true): which instances get a pre or post notification of
// which operation must be what Pacemaker sends; compared with crm_simulate's own graph
// ("Resource action: ... notify on NODE" between its pre/post notify pseudo-actions).

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeCib } from '../../src/formats/cib/index.js';
import type { Cib } from '../../src/model/cib.js';
import type { Primitive } from '../../src/model/config.js';
import { transitionKeyFor, transitionMagicFor } from '../../src/model/status.js';
import { schedule } from '../../src/scheduler/index.js';
import { cluster, dummy } from '../support/build.js';

const nowS = 1_800_000_000;
const pacemakerPhase: Record<string, string> = { running: 'start', stopped: 'stop', promoted: 'promote', demoted: 'demote', start: 'start', stop: 'stop', promote: 'promote', demote: 'demote' };

function stateful(): Primitive {
  return {
    kind: 'primitive',
    id: 's',
    agent: { class: 'ocf', provider: 'pacemaker', type: 'Stateful' },
    params: {},
    meta: {},
    utilization: {},
    ops: [
      { name: 'monitor', interval: '10s', intervalMs: 10_000, role: 'Promoted', attributes: {} },
      { name: 'monitor', interval: '11s', intervalMs: 11_000, role: 'Unpromoted', attributes: {} },
    ],
    extra: {},
  };
}

function promotable(nodes: string[], cloneMax: number): Cib {
  const cib = cluster(nodes, [{ kind: 'clone', id: 'ms_s', promotable: true, legacyMaster: false, child: stateful(), meta: { notify: 'true', 'clone-max': String(cloneMax) }, params: {}, extra: {} }]);
  for (const state of cib.status.nodes) state.transientAttributes['master-s'] = '10';
  cib.haveQuorum = true;
  return cib;
}

let callId = 1;

/** The instance on `node` last did `operation` successfully (recorded as Pacemaker records Stateful with no parameters). */
function ran(cib: Cib, node: string, operation: 'start' | 'promote'): void {
  const key = transitionKeyFor(0);
  const record = { id: 's_last_0', operation, callId: callId++, rc: 0, opStatus: 0, intervalMs: 0, lastRcChange: 1_700_000_000, transitionKey: key, transitionMagic: transitionMagicFor(0, 0, key), extra: { operation_key: `s_${operation}_0`, 'op-digest': 'f2317cad3d54cec5d7d7aa7d0bf35cf8' } };
  cib.status.nodes.find((state) => state.uname === node)!.resources.push({ id: 's', class: 'ocf', provider: 'pacemaker', type: 'Stateful', ops: [record], extra: {} });
}

/** tandem's notifications as "pre-start@node1". */
function ours(cib: Cib): string[] {
  return schedule({ cib, nowS }).actions.filter((action) => action.task === 'notify').map((action) => `${action.meta!.notify_type}-${action.meta!.notify_operation}@${action.node}`).sort();
}

/** crm_simulate's, read from its transition graph. */
function pacemakers(cib: Cib): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-notify-'));
  try {
    writeFileSync(join(dir, 'cib.xml'), writeCib(cib));
    const output = spawnSync('crm_simulate', ['-x', join(dir, 'cib.xml'), '-S'], { encoding: 'utf8' }).stdout;
    const seen: string[] = [];
    let phase = '';
    for (const line of output.split('\n')) {
      const pseudo = /Pseudo action:\s+\S+?_(pre|post)_notify_(\w+?)_0/.exec(line);
      if (pseudo) phase = `${pseudo[1]}-${pacemakerPhase[pseudo[2]!]}`;
      const notify = /Resource action: \S+\s+notify on (\S+)/.exec(line);
      if (notify) seen.push(`${phase}@${notify[1]}`);
    }
    return seen.sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('start and promote from nothing: post-start, pre- and post-promote to both instances, as crm_simulate', () => {
  const cib = promotable(['node1', 'node2'], 2);
  assert.deepEqual(ours(cib), ['post-promote@node1', 'post-promote@node2', 'post-start@node1', 'post-start@node2', 'pre-promote@node1', 'pre-promote@node2']);
  assert.deepEqual(ours(cib), pacemakers(cib));
});

test('one node to standby, then the promoted one: stop, demote and promote notifications as crm_simulate sends them', () => {
  for (const standby of ['node2', 'node1', 'node3']) {
    const cib = promotable(['node1', 'node2', 'node3'], 3);
    ran(cib, 'node1', 'promote');
    ran(cib, 'node2', 'start');
    ran(cib, 'node3', 'start');
    cib.configuration.nodes.find((node) => node.uname === standby)!.attributes.standby = 'on';
    const mine = ours(cib);
    assert.ok(mine.includes(`pre-stop@${standby}`) && !mine.includes(`post-stop@${standby}`), mine.join(' '));
    assert.deepEqual(mine, pacemakers(cib), `standby ${standby}`);
  }
});

test('the lists an agent reads, and the order: pre before the change, post after it, one kind after the other', () => {
  const cib = promotable(['node1', 'node2'], 2);
  const transition = schedule({ cib, nowS });
  const index = (task: string, node: string, type?: string) => transition.actions.findIndex((action) => action.task === task && action.node === node && (type === undefined || `${action.meta?.notify_type}-${action.meta?.notify_operation}` === type));
  const promote = transition.actions.findIndex((action) => action.task === 'promote');
  const promoted = transition.actions[promote]!.node!;
  const meta = transition.actions[index('notify', promoted, 'pre-promote')]!.meta!;
  assert.equal(meta.notify_promote_uname, promoted);
  assert.deepEqual(meta.notify_start_uname!.split(' ').sort(), ['node1', 'node2']);
  assert.equal(meta.notify_start_resource!.split(' ').length, 2);
  assert.equal(meta.notify_active_resource, '');
  assert.equal(meta.notify_available_uname, 'node1 node2');
  const before = (a: number, b: number) => transition.order.some(([first, then]) => first === a && then === b);
  for (const node of ['node1', 'node2']) {
    assert.ok(before(index('start', node), index('notify', node, 'post-start')));
    assert.ok(before(index('notify', node, 'post-start'), index('notify', node, 'pre-promote')));
    assert.ok(before(index('notify', node, 'pre-promote'), promote));
    assert.ok(before(promote, index('notify', node, 'post-promote')));
  }
  // Without notify=true, no notifications.
  (cib.configuration.resources[0] as { meta: Record<string, string> }).meta.notify = 'false';
  assert.deepEqual(ours(cib), []);
});

/** crm_simulate's notify lists per notification ("a:0 pre-start@node1" -> notify_* values), from its transition graph. */
function pacemakersLists(cib: Cib): Map<string, Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-notify-'));
  try {
    writeFileSync(join(dir, 'cib.xml'), writeCib(cib));
    spawnSync('crm_simulate', ['-x', join(dir, 'cib.xml'), '-S', '-G', join(dir, 'graph.xml')], { encoding: 'utf8' });
    const graph = readFileSync(join(dir, 'graph.xml'), 'utf8');
    const lists = new Map<string, Record<string, string>>();
    for (const op of graph.matchAll(/<rsc_op [^>]*operation="notify"[^>]*[^/]>\s*<primitive [^>]*>\s*<attributes ([^>]*)\/>/g)) {
      const attributes = Object.fromEntries([...op[1]!.matchAll(/CRM_meta_([a-z_]+)="([^"]*)"/g)].map((pair) => [pair[1]!, pair[2]!.trim()]));
      const instance = /internal_operation_key="([^"]+?)_(?:pre|post)_notify/.exec(op[0])?.[1] ?? /operation_key="([^"]+?)_(?:pre|post)_notify/.exec(op[0])![1]!;
      const node = /on_node="([^"]+)"/.exec(op[0])![1]!;
      lists.set(`${instance} ${attributes.notify_type}-${attributes.notify_operation}@${node}`, attributes);
    }
    return lists;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a cloned group's members are notified with Pacemaker's lists: instances sorted by id, available nodes the clone's allowed ones", () => {
  const group = { kind: 'group' as const, id: 'g', children: [dummy('a'), dummy('b')], meta: {}, params: {}, extra: {} };
  const cib = cluster(['node1', 'node2', 'node3'], [{ kind: 'clone', id: 'cl', promotable: false, legacyMaster: false, child: group, meta: { notify: 'true', interleave: 'true' }, params: {}, extra: {} }], ['node1', 'node2']);
  cib.haveQuorum = true;
  const theirs = pacemakersLists(cib);
  const mine = schedule({ cib, nowS }).actions.filter((action) => action.task === 'notify');
  assert.equal(mine.length, 4);
  assert.deepEqual(mine.map((action) => `${action.resource} ${action.meta!.notify_type}-${action.meta!.notify_operation}@${action.node}`).sort(), [...theirs.keys()].sort());
  for (const action of mine) {
    const expected = theirs.get(`${action.resource} ${action.meta!.notify_type}-${action.meta!.notify_operation}@${action.node}`)!;
    for (const name of ['notify_start_resource', 'notify_start_uname', 'notify_inactive_resource', 'notify_active_resource', 'notify_available_uname', 'notify_all_uname']) {
      assert.equal((action.meta![name] ?? '').trim(), expected[name], `${name} of ${action.resource} on ${action.node}`);
    }
  }
  // What crm_simulate said, written out: Pacemaker sorts by instance id, and node3 (offline) is still available.
  assert.equal(mine[0]!.meta!.notify_start_resource, 'a:0 a:1 b:0 b:1');
  assert.equal(mine[0]!.meta!.notify_available_uname, 'node1 node2 node3');
});
