// Colocation constraints: unpacking (pairs, resource sets, group internals) and the two
// ways a colocation moves scores: a dependent takes its primary's placement into account,
// and a primary is pulled toward where its dependents would like to be.

import type { ColocationConstraint, ResourceSet } from '../model/config.js';
import { INFINITY, addScores, parseScore } from '../model/score.js';
import { isTrue } from './options.js';
import { copyScores } from './scores.js';
import { RoleRank, type NodeScores, type SchedColocation, type SchedGroup, type SchedNode, type SchedPrimitive, type SchedResource } from './types.js';
import { roleRank, type WorkingSet } from './unpack.js';

/** Marks a node as unusable during a positive-only merge (Pacemaker's INFINITY_HACK). */
const UNUSABLE = -INFINITY * 100;

const variantRank = { primitive: 0, group: 1, clone: 2 } as const;

/**
 * The order Pacemaker considers colocations in, by the resource on the other side
 * (cmp_primary_priority, cmp_dependent_priority): higher priority first, then clones before
 * groups before primitives, promotable clones first, then by id.
 */
function byPriorityThenVariant(a: SchedResource, b: SchedResource): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.kind !== b.kind) return variantRank[b.kind] - variantRank[a.kind];
  if (a.kind === 'clone' && b.kind === 'clone' && a.promotable !== b.promotable) return a.promotable ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Inserts as g_list_insert_sorted does: before the first entry that does not sort before it. */
function insertSorted(list: SchedColocation[], item: SchedColocation, key: (c: SchedColocation) => SchedResource): void {
  const index = list.findIndex((existing) => byPriorityThenVariant(key(item), key(existing)) <= 0);
  if (index < 0) list.push(item);
  else list.splice(index, 0, item);
}

/**
 * The member a group stands for as a colocation's primary (Pacemaker's group hands the
 * colocation on): the last for an INFINITY score, the whole group having to be up; else the
 * first, a partly active group being enough.
 */
export function primaryMemberOf(group: SchedGroup, colocation: SchedColocation): SchedPrimitive | undefined {
  return colocation.score >= INFINITY ? group.children.at(-1) : group.children[0];
}

/**
 * Hands a group's colocations to one of its members, one at a time into the member's sorted
 * lists as Pacemaker does: so of several colocations with the same resource, which the
 * group's list holds newest first, the member's holds them in configuration order again.
 */
export function inheritColocations(member: SchedResource, asDependent: SchedColocation[], asPrimary: SchedColocation[]): void {
  for (const colocation of asDependent) insertSorted(member.colocationsAsDependent, colocation, (c) => c.primary);
  for (const colocation of asPrimary) insertSorted(member.colocationsAsPrimary, colocation, (c) => c.dependent);
}

export function addColocation(ws: WorkingSet, colocation: SchedColocation): void {
  if (colocation.score === 0 || colocation.dependent === colocation.primary) return;
  insertSorted(colocation.dependent.colocationsAsDependent, colocation, (c) => c.primary);
  insertSorted(colocation.primary.colocationsAsPrimary, colocation, (c) => c.dependent);
  ws.colocations.push(colocation);
}

/** Pacemaker treats a Started role in a colocation as "any role". */
function colocationRole(role: RoleRank): RoleRank {
  return role === RoleRank.Started ? RoleRank.Unknown : role;
}

function influenceOf(dependent: SchedResource, constraint: ColocationConstraint): boolean {
  const explicit = constraint.extra.influence;
  if (explicit !== undefined) return isTrue(explicit);
  return dependent.meta.critical === undefined ? true : isTrue(dependent.meta.critical);
}

function newColocation(ws: WorkingSet, constraint: ColocationConstraint, score: number, dependentId: string, dependentRole: RoleRank, primaryId: string, primaryRole: RoleRank): void {
  const dependent = ws.byId.get(dependentId);
  const primary = ws.byId.get(primaryId);
  if (!dependent || !primary) return;
  addColocation(ws, {
    id: constraint.id,
    dependent,
    primary,
    score,
    dependentRole: colocationRole(dependentRole),
    primaryRole: colocationRole(primaryRole),
    nodeAttribute: constraint.nodeAttribute ?? '#uname',
    influence: influenceOf(dependent, constraint),
  });
}

