// The cluster status as crm_mon prints it, checked against Pacemaker's own printing: random
// clusters from the differential generator (standby, maintenance, offline and unclean nodes,
// unmanaged, failed, orphaned and blocked resources, groups, clones, cloned groups, unique and
// promotable clones) go through Debian's crm_simulate, whose "Current cluster status" is
// crm_mon's text, and through tandem's status view; the two must be the same, line for line.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { caseTimeS, generateCase } from '../../src/differential/generate.js';
import { writeCib } from '../../src/formats/cib/index.js';
import { parseCibText } from '../../src/formats/index.js';
import { OpStatus } from '../../src/model/status.js';
import { injectOperation, nodeUp } from '../../src/simulate/inject.js';
import { failedActionLine, failureReport, migrationSummaryLines } from '../../src/status/failures.js';
import { renderStatus } from '../../src/status/text.js';
import { clusterView } from '../../src/status/view.js';
import type { Cib } from '../../src/model/cib.js';

const dir = mkdtempSync(join(tmpdir(), 'tandem-status-view-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The node and resource lists crm_simulate prints before its transition (tickets are shown only by tandem). */
function pacemakersStatus(xmlFile: string): string {
  const output = spawnSync('crm_simulate', ['-x', xmlFile, '-S'], { encoding: 'utf8' }).stdout;
  const start = output.indexOf('Current cluster status:\n');
  const end = output.indexOf('Transition Summary:');
  assert.ok(start >= 0 && end > start, output.slice(0, 500));
  return output.slice(start + 'Current cluster status:\n'.length, end).trimEnd();
}

function tandemsStatus(text: string): string {
  const tickets = text.indexOf('\n\n  * Tickets:');
  return (tickets >= 0 ? text.slice(0, tickets) : text).trimEnd();
}

test('200 random clusters: tandem shows the status exactly as crm_mon does', () => {
  const differing: string[] = [];
  let compared = 0;
  for (let seed = 20_001; compared < 200; seed += 1) {
    const testCase = generateCase(seed);
    // Injected changes apply after the status is printed: such cases show nothing more here.
    if (testCase.nodeUp.length + testCase.nodeDown.length + testCase.nodeFail.length + testCase.opInject.length > 0) continue;
    compared += 1;
    const file = join(dir, `${seed}.xml`);
    writeFileSync(file, writeCib(testCase.cib));
    const pacemaker = pacemakersStatus(file);
    const tandem = tandemsStatus(renderStatus(clusterView(testCase.cib, caseTimeS)));
    if (pacemaker !== tandem) differing.push(`seed ${seed}:\n--- crm_simulate\n${pacemaker}\n--- tandem\n${tandem}`);
  }
  assert.deepEqual(differing, [], differing.slice(0, 2).join('\n'));
});

/** The lines under one of crm_mon --failcounts' headings, for a CIB file. */
function crmMonSection(xmlFile: string, heading: 'Failed Resource Actions' | 'Migration Summary'): string[] {
  const output = spawnSync('crm_mon', ['-1', '--failcounts'], { encoding: 'utf8', env: { ...process.env, CIB_file: xmlFile } }).stdout;
  const start = output.indexOf(`${heading}:\n`);
  if (start < 0) return [];
  return output.slice(start).split('\n\n')[0]!.split('\n').slice(1).filter((line) => line.startsWith('  '));
}

const pacemakersFailedActions = (xmlFile: string) => crmMonSection(xmlFile, 'Failed Resource Actions');

function tandemsFailedActions(cib: Cib, nowS: number): string[] {
  return failureReport(cib, nowS).failedActions.map(failedActionLine);
}

test('200 random clusters: tandem lists the failed actions and the fail counts exactly as crm_mon --failcounts does', () => {
  const differing: string[] = [];
  let withFailures = 0;
  let compared = 0;
  for (let seed = 30_001; compared < 200; seed += 1) {
    const testCase = generateCase(seed);
    if (testCase.nodeUp.length + testCase.nodeDown.length + testCase.nodeFail.length + testCase.opInject.length > 0) continue;
    compared += 1;
    const file = join(dir, `failed-${seed}.xml`);
    writeFileSync(file, writeCib(testCase.cib));
    const pacemaker = pacemakersFailedActions(file);
    if (pacemaker.length > 0) withFailures += 1;
    const tandem = tandemsFailedActions(testCase.cib, caseTimeS);
    if (pacemaker.join('\n') !== tandem.join('\n')) differing.push(`seed ${seed}:\n--- crm_mon\n${pacemaker.join('\n')}\n--- tandem\n${tandem.join('\n')}`);
    const pacemakersCounts = crmMonSection(file, 'Migration Summary');
    const tandemsCounts = migrationSummaryLines(failureReport(testCase.cib, caseTimeS).failCounts);
    if (pacemakersCounts.join('\n') !== tandemsCounts.join('\n')) differing.push(`seed ${seed}:\n--- crm_mon\n${pacemakersCounts.join('\n')}\n--- tandem\n${tandemsCounts.join('\n')}`);
  }
  assert.ok(withFailures >= 20, `only ${withFailures} of the clusters have failed actions`);
  assert.deepEqual(differing, [], differing.slice(0, 2).join('\n'));
});

test('a timed-out start, an exit reason, a run time and a probe that found no agent: worded as crm_mon words them', () => {
  const nowS = Math.floor(Date.now() / 1000);
  let cib = parseCibText('node node1\nnode node2\nprimitive d ocf:heartbeat:Dummy op monitor interval=90s\nprimitive e ocf:heartbeat:Dummy\nprimitive f ocf:heartbeat:Dummy\nproperty stonith-enabled=false\n', 'failed.crm').cib;
  cib = nodeUp(nodeUp(cib, 'node1'), 'node2');
  for (const spec of ['d_monitor_0@node1=0', 'd_monitor_90000@node1=7', 'e_start_0@node2=1', 'f_monitor_0@node2=5']) cib = injectOperation(cib, spec, nowS);
  const records = cib.status.nodes.flatMap((state) => state.resources.flatMap((history) => history.ops));
  for (const record of records.filter((candidate) => candidate.id === 'd_monitor_90000' || candidate.id === 'd_last_failure_0')) {
    record.execTimeMs = 1500;
    record.extra['exit-reason'] = 'it went away';
  }
  for (const record of records.filter((candidate) => candidate.id.startsWith('e_'))) {
    record.opStatus = OpStatus.timeout;
    record.execTimeMs = 500;
    record.extra['exit-reason'] = 'too slow';
  }
  const file = join(dir, 'failed-by-hand.xml');
  writeFileSync(file, writeCib(cib));
  const pacemaker = pacemakersFailedActions(file);
  assert.equal(pacemaker.length, 2, pacemaker.join('\n'));
  assert.match(pacemaker[1]!, /could not be executed \(Timed Out: too slow\)/);
  assert.deepEqual(tandemsFailedActions(cib, nowS), pacemaker);
});
