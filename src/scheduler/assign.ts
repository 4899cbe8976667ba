// Assigns resources to nodes in Pacemaker's order and with its tie-breaking: the best
// score wins; among equals, the node with fewer resources assigned so far, then (only for
// a positive score) the current node, then the node name.

import { INFINITY, addScores } from '../model/score.js';
import { assignClone, applyColocationWithClone } from './clone.js';
import { canRunAny, canRunResources, inheritColocations, mergeWeights, primaryMemberOf } from './colocation.js';
import {
  inPromotableClone,
  RoleRank,
  type NodeScores,
  type SchedColocation,
  type SchedGroup,
  type SchedNode,
  type SchedPrimitive,
  type SchedResource,
} from './types.js';
import { glibListSort } from './node-table.js';
import { copyScores } from './scores.js';
import type { WorkingSet } from './unpack.js';
import { banInsufficientCapacity, compareNodeCapacities, consumeCapacity } from './utilization.js';

export function currentNode(primitive: SchedPrimitive): SchedNode | undefined {
  return primitive.runningOn[0];
}

function runningOn(resource: SchedResource): SchedNode[] {
  if (resource.kind === 'primitive') return resource.runningOn;
  const children = resource.kind === 'group' ? resource.children : resource.instances;
  const nodes: SchedNode[] = [];
  for (const child of children) for (const node of runningOn(child)) if (!nodes.includes(node)) nodes.push(node);
  return nodes;
}

/**
 * Sorts nodes best first, as Pacemaker's pcmk__sort_nodes sorts the list it makes of a
 * resource's node table (in the table's listing order, with GLib's merge sort: balanced
 * placement's capacity comparison is not transitive, so both decide the result).
 */
export function sortNodes(ws: WorkingSet, scores: NodeScores, active: SchedNode | undefined): Array<{ node: SchedNode; score: number }> {
  // A node that cannot run resources sorts as if banned.
  const entries: Array<{ node: SchedNode; score: number; effective: number }> = [];
  for (let index = ws.nodeTableOrder.length - 1; index >= 0; index -= 1) {
    const node = ws.nodeTableOrder[index]!;
    const score = scores.get(node.name);
    if (score !== undefined) entries.push({ node, score, effective: canRunResources(node) ? score : -INFINITY });
  }
  return glibListSort(entries, (a, b) => {
    const diff = b.effective - a.effective;
    if (diff !== 0) return diff;
    if (ws.options.placementStrategy !== 'minimal') {
      const capacity = ws.options.placementStrategy === 'balanced' ? compareNodeCapacities(a.node, b.node) : 0;
      if (capacity !== 0) return capacity;
      const load = a.node.assignedCount - b.node.assignedCount;
      if (load !== 0) return load;
      if (active === a.node) return -1;
      if (active === b.node) return 1;
    }
    return a.node.name < b.node.name ? -1 : a.node.name > b.node.name ? 1 : 0;
  });
}

/** Records the assignment, or the lack of one; false when the node cannot take it. */
export function assignToNode(primitive: SchedPrimitive, node: SchedNode | undefined, score: number, force: boolean): boolean {
  primitive.provisional = false;
  if (node === undefined || (!force && (score < 0 || !canRunResources(node)))) {
    primitive.assigned = undefined;
    primitive.nextRole = RoleRank.Stopped;
    return false;
  }
  primitive.assigned = node;
  primitive.assignedScore = score;
  node.assignedCount += 1;
  consumeCapacity(node, primitive);
  return true;
}

function chooseNode(ws: WorkingSet, primitive: SchedPrimitive, prefer: SchedNode | undefined): boolean {
  const roomiest = banInsufficientCapacity(ws, primitive);
  prefer ??= roomiest;
  const sorted = sortNodes(ws, primitive.allowed, currentNode(primitive));
  const best = sorted[0];
  let chosen: { node: SchedNode; score: number } | undefined;
  if (prefer && best) {
    const preferred = sorted.find((entry) => entry.node === prefer);
    if (preferred && preferred.score >= best.score && canRunResources(preferred.node)) chosen = preferred;
  }
  if (!chosen && best) {
    chosen = best;
    const uniqueInstance = primitive.parent?.kind === 'clone' && primitive.parent.globallyUnique;
    const running = currentNode(primitive);
    if (!uniqueInstance && chosen.score > 0 && canRunResources(chosen.node) && running && canRunResources(running)) {
      for (const entry of sorted.slice(1)) {
        if (entry.score !== chosen.score) break;
        if (entry.node === running) chosen = entry;
      }
    }
  }
  return assignToNode(primitive, chosen?.node, chosen?.score ?? -INFINITY, false);
}

