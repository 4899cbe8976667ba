// An interleaved clone ordered after a promotable clone's promote follows, instance by
// instance, the other clone's instance on its node: beside an instance that is not promoted
// it cannot start, and one already running there is stopped. Compared with Debian's
// crm_simulate on the same CIB, transition after transition.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runSimulation, summaryLines } from '../../src/cli/simulate.js';
import { normalise, parseTransitionSummary } from '../../src/differential/compare.js';
import { parseCibText } from '../../src/formats/index.js';
import { writeCib } from '../../src/formats/cib/index.js';

const nowS = 1_800_000_000;
const dir = mkdtempSync(join(tmpdir(), 'tandem-interleave-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const promotedThenStart = (order: boolean) => `node $id=1 node1
node $id=2 node2
node $id=3 node3
primitive ac ocf:pacemaker:Stateful \\
	op monitor interval=10s role=Promoted \\
	op monitor interval=11s role=Unpromoted
clone a ac \\
	meta promotable=true interleave=true promoted-max=1
primitive bc ocf:pacemaker:Dummy
clone b bc \\
	meta interleave=true
${order ? 'order o1 Mandatory: a:promote b:start' : ''}
location l1 a rule $role=Promoted 100: #uname eq node1
property cib-bootstrap-options: stonith-enabled=false
`;

const empty = { nodeUp: [], nodeDown: [], nodeFail: [], opInject: [], standby: [] };

/** Both schedulers' summaries for a CIB written as XML (crm_simulate reads it as it is), and the CIB Pacemaker's transition leaves. */
function both(xmlFile: string, nodeUp: string[]): { pacemaker: string[]; tandem: string[]; next: string } {
  const next = `${xmlFile}.next`;
  const args = ['-S', '-x', xmlFile, '-O', next, ...nodeUp.flatMap((node) => ['-u', node])];
  const run = spawnSync('crm_simulate', args, { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  assert.equal(run.status, 0, run.stderr);
  const loaded = parseCibText(readFileSync(xmlFile, 'utf8'), xmlFile);
  const result = runSimulation(loaded.cib, { ...empty, nodeUp }, nowS);
  return { pacemaker: normalise(parseTransitionSummary(run.stdout)), tandem: normalise(summaryLines(result.transition)), next };
}

function cibFile(name: string, crm: string): string {
  const crmFile = join(dir, `${name}.crm`);
  writeFileSync(crmFile, crm);
  const xmlFile = join(dir, `${name}.xml`);
  writeFileSync(xmlFile, writeCib(parseCibText(crm, crmFile).cib));
  return xmlFile;
}

test('beside an instance that will not be promoted, an interleaved instance does not start', () => {
  const first = both(cibFile('blocked', promotedThenStart(true)), ['node1', 'node2', 'node3']);
  assert.ok(first.pacemaker.some((line) => line.includes('due to unrunnable ac:N promote (blocked)')), first.pacemaker.join('\n'));
  assert.deepEqual(first.tandem, first.pacemaker);
  // The next transition, from what the first one did: the unpromoted instances stay, and so do the blocked starts.
  const second = both(first.next, []);
  assert.equal(second.pacemaker.length, 2, second.pacemaker.join('\n'));
  assert.deepEqual(second.tandem, second.pacemaker);
});

test('an interleaved instance already running beside an unpromoted one is stopped when the ordering appears', () => {
  const first = both(cibFile('running', promotedThenStart(false)), ['node1', 'node2', 'node3']);
  const withOrder = readFileSync(first.next, 'utf8').replace('<constraints>', '<constraints><rsc_order id="o1" kind="Mandatory" first="a" first-action="promote" then="b" then-action="start"/>');
  assert.notEqual(withOrder, readFileSync(first.next, 'utf8'));
  const ordered = join(dir, 'ordered.xml');
  writeFileSync(ordered, withOrder);
  const second = both(ordered, []);
  assert.deepEqual(second.pacemaker, ['* Stop bc:N ( node2 ) due to unrunnable ac:N promote', '* Stop bc:N ( node3 ) due to unrunnable ac:N promote']);
  assert.deepEqual(second.tandem, second.pacemaker);
});
