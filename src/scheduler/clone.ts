// Clones: which instances run where (keeping running instances in place, spreading the
// rest within clone-max and clone-node-max), and resources placed relative to a clone.

import { INFINITY, addScores } from '../model/score.js';
import {
  applyColocation,
  assignResource,
  assignToNode,
  colocationMatchScores,
  sortNodes,
} from './assign.js';
import { canRunResources, mergeWeights } from './colocation.js';
import { assignedNode, compareInstances, instanceLocation, instanceNodes, instanceNumber, instanceRole, type Instance } from './instances.js';
import { addPromotionScores, setInstanceRoles } from './promotion.js';
import { allPrimitives, copyScores } from './scores.js';
import {
  RoleRank,
  type NodeScores,
  type SchedClone,
  type SchedColocation,
  type SchedNode,
  type SchedPrimitive,
} from './types.js';
import type { WorkingSet } from './unpack.js';
import { consumeCapacity } from './utilization.js';


/** Instance scores become -INFINITY where the per-node limit is reached, and everywhere for an orphan. */
function limitInstance(ws: WorkingSet, clone: SchedClone, instance: Instance, counts: Map<string, number>, limit: number): void {
  for (const primitive of allPrimitives(instance)) {
    for (const [name] of primitive.allowed) {
      const node = ws.nodeByName.get(name);
      const parentScore = clone.allowed.get(name);
      const ok = node !== undefined && canRunResources(node) && !clone.orphans.has(instance) && parentScore !== undefined && parentScore >= 0 && (counts.get(name) ?? 0) < limit;
      if (!ok) primitive.allowed.set(name, -INFINITY);
    }
  }
}

function appendParentColocations(clone: SchedClone, instance: Instance, all: boolean): void {
  for (const colocation of clone.colocationsAsDependent) {
    if (all || colocation.score < 0 || colocation.score === INFINITY) instance.colocationsAsDependent.unshift(colocation);
  }
  for (const colocation of clone.colocationsAsPrimary) {
    if (!colocation.influence) continue;
    if (all || colocation.score < 0) instance.colocationsAsPrimary.unshift(colocation);
  }
}

/** Takes a primitive instance's assignment back (its pre-assignment to its current node failed). */
function unassignInstance(primitive: SchedPrimitive, allowed: NodeScores): void {
  if (primitive.assigned) {
    primitive.assigned.assignedCount -= 1;
    consumeCapacity(primitive.assigned, primitive, -1);
  }
  primitive.assigned = undefined;
  primitive.provisional = true;
  primitive.allowed = allowed;
}

function assignInstance(ws: WorkingSet, clone: SchedClone, instance: Instance, prefer: SchedNode | undefined, all: boolean, counts: Map<string, number>): boolean {
  if (!instance.provisional) return instanceLocation(instance) !== undefined;
  appendParentColocations(clone, instance, all);
  if (prefer) {
    const score = instance.allowed.get(prefer.name);
    if (score === undefined || score < 0) return false;
  }
  limitInstance(ws, clone, instance, counts, clone.cloneNodeMax);
  const backup = copyScores(instance.allowed);
  assignResource(ws, instance, prefer);
  const chosen = assignedNode(instance);
  if (chosen && prefer && chosen !== prefer) {
    // Pacemaker cannot take a group's assignment back: it stays where it went, uncounted.
    if (instance.kind === 'primitive') unassignInstance(instance, backup);
    return false;
  }
  if (chosen) counts.set(chosen.name, (counts.get(chosen.name) ?? 0) + 1);
  return chosen !== undefined;
}

function distributeInstances(ws: WorkingSet, clone: SchedClone, instances: Instance[]): void {
  const counts = new Map<string, number>();
  const available = [...clone.allowed.keys()].filter((name) => {
    const node = ws.nodeByName.get(name);
    return node !== undefined && canRunResources(node);
  }).length;
  const all = clone.cloneMax < available;
  const optimalPerNode = Math.max(1, available > 0 ? Math.floor(clone.cloneMax / available) : 1);
  let assigned = 0;
  for (const instance of instances) {
    if (assigned >= clone.cloneMax) break;
    const nodes = instanceNodes(instance);
    const node = nodes[0];
    // Only a primitive instance is marked failed itself (a cloned group is not, whatever its members did).
    if (!node || !instance.provisional || (instance.kind === 'primitive' && instance.failed)) continue;
    if (!canRunResources(node)) continue;
    if (clone.allowed.has(node.name) && (counts.get(node.name) ?? 0) >= optimalPerNode) continue;
    if (assignInstance(ws, clone, instance, node, all, counts)) assigned += 1;
  }
  for (const instance of instances) {
    if (!instance.provisional) continue;
    if (assigned >= clone.cloneMax) {
      // Beyond the limit: never assigned, so it takes no room on any node.
      for (const primitive of allPrimitives(instance)) {
        for (const name of primitive.allowed.keys()) primitive.allowed.set(name, -INFINITY);
        assignToNode(primitive, undefined, -INFINITY, true);
      }
      instance.provisional = false;
      continue;
    }
    if (assignInstance(ws, clone, instance, undefined, all, counts)) assigned += 1;
  }
}

