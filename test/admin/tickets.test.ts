// Ticket changes as crm_ticket makes them, and what the scheduler then does.

import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { changeTicket } from '../../src/admin/commands.js';
import { readCib } from '../../src/formats/cib/index.js';
import { InputError } from '../../src/model/errors.js';
import { schedule } from '../../src/scheduler/index.js';
import { renderStatus } from '../../src/status/text.js';
import { clusterView } from '../../src/status/view.js';

const nowS = 1_800_000_000;
const fixture = readFileSync(new URL('../../../test/fixtures/tickets.xml', import.meta.url), 'utf8');
const tickets = () => readCib(fixture, 'tickets.xml');

test('grant stamps last-granted and lets what depends on the ticket start', () => {
  const cib = changeTicket(tickets(), 'grant', 'site-a', nowS);
  assert.deepEqual(cib.status.tickets?.find((ticket) => ticket.id === 'site-a'), { id: 'site-a', granted: true, standby: false, lastGranted: nowS, extra: {} });
  const starts = schedule({ cib, nowS }).actions.filter((action) => action.task === 'start' && action.historyId === 'b');
  assert.equal(starts.length, 2);
});

test('revoke, standby and activate change only their own flag; an unknown ticket gets a state', () => {
  let cib = changeTicket(tickets(), 'revoke', 'site-d', nowS);
  assert.deepEqual(cib.status.tickets?.find((ticket) => ticket.id === 'site-d'), { id: 'site-d', granted: false, standby: false, lastGranted: 1_700_000_000, extra: {} });
  cib = changeTicket(cib, 'activate', 'site-b', nowS);
  assert.deepEqual(cib.status.tickets?.find((ticket) => ticket.id === 'site-b'), { id: 'site-b', granted: true, standby: false, lastGranted: 1_700_000_000, extra: {} });
  cib = changeTicket(cib, 'standby', 'site-new', nowS);
  assert.deepEqual(cib.status.tickets?.find((ticket) => ticket.id === 'site-new'), { id: 'site-new', granted: false, standby: true, extra: {} });
  // mail depended on site-d (now revoked) and stops; s:0 is no longer demoted (site-b active).
  const lines = schedule({ cib, nowS }).summary.map((item) => item.line);
  assert.ok(lines.some((line) => /Stop\s+mail\s+\(\s*node3 \)/.test(line)), lines.join('\n'));
  assert.ok(!lines.some((line) => line.includes('Demote')), lines.join('\n'));
});

test('a ticket name that could not be an id is refused', () => {
  assert.throws(() => changeTicket(tickets(), 'grant', 'two words', nowS), (error: unknown) => error instanceof InputError && /"two words" is not a ticket name/.test(error.message));
});

test('the status lists every ticket, as crm_mon --tickets: with a state, or named by a constraint and so revoked', () => {
  const view = clusterView(tickets(), nowS);
  assert.deepEqual(view.tickets, [
    { id: 'site-a', granted: false, standby: false, lastGranted: 1_700_000_000 },
    { id: 'site-b', granted: true, standby: true, lastGranted: 1_700_000_000 },
    { id: 'site-c', granted: false, standby: false },
    { id: 'site-d', granted: true, standby: false, lastGranted: 1_700_000_000 },
    { id: 'site-e', granted: false, standby: false },
  ]);
  const text = renderStatus(view);
  assert.match(text, /\n {2}\* Tickets:\n {4}\* site-a:\trevoked \(last-granted=2023-11-14T22:13:20\.000Z\)\n {4}\* site-b:\tgranted \[standby\]/);
  assert.match(text, /\* site-c:\trevoked\n/);
});
