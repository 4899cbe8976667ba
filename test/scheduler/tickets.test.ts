// rsc_ticket against Pacemaker: test/fixtures/tickets.xml has one resource for each way a
// ticket acts (revoked with loss-policy stop, fence and freeze, standby for the Promoted
// role, never granted, granted). Every expected line below is what Pacemaker 2.1.5's
// `crm_simulate -S -x` printed for the same CIB (the fixture, or the fixture with the
// change the test makes).

import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { summaryLines } from '../../src/cli/simulate.js';
import { readCib } from '../../src/formats/cib/index.js';
import type { Cib } from '../../src/model/cib.js';
import type { Resource } from '../../src/model/config.js';
import type { TicketState } from '../../src/model/status.js';
import { schedule } from '../../src/scheduler/index.js';
import { cluster, dummy, ran } from '../support/build.js';

const nowS = 1_800_000_000;
const fixture = readFileSync(new URL('../../../test/fixtures/tickets.xml', import.meta.url), 'utf8');

function tickets(): Cib {
  return readCib(fixture, 'tickets.xml');
}

function ticket(cib: Cib, id: string): TicketState {
  const state = cib.status.tickets?.find((candidate) => candidate.id === id);
  if (!state) throw new Error(`no ticket ${id} in the fixture`);
  return state;
}

test('each ticket acts as in Pacemaker: stop, demote for standby, fence, freeze, never started', () => {
  const transition = schedule({ cib: tickets(), nowS });
  assert.deepEqual(summaryLines(transition), [
    "  * Fence (reboot) node3 'deadman ticket was lost'",
    '  * Stop       vip        (                        node1 )  due to node availability',
    '  * Demote     s:0        ( Promoted -> Unpromoted node1 )',
    '  * Move       mail       (               node3 -> node1 )',
    '  * Stop       worker     (                        node3 )  due to node availability',
  ]);
  const placement = new Map(transition.placement.map((entry) => [entry.resource, entry]));
  // site-c was never granted and web runs: loss-policy=freeze leaves it there, unmanaged.
  for (const member of ['web-ip', 'web-srv']) assert.deepEqual([placement.get(member)?.managed, placement.get(member)?.next], [false, 'node2'], member);
  // site-a is revoked: the clone that was not running does not start anywhere.
  assert.deepEqual(transition.placement.filter((entry) => entry.resource.startsWith('b:')).map((entry) => entry.next), [undefined, undefined, undefined]);
  assert.ok(!transition.actions.some((action) => action.historyId === 'b' || action.resource.startsWith('web')));
  // The db clone stays where it is, promoted nowhere while site-b is in standby.
  assert.deepEqual([placement.get('s:0')?.nextRole, placement.get('s:1')?.nextRole], ['Unpromoted', 'Unpromoted']);
  // node3 is fenced, so nothing is probed there.
  assert.ok(!transition.probes.some((probe) => probe.node === 'node3'));
  assert.deepEqual(transition.warnings, []);
});

test('granting the revoked ticket lets its resources run again', () => {
  const cib = tickets();
  ticket(cib, 'site-a').granted = true;
  assert.deepEqual(summaryLines(schedule({ cib, nowS })), [
    "  * Fence (reboot) node3 'deadman ticket was lost'",
    '  * Move       vip        (               node1 -> node2 )',
    '  * Demote     s:0        ( Promoted -> Unpromoted node1 )',
    '  * Start      b:0        (                        node1 )',
    '  * Start      b:1        (                        node2 )',
    '  * Move       mail       (               node3 -> node1 )',
    '  * Stop       worker     (                        node3 )  due to node availability',
  ]);
});

test('a Promoted-role ticket out of standby keeps its promotion', () => {
  const cib = tickets();
  ticket(cib, 'site-b').standby = false;
  assert.deepEqual(summaryLines(schedule({ cib, nowS })), [
    "  * Fence (reboot) node3 'deadman ticket was lost'",
    '  * Stop       vip        (          node1 )  due to node availability',
    '  * Move       mail       ( node3 -> node1 )',
    '  * Stop       worker     (          node3 )  due to node availability',
  ]);
});

test('revoking a granted ticket stops its resource (the default loss-policy)', () => {
  const cib = tickets();
  ticket(cib, 'site-d').granted = false;
  assert.deepEqual(summaryLines(schedule({ cib, nowS })), [
    "  * Fence (reboot) node3 'deadman ticket was lost'",
    '  * Stop       vip        (                        node1 )  due to node availability',
    '  * Demote     s:0        ( Promoted -> Unpromoted node1 )',
    '  * Stop       mail       (                        node3 )  due to node availability',
    '  * Stop       worker     (                        node3 )  due to node availability',
  ]);
});

test('granting the frozen and the fenced tickets: nothing frozen, nobody fenced', () => {
  const cib = tickets();
  cib.status.tickets!.push({ id: 'site-c', granted: true, standby: false, extra: {} });
  ticket(cib, 'site-e').granted = true;
  const transition = schedule({ cib, nowS });
  assert.deepEqual(summaryLines(transition), [
    '  * Stop       vip        (                        node1 )  due to node availability',
    '  * Demote     s:0        ( Promoted -> Unpromoted node1 )',
    '  * Move       web-ip     (               node2 -> node3 )',
    '  * Move       web-srv    (               node2 -> node3 )',
    '  * Move       mail       (               node3 -> node2 )',
  ]);
  assert.deepEqual(transition.fencing, []);
});

test('without fencing, loss-policy=fence stops instead, with the warning Pacemaker gives', () => {
  const cib = tickets();
  cib.configuration.properties['stonith-enabled'] = 'false';
  const transition = schedule({ cib, nowS });
  assert.deepEqual(summaryLines(transition), [
    '  * Stop       vip        (                        node1 )  due to node availability',
    '  * Demote     s:0        ( Promoted -> Unpromoted node1 )',
    '  * Stop       worker     (                        node3 )  due to node availability',
  ]);
  assert.deepEqual(transition.warnings, ["Resetting 'loss-policy' for ticket 'site-e' to 'stop' because fencing is not configured"]);
});

test("a ticket naming a clone's child finds the clone only through its instances' history, as Pacemaker does", () => {
  const clone: Resource = { kind: 'clone', id: 'cl', promotable: false, legacyMaster: false, child: dummy('d'), meta: {}, params: {}, extra: {} };
  const cib = cluster(['node1', 'node2'], [clone]);
  cib.configuration.constraints.push({ type: 'ticket', id: 't1', ticket: 'T', rsc: { id: 'd' }, extra: {} });
  // Nothing has run yet: no resource is called "d", the constraint is ignored and both instances start.
  const fresh = schedule({ cib, nowS });
  assert.deepEqual(summaryLines(fresh), ['  * Start      d:0     ( node1 )', '  * Start      d:1     ( node2 )']);
  assert.deepEqual(fresh.warnings, ["Ignoring constraint 't1' because 'd' is not a valid resource or tag"]);
  // Once an instance ran as "d", the name means the clone, and without the ticket it stops.
  ran(cib, 'node1', 'd');
  assert.deepEqual(summaryLines(schedule({ cib, nowS })), ['  * Stop       d:0     ( node1 )  due to node availability']);
});
