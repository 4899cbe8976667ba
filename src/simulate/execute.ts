// Applies a transition to a CIB as if every action succeeded (crm_simulate's "Executing
// Cluster Transition"), so the revised status can be shown, saved and simulated again.

import type { Cib } from '../model/cib.js';
import { InputError } from '../model/errors.js';
import { OcfRc } from '../model/status.js';
import type { Transition } from '../scheduler/index.js';
import { findPrimitive } from '../model/config.js';
import { definitionFromHistory, forgetHistory, recordOperation } from '../model/record.js';

const phase: Record<string, number> = { demote: 0, stop: 1, start: 2, promote: 3 };
const successRc: Record<string, number> = { demote: OcfRc.success, stop: OcfRc.success, start: OcfRc.success, promote: OcfRc.success };

export function executeTransition(cib: Cib, transition: Transition, nowS: number): Cib {
  const next = structuredClone(cib);
  const record = (historyId: string, definitionId: string, node: string, task: string, rc: number, orphan = false) => {
    const state = next.status.nodes.find((candidate) => candidate.uname === node);
    const history = state?.resources.find((candidate) => candidate.id === historyId);
    const primitive = findPrimitive(next.configuration.resources, definitionId) ?? (history ? definitionFromHistory(history) : undefined);
    if (!state || !primitive) throw new InputError(`cannot record ${task} of ${historyId} on ${node}: unknown node or resource`);
    // A stopped orphan is deleted from the node's history, as Pacemaker does.
    if (orphan && task === 'stop') forgetHistory(state, historyId);
    else recordOperation(state, primitive, historyId, task, 0, rc, nowS);
  };
  for (const probe of transition.probes) record(probe.historyId, probe.definitionId, probe.node, 'monitor', OcfRc.notRunning);
  const executed = transition.actions
    .filter((action) => action.node !== undefined && action.task in phase)
    .sort((a, b) => (phase[a.task] ?? 0) - (phase[b.task] ?? 0));
  for (const action of executed) record(action.historyId, action.definitionId, action.node!, action.task, successRc[action.task] ?? 0, action.orphan);
  for (const fence of transition.fencing) {
    const state = next.status.nodes.find((candidate) => candidate.uname === fence.node);
    if (!state) continue;
    state.inCluster = false;
    state.controllerOnline = false;
    state.join = 'down';
    state.expected = 'down';
    state.resources = [];
  }
  return next;
}
