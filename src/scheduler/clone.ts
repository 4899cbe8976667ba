// Clones and promotable clones: which instances run where (keeping running instances in
// place, spreading the rest), colocation with a clone, and which instances are promoted.

import { INFINITY, addScores, parseScore } from '../model/score.js';
import {
  applyColocation,
  assignPrimitive,
  assignResource,
  colocationMatchScores,
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
  type NodeScores,
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

function allowedOn(instance: Instance, node: SchedNode | undefined): boolean {
  if (!node) return true;
  const score = allPrimitives(instance)[0]?.allowed.get(node.name);
  return score !== undefined && score >= 0;
}

/** The order instances are assigned in (Pacemaker's pcmk__cmp_instance). */
function compareInstances(clone: SchedClone, a: Instance, b: Instance): number {
  const nodesA = instanceNodes(a);
  const nodesB = instanceNodes(b);
  if (nodesA.length > 0 && nodesB.length > 0 && nodesA.length !== nodesB.length) return nodesA.length - nodesB.length;
  let nodeA = nodesA[0];
  let nodeB = nodesB[0];
  const canA = allowedOn(a, nodeA);
  const canB = allowedOn(b, nodeB);
  if (canA !== canB) return canA ? -1 : 1;
  if (!canA) nodeA = undefined;
  if (!canB) nodeB = undefined;
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (!nodeA && !nodeB) return instanceNumber(a) - instanceNumber(b);
  if (!nodeA) return 1;
  if (!nodeB) return -1;
  const availableA = canRunResources(nodeA);
  if (availableA !== canRunResources(nodeB)) return availableA ? -1 : 1;
  const parentA = clone.allowed.has(nodeA.name);
  if (parentA !== clone.allowed.has(nodeB.name)) return parentA ? -1 : 1;
  const failedA = instanceFailed(a);
  if (failedA !== instanceFailed(b)) return failedA ? 1 : -1;
  return instanceNumber(a) - instanceNumber(b);
}

function instanceNumber(instance: Instance): number {
  return Number(instance.id.slice(instance.id.lastIndexOf(':') + 1));
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
  if (!instance.provisional) return instanceLocation(instance) !== undefined;
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
    if (!node || !instance.provisional || instanceFailed(instance) || clone.orphans.has(instance)) continue;
    if (!canRunResources(node)) continue;
    if (clone.allowed.has(node.name) && (counts.get(node.name) ?? 0) >= optimalPerNode) continue;
    if (assignInstance(ws, clone, instance, node, all, counts)) assigned += 1;
  }
  for (const instance of instances) {
    if (!instance.provisional) continue;
    if (assigned >= clone.cloneMax || clone.orphans.has(instance)) {
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
  const ordered = [...clone.instances].sort((a, b) => compareInstances(clone, a, b));
  clone.instances = ordered;
  distributeInstances(ws, clone, ordered);
  if (clone.promotable) setInstanceRoles(ws, clone);
  clone.provisional = false;
  clone.allocating = false;
}

/** Whether an instance's promotion score on a node counts (promotion_score_applies). */
function promotionScoreApplies(clone: SchedClone, instance: SchedPrimitive, node: SchedNode): boolean {
  const allowed = () => {
    const score = instance.allowed.get(node.name);
    return score !== undefined && score >= 0;
  };
  if (!clone.globallyUnique) {
    const base = instance.definition.id;
    const members = clone.instances.flatMap((other) => allPrimitives(other)).filter((member) => member.definition.id === base);
    const active = members.find((member) => member.runningOn.includes(node));
    if (active === instance) return allowed();
    if (!active && members.some((member) => member.knownOn.has(node.name))) return allowed();
  }
  if (instance.runningOn.length === 0 && instance.knownOn.size === 0) return allowed();
  if (instance.knownOn.has(node.name) || instance.runningOn.includes(node)) return allowed();
  return false;
}

/** The promotion score (node attribute master-<rsc>) of an instance on a node, if it counts. */
function promotionScore(clone: SchedClone, instance: Instance, node: SchedNode): number | undefined {
  if (instance.kind === 'group') {
    let total: number | undefined;
    for (const member of instance.children) {
      const score = promotionScore(clone, member, node);
      if (score !== undefined) total = (total ?? 0) + score;
    }
    return total;
  }
  if (!promotionScoreApplies(clone, instance, node)) return undefined;
  const value = node.attributes[`master-${instance.id}`] ?? node.attributes[`master-${instance.definition.id}`];
  return value === undefined ? undefined : parseScore(value);
}

/** Positive promotion scores pull instances toward those nodes and raise their priority. */
function addPromotionScores(ws: WorkingSet, clone: SchedClone): void {
  for (const instance of clone.instances) {
    const first = allPrimitives(instance)[0];
    if (!first) continue;
    for (const [name, weight] of first.allowed) {
      const target = ws.nodeByName.get(name);
      if (!target || !canRunResources(target)) continue;
      const score = promotionScore(clone, instance, target) ?? 0;
      if (score > 0) first.allowed.set(name, addScores(weight, score));
      if (score > instance.priority) instance.priority = score;
    }
  }
}

/** Sets the next role; an instance that will not run is stopped whatever it was meant to be. */
function setRole(instance: Instance, role: RoleRank): void {
  for (const primitive of allPrimitives(instance)) {
    if (primitive.assigned === undefined) primitive.nextRole = RoleRank.Stopped;
    else if (role === RoleRank.Promoted) {
      if (primitive.nextRole === RoleRank.Unknown || primitive.nextRole === RoleRank.Started) primitive.nextRole = RoleRank.Promoted;
    } else primitive.nextRole = RoleRank.Unpromoted;
  }
}

/** An instance's promotion priority where it will run (set_instance_priority). */
function instancePriority(ws: WorkingSet, clone: SchedClone, instance: Instance, chosen: SchedNode): number {
  const next = instanceRole(instance, true);
  let priority = instance.priority;
  if (next === RoleRank.Started || next === RoleRank.Unknown) priority = promotionScore(clone, instance, chosen) ?? -1;
  else if (next === RoleRank.Unpromoted || next === RoleRank.Stopped) priority = -INFINITY;
  const location = ws.promotedLocations.get(clone.id)?.get(chosen.name);
  if (location !== undefined) priority = addScores(priority, location);
  for (const colocation of allPrimitives(instance)[0]?.colocationsAsDependent ?? []) {
    if (colocation.dependentRole < RoleRank.Unpromoted) continue;
    priority = colocationPriority(colocation, chosen, priority);
  }
  return priority;
}

/** A role-specific colocation's effect on promotion priority (apply_coloc_to_priority). */
function colocationPriority(colocation: SchedColocation, chosen: SchedNode, priority: number): number {
  const primary = colocation.primary;
  const attribute = colocation.nodeAttribute;
  const primaryInstances: Instance[] = primary.kind === 'clone' ? primary.instances : primary.kind === 'group' ? [primary] : [primary];
  const sameNode = primaryInstances.find((candidate) => {
    const node = instanceLocation(candidate);
    if (!node || node.attributes[attribute] !== chosen.attributes[attribute]) return false;
    return colocation.primaryRole === RoleRank.Unknown || instanceRole(candidate, true) === colocation.primaryRole;
  });
  if (!sameNode) return colocation.score >= INFINITY && colocation.dependentRole === RoleRank.Promoted ? -INFINITY : priority;
  const multiplier = colocation.dependentRole === RoleRank.Unpromoted ? -1 : 1;
  return addScores(multiplier * colocation.score, priority);
}

/** Chooses which instances are promoted, as pcmk__set_instance_roles does. */
function setInstanceRoles(ws: WorkingSet, clone: SchedClone): void {
  const sortIndex = new Map<Instance, number>();
  for (const instance of clone.instances) {
    const chosen = instanceLocation(instance);
    if (!chosen) {
      sortIndex.set(instance, 0);
      continue;
    }
    instance.priority = instancePriority(ws, clone, instance, chosen);
    sortIndex.set(instance, instanceRole(instance, true) === RoleRank.Promoted ? INFINITY : instance.priority);
  }
  // Fold each instance's priority into the clone's score for its node, add what
  // colocations with the promoted role contribute, and read the totals back.
  const scores = new Map(clone.allowed);
  for (const instance of clone.instances) {
    const chosen = instanceLocation(instance);
    const index = sortIndex.get(instance) ?? 0;
    if (chosen && index >= 0) scores.set(chosen.name, addScores(index, scores.get(chosen.name) ?? 0));
  }
  let merged: NodeScores = scores;
  for (const colocation of clone.colocationsAsDependent) {
    if (colocation.dependentRole !== RoleRank.Promoted) continue;
    merged = mergeWeights(ws, colocation.primary, merged, colocation.nodeAttribute, colocation.score / INFINITY, colocation.score >= INFINITY ? {} : { rollback: true }, new Set([clone]));
  }
  for (const colocation of clone.colocationsAsPrimary) {
    if (colocation.primaryRole !== RoleRank.Promoted || !colocation.influence) continue;
    merged = mergeWeights(ws, colocation.dependent, merged, colocation.nodeAttribute, colocation.score / INFINITY, { rollback: true, positive: true }, new Set([clone]));
  }
  for (const instance of clone.instances) {
    const chosen = instanceLocation(instance);
    const index = sortIndex.get(instance) ?? 0;
    if (!instance.managed && instanceRole(instance, true) === RoleRank.Promoted) sortIndex.set(instance, INFINITY);
    else if (chosen && index >= 0) sortIndex.set(instance, merged.get(chosen.name) ?? 0);
  }
  const order = [...clone.instances].sort((a, b) => {
    const diff = (sortIndex.get(b) ?? 0) - (sortIndex.get(a) ?? 0);
    if (diff !== 0) return diff;
    const roleDiff = instanceRole(b, false) - instanceRole(a, false);
    if (roleDiff !== 0) return roleDiff;
    return compareInstances(clone, a, b);
  });
  clone.instances = order;
  const promotedPerNode = new Map<string, number>();
  let promoted = 0;
  for (const instance of order) {
    const chosen = instanceLocation(instance);
    const eligible =
      chosen !== undefined &&
      (sortIndex.get(instance) ?? 0) >= 0 &&
      (promoted < clone.promotedMax || !clone.managed) &&
      instance.managed &&
      instance.priority >= 0 &&
      canRunResources(chosen) &&
      clone.allowed.has(chosen.name) &&
      (promotedPerNode.get(chosen.name) ?? 0) < clone.promotedNodeMax;
    const frozen = !ws.haveQuorum && ws.options.noQuorumPolicy === 'freeze' && instanceRole(instance, false) < RoleRank.Promoted;
    if (!eligible || frozen) {
      setRole(instance, RoleRank.Unpromoted);
      continue;
    }
    promotedPerNode.set(chosen.name, (promotedPerNode.get(chosen.name) ?? 0) + 1);
    setRole(instance, RoleRank.Promoted);
    promoted += 1;
  }
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
      if (partnerPrimitive) colocationMatchScores(ws, dependent, partnerPrimitive.assigned, colocation);
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

