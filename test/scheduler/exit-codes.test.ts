// Every OCF exit code, from a one-time operation and from a recurring monitor, is taken as
// Pacemaker takes it ("How are OCF return codes interpreted?"): a soft error is recovered
// where it happened, a hard one (2 invalid argument, 3 unimplemented on a one-time operation,
// 4 insufficient privileges, 5 not installed) keeps the resource off that node, a fatal one
// (6 not configured) off every node. Each case is run through Pacemaker's own crm_simulate too.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { compareCase } from '../../src/differential/compare.js';
import { runSimulation, summaryLines } from '../../src/cli/simulate.js';
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