function unpackSets(ws: WorkingSet, constraint: ColocationConstraint, sets: ResourceSet[], score: number): void {
  for (const set of sets) {
    const setScore = set.score !== undefined ? parseScore(set.score) ?? score : score;
    const role = roleRank(set.role);
    if (!set.sequential) continue;
    for (let index = 1; index < set.resources.length; index += 1) {
      newColocation(ws, constraint, setScore, set.resources[index]!, role, set.resources[index - 1]!, role);
    }
  }
  for (let index = 0; index + 1 < sets.length; index += 1) {
    const dependentSet = sets[index]!;
    const primarySet = sets[index + 1]!;
    const dependents = dependentSet.sequential ? dependentSet.resources.slice(0, 1) : dependentSet.resources;
    const primaries = primarySet.sequential ? primarySet.resources.slice(-1) : primarySet.resources;
    for (const dependent of dependents) {
      for (const primary of primaries) {
        newColocation(ws, constraint, score, dependent, roleRank(dependentSet.role), primary, roleRank(primarySet.role));
      }
    }
  }
}

export function unpackColocations(ws: WorkingSet, constraints: ColocationConstraint[]): void {
  for (const resource of ws.resources) addInternalColocations(ws, resource);
  for (const constraint of constraints) {
    const score = parseScore(constraint.score);
    if (score === undefined) continue;
    if (constraint.sets && constraint.sets.length > 0) {
      unpackSets(ws, constraint, constraint.sets, score);
    } else if (constraint.rsc && constraint.withRsc) {
      newColocation(ws, constraint, score, constraint.rsc.id, roleRank(constraint.rsc.role), constraint.withRsc.id, roleRank(constraint.withRsc.role));
    }
  }
}

/** Each group member runs with the member before it. */
function addInternalColocations(ws: WorkingSet, resource: SchedResource): void {
  if (resource.kind === 'clone') {
    for (const instance of resource.instances) addInternalColocations(ws, instance);
    return;
  }
  if (resource.kind !== 'group') return;
  for (let index = 1; index < resource.children.length; index += 1) {
    addColocation(ws, {
      id: `${resource.id}:internal`,
      dependent: resource.children[index]!,
      primary: resource.children[index - 1]!,
      score: INFINITY,
      dependentRole: RoleRank.Unknown,
      primaryRole: RoleRank.Unknown,
      nodeAttribute: '#uname',
      influence: true,
    });
  }
}

export function canRunResources(node: SchedNode): boolean {
  return node.online && !node.standby && !node.unclean && !node.maintenance && !node.shutdown;
}

export function canRunAny(scores: NodeScores, ws: WorkingSet): boolean {
  for (const [name, score] of scores) {
    const node = ws.nodeByName.get(name);
    if (node && canRunResources(node) && score >= 0) return true;
  }
  return false;
}

function nodeAttribute(ws: WorkingSet, nodeName: string, attribute: string): string | undefined {
  return ws.nodeByName.get(nodeName)?.attributes[attribute];
}

/** Per value of the attribute, the resource's best score on a node that can run resources and has that value. */
function bestScoresByAttribute(ws: WorkingSet, resource: SchedResource, attribute: string): Map<string | undefined, number> {
  const best = new Map<string | undefined, number>();
  resource.allowed.forEach((score, name) => {
    const node = ws.nodeByName.get(name);
    if (!node || !canRunResources(node)) return;
    const value = node.attributes[attribute];
    if (score > (best.get(value) ?? -INFINITY)) best.set(value, score);
  });
  return best;
}

function addScoresMatchingAttribute(ws: WorkingSet, work: NodeScores, resource: SchedResource, attribute: string, factor: number, onlyPositive: boolean): void {
  const best = bestScoresByAttribute(ws, resource, attribute);
  work.forEach((weight, name) => {
    const score = best.get(nodeAttribute(ws, name, attribute)) ?? -INFINITY;
    if (factor < 0 && score < 0) return;
    if (weight === UNUSABLE) return;
    const scaled = factor * score;
    let delta = scaled < 0 ? Math.trunc(scaled - 0.5) : Math.trunc(scaled + 0.5);
    if (delta === 0 && score !== 0) delta = factor > 0 ? 1 : factor < 0 ? -1 : 0;
    const updated = addScores(delta, weight);
    if (onlyPositive && updated < 0 && weight > 0) {
      work.set(name, UNUSABLE);
      return;
    }
    if (onlyPositive && updated < 0 && weight === 0) return;
    work.set(name, updated);
  });
}