/** The dependent takes its (already assigned) primary's placement into account. */
export function applyColocation(ws: WorkingSet, dependent: SchedResource, primary: SchedResource, colocation: SchedColocation): void {
  if (dependent.kind === 'group') {
    const first = dependent.children[0];
    if (first) applyColocation(ws, first, primary, colocation);
    return;
  }
  if (dependent.kind === 'clone') {
    applyColocationToClone(ws, dependent, primary, colocation);
    return;
  }
  if (primary.kind === 'group') {
    const member = primaryMemberOf(primary, colocation);
    if (member) applyColocation(ws, dependent, member, colocation);
    return;
  }
  if (primary.kind === 'clone') {
    applyColocationWithClone(ws, dependent, primary, colocation);
    return;
  }
  if (primary.provisional) return;
  if (!dependent.provisional) return;
  if (!rolesLetColocationMove(colocation, dependent.nextRole, primary.nextRole)) return;
  colocationMatchScores(ws, dependent, primary.assigned, colocation);
}

/**
 * Whether a role-specific colocation moves a dependent whose roles are as given. A positive
 * one counts only when each role it names is the one that resource is meant to have; a
 * negative one, as Pacemaker reads it, only when neither is: so an anti-colocation of the
 * Promoted role still pushes away a promotable instance (a primitive, or a cloned group's
 * first member) while it is placed, before its role is chosen.
 */
function rolesLetColocationMove(colocation: SchedColocation, dependentRole: RoleRank, primaryRole: RoleRank): boolean {
  const names = (role: RoleRank, actual: RoleRank) => role !== RoleRank.Unknown && role === actual;
  const differs = (role: RoleRank, actual: RoleRank) => role !== RoleRank.Unknown && role !== actual;
  if (colocation.score > 0) return !differs(colocation.dependentRole, dependentRole) && !differs(colocation.primaryRole, primaryRole);
  return !names(colocation.dependentRole, dependentRole) && !names(colocation.primaryRole, primaryRole);
}

/** A clone placed relative to another resource: every instance's scores move alike. */
function applyColocationToClone(ws: WorkingSet, dependent: SchedResource & { kind: 'clone' }, primary: SchedResource, colocation: SchedColocation): void {
  for (const instance of dependent.instances) applyColocation(ws, instance, primary, colocation);
  if (primary.kind === 'primitive' && !primary.provisional) colocationMatchScores(ws, dependent, primary.assigned, colocation);
}

/** Moves the dependent's scores toward (or away from) the node its primary got. */
export function colocationMatchScores(ws: WorkingSet, dependent: SchedResource, primaryNode: SchedNode | undefined, colocation: SchedColocation): void {
  if (primaryNode === undefined && colocation.score < 0) return;
  const attribute = colocation.nodeAttribute;
  const value = primaryNode?.attributes[attribute];
  const work = copyScores(dependent.allowed);
  // forEach rather than for-of: this runs for every colocated resource, and iterating
  // entries allocates for each of them.
  work.forEach((weight, name) => {
    const node = ws.nodeByName.get(name);
    if (primaryNode === undefined) {
      work.set(name, addScores(-colocation.score, weight));
    } else if (node && node.attributes[attribute] === value) {
      if (colocation.score < INFINITY) work.set(name, addScores(colocation.score, weight));
    } else if (colocation.score >= INFINITY) {
      work.set(name, -INFINITY);
    }
  });
  if (canRunAny(work, ws) || colocation.score <= -INFINITY || colocation.score >= INFINITY) {
    work.forEach((weight, name) => {
      const before = dependent.allowed.get(name) ?? 0;
      if (weight !== before) dependent.notes.push({ node: name, score: weight - before, reason: `colocation ${colocation.id} with ${colocation.primary.id}` });
    });
    dependent.allowed = work;
  }
}

export function assignResource(ws: WorkingSet, resource: SchedResource, prefer: SchedNode | undefined): void {
  if (resource.kind === 'primitive') assignPrimitive(ws, resource, prefer);
  else if (resource.kind === 'group') assignGroup(ws, resource, prefer);
  else assignClone(ws, resource, prefer);
}

/** Applies a resource's own colocations, assigning each primary first. */
export function applyOwnColocations(ws: WorkingSet, resource: SchedResource): void {
  for (const colocation of [...resource.colocationsAsDependent]) {
    const archive = colocation.dependentRole >= RoleRank.Promoted || (colocation.score < 0 && colocation.score > -INFINITY) ? copyScores(resource.allowed) : undefined;
    assignResource(ws, colocation.primary, undefined);
    applyColocation(ws, resource, colocation.primary, colocation);
    if (archive && !canRunAny(resource.allowed, ws)) resource.allowed = archive;
  }
}

/**
 * Pulls a resource toward where the resources colocated with it would like to run. The
 * resource itself is not marked as being merged, so a colocation loop leads back to it and
 * merges its own scores too (as Pacemaker's merge does).
 */
export function mergeDependentsScores(ws: WorkingSet, resource: SchedResource): void {
  for (const colocation of [...resource.colocationsAsPrimary]) {
    if (!colocation.influence) continue;
    const before = copyScores(resource.allowed);
    resource.allowed = mergeWeights(ws, colocation.dependent, resource.allowed, colocation.nodeAttribute, colocation.score / INFINITY, { rollback: true });
    resource.allowed.forEach((weight, name) => {
      const old = before.get(name) ?? 0;
      if (weight !== old) resource.notes.push({ node: name, score: weight - old, reason: `preference of ${colocation.dependent.id}, which runs with it (${colocation.id})` });
    });
  }
}

