// Changes a simulation makes to a CIB before scheduling, as crm_simulate's --node-up,
// --node-down, --node-fail and --op-inject do. Each returns a new CIB.

import type { Cib } from '../model/cib.js';
import { findPrimitive } from '../model/config.js';
import { InputError } from '../model/errors.js';
import { countFailure, recordOperation } from '../model/record.js';
import { OcfRc } from '../model/status.js';
import type { NodeState } from '../model/status.js';

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
/** A clean shutdown: what ran there was stopped, and (as crm_simulate does) its history and transient attributes go. */
export function nodeDown(cib: Cib, name: string): Cib {
  const next = setMembership(cib, name, false, 'down');
  Object.assign(nodeState(next, name), { resources: [], transientAttributes: {} });
  return next;
}
/** A failure: the node left without stopping anything, so it must be fenced. */
export const nodeFail = (cib: Cib, name: string): Cib => setMembership(cib, name, false, 'member');

export function setNodeAttribute(cib: Cib, name: string, attribute: string, value: string): Cib {
  const next = copy(cib);
  const node = next.configuration.nodes.find((candidate) => candidate.uname === name);
  if (!node) throw new InputError(`unknown node "${name}"`);
  node.attributes[attribute] = value;
  return next;
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

export function injectOperation(cib: Cib, text: string, nowS: number): Cib {
  const spec = parseOpSpec(text);
  const next = copy(cib);
  const baseId = spec.resource.replace(/:\d+$/, '');
  const primitive = findPrimitive(next.configuration.resources, baseId);
  if (!primitive) throw new InputError(`--op-inject ${text}: unknown resource "${spec.resource}"`);
  const state = nodeState(next, spec.node);
  // crm_simulate injects every recurring monitor as expecting 0, whatever its role: 8 from a
  // promoted one is a failure there too, and simulations must decide as it does.
  const details = spec.task === 'monitor' && spec.intervalMs > 0 ? { expected: [OcfRc.success] } : {};
  if (recordOperation(state, primitive, spec.resource, spec.task, spec.intervalMs, spec.rc, nowS, details)) countFailure(state, spec.resource, spec.task, spec.intervalMs, nowS);
  return next;
}

export { recordOperation };
