// The scheduler against Pacemaker's own crm_simulate, on the seed's configuration and on
// random clusters (the differential harness).

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runSimulation, summaryLines } from '../../src/cli/simulate.js';
import { crmSimulateArgs, runPacemaker } from '../../src/differential/compare.js';
import { readCib, writeCib } from '../../src/formats/cib/index.js';
import type { Cib } from '../../src/model/cib.js';
import { caseTimeS, generateCase, type DifferentialCase } from '../../src/differential/generate.js';
import { describeFailure, runDifferential } from '../../src/differential/report.js';
import { readCrm } from '../../src/formats/crm/index.js';
import { emptyCib } from '../../src/model/cib.js';

const nowS = Math.floor(Date.now() / 1000);
const seedText = readFileSync(new URL('../../../examples/seed/openstack.crm', import.meta.url), 'utf8');

function seedCase(stonith: boolean): DifferentialCase {
  const cib = emptyCib();
  cib.configuration = readCrm(seedText, 'openstack.crm').configuration;
  if (!stonith) cib.configuration.properties['stonith-enabled'] = 'false';
  return { seed: 0, cib, nodeUp: ['node1', 'node2'], nodeDown: [], nodeFail: [], opInject: [] };
}

for (const stonith of [true, false]) {
  test(`the seed (stonith-enabled=${stonith}) schedules exactly as crm_simulate: all nodes up, then node1 down`, () => {
    const start = seedCase(stonith);
    const pacemaker = runPacemaker(start, nowS);
    const tandem = runTandem(start);
    assert.deepEqual(tandem, pacemaker);
    if (!stonith) assert.ok(tandem.some((line) => /Start\s+p_api-ip\s+\( node1 \)/.test(line)));
    // Continue from the state Pacemaker itself saved after that transition.
    const after = pacemakerSaved(start);
    const failover: DifferentialCase = { seed: 0, cib: after, nodeUp: [], nodeDown: ['node1'], nodeFail: [], opInject: [] };
    assert.deepEqual(runTandem(failover), runPacemaker(failover, nowS));
  });
}

function pacemakerSaved(testCase: DifferentialCase): Cib {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-seed-'));
  try {
    const input = join(dir, 'in.xml');
    const output = join(dir, 'out.xml');
    writeFileSync(input, writeCib(testCase.cib));
    const result = spawnSync('crm_simulate', [...crmSimulateArgs(testCase, input), '-O', output], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    return readCib(readFileSync(output, 'utf8'), output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runTandem(testCase: DifferentialCase): string[] {
  return summaryLines(runSimulation(testCase.cib, { nodeUp: testCase.nodeUp, nodeDown: testCase.nodeDown, nodeFail: [], standby: [], opInject: testCase.opInject }, nowS).transition);
}

test('300 random clusters: tandem and crm_simulate agree', () => {
  const report = runDifferential(300, 1, caseTimeS);
  const errors = report.failures.filter((failure) => failure.error !== undefined);
  assert.deepEqual(errors.map(describeFailure), [], 'tandem must never throw on a valid cluster');
  const rate = report.matches / report.cases;
  console.log(`differential: ${report.matches}/${report.cases} match (${(100 * rate).toFixed(1)}%)`);
  // Known differences are listed in the closing note; this guards against regressions.
  assert.ok(rate >= 0.97, `match rate ${(100 * rate).toFixed(1)}% is below 97%:\n${report.failures.slice(0, 3).map(describeFailure).join('\n')}`);
});

test('a differing case is described with its configuration and both summaries', () => {
  const testCase = generateCase(42);
  const text = describeFailure({ testCase, pacemaker: ['  * Start      r0      ( node1 )'], tandem: ['  * Start      r0      ( node2 )'], match: false });
  assert.match(text, /^--- case seed 42/);
  assert.match(text, /\nprimitive |\nclone |\ngroup /);
  assert.match(text, /\npacemaker:\n {2}\* Start {6}r0 {6}\( node1 \)\ntandem:\n {2}\* Start {6}r0 {6}\( node2 \)/);
});
