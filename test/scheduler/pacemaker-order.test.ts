// Where Pacemaker's result depends on the order it keeps things in: GLib's hash tables of
// nodes (walked bucket by bucket), GLib's merge sort, and the order colocations are
// considered in. Expected lines are what Pacemaker 2.1.5's crm_simulate printed for the
// same input; expected table orders are what GLib 2.74 itself gives (and what
// crm_simulate's trace lists nodes in).

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Cib } from '../../src/model/cib.js';
import { transitionKeyFor } from '../../src/model/status.js';
import { schedule } from '../../src/scheduler/index.js';
import { glibListSort, tableWalkOrder } from '../../src/scheduler/node-table.js';
import { cluster, dummy, ran } from '../support/build.js';
import type { Resource } from '../../src/model/config.js';

const nowS = 1_800_000_000;

function summary(cib: Cib): string[] {
  return schedule({ cib, nowS }).summary.map((item) => item.line);
}

/**
 * Records what each operation was expected to return (success) and the digest of the
 * parameters it ran with (none), as a cluster does: without them Pacemaker would take the
 * operations for failed or out of date.
 */
function expectSuccess(cib: Cib): Cib {
  for (const state of cib.status.nodes) {
    for (const history of state.resources) {
      for (const record of history.ops) {
        record.transitionKey = transitionKeyFor(0);
        record.extra['op-digest'] = 'f2317cad3d54cec5d7d7aa7d0bf35cf8';
      }
    }
  }
  return cib;
}

test('a node table walks its ids in bucket order, growing as GLib grows it', () => {
  assert.deepEqual(tableWalkOrder(['1', '2', '3', '4', '5']), ['1', '3', '5', '2', '4']);
  const byName = ['1', '10', '11', '12', '13', '14', '15', '16', '2', '3', '4', '5', '6', '7', '8', '9'];
  assert.deepEqual(tableWalkOrder(byName), ['10', '13', '3', '16', '6', '9', '1', '11', '4', '14', '7', '2', '12', '15', '5', '8']);
});

test("the merge sort is GLib's, which decides the order where the comparison is not transitive", () => {
  const beats = new Set(['rock>scissors', 'scissors>paper', 'paper>rock']);
  const compare = (a: string, b: string) => (beats.has(`${a}>${b}`) ? -1 : beats.has(`${b}>${a}`) ? 1 : 0);
  assert.deepEqual(glibListSort(['rock', 'paper', 'scissors'], compare), ['rock', 'scissors', 'paper']);
});

test('balanced placement breaks capacity ties in the order Pacemaker lists the nodes', () => {
  const capacities = [['1', '1024'], ['3', '512'], ['4', '512'], ['3', '1024'], ['3', '2048']];
  const cib = cluster(['node1', 'node2', 'node3', 'node4', 'node5'], [dummy('r1')]);
  cib.configuration.properties['placement-strategy'] = 'balanced';
  cib.configuration.nodes.forEach((node, index) => (node.utilization = { cpu: capacities[index]![0]!, memory: capacities[index]![1]! }));
  assert.deepEqual(summary(cib), ['  * Start      r1      ( node5 )']);
});

test('a failure ignored (on-fail=ignore) keeps migration-threshold from moving the resource', () => {
  const resource = dummy('r0', { 'migration-threshold': '3' });
  resource.ops[0]!.onFail = 'ignore';
  const cib = cluster(['node1', 'node2'], [resource]);
  ran(cib, 'node1', 'r0');
  ran(cib, 'node1', 'r0', 'monitor', 1, 10_000);
  cib.status.nodes[0]!.transientAttributes['fail-count-r0#monitor_10000'] = '3';
  cib.status.nodes[0]!.transientAttributes['last-failure-r0#monitor_10000'] = String(nowS - 10);
  assert.deepEqual(summary(expectSuccess(cib)), []);
});

