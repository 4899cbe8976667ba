import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { withTempDir } from '../support/temp.js';
import { readCib, writeCib } from '../../src/formats/cib/index.js';
import { readCrm } from '../../src/formats/crm/index.js';
import { emptyCib, type Cib } from '../../src/model/cib.js';
import type { Clone, TicketConstraint } from '../../src/model/config.js';
import { InputError } from '../../src/model/errors.js';

const fixture = new URL('../../../test/fixtures/pacemaker-2.1.5-saved.xml', import.meta.url);
const legacyFixture = new URL('../../../test/fixtures/pacemaker-legacy-master.xml', import.meta.url);
const seed = new URL('../../../examples/seed/openstack.crm', import.meta.url);

/** Runs a Pacemaker tool on a CIB we wrote; returns its exit status and output. */
function pacemaker(tool: string, cib: Cib, extra: string[] = []): { status: number | null; output: string; saved?: string } {
  return withTempDir((dir) => {
    const file = join(dir, 'cib.xml');
    const out = join(dir, 'out.xml');
    writeFileSync(file, writeCib(cib));
    const result = spawnSync(tool, ['-x', file, ...extra, ...(tool === 'crm_simulate' ? ['-O', out] : [])], { encoding: 'utf8' });
    let saved: string | undefined;
    try {
      saved = readFileSync(out, 'utf8');
    } catch {
      saved = undefined;
    }
    return { status: result.status, output: result.stdout + result.stderr, saved };
  });
}

test('a CIB saved by Pacemaker 2.1.5 loads with its status', () => {
  const cib = readCib(readFileSync(fixture, 'utf8'), 'saved.xml');
  assert.equal(cib.haveQuorum, true);
  assert.equal(cib.attributes['num_updates'], '42');
  assert.deepEqual(cib.configuration.nodes.map((node) => node.uname), ['node1', 'node2', 'node3']);
  assert.equal(cib.configuration.nodes[0]!.attributes['site'], 'east');
  const db = cib.configuration.resources.find((resource) => resource.id === 'db-clone') as Clone;
  assert.equal(db.promotable, true);
  assert.equal(db.legacyMaster, false);
  const node1 = cib.status.nodes.find((state) => state.uname === 'node1')!;
  assert.deepEqual([node1.inCluster, node1.controllerOnline, node1.join, node1.expected], [true, true, 'member', 'member']);
  const vip = node1.resources.find((history) => history.id === 'vip')!;
  const last = vip.ops.find((op) => op.id === 'vip_last_0')!;
  assert.deepEqual([last.operation, last.rc, last.opStatus, last.intervalMs], ['start', 0, 0, 0]);
  assert.match(last.transitionKey ?? '', /^\d+:-?\d+:0:/);
  assert.equal(last.extra['op-digest'], 'cf70e8152b64ad306f3113308d98b8e4');
  const promoted = node1.resources.find((history) => history.id === 'db')!.ops.find((op) => op.intervalMs === 10_000)!;
  assert.equal(promoted.rc, 8);
  const ticket = cib.configuration.constraints.find((constraint) => constraint.id === 'vip-needs-ticket');
  assert.deepEqual(ticket, { type: 'ticket', id: 'vip-needs-ticket', ticket: 'site-a', rsc: { id: 'vip' }, lossPolicy: 'stop', extra: {} });
  assert.deepEqual(cib.status.tickets, [{ id: 'site-a', granted: true, standby: false, extra: {} }]);
});

const ticketCib = (constraints: string, tickets: string) =>
  `<cib><configuration><resources>
  <primitive id="a" class="ocf" provider="pacemaker" type="Dummy"/>
  <clone id="ms"><meta_attributes id="ms-meta"><nvpair id="ms-p" name="promotable" value="true"/></meta_attributes><primitive id="s" class="ocf" provider="pacemaker" type="Stateful"/></clone>
</resources><constraints>
${constraints}
</constraints></configuration><status>${tickets}</status></cib>`;

