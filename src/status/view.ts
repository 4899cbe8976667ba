// What an operator sees of a cluster (crm_mon's view): node states and, per resource,
// where it runs in which role. Derived purely from a CIB.

import type { Cib } from '../model/cib.js';
import type { AgentSpec, Configuration } from '../model/config.js';
import type { Transition } from '../scheduler/index.js';
import { allPrimitives } from '../scheduler/scores.js';
import { isTrue } from '../scheduler/options.js';
import { nodeCondition, type NodeCondition, type SchedNode } from '../scheduler/types.js';
import { unpack } from '../scheduler/unpack.js';
import { resourceView } from './resources.js';


export interface NodeView {
  name: string;
  condition: NodeCondition;
  /** Only for an unclean node: whether it is still a member (to be fenced for a lost ticket, or a failure there). */
  online?: boolean;
  /** crm_mon's words for it: "online", "OFFLINE", "standby (with active resources)", "UNCLEAN (online)" ... */
  state: string;
  /** crm_mon lists plain online and offline nodes together and shows any other on a line of its own. */
  individual: boolean;
}

export interface PrimitiveView {
  kind: 'primitive';
  id: string;
  agent: string;
  role: string;
  nodes: string[];
  failed: boolean;
  managed: boolean;
  /** No longer configured, or a clone instance beyond clone-max: crm_mon's ORPHANED. */
  orphaned: boolean;
  /** What crm_mon prints in parentheses after the state: disabled, blocked, maintenance, unmanaged. */
  flags: string[];
}

export interface GroupView {
  kind: 'group';
  id: string;
  /** What crm_mon prints after the group's name. */
  attributes?: string[];
  members: PrimitiveView[];
}

export interface CloneView {
  kind: 'clone';
  id: string;
  childId: string;
  promotable: boolean;
  /** What crm_mon prints after the clone's name: promotable, unique, disabled, maintenance or unmanaged. */
  attributes: string[];
  /** Nodes per role: Promoted / Unpromoted / Started / Stopped. */
  byRole: Record<string, string[]>;
  /** The same lists as crm_mon heads them ("Unpromoted (target-role)", "Stopped (disabled)" ...), in its order. */
  summary: Array<{ label: string; nodes: string[] }>;
  /** Instances shown one by one, as crm_mon does: partly active, failed, unmanaged or split over nodes. */
  details: Array<PrimitiveView | GroupView>;
}

export type ResourceView = PrimitiveView | GroupView | CloneView;

/** A clone's instances shown one by one, as primitives (a group's members in its place). */
export function detailPrimitives(clone: CloneView): PrimitiveView[] {
  return clone.details.flatMap((detail) => (detail.kind === 'group' ? detail.members : [detail]));
}

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

/** crm_mon's state of a node, in its order of precedence; maintenance is the node's own, not maintenance-mode's. */
function nodeState(node: SchedNode, runsResources: boolean, ownMaintenance: boolean): string {
  if (node.unclean) return node.online ? 'UNCLEAN (online)' : 'UNCLEAN (offline)';
  if (node.standbyOnFail && node.online) return 'standby (on-fail)';
  if (node.standby) return !node.online ? 'OFFLINE (standby)' : runsResources ? 'standby (with active resources)' : 'standby';
  if (ownMaintenance) return node.online ? 'maintenance' : 'OFFLINE (maintenance)';
  return node.online ? 'online' : 'OFFLINE';
}

function nodeView(node: SchedNode, runsResources: boolean): NodeView {
  const ownMaintenance = isTrue(node.attributes.maintenance);
  return {
    name: node.name,
    condition: nodeCondition(node),
    ...(node.unclean ? { online: node.online } : {}),
    state: nodeState(node, runsResources, ownMaintenance),
    individual: node.unclean || node.standby || ownMaintenance,
  };
}

export function clusterView(cib: Cib, nowS: number): ClusterView {
  const ws = unpack(cib, nowS, { tickets: false });
  return {
    haveQuorum: cib.haveQuorum,
    nodes: ws.nodes.map((node) => nodeView(node, ws.primitives.some((primitive) => primitive.runningOn.includes(node)))),
    resources: ws.resources.map((resource) => resourceView(resource, ws.nodes, ws.options.maintenanceMode, ws.options.symmetricCluster)),
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

/** The nodes a resource is active on now: a primitive's, or all its members' for a group or clone named by its id. */
export function activeNodes(cib: Cib, id: string, nowS: number): string[] {
  const holders = primitiveHolders(cib.configuration);
  const nodes = new Set<string>();
  for (const primitive of unpack(cib, nowS).resources.flatMap(allPrimitives)) {
    if (holders.get(primitive.definition.id)?.includes(id)) for (const node of primitive.runningOn) nodes.add(node.name);
  }
  return [...nodes].sort();
}
