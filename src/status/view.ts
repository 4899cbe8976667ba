// What an operator sees of a cluster (crm_mon's view): node states and, per resource,
// where it runs in which role. Derived purely from a CIB.

import type { Cib } from '../model/cib.js';
import type { AgentSpec } from '../model/config.js';
import { allPrimitives } from '../scheduler/scores.js';
import { RoleRank, roleText, type SchedNode, type SchedPrimitive, type SchedResource } from '../scheduler/types.js';
import { unpack } from '../scheduler/unpack.js';

export type NodeCondition = 'online' | 'offline' | 'standby' | 'maintenance' | 'unclean';

export interface NodeView {
  name: string;
  condition: NodeCondition;
}

export interface PrimitiveView {
  kind: 'primitive';
  id: string;
  agent: string;
  role: string;
  nodes: string[];
  failed: boolean;
  managed: boolean;
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

export interface ClusterView {
  haveQuorum: boolean;
  nodes: NodeView[];
  resources: ResourceView[];
}

export function agentText(agent: AgentSpec): string {
  return agent.provider ? `${agent.class}:${agent.provider}:${agent.type}` : `${agent.class}:${agent.type}`;
}

function nodeCondition(node: SchedNode): NodeCondition {
  if (node.unclean) return 'unclean';
  if (!node.online) return 'offline';
  if (node.maintenance) return 'maintenance';
  if (node.standby) return 'standby';
  return 'online';
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
  };
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
    nodes: ws.nodes.map((node) => ({ name: node.name, condition: nodeCondition(node) })),
    resources: ws.resources.map((resource) => resourceView(resource, ws.nodes)),
  };
}