test('rsc_ticket in both forms and ticket states read, write and read back the same', () => {
  const text = ticketCib(
    `<rsc_ticket id="t1" ticket="T" rsc="ms" rsc-role="Master" loss-policy="demote"/>
<rsc_ticket id="t2" ticket="U"><resource_set id="t2-set" role="Promoted"><resource_ref id="ms"/></resource_set><resource_set id="t2-set2"><resource_ref id="a"/></resource_set></rsc_ticket>`,
    `<tickets><ticket_state id="T" granted="true" standby="true" last-granted="1700000000" owner="site-b"/><ticket_state id="U" granted="no"/></tickets>`,
  );
  const cib = readCib(text, 't.xml');
  const [t1, t2] = cib.configuration.constraints as TicketConstraint[];
  assert.deepEqual(t1, { type: 'ticket', id: 't1', ticket: 'T', rsc: { id: 'ms', role: 'Promoted' }, lossPolicy: 'demote', extra: {} });
  assert.deepEqual(t2!.sets, [
    { id: 't2-set', resources: ['ms'], sequential: true, requireAll: true, role: 'Promoted' },
    { id: 't2-set2', resources: ['a'], sequential: true, requireAll: true },
  ]);
  assert.equal(t2!.lossPolicy, undefined);
  assert.deepEqual(cib.status.tickets, [
    { id: 'T', granted: true, standby: true, lastGranted: 1_700_000_000, extra: { owner: 'site-b' } },
    { id: 'U', granted: false, standby: false, extra: {} },
  ]);
  const written = writeCib(cib);
  assert.match(written, /<rsc_ticket id="t1" ticket="T" rsc="ms" rsc-role="Promoted" loss-policy="demote"\/>/);
  assert.match(written, /<ticket_state id="T" granted="true" last-granted="1700000000" standby="true" owner="site-b"\/>/);
  const again = readCib(written, 'again.xml');
  assert.deepEqual([again.configuration, again.status], [cib.configuration, cib.status]);
});

test('bad rsc_ticket and ticket_state: file, line, column and what is wrong', () => {
  const cases: Array<[string, string, string]> = [
    ['<rsc_ticket id="t" ticket="T" rsc="a" loss-policy="explode"/>', '', 't.xml:5:1: <rsc_ticket id="t"> loss-policy="explode" is not one of stop, demote, fence, freeze'],
    ['<rsc_ticket id="t" rsc="a"/>', '', 't.xml:5:1: <rsc_ticket> needs a "ticket" attribute'],
    ['<rsc_ticket id="t" ticket="T"/>', '', 't.xml:5:1: <rsc_ticket id="t"> needs either "rsc" or resource sets'],
    ['<rsc_ticket id="t" ticket="T" rsc="a" rsc-role="Leader"/>', '', 't.xml:5:1: <rsc_ticket> rsc-role="Leader" is not a role (Started, Stopped, Promoted, Unpromoted)'],
    ['<rsc_ticket id="t" ticket="T" rsc="a"><lifetime/></rsc_ticket>', '', 't.xml:5:39: <lifetime> in <rsc_ticket> is not supported'],
    ['', '<tickets><ticket_state id="T"/><ticket_state id="T"/></tickets>', 't.xml:6:70: <ticket_state id="T"> appears twice'],
    ['', '<tickets><ticket id="T"/></tickets>', 't.xml:6:48: <ticket> in <tickets> is not supported: expected <ticket_state>'],
  ];
  for (const [constraints, tickets, message] of cases) {
    assert.throws(() => readCib(ticketCib(constraints, tickets), 't.xml'), (error: unknown) => error instanceof InputError && error.message === message, message);
  }
});

test('a CIB in the pre-2.1 style (<master>, Master/Slave, timestamps for membership) loads', () => {
  const cib = readCib(readFileSync(legacyFixture, 'utf8'), 'legacy.xml');
  const ms = cib.configuration.resources.find((resource) => resource.id === 'ms_drbd') as Clone;
  assert.deepEqual([ms.kind, ms.promotable, ms.legacyMaster], ['clone', true, true]);
  const alpha = cib.status.nodes.find((state) => state.uname === 'alpha')!;
  const beta = cib.status.nodes.find((state) => state.uname === 'beta')!;
  assert.deepEqual([alpha.inCluster, alpha.controllerOnline, beta.inCluster, beta.controllerOnline], [true, true, false, false]);
  assert.equal(alpha.transientAttributes['master-drbd'], '10');
  // Written back, it stays in the old schema's words, which that schema's readers expect;
  // an order's score="INFINITY" becomes kind="Mandatory" once, then nothing changes.
  const written = writeCib(cib);
  assert.match(written, /<master id="ms_drbd">/);
  assert.match(written, /<rsc_order id="drbd-before-fs"[^>]* kind="Mandatory"/);
  const once = readCib(written, 'once.xml');
  assert.deepEqual(readCib(writeCib(once), 'twice.xml'), once);
});

