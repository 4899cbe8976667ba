// What an operator sees of a cluster (crm_mon's view): node states and, per resource,
// where it runs in which role. Derived purely from a CIB.

import type { Cib } from '../model/cib.js';
import { expectedRcOf } from '../model/status.js';
import { addScores, parseScore } from '../model/score.js';
import type { AgentSpec, Configuration } from '../model/config.js';
import type { Transition } from '../scheduler/index.js';
import { allPrimitives } from '../scheduler/scores.js';
import { nodeCondition, RoleRank, roleText, type NodeCondition, type SchedNode, type SchedPrimitive, type SchedResource } from '../scheduler/types.js';
import { unpack } from '../scheduler/unpack.js';


export interface NodeView {
  name: string;
  condition: NodeCondition;
  /** Only for an unclean node: whether it is still a member (to be fenced for a lost ticket, or a failure there). */
  online?: boolean;
}

export interface PrimitiveView {
  kind: 'primitive';
  id: string;
  agent: string;
  role: string;
  nodes: string[];
  failed: boolean;
  managed: boolean;
  /** What crm_mon prints in parentheses after the state: disabled, blocked, maintenance, unmanaged. */
  flags: string[];
}

export interface GroupView {
  kind: 'group';
  id: string;
  members: PrimitiveView[];
}

export interface CloneView {
  kind: 'clone';
  id: string;
  childId: string;
  promotable: boolean;
  /** Nodes per role: Promoted / Unpromoted / Started / Stopped. */
  byRole: Record<string, string[]>;
  /** Members shown one by one (failed or unmanaged ones). */
  details: PrimitiveView[];
}

export type ResourceView = PrimitiveView | GroupView | CloneView;

/** A ticket as crm_mon --tickets shows it: every ticket with a state or named by an rsc_ticket. */
export interface TicketView {
  id: string;
  granted: boolean;
  standby: boolean;
  /** Seconds since the epoch. */
  lastGranted?: number;
}

export interface ClusterView {
  haveQuorum: boolean;
  nodes: NodeView[];
  resources: ResourceView[];
  tickets: TicketView[];
}

