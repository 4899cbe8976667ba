// What a balancer reports to its node of the servers tied to a resource: per resource and
// node, drained (or down) or not, and the sessions left on the drained ones. Pure.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { ServerVerdict } from '../../src/balancer/cluster-verdicts.js';
import { sessionReport } from '../../src/balancer/session-report.js';

const verdict = (backend: string, server: string, state: ServerVerdict['state'], node?: string): ServerVerdict => ({ backend, server, state, reason: 'test', ...(node ? { node } : {}) });
const tied = new Map([['api', 'cl_api'], ['api_admin', 'cl_api'], ['db', 'p_db']]);
const sessions: Record<string, number> = { 'api/a1': 4, 'api/a2': 2, 'api_admin/x1': 1, 'db/d1': 9, 'plain/p1': 5, 'api/floating': 3 };
const sessionsOf = (backend: string, server: string) => sessions[`${backend}/${server}`];

test('drained servers report their sessions, summed per resource and node; serving ones report none', () => {
  const report = sessionReport([verdict('api', 'a1', 'drain', 'node1'), verdict('api_admin', 'x1', 'drain', 'node1'), verdict('api', 'a2', 'up', 'node2'), verdict('db', 'd1', 'up', 'node1')], tied, sessionsOf);
  assert.deepEqual(report, [
    { resource: 'cl_api', node: 'node1', draining: true, sessions: 5 },
    { resource: 'cl_api', node: 'node2', draining: false, sessions: 0 },
    { resource: 'p_db', node: 'node1', draining: false, sessions: 0 },
  ]);
});

test('a resource on a node is drained only when all its servers there are', () => {
  const report = sessionReport([verdict('api', 'a1', 'drain', 'node1'), verdict('api_admin', 'x1', 'up', 'node1')], tied, sessionsOf);
  assert.deepEqual(report, [{ resource: 'cl_api', node: 'node1', draining: false, sessions: 4 }]);
});

test('down servers take no new session either: reported with what they still hold; servers on no node and untied backends are not reported', () => {
  const report = sessionReport([verdict('api', 'a1', 'down', 'node1'), verdict('api', 'floating', 'drain'), verdict('plain', 'p1', 'drain', 'node1')], tied, sessionsOf);
  assert.deepEqual(report, [{ resource: 'cl_api', node: 'node1', draining: true, sessions: 4 }]);
});
