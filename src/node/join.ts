// A node's own entry in the CIB: made a member when it (re)joins, with its operation
// history forgotten so that probes find what really runs; marked as having left cleanly
// when it shuts down, so nobody takes it for failed.

import { watchdogAttribute } from '../fencing/watchdog.js';
import type { Cib } from '../model/cib.js';

/** Makes sure this node is in the configuration and shown as a member in the status. */
export function joinLocalNode(cib: Cib, name: string, forgetHistory: boolean): Cib {
  if (!cib.configuration.nodes.some((node) => node.uname === name)) {
    cib.configuration.nodes.push({ id: name, uname: name, attributes: {}, utilization: {}, extra: {} });
  }
  let state = cib.status.nodes.find((candidate) => candidate.uname === name);
  if (!state) {
    state = { id: cib.configuration.nodes.find((node) => node.uname === name)!.id, uname: name, inCluster: true, controllerOnline: true, join: 'member', expected: 'member', transientAttributes: {}, resources: [], extra: {} };
    cib.status.nodes.push(state);
  }
  Object.assign(state, { inCluster: true, controllerOnline: true, join: 'member', expected: 'member' });
  delete state.transientAttributes.shutdown;
  if (forgetHistory) state.resources = [];
  // Whoever can write to the store is on the side of its quorum.
  cib.haveQuorum = true;
  return cib;
}

export function markShuttingDown(cib: Cib, name: string, nowS: number): Cib {
  const state = cib.status.nodes.find((candidate) => candidate.uname === name);
  if (state) state.transientAttributes.shutdown = String(nowS);
  return cib;
}

export function markLeft(cib: Cib, name: string): Cib {
  const state = cib.status.nodes.find((candidate) => candidate.uname === name);
  if (state) Object.assign(state, { inCluster: false, controllerOnline: false, join: 'down', expected: 'down' });
  return cib;
}

/** Fenced: what it ran is gone, and it left as cleanly as if it had shut down. */
export function markFenced(cib: Cib, name: string): Cib {
  const state = cib.status.nodes.find((candidate) => candidate.uname === name);
  if (state) Object.assign(state, { inCluster: false, controllerOnline: false, join: 'down', expected: 'down', resources: [], transientAttributes: {} });
  return cib;
}

/** Gone for good (`tandem cluster leave`): its node entry and status removed, as `crm_node --remove` does. */
export function forgetNode(cib: Cib, name: string): Cib {
  cib.configuration.nodes = cib.configuration.nodes.filter((node) => node.uname !== name);
  cib.status.nodes = cib.status.nodes.filter((state) => state.uname !== name);
  return cib;
}

/** Keeps this node's watchdog timeout in its status (the DC needs it once the node is lost), or says it has none. */
export function recordWatchdog(cib: Cib, name: string, timeoutMs: number | undefined): Cib {
  const state = cib.status.nodes.find((candidate) => candidate.uname === name);
  if (!state) return cib;
  if (timeoutMs === undefined) delete state.transientAttributes[watchdogAttribute];
  else state.transientAttributes[watchdogAttribute] = String(timeoutMs);
  return cib;
}
