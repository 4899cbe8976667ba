import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { CheckPlan, ServerPlan } from '../../src/balancer/plan.js';
import { ServerState } from '../../src/balancer/server-state.js';
import { humanTime, rowClass, statsHtml } from '../../src/balancer/stats-page.js';
import type { StatsRow } from '../../src/balancer/stats.js';

const check: CheckPlan = { host: '127.0.0.2', port: 80, interMs: 100, fastInterMs: 100, downInterMs: 100, rise: 2, fall: 3, timeoutMs: 100 };
const serverPlan = (extra: Partial<ServerPlan> = {}): ServerPlan => ({ name: 's', host: '127.0.0.2', port: 80, portOffset: 0, weight: 1, backup: false, disabled: false, maxconn: 0, check, ...extra });

function row(svname: string, status: string, extra: Partial<StatsRow> = {}): StatsRow {
  return { pxname: 'web', svname, qcur: 0, scur: 0, slim: '', stot: 0, bin: 0, bout: 0, econ: 0, wretr: 0, wredis: 0, status, weight: 1, act: 1, bck: 0, chkfail: 0, chkdown: 0, lastchg: 5, type: 2, check_status: 'L4OK', ...extra };
}

test('health follows HAProxy: "UP 2/3" and "UP 1/3" on the way down, "DOWN 1/2" on the way up, and full health once UP again', () => {
  const server = new ServerState(serverPlan());
  const statuses = [server.status];
  for (const ok of [false, false, false, true, true, false]) {
    server.recordCheck(ok, ok ? 'L4OK' : 'L4CON');
    statuses.push(server.status);
  }
  // After coming back, one failure leaves it UP: it takes `fall` failures again, as in HAProxy.
  assert.deepEqual(statuses, ['UP', 'UP 2/3', 'UP 1/3', 'DOWN', 'DOWN 1/2', 'UP', 'UP 2/3']);
});

test('the page colours rows as HAProxy does, by status and active/backup', () => {
  const classes = [
    row('FRONTEND', 'OPEN', { type: 0 }),
    row('a', 'UP'),
    row('b', 'UP 1/3'),
    row('c', 'DOWN 1/2'),
    row('d', 'DOWN'),
    row('e', 'MAINT'),
    row('f', 'DRAIN'),
    row('g', 'no check'),
    row('h', 'UP', { bck: 1, act: 0 }),
    row('BACKEND', 'UP', { type: 1 }),
  ].map(rowClass);
  assert.deepEqual(classes, ['frontend', 'active_up', 'active_going_down', 'active_going_up', 'active_down', 'maintain', 'active_draining', 'active_no_check', 'backup_up', 'backend']);
});

test('the page has a table per proxy with its rows in order, escapes names, and shows how long a status has lasted', () => {
  const html = statsHtml([row('FRONTEND', 'OPEN', { type: 0, lastchg: '' }), row('a<b>', 'DOWN', { lastchg: 3725 }), row('BACKEND', 'DOWN', { type: 1 }), row('FRONTEND', 'OPEN', { pxname: 'db', type: 0, lastchg: '' })]);
  assert.deepEqual([...html.matchAll(/<th class="pxname" colspan="17"><a name="([^"]+)">/g)].map((match) => match[1]), ['web', 'db']);
  const web = html.slice(html.indexOf('name="web"'), html.indexOf('name="db"'));
  assert.deepEqual([...web.matchAll(/<tr class="([a-z_]+)"><td class="a[lc]">([^<]*)</g)].map((match) => [match[1], match[2]]), [['frontend', 'Frontend'], ['active_down', 'a&#60;b&#62;'], ['backend', 'Backend']]);
  assert.ok(web.includes('<td class="ac">1h02m DOWN</td>'), web);
  assert.deepEqual([45, 185, 7500, 360_000].map(humanTime), ['45s', '3m05s', '2h05m', '4d04h']);
});