function ticketViews(cib: Cib): TicketView[] {
  const views = new Map<string, TicketView>();
  for (const state of cib.status.tickets ?? []) {
    views.set(state.id, { id: state.id, granted: state.granted, standby: state.standby, ...(state.lastGranted !== undefined ? { lastGranted: state.lastGranted } : {}) });
  }
  // A ticket that no one has granted yet is revoked, as Pacemaker takes it.
  for (const constraint of cib.configuration.constraints) {
    if (constraint.type === 'ticket' && !views.has(constraint.ticket)) views.set(constraint.ticket, { id: constraint.ticket, granted: false, standby: false });
  }
  return [...views.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function agentText(agent: AgentSpec): string {
  return agent.provider ? `${agent.class}:${agent.provider}:${agent.type}` : `${agent.class}:${agent.type}`;
}

function primitiveView(primitive: SchedPrimitive): PrimitiveView {
  return {
    kind: 'primitive',
    id: primitive.id,
    agent: agentText(primitive.definition.agent),
    role: primitive.runningOn.length === 0 ? 'Stopped' : roleText[primitive.role],
    nodes: primitive.runningOn.map((node) => node.name),
    failed: primitive.failed,
    managed: primitive.managed,
    flags: displayFlags(primitive),
  };
}

/**
 * crm_mon's flags: a target-role that holds the resource back (Stopped: disabled; Unpromoted
 * in a promotable clone), then why it is left alone — blocked (a failure a stop cannot fix),
 * maintenance, or otherwise unmanaged.
 */
function displayFlags(primitive: SchedPrimitive): string[] {
  const flags: string[] = [];
  if (primitive.targetRole === RoleRank.Stopped) flags.push('disabled');
  else if (primitive.targetRole === RoleRank.Unpromoted && primitive.parent?.kind === 'clone' && primitive.parent.promotable) flags.push('target-role:Unpromoted');
  if (primitive.blocked) flags.push('blocked');
  else if (primitive.maintenance) flags.push('maintenance');
  else if (!primitive.managed) flags.push('unmanaged');
  return flags;
}

function resourceView(resource: SchedResource, allNodes: SchedNode[]): ResourceView {
  if (resource.kind === 'primitive') return primitiveView(resource);
  if (resource.kind === 'group') return { kind: 'group', id: resource.id, members: resource.children.map(primitiveView) };
  const byRole: Record<string, string[]> = {};
  const details: PrimitiveView[] = [];
  const active = new Set<string>();
  for (const instance of resource.instances) {
    for (const primitive of allPrimitives(instance).slice(0, 1)) {
      if (primitive.failed || !primitive.managed) details.push(primitiveView(primitive));
      for (const node of primitive.runningOn) {
        const role = primitive.role === RoleRank.Started && resource.promotable ? 'Unpromoted' : roleText[primitive.role];
        (byRole[role] ??= []).push(node.name);
        active.add(node.name);
      }
    }
  }
  const stopped = allNodes.map((node) => node.name).filter((name) => !active.has(name));
  if (stopped.length > 0) byRole.Stopped = stopped;
  for (const names of Object.values(byRole)) names.sort();
  return { kind: 'clone', id: resource.id, childId: resource.definition.child.id, promotable: resource.promotable, byRole, details };
}

export function clusterView(cib: Cib, nowS: number): ClusterView {
  const ws = unpack(cib, nowS);
  return {
    haveQuorum: cib.haveQuorum,
    nodes: ws.nodes.map((node) => ({ name: node.name, condition: nodeCondition(node), ...(node.unclean ? { online: node.online } : {}) })),
    resources: ws.resources.map((resource) => resourceView(resource, ws.nodes)),
    tickets: ticketViews(cib),
  };
}

/** Every primitive's id with the ids of the group and clone it belongs to (the ids an operator may name it by). */
export function primitiveHolders(configuration: Configuration): Map<string, string[]> {
  const holders = new Map<string, string[]>();
  for (const resource of configuration.resources) {
    if (resource.kind === 'primitive') holders.set(resource.id, [resource.id]);
    else if (resource.kind === 'group') for (const child of resource.children) holders.set(child.id, [child.id, resource.id]);
    else if (resource.child.kind === 'primitive') holders.set(resource.child.id, [resource.child.id, resource.id]);
    else for (const child of resource.child.children) holders.set(child.id, [child.id, resource.child.id, resource.id]);
  }
  return holders;
}

/**
 * Where a transition stops or demotes resources (planned stops, moves, bans, restarts,
 * standby): node names by id, for each primitive and for the group and clone holding it.
 */
export function plannedDepartures(configuration: Configuration, transition: Transition): Record<string, string[]> {
  const holders = primitiveHolders(configuration);
  const leaving = new Map<string, Set<string>>();
  for (const action of transition.actions) {
    if ((action.task !== 'stop' && action.task !== 'demote') || action.node === undefined) continue;
    for (const id of holders.get(action.definitionId) ?? [action.definitionId]) {
      const nodes = leaving.get(id) ?? new Set<string>();
      nodes.add(action.node);
      leaving.set(id, nodes);
    }
  }
  return Object.fromEntries([...leaving].map(([id, nodes]) => [id, [...nodes].sort()]));
}

export interface FailedAction {
  node: string;
  resource: string;
  operation: string;
  intervalMs: number;
  rc: number;
  lastRcChange?: number;
}

export interface FailCount {
  node: string;
  resource: string;
  count: number;
}

/** Failed operations still in the history, as crm_mon's "Failed Resource Actions". */
export function failedActions(cib: Cib): FailedAction[] {
  const failed: FailedAction[] = [];
  for (const state of cib.status.nodes) {
    for (const history of state.resources) {
      for (const op of history.ops) {
        const expected = expectedRcOf(op);
        const isFailure = op.id.endsWith('_last_failure_0') || (op.intervalMs > 0 && expected !== undefined && op.rc !== expected);
        if (!isFailure) continue;
        const entry: FailedAction = { node: state.uname, resource: history.id, operation: op.operation, intervalMs: op.intervalMs, rc: op.rc };
        if (op.lastRcChange !== undefined) entry.lastRcChange = op.lastRcChange;
        failed.push(entry);
      }
    }
  }
  return failed;
}

/** Fail counts per resource and node, summed over operations. */
export function failCounts(cib: Cib): FailCount[] {
  const counts = new Map<string, FailCount>();
  for (const state of cib.status.nodes) {
    for (const [name, value] of Object.entries(state.transientAttributes)) {
      const match = /^fail-count-(.+?)(#.*)?$/.exec(name);
      if (!match) continue;
      const key = `${state.uname}\u0000${match[1]}`;
      const entry = counts.get(key) ?? { node: state.uname, resource: match[1]!, count: 0 };
      entry.count = addScores(entry.count, parseScore(value) ?? 0);
      counts.set(key, entry);
    }
  }
  return [...counts.values()].filter((entry) => entry.count > 0);
}

/** The nodes a resource is active on now: a primitive's, or all its members' for a group or clone named by its id. */
export function activeNodes(cib: Cib, id: string, nowS: number): string[] {
  const holders = primitiveHolders(cib.configuration);
  const nodes = new Set<string>();
  for (const primitive of unpack(cib, nowS).resources.flatMap(allPrimitives)) {
    if (holders.get(primitive.definition.id)?.includes(id)) for (const node of primitive.runningOn) nodes.add(node.name);
  }
  return [...nodes].sort();
}
