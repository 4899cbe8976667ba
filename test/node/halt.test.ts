// A node that must stop everything (its lease may expire) stops what it runs even when the
// store never heard of it: a start that succeeded while the store was out of reach, and a
// start still running at the halt. With the real ocf:heartbeat:Dummy, whose state file says
// whether it runs.

import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { createAgentRunner } from '../../src/agents/index.js';
import type { Cib } from '../../src/model/cib.js';
import type { Primitive } from '../../src/model/config.js';
import { Executor, operationRequest } from '../../src/node/executor.js';
import type { ClusterStore } from '../../src/store/store.js';
import { cluster } from '../support/build.js';

/** A store out of reach: reads give the last state, writes fail after a moment, as an etcd call past its deadline. */
function unreachableStore(cib: Cib): ClusterStore {
  return {
    read: async () => ({ cib, revision: 1 }),
    update: () => new Promise((_, reject) => setTimeout(() => reject(new Error('etcd out of reach')), 20)),
    watch: () => () => undefined,
    close: async () => undefined,
  };
}

function dummy(id: string, stateFile: string, startSleepS: number): Primitive {
  return { kind: 'primitive', id, agent: { class: 'ocf', provider: 'heartbeat', type: 'Dummy' }, params: { state: stateFile, op_sleep: String(startSleepS) }, meta: {}, utilization: {}, ops: [], extra: {} };
}

test('stopping everything stops what this node started, though the store never recorded it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-halt-'));
  try {
    const quick = join(dir, 'quick.state');
    const slow = join(dir, 'slow.state');
    const cib = cluster(['node1'], [dummy('quick', quick, 0), dummy('slow', slow, 2)]);
    const runAgent = createAgentRunner({ runDir: join(dir, 'run'), onUnexpectedExit: () => undefined });
    const executor = new Executor({ nodeName: 'node1', store: unreachableStore(cib), runAgent, log: pino({ level: 'silent' }) });
    executor.reconcileMonitors(cib); // the last state it knew: nothing runs here
    const start = (id: string) => executor.execute(operationRequest(cib, { resource: id, historyId: id, definitionId: id, orphan: false, task: 'start', node: 'node1' })!).catch(() => 'not recorded');
    assert.equal(await start('quick'), 'not recorded');
    assert.ok(existsSync(quick), 'the quick Dummy runs');
    const slowStart = start('slow'); // still starting (op_sleep) when the node halts
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await executor.stopEverything(), true);
    await slowStart;
    assert.equal(existsSync(quick), false, 'the quick Dummy was stopped');
    assert.equal(existsSync(slow), false, 'the slow Dummy was stopped once its start had finished');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
