// Expected lines below are what Pacemaker 2.1.5's crm_simulate printed for the same input.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { schedule } from '../../src/scheduler/index.js';
import { cluster, dummy, ran } from '../support/build.js';
import type { Resource } from '../../src/model/config.js';

const nowS = 1_800_000_000;

function summary(cib: Parameters<typeof schedule>[0]['cib']): string[] {
  return schedule({ cib, nowS }).summary.map((item) => item.line);
}

function mixed(): Resource[] {
  return [
    dummy('a'),
    dummy('b'),
    dummy('c'),
    { kind: 'group', id: 'g', children: [dummy('g1'), dummy('g2')], meta: {}, params: {}, extra: {} },
    { kind: 'clone', id: 'cl', promotable: false, legacyMaster: false, child: dummy('d'), meta: {}, params: {}, extra: {} },
    { kind: 'clone', id: 'ms', promotable: true, legacyMaster: false, child: dummy('s', {}, 'Stateful'), meta: { promotable: 'true' }, params: {}, extra: {} },
  ];
}

test('a fresh cluster spreads resources by load, then node name', () => {
  assert.deepEqual(summary(cluster(['node1', 'node2', 'node3'], mixed())), [
    '  * Start      a       ( node1 )',
    '  * Start      b       ( node2 )',
    '  * Start      c       ( node3 )',
    '  * Start      g1      ( node1 )',
    '  * Start      g2      ( node1 )',
    '  * Start      d:0     ( node2 )',
    '  * Start      d:1     ( node3 )',
    '  * Start      d:2     ( node1 )',
    '  * Start      s:0     ( node2 )',
    '  * Start      s:1     ( node3 )',
    '  * Start      s:2     ( node1 )',
  ]);
});

function running() {
  const cib = cluster(['node1', 'node2', 'node3'], mixed());
  ran(cib, 'node1', 'a');
  ran(cib, 'node2', 'b');
  ran(cib, 'node3', 'c');
  ran(cib, 'node1', 'g1');
  ran(cib, 'node1', 'g2');
  for (const node of ['node1', 'node2', 'node3']) {
    ran(cib, node, 'd');
    ran(cib, node, 's');
  }
  return cib;
}

test('a settled cluster does nothing', () => {
  assert.deepEqual(summary(running()), []);
});

test('a failed monitor recovers the resource where it is', () => {
  const cib = running();
  ran(cib, 'node1', 'a', 'monitor', 7, 10_000);
  assert.deepEqual(summary(cib), ['  * Recover    a       ( node1 )']);
});

test('a failed group member is recovered and the members after it restart', () => {
  const cib = running();
  ran(cib, 'node1', 'g1', 'monitor', 7, 10_000);
  assert.deepEqual(summary(cib), ['  * Recover    g1      ( node1 )', '  * Restart    g2      ( node1 )  due to required g1 start']);
});

test('reaching migration-threshold moves the whole group', () => {
  const cib = running();
  cib.configuration.rscDefaults['migration-threshold'] = '1';
  ran(cib, 'node1', 'g2', 'monitor', 7, 10_000);
  cib.status.nodes[0]!.transientAttributes['fail-count-g2#monitor_10000'] = '1';
  assert.deepEqual(summary(cib), ['  * Move       g1      ( node1 -> node2 )', '  * Recover    g2      ( node1 -> node2 )']);
});

test('a clone instance banned by its failures stops', () => {
  const cib = running();
  cib.configuration.rscDefaults['migration-threshold'] = '1';
  ran(cib, 'node1', 'd', 'monitor', 7, 10_000);
  cib.status.nodes[0]!.transientAttributes['fail-count-d#monitor_10000'] = '1';
  assert.deepEqual(summary(cib), ['  * Stop       d:0     ( node1 )  due to node availability']);
});

test('a node that leaves cleanly: its resources start elsewhere', () => {
  const cib = running();
  const node2 = cib.status.nodes[1]!;
  Object.assign(node2, { inCluster: false, controllerOnline: false, join: 'down', expected: 'down' });
  assert.deepEqual(summary(cib), ['  * Start      b       ( node3 )']);
});

test('without quorum (no-quorum-policy=stop) everything stops', () => {
  const cib = running();
  cib.haveQuorum = false;
  assert.deepEqual(summary(cib), [
    '  * Stop       a       (            node1 )  due to no quorum',
    '  * Stop       b       (            node2 )  due to no quorum',
    '  * Stop       c       (            node3 )  due to no quorum',
    '  * Stop       g1      (            node1 )  due to no quorum',
    '  * Stop       g2      (            node1 )  due to no quorum',
    '  * Stop       d:0     (            node1 )  due to no quorum',
    '  * Stop       d:1     (            node2 )  due to no quorum',
    '  * Stop       d:2     (            node3 )  due to no quorum',
    '  * Stop       s:0     ( Unpromoted node1 )  due to no quorum',
    '  * Stop       s:1     ( Unpromoted node2 )  due to no quorum',
    '  * Stop       s:2     ( Unpromoted node3 )  due to no quorum',
  ]);
});

test('without quorum (no-quorum-policy=freeze) nothing new starts, what runs stays', () => {
  const cib = running();
  cib.haveQuorum = false;
  cib.configuration.properties['no-quorum-policy'] = 'freeze';
  Object.assign(cib.status.nodes[1]!, { inCluster: false, controllerOnline: false, join: 'down', expected: 'down' });
  assert.deepEqual(summary(cib), ['  * Start      b       ( node3 )  due to quorum freeze (blocked)']);
});

test('a running resource removed from the configuration (an orphan) is stopped, and probed nowhere', () => {
  const cib = running();
  cib.configuration.resources = cib.configuration.resources.filter((resource) => resource.id !== 'a');
  assert.deepEqual(summary(cib), ['  * Stop       a       ( node1 )  due to node availability']);
  // Seen stopped on one node before the node running it: still nothing to probe anywhere.
  cib.status.nodes.reverse();
  ran(cib, 'node2', 'a', 'monitor', 7);
  assert.deepEqual(schedule({ cib, nowS }).probes.filter((probe) => probe.historyId === 'a'), []);
});