test('colocations with equal primaries are considered in order of the primary id', () => {
  // r3 must avoid r5 and would like to be with r4. r4 is placed first (its id sorts before
  // r5's), so it does not yet know that r3 may not join r5 on node2, and goes there.
  const cib = cluster(['node1', 'node2', 'node3'], [dummy('r3'), dummy('r5', { 'resource-stickiness': '100' }), dummy('r4')]);
  ran(cib, 'node2', 'r5');
  cib.configuration.constraints = [
    { type: 'colocation', id: 'c1', score: '-INFINITY', rsc: { id: 'r3' }, withRsc: { id: 'r5' }, extra: {} },
    { type: 'colocation', id: 'c3', score: '10', rsc: { id: 'r3' }, withRsc: { id: 'r4' }, extra: {} },
    { type: 'colocation', id: 'c4', score: '10', rsc: { id: 'r5' }, withRsc: { id: 'r3' }, extra: {} },
  ];
  assert.deepEqual(summary(expectSuccess(cib)), ['  * Start      r3      ( node1 )', '  * Start      r4      ( node2 )']);
});

test("a clone instance's change reaches what follows it before the next instance: its promote is blocked by its own start, with no reason", () => {
  const r3: Resource = { kind: 'clone', id: 'r3', promotable: true, legacyMaster: false, child: dummy('r3c', {}, 'Stateful'), meta: { promotable: 'true' }, params: {}, extra: {} };
  const cib = cluster(['node1', 'node2'], [dummy('r1'), r3]);
  cib.configuration.constraints.push(
    { type: 'order', id: 'c0', kind: 'Mandatory', first: { id: 'r1', action: 'start' }, then: { id: 'r3', action: 'start' }, extra: {} },
    ...['node1', 'node2'].map((node) => ({ type: 'location' as const, id: `ban-${node}`, rsc: 'r1', score: '-INFINITY', node, rules: [], extra: {} })),
  );
  cib.status.nodes[0]!.transientAttributes['master-r3c'] = '10';
  ran(cib, 'node2', 'r1');
  assert.deepEqual(summary(expectSuccess(cib)), [
    '  * Stop       r1      (                     node2 )  due to node availability',
    '  * Promote    r3c:0   ( Stopped -> Promoted node1 )  blocked',
    '  * Start      r3c:1   (                     node2 )  due to unrunnable r1 start (blocked)',
  ]);
});

test("an ordering after a group's start is met as the group's own start first, so an ordering after a primitive names the restart", () => {
  const group: Resource = { kind: 'group', id: 'r3', children: [dummy('r3m0'), dummy('r3m1'), dummy('r3m2')], meta: {}, params: {}, extra: {} };
  const cib = cluster(['node1', 'node2', 'node3'], [dummy('r1'), dummy('r2'), group]);
  cib.configuration.constraints.push(
    { type: 'order', id: 'c0', kind: 'Mandatory', first: { id: 'r1', action: 'start' }, then: { id: 'r2', action: 'start' }, extra: {} },
    { type: 'order', id: 'c2', kind: 'Mandatory', first: { id: 'r3', action: 'start' }, then: { id: 'r2', action: 'start' }, extra: {} },
  );
  ran(cib, 'node2', 'r2');
  assert.deepEqual(summary(expectSuccess(cib)), [
    '  * Start      r1      ( node1 )',
    '  * Restart    r2      ( node2 )  due to required r1 start',
    '  * Start      r3m0    ( node3 )',
    '  * Start      r3m1    ( node3 )',
    '  * Start      r3m2    ( node3 )',
  ]);
});

test('what is placed against a promotable clone afterwards meets its instances in promotion order: an anti-colocation rolled back for the last one', () => {
  const stateful = dummy('r0c', { 'resource-stickiness': '1' }, 'Stateful');
  const r0: Resource = { kind: 'clone', id: 'r0', promotable: true, legacyMaster: false, child: stateful, meta: { promotable: 'true', 'clone-max': '3', interleave: 'true' }, params: {}, extra: {} };
  const cib = cluster(['node1', 'node2'], [r0, dummy('r1', { 'resource-stickiness': '100' })]);
  cib.configuration.rscDefaults['resource-stickiness'] = '1';
  cib.configuration.constraints.push({ type: 'colocation', id: 'c0', score: '-100', rsc: { id: 'r1' }, withRsc: { id: 'r0' }, extra: {} });
  cib.status.nodes[1]!.transientAttributes['master-r0c'] = '1';
  ran(cib, 'node1', 'r0c');
  // -100 where the promoted instance goes (node2), then rolled back for node1: no node would be left.
  assert.deepEqual(summary(expectSuccess(cib)), ['  * Promote    r0c:1   ( Stopped -> Promoted node2 )', '  * Start      r1      (                     node1 )']);
});
