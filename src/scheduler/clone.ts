// Clones and promotable clones: which instances run where (keeping running instances in
// place, spreading the rest), colocation with a clone, and which instances are promoted.

import { INFINITY, addScores, parseScore } from '../model/score.js';
import {
  applyColocation,
  applyOwnColocations,
  assignPrimitive,
  assignResource,
  colocationMatch,
  currentNode,
  sortNodes,
} from './assign.js';
import { canRunResources, mergeWeights } from './colocation.js';
import { allPrimitives } from './scores.js';
import {
  RoleRank,
  type SchedClone,
  type SchedColocation,
  type SchedGroup,
  type SchedNode,
  type SchedPrimitive,
  type SchedResource,
} from './types.js';
import type { WorkingSet } from './unpack.js';

type Instance = SchedPrimitive | SchedGroup;

function instanceNodes(instance: Instance): SchedNode[] {
  const nodes: SchedNode[] = [];
  for (const primitive of allPrimitives(instance)) for (const node of primitive.runningOn) if (!nodes.includes(node)) nodes.push(node);
  return nodes;
}

export function instanceLocation(instance: Instance): SchedNode | undefined {
  if (instance.kind === 'primitive') return instance.assigned;
  const first = instance.children[0];
  return first?.assigned;
}

function instanceRole(instance: Instance, future: boolean): RoleRank {
  const primitives = allPrimitives(instance);
  let role = RoleRank.Unknown;
  for (const primitive of primitives) {
    const value = future ? primitive.nextRole : primitive.role;
    if (value > role) role = value;
  }
  return role;
}

function instanceFailed(instance: Instance): boolean {
  return allPrimitives(instance).some((primitive) => primitive.failed);
}

function compareInstances(a: Instance, b: Instance): number {
  const nodesA = instanceNodes(a);
  const nodesB = instanceNodes(b);
  if (nodesA.length > 0 && nodesB.length > 0 && nodesA.length !== nodesB.length) return nodesA.length - nodesB.length;
  if ((nodesA.length > 0) !== (nodesB.length > 0)) return nodesA.length > 0 ? -1 : 1;
  const canA = nodesA[0] ? canRunResources(nodesA[0]) : true;
  const canB = nodesB[0] ? canRunResources(nodesB[0]) : true;
  if (canA !== canB) return canA ? -1 : 1;
  const roleDiff = instanceRole(b, false) - instanceRole(a, false);
  if (roleDiff !== 0) return roleDiff;
  if (a.priority !== b.priority) return b.priority - a.priority;
  const failedA = instanceFailed(a);
  if (failedA !== instanceFailed(b)) return failedA ? 1 : -1;
  return 0;
}

function isProvisional(instance: Instance): boolean {
  return instance.kind === 'primitive' ? instance.provisional : instance.provisional;
}