test('what tandem writes, Pacemaker reads: crm_verify accepts it and crm_simulate runs it', () => {
  const { configuration } = readCrm(readFileSync(seed, 'utf8'), 'openstack.crm');
  const cib = emptyCib();
  cib.configuration = configuration;
  cib.configuration.properties['stonith-enabled'] = 'false';
  const verify = pacemaker('crm_verify', cib, ['-VV']);
  const complaints = verify.output.split('\n').filter((line) => /error|warning/i.test(line));
  // The one warning left is Pacemaker's note that, with fencing off, unseen nodes are trusted.
  assert.deepEqual(complaints.filter((line) => !/Blind faith: not fencing unseen nodes|Warnings found during check/.test(line)), []);
  const simulated = pacemaker('crm_simulate', cib, ['-S', '--node-up', 'node1', '--node-up', 'node2']);
  assert.equal(simulated.status, 0, simulated.output);
  assert.match(simulated.output, /Start\s+p_api-ip\s+\( node1 \)/);
  // Pacemaker's own saved result loads back, with the starts it recorded.
  const after = readCib(simulated.saved!, 'out.xml');
  const started = after.status.nodes.flatMap((state) => state.resources.filter((history) => history.ops.some((op) => op.operation === 'start' && op.rc === 0)).map((history) => `${history.id}@${state.uname}`));
  assert.ok(started.includes('p_api-ip@node1'), started.join(' '));
  assert.ok(started.includes('p_neutron-l3-agent@node2'), started.join(' '));
});

test('read, write, read gives the same model', () => {
  for (const text of [readFileSync(fixture, 'utf8')]) {
    const first = readCib(text, 'a.xml');
    const second = readCib(writeCib(first), 'b.xml');
    assert.deepEqual(second, first);
  }
  const { configuration } = readCrm(readFileSync(seed, 'utf8'), 'openstack.crm');
  const cib = emptyCib();
  cib.configuration = configuration;
  const once = readCib(writeCib(cib), 'once.xml');
  assert.deepEqual(readCib(writeCib(once), 'twice.xml'), once);
  assert.equal(once.configuration.resources.length, configuration.resources.length);
});

test('unknown elements and attributes are kept, not dropped', () => {
  const text = readFileSync(fixture, 'utf8').replace('<primitive id="vip" class="ocf"', '<primitive id="vip" future-attribute="kept" class="ocf"');
  const cib = readCib(text, 'x.xml');
  const written = writeCib(cib);
  assert.match(written, /<tag id="openstack">/);
  assert.match(written, /<fencing-level id="fl-node1-1"[^>]* target="node1"[^>]* devices="fence-all"\/>/);
  assert.match(written, /future-attribute="kept"/);
  assert.deepEqual(readCib(written, 'y.xml'), cib);
});

test('bad XML input: file, line, column and what is wrong', () => {
  const cases: Array<[string, string]> = [
    ['<cib>\n  <configuration>\n  </configuratio>\n</cib>', "x.xml:3:3: malformed XML: Expected closing tag 'configuration' (opened in line 2, col 3) instead of closing tag 'configuratio'."],
    ['<cib>\n<configuration><resources>\n  <primitive id="a" class="ocf" type="Dummy"/>\n</resources></configuration></cib>', 'x.xml:3:3: <primitive id="a"> of class ocf needs a "provider" attribute'],
    ['<cib><configuration><constraints>\n<rsc_location id="l" rsc="a" node="n1" score="lots"/></constraints></configuration></cib>', 'x.xml:2:1: <rsc_location> score="lots" is not a score (an integer or [+-]INFINITY)'],
    ['<cib><configuration><resources><primitive id="a" class="ocf" provider="p" type="D"><operations>\n  <op id="o" name="monitor" interval="often"/></operations></primitive></resources></configuration></cib>', 'x.xml:2:3: <op> interval="often" is not a duration (e.g. 30s, 1min, 500ms)'],
    ['<cib><configuration><constraints><rsc_colocation id="c" score="INFINITY" rsc="a" with-rsc="b" with-rsc-role="Boss"/></constraints></configuration></cib>', 'x.xml:1:34: <rsc_colocation> with-rsc-role="Boss" is not a role (Started, Stopped, Promoted, Unpromoted)'],
    ['<config/>', 'x.xml:1:1: expected a <cib> document, found <config>'],
    ['<cib><configuration><rsc_defaults><meta_attributes id="d">\n  <nvpair id="d1" name="drain-delay" value="soon"/></meta_attributes></rsc_defaults></configuration></cib>', 'x.xml:2:3: <nvpair> drain-delay="soon" is not a duration (e.g. 5s, 500ms, 1min)'],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => readCib(text, 'x.xml'), (error: unknown) => error instanceof InputError && error.message === message);
  }
});
