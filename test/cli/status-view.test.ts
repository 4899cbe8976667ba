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
import { renderStatus } from '../../src/status/text.js';
import { clusterView } from '../../src/status/view.js';

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