/** Instance scores where the per-node limit is reached become -INFINITY for this pass. */
function limitInstance(ws: WorkingSet, clone: SchedClone, instance: Instance, counts: Map<string, number>, limit: number): void {
  for (const primitive of allPrimitives(instance)) {
    for (const [name] of primitive.allowed) {
      const node = ws.nodeByName.get(name);
      const parentScore = clone.allowed.get(name);
      const ok = node !== undefined && canRunResources(node) && parentScore !== undefined && parentScore >= 0 && (counts.get(name) ?? 0) < limit;
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

function unassignInstance(instance: Instance): void {
  for (const primitive of allPrimitives(instance)) {
    if (primitive.assigned) primitive.assigned.assignedCount -= 1;
    primitive.assigned = undefined;
    primitive.provisional = true;
    primitive.nextRole = RoleRank.Unknown;
  }
  if (instance.kind === 'group') instance.provisional = true;
}

function assignInstance(ws: WorkingSet, clone: SchedClone, instance: Instance, prefer: SchedNode | undefined, all: boolean, counts: Map<string, number>): boolean {
  if (!isProvisional(instance)) return instanceLocation(instance) !== undefined;
  appendParentColocations(clone, instance, all);
  if (prefer) {
    const first = allPrimitives(instance)[0];
    const score = first?.allowed.get(prefer.name);
    if (score === undefined || score < 0) return false;
  }
  limitInstance(ws, clone, instance, counts, clone.cloneNodeMax);
  const backup = allPrimitives(instance).map((primitive) => new Map(primitive.allowed));
  assignResource(ws, instance, prefer);
  let chosen = instanceLocation(instance);
  if (chosen && prefer && chosen !== prefer) {
    unassignInstance(instance);
    allPrimitives(instance).forEach((primitive, index) => (primitive.allowed = backup[index] ?? primitive.allowed));
    chosen = undefined;
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
    if (!node || !isProvisional(instance) || instanceFailed(instance)) continue;
    if (!canRunResources(node)) continue;
    if (clone.allowed.has(node.name) && (counts.get(node.name) ?? 0) >= optimalPerNode) continue;
    if (assignInstance(ws, clone, instance, node, all, counts)) assigned += 1;
  }
  for (const instance of instances) {
    if (!isProvisional(instance)) continue;
    if (assigned >= clone.cloneMax) {
      for (const primitive of allPrimitives(instance)) {
        for (const name of primitive.allowed.keys()) primitive.allowed.set(name, -INFINITY);
      }
      if (instance.kind === 'primitive') assignPrimitive(ws, instance, undefined);
      else assignResource(ws, instance, undefined);
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
  for (const colocation of clone.colocationsAsPrimary) {
    if (!colocation.influence) continue;
    clone.allowed = mergeWeights(ws, colocation.dependent, clone.allowed, colocation.nodeAttribute, colocation.score / INFINITY, { rollback: true, positive: true }, new Set([clone]));
  }
  const ordered = [...clone.instances].sort(compareInstances);
  clone.instances = ordered;
  distributeInstances(ws, clone, ordered);
  if (clone.promotable) setInstanceRoles(ws, clone);
  clone.provisional = false;
  clone.allocating = false;
}

/** The promotion score an instance has on a node: node attribute master-<rsc>, else notSet. */
function promotionScore(ws: WorkingSet, clone: SchedClone, instance: Instance, node: SchedNode, notSet: number): number {
  const primitives = allPrimitives(instance);
  if (instance.kind === 'group') {
    let total = notSet;
    for (const primitive of primitives) {
      const score = promotionScore(ws, clone, primitive, node, notSet);
      total = total === notSet ? score : total + score;
    }
    return total;
  }
  const everKnown = clone.instances.some((other) => allPrimitives(other).some((primitive) => primitive.knownOn.size > 0));
  if (everKnown) {
    const knownHere = clone.instances.some((other) => allPrimitives(other).some((primitive) => primitive.knownOn.has(node.name)));
    if (!instance.runningOn.includes(node) && !knownHere) return notSet;
  }
  const allowed = instance.allowed.get(node.name);
  if (allowed === undefined || allowed < 0) return notSet;
  const baseName = instance.definition.id;
  const value = node.attributes[`master-${instance.id}`] ?? node.attributes[`master-${baseName}`] ?? node.attributes[`promotion-${baseName}`];
  if (value === undefined) return notSet;
  return parseScore(value) ?? notSet;
}

function addPromotionScores(ws: WorkingSet, clone: SchedClone): void {
  for (const instance of clone.instances) {
    for (const primitive of allPrimitives(instance).slice(0, 1)) {
      for (const [name, weight] of primitive.allowed) {
        const node = ws.nodeByName.get(name);
        if (!node || !canRunResources(node)) continue;
        const score = promotionScore(ws, clone, instance, node, 0);
        if (score > 0) primitive.allowed.set(name, addScores(weight, score));
      }
    }
  }
}

function setRole(instance: Instance, role: RoleRank): void {
  for (const primitive of allPrimitives(instance)) {
    if (primitive.assigned === undefined) continue;
    if (role === RoleRank.Unpromoted && primitive.nextRole === RoleRank.Promoted) continue;
    primitive.nextRole = role;
  }
}

function setInstanceRoles(ws: WorkingSet, clone: SchedClone): void {
  const promotedLocations = ws.promotedLocations.get(clone.id) ?? new Map<string, number>();
  const sortIndex = new Map<Instance, number>();
  for (const instance of clone.instances) {
    if (instanceRole(instance, true) === RoleRank.Started) setRole(instance, RoleRank.Unpromoted);
    const chosen = instanceLocation(instance);
    if (!chosen) continue;
    const next = instanceRole(instance, true);
    let priority = next === RoleRank.Promoted ? INFINITY : -INFINITY;
    if (next === RoleRank.Unpromoted || next === RoleRank.Started || next === RoleRank.Unknown) {
      priority = targetLimitsPromotion(instance) ? -INFINITY : promotionScore(ws, clone, instance, chosen, -1);
    }
    const location = promotedLocations.get(chosen.name);
    if (location !== undefined) priority = addScores(priority, location);
    for (const colocation of allPrimitives(instance)[0]?.colocationsAsDependent ?? []) {
      if (colocation.dependentRole !== RoleRank.Promoted || colocation.primary.provisional) continue;
      const primaryNode = locationOf(colocation.primary, colocation.primaryRole);
      if (primaryNode.length === 0) {
        if (colocation.score >= INFINITY) priority = -INFINITY;
      } else if (primaryNode.some((node) => node.attributes[colocation.nodeAttribute] === chosen.attributes[colocation.nodeAttribute])) {
        priority = addScores(priority, colocation.score);
      } else if (colocation.score >= INFINITY) {
        priority = -INFINITY;
      }
    }
    sortIndex.set(instance, next === RoleRank.Promoted ? INFINITY : priority);
  }
  // Resources that must or want to run with the promoted instance pull the promotion.
  const pull = new Map<string, number>();
  for (const colocation of clone.colocationsAsPrimary) {
    if (!colocation.influence || colocation.primaryRole !== RoleRank.Promoted) continue;
    const merged = mergeWeights(ws, colocation.dependent, new Map([...clone.allowed.keys()].map((name) => [name, 0])), colocation.nodeAttribute, colocation.score / INFINITY, { rollback: true, positive: true }, new Set([clone]));
    for (const [name, score] of merged) pull.set(name, addScores(pull.get(name) ?? 0, score));
  }
  for (const instance of clone.instances) {
    const chosen = instanceLocation(instance);
    const index = sortIndex.get(instance);
    if (!chosen || index === undefined || index < 0) continue;
    sortIndex.set(instance, addScores(index, addScores(clone.allowed.get(chosen.name) ?? 0, pull.get(chosen.name) ?? 0)));
  }
  const order = [...clone.instances].sort((a, b) => {
    const diff = (sortIndex.get(b) ?? -INFINITY) - (sortIndex.get(a) ?? -INFINITY);
    if (diff !== 0) return diff;
    return compareInstances(a, b);
  });
  const promotedPerNode = new Map<string, number>();
  let promoted = 0;
  for (const instance of order) {
    const chosen = instanceLocation(instance);
    const index = sortIndex.get(instance) ?? -INFINITY;
    const eligible = chosen !== undefined && index >= 0 && promoted < clone.promotedMax && (promotedPerNode.get(chosen.name) ?? 0) < clone.promotedNodeMax;
    const frozen = !ws.haveQuorum && ws.options.noQuorumPolicy === 'freeze' && instanceRole(instance, false) < RoleRank.Promoted;
    if (!eligible || frozen || (!ws.haveQuorum && ws.options.noQuorumPolicy === 'demote')) {
      setRole(instance, RoleRank.Unpromoted);
      continue;
    }
    promotedPerNode.set(chosen.name, (promotedPerNode.get(chosen.name) ?? 0) + 1);
    setRole(instance, RoleRank.Promoted);
    promoted += 1;
  }
}

function targetLimitsPromotion(instance: Instance): boolean {
  return allPrimitives(instance).some((primitive) => primitive.targetRole === RoleRank.Unpromoted || primitive.targetRole === RoleRank.Started);
}

/** Nodes where a resource will be (in the given role, if any). */
function locationOf(resource: SchedResource, role: RoleRank): SchedNode[] {
  const nodes: SchedNode[] = [];
  const instances: Instance[] = resource.kind === 'clone' ? resource.instances : [resource];
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
    const nodes = locationOf(clone, colocation.primaryRole);
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
  const interleave = colocation.dependent.kind === 'clone' && colocation.dependent.interleave;
  if (interleave && dependent.parent?.kind === 'clone') {
    const partner = findCompatibleInstance(ws, dependent, clone);
    if (partner) {
      const partnerPrimitive = partner.kind === 'primitive' ? partner : partner.children[partner.children.length - 1];
      if (partnerPrimitive) colocationMatch(ws, dependent, partnerPrimitive.assigned, colocation);
    } else if (colocation.score >= INFINITY) {
      for (const name of dependent.allowed.keys()) dependent.allowed.set(name, -INFINITY);
    }
    return;
  }
  if (colocation.score >= INFINITY) {
    excludeNodes(dependent, locationOf(clone, RoleRank.Unknown), clone, false);
    return;
  }
  for (const instance of clone.instances) applyColocation(ws, dependent, instance, colocation);
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

/** With interleave, an instance pairs with the other clone's instance on its own node. */
function findCompatibleInstance(ws: WorkingSet, dependent: SchedPrimitive, clone: SchedClone): Instance | undefined {
  const current = currentNode(dependent);
  const candidates = sortNodes(ws, dependent.allowed, current);
  for (const candidate of candidates) {
    const instance = clone.instances.find((other) => instanceLocation(other) === candidate.node);
    if (instance) return instance;
  }
  return undefined;
}

export { applyOwnColocations };
