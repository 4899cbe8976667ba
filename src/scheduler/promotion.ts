// Promotable clones: promotion scores (node attributes master-<rsc>), each instance's
// promotion priority with role-specific locations and colocations, and which instances
// are promoted within promoted-max and promoted-node-max.

import { INFINITY, addScores, parseScore } from '../model/score.js';
import { canRunResources, mergeWeights, primaryMemberOf } from './colocation.js';
import { compareInstances, instanceLocation, instanceRole, type Instance } from './instances.js';
import { allPrimitives, copyScores } from './scores.js';
import { RoleRank, type NodeScores, type SchedClone, type SchedColocation, type SchedNode, type SchedPrimitive } from './types.js';
import type { WorkingSet } from './unpack.js';

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
  // A unique instance's agent sets master-<rsc>:<n>; an anonymous one's, master-<rsc>.
  const value = node.attributes[`master-${instance.id}`] ?? (clone.globallyUnique ? undefined : node.attributes[`master-${instance.definition.id}`]);
  return value === undefined ? undefined : parseScore(value);
}

/**
 * Positive promotion scores pull instances toward those nodes and raise their priority.
 * A cloned group's members are placed by their own scores, so there only the priority rises.
 */
export function addPromotionScores(ws: WorkingSet, clone: SchedClone): void {
  for (const instance of clone.instances) {
    for (const [name, weight] of instance.allowed) {
      const target = ws.nodeByName.get(name);
      if (!target || !canRunResources(target)) continue;
      const score = promotionScore(clone, instance, target) ?? 0;
      if (score > 0) instance.allowed.set(name, addScores(weight, score));
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

/**
 * A role-specific colocation's effect on promotion priority, by what the primary is, as
 * Pacemaker dispatches it (pcmk__clone_apply_coloc_score). A Promoted dependent of a
 * promotable clone in a given role counts that clone's instance in the role on its node, if
 * any; any other colocation with a clone, with an INFINITY score, restricts where the
 * dependent may run, not its role; otherwise each primary instance counts on its own (so an
 * Unpromoted dependent kept away from the Promoted role gains where that role is).
 */
function colocationPriority(colocation: SchedColocation, chosen: SchedNode, priority: number): number {
  const primary = colocation.primary;
  if (primary.kind !== 'clone') return priorityWith(colocation, primary, chosen, priority);
  if (primary.promotable && colocation.primaryRole !== RoleRank.Unknown && colocation.dependentRole === RoleRank.Promoted) {
    const compatible = primary.instances.some((candidate) => instanceLocation(candidate) === chosen && instanceRole(candidate, true) === colocation.primaryRole);
    if (compatible) return addScores(priority, colocation.score);
    return colocation.score >= INFINITY ? -INFINITY : priority;
  }
  if (colocation.score >= INFINITY) return priority;
  return primary.instances.reduce((sum, candidate) => priorityWith(colocation, candidate, chosen, sum), priority);
}

/** One placed primary's effect (apply_coloc_to_priority). A group stands for one member (primaryMemberOf); a member left unplaced has no effect. */
function priorityWith(colocation: SchedColocation, primary: Instance, chosen: SchedNode, priority: number): number {
  if (primary.kind === 'group') {
    const member = primaryMemberOf(primary, colocation);
    return member ? priorityWith(colocation, member, chosen, priority) : priority;
  }
  const node = instanceLocation(primary);
  if (!node) return priority;
  const attribute = colocation.nodeAttribute;
  if (node.attributes[attribute] !== chosen.attributes[attribute]) return colocation.score >= INFINITY && colocation.dependentRole === RoleRank.Promoted ? -INFINITY : priority;
  if (colocation.primaryRole !== RoleRank.Unknown && instanceRole(primary, true) !== colocation.primaryRole) return priority;
  const multiplier = colocation.dependentRole === RoleRank.Unpromoted ? -1 : 1;
  return addScores(multiplier * colocation.score, priority);
}

/** Chooses which instances are promoted, as pcmk__set_instance_roles does. */
export function setInstanceRoles(ws: WorkingSet, clone: SchedClone): void {
  // An instance merely started is unpromoted now, all of it; one with a member already
  // unpromoted (found active without a start) keeps its started members as they are.
  for (const instance of clone.instances) {
    if (instanceRole(instance, false) !== RoleRank.Started) continue;
    for (const primitive of allPrimitives(instance)) if (primitive.role === RoleRank.Started) primitive.role = RoleRank.Unpromoted;
  }
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
  // colocations with the promoted role contribute, and read the totals back. The totals
  // stay the clone's scores: Pacemaker sums into the clone's own node table, so what is
  // placed after the clone (and orders its instances by this clone's scores) sees them.
  const scores = copyScores(clone.allowed);
  for (const instance of clone.instances) {
    const chosen = instanceLocation(instance);
    const index = sortIndex.get(instance) ?? 0;
    if (chosen && index >= 0) scores.set(chosen.name, addScores(index, scores.get(chosen.name) ?? 0));
  }
  let merged: NodeScores = scores;
  for (const colocation of clone.colocationsAsDependent) {
    if (colocation.dependentRole !== RoleRank.Promoted) continue;
    merged = mergeWeights(ws, colocation.primary, merged, colocation.nodeAttribute, colocation.score / INFINITY, colocation.score >= INFINITY ? {} : { rollback: true });
  }
  for (const colocation of clone.colocationsAsPrimary) {
    if (colocation.primaryRole !== RoleRank.Promoted || !colocation.influence) continue;
    merged = mergeWeights(ws, colocation.dependent, merged, colocation.nodeAttribute, colocation.score / INFINITY, { rollback: true, positive: true });
  }
  // Without the ticket its rsc_ticket asks for the Promoted role, no node may promote it.
  if (ws.promotionWithoutTicket.has(clone)) for (const name of merged.keys()) merged.set(name, -INFINITY);
  clone.allowed = merged;
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
    return compareInstances(ws, clone, a, b);
  });
  clone.instances = order;
  clone.placementOrder = [...order];
  const promotedPerNode = new Map<string, number>();
  let promoted = 0;
  for (const instance of order) {
    const chosen = (sortIndex.get(instance) ?? 0) >= 0 && (promoted < clone.promotedMax || !clone.managed) ? promotionNode(clone, instance, promotedPerNode) : undefined;
    const frozen = !ws.haveQuorum && ws.options.noQuorumPolicy === 'freeze' && instanceRole(instance, false) < RoleRank.Promoted;
    if (!chosen || frozen) {
      setRole(instance, RoleRank.Unpromoted);
      continue;
    }
    promotedPerNode.set(chosen.name, (promotedPerNode.get(chosen.name) ?? 0) + 1);
    setRole(instance, RoleRank.Promoted);
    promoted += 1;
  }
}

/**
 * Where an instance can be promoted, if anywhere (node_to_be_promoted_on): every member of a
 * cloned group must be promotable; an unmanaged instance only stays promoted if it is.
 */
function promotionNode(clone: SchedClone, instance: Instance, promotedPerNode: Map<string, number>): SchedNode | undefined {
  if (instance.kind === 'group' && instance.children.some((member) => !promotionNode(clone, member, promotedPerNode))) return undefined;
  const node = instanceLocation(instance);
  if (!node) return undefined;
  if (!instance.managed) {
    if (instanceRole(instance, false) !== RoleRank.Promoted) return undefined;
  } else if (instance.priority < 0 || !canRunResources(node)) return undefined;
  if (!clone.allowed.has(node.name)) return undefined;
  if (instance.managed && (promotedPerNode.get(node.name) ?? 0) >= clone.promotedNodeMax) return undefined;
  return node;
}