export interface MergeFlags {
  init?: boolean;
  forward?: boolean;
  rollback?: boolean;
  positive?: boolean;
}


/**
 * Folds the node preferences of resources colocated with `resource` (or, forward, that it
 * is colocated with) into `nodes`, scaled by score/INFINITY, as pcmk__native_merge_weights.
 */
export function mergeWeights(ws: WorkingSet, resource: SchedResource, nodes: NodeScores | undefined, attribute: string, factor: number, flags: MergeFlags, merging: Set<SchedResource> = new Set()): NodeScores {
  if (merging.has(resource)) return nodes ?? new Map();
  if (resource.kind === 'group') return mergeGroupWeights(ws, resource, nodes, attribute, factor, flags, merging);
  merging.add(resource);
  let work: NodeScores;
  if (flags.init) {
    work = copyScores(resource.allowed);
    flags = { ...flags, init: false };
  } else {
    work = nodes ? copyScores(nodes) : new Map();
    addScoresMatchingAttribute(ws, work, resource, attribute, factor, flags.positive === true);
  }

  if (canRunAny(work, ws)) {
    const multiplier = factor < 0 ? -1 : 1;
    const list = flags.forward ? resource.colocationsAsDependent : resource.colocationsAsPrimary;
    for (const colocation of [...list]) {
      if (!flags.forward && !colocation.influence) continue;
      const other = flags.forward ? colocation.primary : colocation.dependent;
      work = mergeWeights(ws, other, work, colocation.nodeAttribute, (multiplier * colocation.score) / INFINITY, { ...flags, rollback: true }, merging);
    }
  } else if (flags.rollback) {
    merging.delete(resource);
    return nodes ?? new Map();
  }

  if (flags.positive) {
    for (const [name, weight] of work) if (weight === UNUSABLE) work.set(name, 1);
  }
  merging.delete(resource);
  return work;
}

/**
 * A group's preferences are its first member's (whose colocations reach the other members),
 * then those of what is colocated with its last member. What is colocated with the group
 * itself counts only once the group is being placed and has handed its colocations to its
 * members: before, crm_simulate places a resource that the group is colocated with as if
 * nothing colocated with the group had a preference (differential seeds 972, 6492, 21990);
 * after, it counts it twice (32910). Sorting resources (forward, from nothing) starts from
 * its last member instead, whose colocations lead back through the others, then takes what
 * the group is colocated with.
 */
function mergeGroupWeights(ws: WorkingSet, group: SchedGroup, nodes: NodeScores | undefined, attribute: string, factor: number, flags: MergeFlags, merging: Set<SchedResource>): NodeScores {
  merging.add(group);
  const sorting = flags.forward === true && flags.init === true;
  const member = sorting ? group.children[group.children.length - 1] : group.children[0];
  let work = member ? mergeWeights(ws, member, nodes, attribute, factor, flags, merging) : copyScores(nodes ?? group.allowed);
  if (sorting) {
    for (const colocation of group.colocationsAsDependent) {
      work = mergeWeights(ws, colocation.primary, work, colocation.nodeAttribute, colocation.score / INFINITY, { ...flags, init: false }, merging);
    }
  } else if (!flags.forward) {
    // Then what is colocated with its last member, as Pacemaker lists it there: the group's
    // own once the group is being placed (its colocations handed on), counted a second time
    // if the first member's chain reached it already.
    const last = group.children[group.children.length - 1];
    if (canRunAny(work, ws)) {
      const multiplier = factor < 0 ? -1 : 1;
      for (const colocation of [...(last?.colocationsAsPrimary ?? [])]) {
        if (!colocation.influence) continue;
        work = mergeWeights(ws, colocation.dependent, work, colocation.nodeAttribute, (multiplier * colocation.score) / INFINITY, { ...flags, rollback: true }, merging);
      }
    } else if (flags.rollback) {
      merging.delete(group);
      return nodes ?? new Map();
    }
  }
  merging.delete(group);
  return work;
}
