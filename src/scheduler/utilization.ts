// placement-strategy (utilization, balanced, minimal): what each node can still take (its
// utilization attributes less what is assigned to it), bans from nodes where a resource and
// everything colocated with it would not fit, and the capacity comparison "balanced" sorts by.

import { INFINITY } from '../model/score.js';
import { canRunResources } from './colocation.js';
import { addLocation } from './scores.js';
import { RoleRank, type SchedNode, type SchedPrimitive, type SchedResource } from './types.js';
import type { WorkingSet } from './unpack.js';

export type Utilization = Map<string, number>;

/** Utilization attributes as integers (anything else counts as 0, as Pacemaker reads them). */
export function parseUtilization(values: Record<string, string>): Utilization {
  const parsed: Utilization = new Map();
  for (const [name, text] of Object.entries(values)) {
    const value = Number.parseInt(text, 10);
    parsed.set(name, Number.isFinite(value) ? value : 0);
  }
  return parsed;
}

/** Negative when a has more free capacity than b, positive when b has, counting attribute by attribute. */
export function compareNodeCapacities(a: SchedNode, b: SchedNode): number {
  let result = 0;
  const names = new Set([...a.capacity.keys(), ...b.capacity.keys()]);
  for (const name of names) {
    const difference = (a.capacity.get(name) ?? 0) - (b.capacity.get(name) ?? 0);
    result += difference > 0 ? -1 : difference < 0 ? 1 : 0;
  }
  return result;
}

/** What an assignment takes from its node, or gives back when undone. */
export function consumeCapacity(node: SchedNode, primitive: SchedPrimitive, sign: 1 | -1 = 1): void {
  for (const [name, value] of primitive.utilization) node.capacity.set(name, (node.capacity.get(name) ?? 0) - sign * value);
}

function enoughCapacity(node: SchedNode, needed: Utilization): boolean {
  for (const [name, value] of needed) if (value > (node.capacity.get(name) ?? 0)) return false;
  return true;
}

/** The resources that must run where this one does (mandatory colocations, both ways), itself included. */
function colocatedResources(resource: SchedResource, original: SchedResource, found: SchedResource[]): SchedResource[] {
  if (found.includes(resource)) return found;
  found.push(resource);
  for (const colocation of resource.colocationsAsDependent) {
    if (colocation.primary !== original && colocation.score >= INFINITY && affectsLocation(colocation.dependentRole, resource, colocation.primaryRole, colocation.primary)) {
      colocatedResources(colocation.primary, original, found);
    }
  }
  for (const colocation of resource.colocationsAsPrimary) {
    if (colocation.dependent === original || (resource.kind === 'clone' && colocation.dependent.kind !== 'clone')) continue;
    if (colocation.score >= INFINITY && affectsLocation(colocation.dependentRole, colocation.dependent, colocation.primaryRole, resource)) {
      colocatedResources(colocation.dependent, original, found);
    }
  }
  return found;
}

function nextRole(resource: SchedResource): RoleRank {
  return resource.kind === 'primitive' ? resource.nextRole : RoleRank.Unknown;
}

/** Whether a colocation's roles let it move the dependent at all (pcmk__colocation_affects, previewed). */
function affectsLocation(dependentRole: RoleRank, dependent: SchedResource, primaryRole: RoleRank, primary: SchedResource): boolean {
  if (dependentRole !== RoleRank.Unknown && dependentRole !== nextRole(dependent)) return false;
  return primaryRole === RoleRank.Unknown || primaryRole === nextRole(primary);
}

/** What the resources still to be placed need, summed (a clone counts one instance). */
function unplacedUtilization(resources: SchedResource[]): Utilization {
  const total: Utilization = new Map();
  const add = (primitive: SchedPrimitive) => {
    if (!primitive.provisional) return;
    for (const [name, value] of primitive.utilization) total.set(name, (total.get(name) ?? 0) + value);
  };
  for (const resource of resources) {
    if (resource.kind === 'primitive') add(resource);
    else if (resource.kind === 'group') resource.children.filter((member) => !resources.includes(member)).forEach(add);
    else {
      const instance = resource.instances.find((candidate) => candidate.provisional);
      if (instance) (instance.kind === 'primitive' ? [instance] : instance.children).forEach(add);
    }
  }
  return total;
}

/**
 * Bans the primitive from nodes that cannot take it together with what is colocated with it
 * (or, if no node can, from those that cannot take it alone). When no node can take them
 * all, returns the node with the most room, to be preferred.
 */
export function banInsufficientCapacity(ws: WorkingSet, primitive: SchedPrimitive): SchedNode | undefined {
  if (ws.options.placementStrategy === 'default') return undefined;
  const needed = unplacedUtilization(colocatedResources(primitive, primitive, []));
  // Walked in the order of Pacemaker's node table: among equally roomy nodes, the first one found is kept.
  const candidates = ws.nodeTableOrder.filter((node) => {
    const score = primitive.allowed.get(node.name);
    return score !== undefined && score >= 0 && canRunResources(node);
  });
  let mostCapable: SchedNode | undefined;
  for (const node of candidates) if (!mostCapable || compareNodeCapacities(node, mostCapable) < 0) mostCapable = node;
  const anyCapable = candidates.some((node) => enoughCapacity(node, needed));
  for (const node of candidates) {
    if (!enoughCapacity(node, anyCapable ? needed : primitive.utilization)) addLocation(primitive, node, -INFINITY, 'not enough capacity left (placement-strategy)');
  }
  return anyCapable ? undefined : mostCapable;
}