export function assignClone(ws: WorkingSet, clone: SchedClone, _prefer: SchedNode | undefined): void {
  if (!clone.provisional || clone.allocating) return;
  if (clone.promotable) addPromotionScores(ws, clone);
  clone.allocating = true;
  for (const colocation of clone.colocationsAsDependent) assignResource(ws, colocation.primary, undefined);
  // As for a primitive (mergeDependentsScores), the clone is not marked as being merged.
  for (const colocation of clone.colocationsAsPrimary) {
    if (!colocation.influence) continue;
    clone.allowed = mergeWeights(ws, colocation.dependent, clone.allowed, colocation.nodeAttribute, colocation.score / INFINITY, { rollback: true, positive: true });
  }
  const ordered = [...clone.instances].sort((a, b) => compareInstances(ws, clone, a, b));
  clone.instances = ordered;
  clone.placementOrder = [...ordered];
  distributeInstances(ws, clone, ordered);
  if (clone.promotable) setInstanceRoles(ws, clone);
  // Pacemaker's own list stays as sorted (placementOrder); tandem lists instances by number.
  clone.instances.sort((a, b) => instanceNumber(a) - instanceNumber(b));
  clone.provisional = false;
  clone.allocating = false;
}

/** Nodes where instances will be (in the given role, if any). */
function locationOf(instances: Instance[], role: RoleRank): SchedNode[] {
  const nodes: SchedNode[] = [];
  for (const instance of instances) {
    const node = instanceLocation(instance);
    if (!node) continue;
    if (role !== RoleRank.Unknown && instanceRole(instance, true) !== role) continue;
    if (!nodes.includes(node)) nodes.push(node);
  }
  return nodes;
}

/** A primitive placed relative to a clone: near any instance, or near one in the given role. */
export function applyColocationWithClone(ws: WorkingSet, dependent: SchedPrimitive, clone: SchedClone, colocation: SchedColocation): void {
  if (clone.provisional) return;
  if (clone.promotable && colocation.primaryRole !== RoleRank.Unknown) {
    if (!dependent.provisional) return;
    const nodes = locationOf(clone.instances, colocation.primaryRole);
    if (colocation.score < INFINITY) {
      for (const node of nodes) {
        for (const [name, weight] of dependent.allowed) {
          if (ws.nodeByName.get(name)?.attributes[colocation.nodeAttribute] === node.attributes[colocation.nodeAttribute]) {
            dependent.allowed.set(name, addScores(weight, colocation.score));
          }
        }
      }
    } else if (colocation.dependentRole !== RoleRank.Promoted || colocation.primaryRole !== RoleRank.Promoted) {
      excludeNodes(dependent, nodes, clone, true);
    }
    return;
  }
  // Interleave is the dependent clone's (its instances may be groups), and pairs instances
  // only when both clones are configured for as many on a node.
  const interleave = colocation.dependent.kind === 'clone' && colocation.dependent.interleave && colocation.dependent.copiesPerNode === clone.copiesPerNode;
  if (interleave) {
    const partner = findCompatibleInstance(ws, dependent, clone);
    if (partner) {
      const partnerPrimitive = partner.kind === 'primitive' ? partner : partner.children[partner.children.length - 1];
      if (partnerPrimitive) colocationMatchScores(ws, dependent, partnerPrimitive.assigned, colocation);
    } else if (colocation.score >= INFINITY) {
      // Left unassigned outright, not by its scores: a colocation in the Promoted role that
      // leaves no node rolls its scores back, but not this (clone_rsc_colocation_rh).
      for (const name of dependent.allowed.keys()) dependent.allowed.set(name, -INFINITY);
      assignToNode(dependent, undefined, -INFINITY, true);
    }
    return;
  }
  if (colocation.score >= INFINITY) {
    // An instance left alone after a failure (blocked) holds no place for what must run with it.
    const placed = clone.instances.filter((instance) => !allPrimitives(instance).some((primitive) => primitive.blocked));
    excludeNodes(dependent, locationOf(placed, RoleRank.Unknown), clone, false);
    return;
  }
  // Instance by instance, where a score that leaves no node is rolled back: the order counts.
  for (const instance of clone.placementOrder ?? clone.instances) applyColocation(ws, dependent, instance, colocation);
}

function excludeNodes(dependent: SchedPrimitive, nodes: SchedNode[], clone: SchedClone, mergeScores: boolean): void {
  for (const [name, weight] of dependent.allowed) {
    const kept = nodes.find((node) => node.name === name);
    if (!kept) dependent.allowed.set(name, -INFINITY);
    else if (mergeScores) {
      const instance = clone.instances.find((candidate) => instanceLocation(candidate) === kept);
      const first = instance ? allPrimitives(instance)[0] : undefined;
      dependent.allowed.set(name, addScores(weight, first?.assignedScore ?? 0));
    }
  }
}

/**
 * With interleave, an instance pairs with the other clone's instance on the best node it
 * may take. Pacemaker ranks those nodes without favouring the one it runs on (so of equal
 * scores the lower name wins), and an instance left alone after a failure pairs with nothing.
 */
function findCompatibleInstance(ws: WorkingSet, dependent: SchedPrimitive, clone: SchedClone): Instance | undefined {
  const candidates = sortNodes(ws, dependent.allowed, undefined);
  const pairable = (clone.placementOrder ?? clone.instances).filter((instance) => !allPrimitives(instance).some((primitive) => primitive.blocked));
  for (const candidate of candidates) {
    const instance = pairable.find((other) => instanceLocation(other) === candidate.node);
    if (instance) return instance;
  }
  return undefined;
}

