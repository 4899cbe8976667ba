// Every OCF exit code, from a one-time operation and from a recurring monitor, is taken as
// Pacemaker takes it ("How are OCF return codes interpreted?"): a soft error is recovered
// where it happened, a hard one (2 invalid argument, 3 unimplemented on a one-time operation,
// 4 insufficient privileges, 5 not installed) keeps the resource off that node, a fatal one
// (6 not configured) off every node. Each case is run through Pacemaker's own crm_simulate too.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { compareCase } from '../../src/differential/compare.js';
import { runSimulation, summaryLines } from '../../src/cli/simulate.js';
import { historyRecord } from '../../src/differential/generate.js';
import type { NodeState } from '../../src/model/status.js';
import { cluster, dummy, ran } from '../support/build.js';

const nowS = 1_800_000_000;

/** p runs on node1 (node2 has been probed): then `operation` of p on node1 returns `rc`. */
function failure(operation: string, rc: number) {
  const cib = cluster(['node1', 'node2'], [dummy('p')]);
  ran(cib, 'node1', 'p');
  ran(cib, 'node1', 'p', 'monitor', 0, 10_000);
  ran(cib, 'node2', 'p', 'monitor', 7);
  return { seed: rc, cib, nodeUp: [], nodeDown: [], nodeFail: [], opInject: [`p_${operation}@node1=${rc}`] };
}

function tandemSummary(operation: string, rc: number): string[] {
  const testCase = failure(operation, rc);
  const result = runSimulation(testCase.cib, { nodeUp: [], nodeDown: [], nodeFail: [], standby: [], opInject: testCase.opInject }, nowS);
  return summaryLines(result.transition).map((line) => line.replace(/\s+/g, ' ').trim());
}

test('soft errors are recovered on the same node: 1 (generic), 7 (not running, from a start too), 3 from a recurring monitor', () => {
  for (const rc of [1, 3, 7]) assert.deepEqual(tandemSummary('monitor_10000', rc), ['* Recover p ( node1 )'], `monitor rc ${rc}`);
  for (const rc of [1, 7]) assert.deepEqual(tandemSummary('start_0', rc), ['* Recover p ( node1 )'], `start rc ${rc}`);
});

test('hard errors keep it off the node: 2, 3 from a one-time operation, 4, 5', () => {
  for (const rc of [2, 3, 4, 5]) assert.deepEqual(tandemSummary('start_0', rc), ['* Recover p ( node1 -> node2 )'], `start rc ${rc}`);
  for (const rc of [2, 4, 5]) assert.deepEqual(tandemSummary('monitor_10000', rc), ['* Recover p ( node1 -> node2 )'], `monitor rc ${rc}`);
});

test('a fatal error (6, not configured) keeps it off every node', () => {
  for (const operation of ['start_0', 'monitor_10000']) assert.deepEqual(tandemSummary(operation, 6), ['* Stop p ( node1 ) due to node availability'], operation);
});

function mismatchesWithPacemaker(cases: Array<[string, ReturnType<typeof failure>]>): string[] {
  const mismatches: string[] = [];
  for (const [name, testCase] of cases) {
    const result = compareCase(testCase, nowS);
    assert.ok(!result.skipped, `crm_simulate could not run ${name}: ${result.pacemaker.join('; ')}`);
    if (!result.match) mismatches.push(`${name}: crm_simulate [${result.pacemaker.join('; ')}] tandem [${result.tandem.join('; ')}]`);
  }
  return mismatches;
}

test('exit codes 1..7 of a primitive, one-time and recurring, as crm_simulate takes them', () => {
  const cases = ['start_0', 'monitor_10000'].flatMap((operation) => [1, 2, 3, 4, 5, 6, 7].map((rc): [string, ReturnType<typeof failure>] => [`${operation} rc ${rc}`, failure(operation, rc)]));
  assert.deepEqual(mismatchesWithPacemaker(cases), []);
});

/** A promotable Stateful clone, promoted on node1 and unpromoted on node2 (monitors 10 s promoted, 11 s unpromoted); then `inject`. */
function promotableFailure(inject: string) {
  const s = { ...dummy('s', {}, 'Stateful'), ops: [
    { name: 'monitor', interval: '10s', intervalMs: 10_000, role: 'Promoted' as const, attributes: {} },
    { name: 'monitor', interval: '11s', intervalMs: 11_000, role: 'Unpromoted' as const, attributes: {} },
  ] };
  const cib = cluster(['node1', 'node2'], [{ kind: 'clone', id: 'ms', promotable: true, legacyMaster: false, child: s, meta: {}, params: {}, extra: {} }]);
  // Recorded as Pacemaker records Stateful with no parameters (its digest), so nothing looks redefined.
  const [node1, node2] = cib.status.nodes as [NodeState, NodeState];
  for (const state of cib.status.nodes) state.transientAttributes['master-s'] = '10';
  node1.resources.push({ id: 's', class: 'ocf', provider: 'pacemaker', type: 'Stateful', ops: [historyRecord('s', 'promote', 0, 1), historyRecord('s', 'monitor', 8, 2, 10_000)], extra: {} });
  node2.resources.push({ id: 's', class: 'ocf', provider: 'pacemaker', type: 'Stateful', ops: [historyRecord('s', 'start', 0, 3), historyRecord('s', 'monitor', 0, 4, 11_000)], extra: {} });
  return { seed: 0, cib, nodeUp: [], nodeDown: [], nodeFail: [], opInject: [inject] };
}

test('exit codes 8 (running promoted) and 9 (failed promoted) from a promotable clone\'s monitors, as crm_simulate takes them', () => {
  const cases: Array<[string, ReturnType<typeof failure>]> = [
    ['8 from the unpromoted monitor', promotableFailure('s_monitor_11000@node2=8')],
    ['9 from the promoted monitor', promotableFailure('s_monitor_10000@node1=9')],
    ['9 from the unpromoted monitor', promotableFailure('s_monitor_11000@node2=9')],
    ['0 from the promoted monitor', promotableFailure('s_monitor_10000@node1=0')],
    ['8 from the promoted monitor', promotableFailure('s_monitor_10000@node1=8')],
  ];
  assert.deepEqual(mismatchesWithPacemaker(cases), []);
  // What is at stake, as both say it: a failed promoted instance is recovered (demoted, stopped, started, promoted again).
  const recovered = runSimulation(cases[1]![1].cib, { nodeUp: [], nodeDown: [], nodeFail: [], standby: [], opInject: cases[1]![1].opInject }, nowS);
  assert.ok(summaryLines(recovered.transition).some((line) => /Recover +s:\d/.test(line)), summaryLines(recovered.transition).join('\n'));
});
