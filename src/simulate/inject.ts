// Changes a simulation makes to a CIB before scheduling, as crm_simulate's --node-up,
// --node-down, --node-fail and --op-inject do. Each returns a new CIB.

import type { Cib } from '../model/cib.js';
import type { Primitive, Resource } from '../model/config.js';
import { InputError } from '../model/errors.js';
import { OcfRc, transitionKeyFor, transitionMagicFor, type NodeState, type OperationRecord, type ResourceHistory } from '../model/status.js';

function copy(cib: Cib): Cib {
  return structuredClone(cib);
}

function nodeState(cib: Cib, name: string): NodeState {
  const existing = cib.status.nodes.find((state) => state.uname === name);
  if (existing) return existing;
  const definition = cib.configuration.nodes.find((node) => node.uname === name);
  if (!definition) throw new InputError(`unknown node "${name}" (known: ${cib.configuration.nodes.map((node) => node.uname).join(', ') || 'none'})`);
  const state: NodeState = {
    id: definition.id,
    uname: name,
    inCluster: false,
    controllerOnline: false,
    join: 'down',
    expected: 'down',
    transientAttributes: {},
    resources: [],
    extra: {},
  };
  cib.status.nodes.push(state);
  return state;
}

function setMembership(cib: Cib, name: string, up: boolean, expected: 'member' | 'down'): Cib {
  const next = copy(cib);
  const state = nodeState(next, name);
  state.inCluster = up;
  state.controllerOnline = up;
  state.join = up ? 'member' : 'down';
  state.expected = expected;
  return next;
}

export const nodeUp = (cib: Cib, name: string): Cib => setMembership(cib, name, true, 'member');
/** A clean shutdown: what ran there was stopped. */
export const nodeDown = (cib: Cib, name: string): Cib => setMembership(cib, name, false, 'down');
/** A failure: the node left without stopping anything, so it must be fenced. */
export const nodeFail = (cib: Cib, name: string): Cib => setMembership(cib, name, false, 'member');

export function setNodeAttribute(cib: Cib, name: string, attribute: string, value: string): Cib {
  const next = copy(cib);
  const node = next.configuration.nodes.find((candidate) => candidate.uname === name);
  if (!node) throw new InputError(`unknown node "${name}"`);
  node.attributes[attribute] = value;
  return next;
}

function findPrimitive(resources: Resource[], id: string): Primitive | undefined {
  for (const resource of resources) {
    if (resource.kind === 'primitive' && resource.id === id) return resource;
    if (resource.kind === 'group') {
      const member = resource.children.find((child) => child.id === id);
      if (member) return member;
    }
    if (resource.kind === 'clone') {
      const found = findPrimitive([resource.child], id);
      if (found) return found;
    }
  }
  return undefined;
}

export interface OpSpec {
  resource: string;
  task: string;
  intervalMs: number;
  node: string;
  rc: number;
}

/** Parses crm_simulate's OPSPEC: ${resource}_${task}_${interval_in_ms}@${node}=${rc}. */
export function parseOpSpec(text: string): OpSpec {
  const match = /^(.+)_([a-z_]+?)_(\d+)@([^=]+)=(\d+)$/.exec(text);
  if (!match) throw new InputError(`invalid operation "${text}": expected RESOURCE_TASK_INTERVALMS@NODE=RC, e.g. memcached_monitor_20000@node1=7`);
  return { resource: match[1]!, task: match[2]!, intervalMs: Number(match[3]), node: match[4]!, rc: Number(match[5]) };
}

function expectedRc(spec: OpSpec): number[] {
  if (spec.task === 'monitor') return spec.intervalMs === 0 ? [OcfRc.success, OcfRc.notRunning, OcfRc.runningPromoted] : [OcfRc.success, OcfRc.runningPromoted];
  return [OcfRc.success];
}

function history(state: NodeState, primitive: Primitive, id: string): ResourceHistory {
  let entry = state.resources.find((candidate) => candidate.id === id);
  if (!entry) {
    entry = { id, class: primitive.agent.class, provider: primitive.agent.provider, type: primitive.agent.type, ops: [], extra: {} };
    state.resources.push(entry);
  }
  return entry;
}

/** Records one operation result, keeping the records Pacemaker keeps (last, last failure, recurring). */
export function recordOperation(state: NodeState, primitive: Primitive, historyId: string, task: string, intervalMs: number, rc: number, nowS: number): boolean {
  const entry = history(state, primitive, historyId);
  const callId = Math.max(0, ...state.resources.flatMap((resource) => resource.ops.map((op) => op.callId))) + 1;
  const expected = expectedRc({ resource: historyId, task, intervalMs, node: state.uname, rc });
  const failed = !expected.includes(rc);
  const transitionKey = transitionKeyFor(failed ? (expected[0] ?? 0) : rc);
  const id = intervalMs > 0 ? `${historyId}_${task}_${intervalMs}` : `${historyId}_last_0`;
  const record: OperationRecord = {
    id,
    operation: task,
    callId,
    rc,
    opStatus: 0,
    intervalMs,
    lastRcChange: nowS,
    lastRun: nowS,
    execTimeMs: 0,
    queueTimeMs: 0,
    transitionKey,
    transitionMagic: transitionMagicFor(0, rc, transitionKey),
    onNode: state.uname,
    extra: { operation_key: `${historyId}_${task}_${intervalMs}` },
  };
  entry.ops = entry.ops.filter((op) => op.id !== id);
  if (intervalMs === 0 && task === 'stop') entry.ops = entry.ops.filter((op) => op.intervalMs === 0);
  entry.ops.push(record);
  if (failed) {
    entry.ops = entry.ops.filter((op) => op.id !== `${historyId}_last_failure_0`);
    entry.ops.push({ ...record, id: `${historyId}_last_failure_0`, extra: { ...record.extra } });
  }
  return failed;
}

export function injectOperation(cib: Cib, text: string, nowS: number): Cib {
  const spec = parseOpSpec(text);
  const next = copy(cib);
  const baseId = spec.resource.replace(/:\d+$/, '');
  const primitive = findPrimitive(next.configuration.resources, baseId);
  if (!primitive) throw new InputError(`--op-inject ${text}: unknown resource "${spec.resource}"`);
  const state = nodeState(next, spec.node);
  if (recordOperation(state, primitive, spec.resource, spec.task, spec.intervalMs, spec.rc, nowS)) {
    const key = `${spec.resource}#${spec.task}_${spec.intervalMs}`;
    const count = Number.parseInt(state.transientAttributes[`fail-count-${key}`] ?? '0', 10) || 0;
    state.transientAttributes[`fail-count-${key}`] = String(count + 1);
    state.transientAttributes[`last-failure-${key}`] = String(nowS);
  }
  return next;
}

export { findPrimitive };
