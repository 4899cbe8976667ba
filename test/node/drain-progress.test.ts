// The end of the wait before a planned stop, decided from the balancers' session reports and
// the clock (pure), and the waiting loop around it with a clock the test moves.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { SessionReport } from '../../src/api/protocol.js';
import { drainProgress, type DrainInput } from '../../src/node/drain.js';
import { waitForDrain } from '../../src/node/drain-wait.js';

const input = (reports: SessionReport[], nowMs = 1_000): DrainInput => ({ reports, resourceIds: ['p_api', 'cl_api'], node: 'node1', startedAtMs: 0, nowMs, delayMs: 60_000 });
const report = (draining: boolean, sessions: number, resource = 'cl_api', node = 'node1'): SessionReport => ({ resource, node, draining, sessions });

test('no report at all: the whole drain-delay, then over', () => {
  assert.deepEqual(drainProgress(input([])), { done: false });
  assert.deepEqual(drainProgress(input([], 59_999)), { done: false });
  assert.deepEqual(drainProgress(input([], 60_000)), { done: true, reason: 'delay elapsed', elapsedMs: 60_000 });
});

test('over as soon as every balancer reporting the resource on the node drains it with no session left', () => {
  assert.deepEqual(drainProgress(input([report(true, 0)])), { done: true, reason: 'sessions gone', elapsedMs: 1_000 });
  assert.deepEqual(drainProgress(input([report(true, 0), report(true, 0, 'p_api')])), { done: true, reason: 'sessions gone', elapsedMs: 1_000 }, 'tied to the primitive or its clone');
  assert.deepEqual(drainProgress(input([report(true, 2)])), { done: false }, 'sessions left');
  assert.deepEqual(drainProgress(input([report(true, 0), report(true, 1)])), { done: false }, 'one balancer still has one');
  assert.deepEqual(drainProgress(input([report(true, 0), report(false, 0)])), { done: false }, 'a balancer that has not seen the stop coming yet still sends new connections there');
});

test('reports of other resources and other nodes say nothing of this drain', () => {
  assert.deepEqual(drainProgress(input([report(true, 0, 'p_db'), report(true, 0, 'cl_api', 'node2')])), { done: false });
  assert.deepEqual(drainProgress(input([report(true, 0), report(true, 5, 'p_db'), report(false, 3, 'cl_api', 'node2')])), { done: true, reason: 'sessions gone', elapsedMs: 1_000 });
});

test('the delay bounds the wait even while sessions remain', () => {
  assert.deepEqual(drainProgress(input([report(true, 7)], 61_000)), { done: true, reason: 'delay elapsed', elapsedMs: 61_000 });
});

/** A clock that moves `stepMs` each time it is read. */
function steppingClock(stepMs: number): () => number {
  let nowMs = 0;
  return () => (nowMs += stepMs);
}

test('the wait reads the reports until they show the sessions gone', async () => {
  const answers: SessionReport[][] = [[], [report(false, 0)], [report(true, 3)], [report(true, 1)], [report(true, 0)]];
  let reads = 0;
  const end = await waitForDrain({ delayMs: 60_000, resourceIds: ['cl_api'], node: 'node1', reports: async () => answers[Math.min(reads++, answers.length - 1)]!, keepWaiting: () => true, nowMs: steppingClock(1) });
  assert.equal(end.reason, 'sessions gone');
  assert.equal(reads, answers.length, 'it went on while a session was left');
});

test('the wait ends at the delay when the reports cannot be read, and is abandoned when the DC must decide again', async () => {
  const failing = await waitForDrain({ delayMs: 1_000, resourceIds: ['cl_api'], node: 'node1', reports: () => Promise.reject(new Error('etcd out of reach')), keepWaiting: () => true, nowMs: steppingClock(300) });
  assert.equal(failing.reason, 'delay elapsed');
  let checks = 0;
  const abandoned = await waitForDrain({ delayMs: 60_000, resourceIds: ['cl_api'], node: 'node1', reports: async () => [report(true, 1)], keepWaiting: () => ++checks < 3, nowMs: steppingClock(1) });
  assert.equal(abandoned.reason, 'abandoned');
  assert.equal(checks, 3);
});
