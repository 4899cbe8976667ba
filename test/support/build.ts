// Small builders for CIB models in tests, so scheduler tests need no file format.

import { emptyCib, type Cib } from '../../src/model/cib.js';
import type { Operation, Primitive, Resource } from '../../src/model/config.js';
import type { NodeState, OperationRecord } from '../../src/model/status.js';

export function dummy(id: string, meta: Record<string, string> = {}, type = 'Dummy'): Primitive {
  const ops: Operation[] = [{ name: 'monitor', interval: '10s', intervalMs: 10_000, attributes: {} }];
  return { kind: 'primitive', id, agent: { class: 'ocf', provider: 'pacemaker', type }, params: {}, meta, utilization: {}, ops, extra: {} };
}

export function cluster(nodeNames: string[], resources: Resource[], online: string[] = nodeNames): Cib {
  const cib = emptyCib();
  cib.configuration.properties = { 'stonith-enabled': 'false' };
  cib.configuration.nodes = nodeNames.map((uname, index) => ({ id: String(index + 1), uname, attributes: {}, utilization: {}, extra: {} }));
  cib.configuration.resources = resources;
  cib.status.nodes = nodeNames.map((uname, index) => nodeState(String(index + 1), uname, online.includes(uname)));
  return cib;
}

function nodeState(id: string, uname: string, up: boolean): NodeState {
  return {
    id,
    uname,
    inCluster: up,
    controllerOnline: up,
    join: up ? 'member' : 'down',
    expected: up ? 'member' : 'down',
    transientAttributes: {},
    resources: [],
    extra: {},
  };
}

let callId = 1;

/** Records that a resource was started (or probed with rc) on a node. */
export function ran(cib: Cib, node: string, historyId: string, operation = 'start', rc = 0, intervalMs = 0): void {
  const state = cib.status.nodes.find((candidate) => candidate.uname === node);
  if (!state) throw new Error(`no node ${node}`);
  let history = state.resources.find((candidate) => candidate.id === historyId);
  if (!history) {
    history = { id: historyId, class: 'ocf', provider: 'pacemaker', type: 'Dummy', ops: [], extra: {} };
    state.resources.push(history);
  }
  const op: OperationRecord = { id: intervalMs > 0 ? `${historyId}_${operation}_${intervalMs}` : `${historyId}_last_0`, operation, callId: callId++, rc, opStatus: 0, intervalMs, extra: {} };
  history.ops = history.ops.filter((existing) => existing.id !== op.id);
  history.ops.push(op);
}