export function assignPrimitive(ws: WorkingSet, primitive: SchedPrimitive, prefer: SchedNode | undefined): SchedNode | undefined {
  if (primitive.parent && !primitive.parent.allocating) {
    assignResource(ws, primitive.parent, prefer);
    return primitive.assigned;
  }
  if (!primitive.provisional || primitive.allocating) return primitive.assigned;
  primitive.allocating = true;
  applyOwnColocations(ws, primitive);
  mergeDependentsScores(ws, primitive);
  // Fencing on but no device: nothing is managed once it comes to placing it (an instance
  // beyond clone-max is never placed, so it is still stopped).
  if (ws.options.stonithEnabled && !ws.haveFencingDevice) primitive.managed = false;

  if (!primitive.managed) {
    // Left alone: it stays where it is, in the role it has, whatever it was meant to be.
    const node = currentNode(primitive);
    assignToNode(primitive, node, primitive.allowed.get(node?.name ?? '') ?? 0, true);
    primitive.nextRole = node ? primitive.role : RoleRank.Stopped;
  } else if (primitive.nextRole === RoleRank.Stopped || primitive.targetRole === RoleRank.Stopped || ws.options.stopAllResources) {
    assignToNode(primitive, undefined, -INFINITY, true);
  } else if (primitive.provisional) {
    chooseNode(ws, primitive, prefer);
  }
  // A promotable instance's role is chosen after all instances are placed.
  if (primitive.assigned && primitive.nextRole === RoleRank.Unknown && !inPromotableClone(primitive)) primitive.nextRole = RoleRank.Started;
  primitive.allocating = false;
  return primitive.assigned;
}

/**
 * A member placed after an unmanaged one no longer follows the group through the chain of
 * members (the unmanaged one stays where it is, wherever the group must go): it takes the
 * group's mandatory colocations itself, as Pacemaker's expand_group_colocations does.
 */
function bindMembersAfterUnmanaged(group: SchedGroup): void {
  const mandatory = group.colocationsAsDependent.filter((colocation) => colocation.score === INFINITY);
  let afterUnmanaged = group.children[0]?.managed === false;
  for (const member of group.children.slice(1)) {
    if (afterUnmanaged) for (const colocation of mandatory) member.colocationsAsDependent.unshift(colocation);
    else if (!member.managed) afterUnmanaged = true;
  }
}

export function assignGroup(ws: WorkingSet, group: SchedGroup, prefer: SchedNode | undefined): void {
  if (group.parent && !group.parent.allocating) {
    assignResource(ws, group.parent, prefer);
    return;
  }
  if (!group.provisional || group.allocating) return;
  const first = group.children[0];
  const last = group.children[group.children.length - 1];
  if (!first || !last) {
    group.provisional = false;
    return;
  }
  group.allocating = true;
  // The group's own colocations act through its first and last members.
  inheritColocations(first, group.colocationsAsDependent, []);
  bindMembersAfterUnmanaged(group);
  group.colocationsAsDependent = [];
  inheritColocations(last, [], group.colocationsAsPrimary);
  group.colocationsAsPrimary = [];
  for (const child of group.children) assignPrimitive(ws, child, prefer);
  group.allocating = false;
  group.provisional = false;
}

/**
 * The order resources are assigned in: configuration order, as Pacemaker does with the
 * default placement strategy; with another strategy, by priority, then by the score on
 * the current node, then by scores on each node (sort_rsc_process_order).
 */
export function sortForAssignment(ws: WorkingSet): SchedResource[] {
  if (ws.options.placementStrategy === 'default') return [...ws.resources];
  // Nodes as pcmk__sort_nodes orders Pacemaker's node list (sorted by name) before anything
  // is assigned: those that can run resources first, the roomiest first (balanced), then by name.
  const byName = [...ws.nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const nodes = glibListSort(byName, (a, b) => {
    const available = Number(canRunResources(b)) - Number(canRunResources(a));
    if (available !== 0) return available;
    const capacity = ws.options.placementStrategy === 'balanced' ? compareNodeCapacities(a, b) : 0;
    if (capacity !== 0) return capacity;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  const merged = new Map<SchedResource, NodeScores>();
  for (const resource of ws.resources) {
    merged.set(resource, mergeWeights(ws, resource, undefined, '#uname', 1, { forward: true, init: true }));
  }
  const currentScore = (resource: SchedResource) => {
    const node = runningOn(resource)[0];
    if (!node) return -INFINITY;
    return merged.get(resource)?.get(node.name) ?? -INFINITY;
  };
  const scoreOn = (resource: SchedResource, node: SchedNode) => merged.get(resource)?.get(node.name) ?? -INFINITY;
  return [...ws.resources].sort((a, b) => {
    if (a.priority !== b.priority) return b.priority - a.priority;
    const current = currentScore(b) - currentScore(a);
    if (current !== 0) return current;
    for (const node of nodes) {
      const diff = scoreOn(b, node) - scoreOn(a, node);
      if (diff !== 0) return diff;
    }
    return 0;
  });
}
