// A clone's instances (a primitive or a group each): where they run, their roles, and the
// order Pacemaker assigns them in.

import { INFINITY } from '../model/score.js';
import { canRunResources, mergeWeights } from './colocation.js';
import { allPrimitives } from './scores.js';
import { RoleRank, type NodeScores, type SchedClone, type SchedGroup, type SchedNode, type SchedPrimitive } from './types.js';
import type { WorkingSet } from './unpack.js';

export type Instance = SchedPrimitive | SchedGroup;

export function instanceNodes(instance: Instance): SchedNode[] {
  const nodes: SchedNode[] = [];
  for (const primitive of allPrimitives(instance)) for (const node of primitive.runningOn) if (!nodes.includes(node)) nodes.push(node);
  return nodes;
}

/** Where an instance is assigned: a group's is the one node its placed members share (none if they are split). */
export function instanceLocation(instance: Instance): SchedNode | undefined {
  if (instance.kind === 'primitive') return instance.assigned;
  const nodes = new Set(instance.children.flatMap((child) => (child.assigned ? [child.assigned] : [])));
  return nodes.size === 1 ? [...nodes][0] : undefined;
}

/** What assigning an instance gives: a group's first placed member's node. */
export function assignedNode(instance: Instance): SchedNode | undefined {
  if (instance.kind === 'primitive') return instance.assigned;
  return instance.children.find((child) => child.assigned)?.assigned;
}

export function instanceRole(instance: Instance, future: boolean): RoleRank {
  const primitives = allPrimitives(instance);
  let role = RoleRank.Unknown;
  for (const primitive of primitives) {
    const value = future ? primitive.nextRole : primitive.role;
    if (value > role) role = value;
  }
  return role;
}

export function instanceFailed(instance: Instance): boolean {
  return allPrimitives(instance).some((primitive) => primitive.failed);
}

/** On how many nodes Pacemaker counts an instance active (a group's listing may repeat a node). */
function activeCount(instance: Instance): number {
  return instance.kind === 'primitive' ? instance.runningOn.length : instance.activeListing.length;
}

/** Whether the instance's own scores (a group's, not its members') allow the node. */
function allowedOn(instance: Instance, node: SchedNode | undefined): boolean {
  if (!node) return true;
  const score = instance.allowed.get(node.name);
  return score !== undefined && score >= 0;
}

/** The order instances are assigned in (Pacemaker's pcmk__cmp_instance). */
export function compareInstances(ws: WorkingSet, clone: SchedClone, a: Instance, b: Instance): number {
  const nodesA = instanceNodes(a);
  const nodesB = instanceNodes(b);
  const activeA = activeCount(a);
  const activeB = activeCount(b);
  if (activeA > 0 && activeB > 0 && activeA !== activeB) return activeA - activeB;
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
  const parentB = clone.allowed.has(nodeB.name);
  if (!parentA && !parentB) return 0;
  if (parentA !== parentB) return parentA ? -1 : 1;
  const failedA = instanceFailed(a);
  if (failedA !== instanceFailed(b)) return failedA ? 1 : -1;
  const byColocation = colocatedScoreHere(ws, clone, nodesB[0]!) - colocatedScoreHere(ws, clone, nodesA[0]!);
  if (byColocation !== 0) return byColocation;
  return instanceNumber(a) - instanceNumber(b);
}

/**
 * A node's own weight before any resource's scores: Pacemaker takes a node that is offline
 * or shutting down out of contention with -INFINITY, so an instance whose current node is
 * such a node scores -INFINITY there whatever the colocations add.
 */
function contentionWeight(node: SchedNode): number {
  return !node.online || node.shutdown ? -INFINITY : 0;
}

/**
 * The score the clone's colocations give an instance's current node (cmp_instance_by_colocation):
 * the preferences of what the clone is colocated with, and the non-negative ones of what is
 * colocated with it, folded into that one node's score.
 */
function colocatedScoreHere(ws: WorkingSet, clone: SchedClone, node: SchedNode): number {
  let table: NodeScores = new Map([[node.name, contentionWeight(node)]]);
  for (const colocation of clone.colocationsAsDependent) {
    table = mergeWeights(ws, colocation.primary, table, colocation.nodeAttribute, colocation.score / INFINITY, {});
  }
  for (const colocation of clone.colocationsAsPrimary) {
    if (!colocation.influence) continue;
    table = mergeWeights(ws, colocation.dependent, table, colocation.nodeAttribute, colocation.score / INFINITY, { positive: true });
  }
  return table.get(node.name) ?? 0;
}

export function instanceNumber(instance: Instance): number {
  return Number(instance.id.slice(instance.id.lastIndexOf(':') + 1));
}

