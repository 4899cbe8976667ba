// Orderings between actions, as Pacemaker makes them: the configured order constraints (with
// their symmetrical inverse), each primitive's own (stop before start, demote before stop,
// start before promote), a group's member chain and a clone's instances, with the
// collectives' pseudo-actions between them.

import type { ActionName, OrderConstraint, ResourceSet } from '../model/config.js';
import { parseScore } from '../model/score.js';
import { ActionGraph, Flag, type SchedAction, type Task } from './actions.js';
import { allPrimitives } from './scores.js';
import { RoleRank, type SchedClone, type SchedGroup, type SchedPrimitive, type SchedResource } from './types.js';
import { instanceLocation } from './instances.js';
import type { WorkingSet } from './unpack.js';
import { consumeCapacity } from './utilization.js';

/** The collective pseudo-action that stands for "all of its instances did it". */
export const completionTask: Record<ActionName, Task> = { start: 'running', stop: 'stopped', promote: 'promoted', demote: 'demoted' };
const inverse: Record<ActionName, ActionName> = { start: 'stop', stop: 'start', promote: 'demote', demote: 'promote' };

/**
 * The primitive's actions for a task on an ordering's "first" side. A missing one is made,
 * optional and unrunnable (it has no node), except a stop of a stopped resource or a
 * demote of an unpromoted one, which Pacemaker leaves out (the ordering then does nothing).
 */
function primitiveActions(graph: ActionGraph, primitive: SchedPrimitive, task: ActionName): readonly SchedAction[] {
  const found = graph.find(primitive, task);
  if (found.length > 0) return found;
  if (task === 'stop' && primitive.role === RoleRank.Stopped) return [];
  if (task === 'demote' && primitive.role === RoleRank.Unpromoted) return [];
  return [graph.ensure(primitive, task, undefined, true)];
}

/** A primitive's own orderings; an unmanaged one has none. */
function primitiveInternal(graph: ActionGraph, primitive: SchedPrimitive): void {
  if (!primitive.managed) return;
  for (const stop of graph.find(primitive, 'stop')) {
    for (const start of graph.find(primitive, 'start')) graph.order(stop, start, Flag.optional | Flag.impliesThen | Flag.restart);
    for (const demote of graph.find(primitive, 'demote')) graph.order(demote, stop, Flag.promotedImpliesFirst);
  }
  for (const start of graph.find(primitive, 'start')) {
    for (const promote of graph.find(primitive, 'promote')) graph.order(start, promote, Flag.runnableLeft);
  }
}

/** Orders two resources' actions, making a missing "first" one as Pacemaker's rsc_order_first does. */
function orderResources(graph: ActionGraph, first: SchedResource, firstTask: Task, then: SchedResource, thenTask: Task, flags: number): void {
  const firsts = first.kind === 'primitive' && first !== then ? primitiveActions(graph, first, firstTask as ActionName) : graph.find(first, firstTask);
  const thens = graph.find(then, thenTask);
  for (const a of firsts) for (const b of thens) graph.order(a, b, flags);
}

/** A group's members start in order and stop in reverse; its pseudo-actions stand for them (group_internal_constraints). */
function groupInternal(graph: ActionGraph, group: SchedGroup): void {
  const promotable = group.parent?.promotable === true;
  orderResources(graph, group, 'stopped', group, 'start', Flag.optional);
  orderResources(graph, group, 'start', group, 'running', Flag.runnableLeft);
  orderResources(graph, group, 'stop', group, 'stopped', Flag.runnableLeft);
  let previous: SchedPrimitive | undefined;
  for (const child of group.children) {
    const stop = previous ? 0 : Flag.optional;
    const stopped = previous ? 0 : Flag.impliesThen;
    const started = Flag.runnableLeft | Flag.impliesThen;
    if (promotable) {
      orderResources(graph, group, 'demote', child, 'demote', stop);
      orderResources(graph, child, 'demote', group, 'demoted', stopped);
      orderResources(graph, child, 'promote', group, 'promoted', started);
      orderResources(graph, group, 'promote', child, 'promote', 0);
    }
    orderResources(graph, group, 'start', child, 'start', 0);
    orderResources(graph, group, 'stop', child, 'stop', stop);
    orderResources(graph, child, 'stop', group, 'stopped', stopped);
    orderResources(graph, child, 'start', group, 'running', started);
    if (previous) {
      orderResources(graph, previous, 'start', child, 'start', Flag.impliesThen | Flag.runnableLeft);
      orderResources(graph, child, 'stop', previous, 'stop', Flag.optional | Flag.restart);
      if (promotable) {
        orderResources(graph, previous, 'promote', child, 'promote', Flag.impliesThen | Flag.runnableLeft);
        orderResources(graph, child, 'demote', previous, 'demote', Flag.optional);
      }
    }
    previous = child;
  }
}

/**
 * Orders what follows a clone instance's action. A group instance stands for its members
 * by its completion (running, stopped ...), which Pacemaker reaches only when it first
 * meets the ordering under the group's own action (action_for_ordering): the ordering is
 * then made anew, as the newest of both actions, and what follows is walked again.
 */
function orderAfterInstance(graph: ActionGraph, instance: SchedPrimitive | SchedGroup, task: ActionName, then: SchedResource, thenTask: Task, flags: number): void {
  if (instance.kind === 'primitive') {
    orderResources(graph, instance, task, then, thenTask, flags);
    return;
  }
  const completion = graph.find(instance, completionTask[task])[0];
  for (const first of graph.find(instance, task)) {
    for (const next of graph.find(then, thenTask)) graph.order(first, next, flags, completion);
  }
}

/** A clone's pseudo-actions stand for its instances; an ordered clone's instances go one by one (clone_internal_constraints). */
function cloneInternal(graph: ActionGraph, clone: SchedClone): void {
  orderResources(graph, clone, 'stopped', clone, 'start', Flag.optional);
  orderResources(graph, clone, 'start', clone, 'running', Flag.runnableLeft);
  orderResources(graph, clone, 'stop', clone, 'stopped', Flag.runnableLeft);
  if (clone.promotable) {
    orderResources(graph, clone, 'demoted', clone, 'stop', Flag.optional);
    orderResources(graph, clone, 'running', clone, 'promote', Flag.runnableLeft);
  }
  let previous: SchedPrimitive | SchedGroup | undefined;
  for (const instance of clone.instances) {
    orderResources(graph, clone, 'start', instance, 'start', Flag.runnableLeft);
    orderAfterInstance(graph, instance, 'start', clone, 'running', 0);
    if (clone.ordered && previous) orderAfterInstance(graph, previous, 'start', instance, 'start', Flag.optional);
    orderResources(graph, clone, 'stop', instance, 'stop', 0);
    orderAfterInstance(graph, instance, 'stop', clone, 'stopped', 0);
    if (clone.ordered && previous) orderAfterInstance(graph, instance, 'stop', previous, 'stop', Flag.optional);
    previous = instance;
  }
  if (clone.promotable) promotableInternal(graph, clone);
}

/** A promotable clone's promotions and demotions, around its starts and stops (pcmk__order_promotable_instances). */
function promotableInternal(graph: ActionGraph, clone: SchedClone): void {
  const pairs: Array<[Task, Task]> = [['stopped', 'start'], ['stopped', 'promote'], ['demoted', 'start'], ['running', 'promote'], ['demoted', 'stop'], ['demote', 'demoted'], ['demoted', 'promote']];
  for (const [first, then] of pairs) orderResources(graph, clone, first, clone, then, Flag.optional);
  let previous: SchedPrimitive | SchedGroup | undefined;
  for (const instance of clone.instances) {
    orderResources(graph, instance, 'demote', instance, 'promote', Flag.optional);
    orderResources(graph, clone, 'promote', instance, 'promote', Flag.optional);
    orderAfterInstance(graph, instance, 'promote', clone, 'promoted', Flag.optional);
    if (clone.ordered && previous) orderAfterInstance(graph, previous, 'promote', instance, 'promote', Flag.optional);
    orderResources(graph, clone, 'demote', instance, 'demote', 0);
    orderAfterInstance(graph, instance, 'demote', clone, 'demoted', 0);
    if (clone.ordered && previous) orderAfterInstance(graph, instance, 'demote', previous, 'demote', Flag.optional);
    previous = instance;
  }
}

/** The task a collective's completion pseudo-action completes: running is start's, and so on. */
const completedTask: Partial<Record<Task, ActionName>> = { running: 'start', stopped: 'stop', promoted: 'promote', demoted: 'demote' };

/**
 * Orders a pair, where "first" may be a collective's completion: Pacemaker's ordering is
 * then made with the collective's own action and remapped when first met (action_for_ordering).
 */
function orderPair(graph: ActionGraph, first: SchedAction, then: SchedAction, flags: number): void {
  const own = completedTask[first.task];
  const placeholder = own && remapped(first, then) ? graph.find(first.resource, own)[0] : undefined;
  if (placeholder) graph.order(placeholder, then, flags, first);
  else graph.order(first, then, flags);
}

/** Whether Pacemaker reaches "first" by remapping a collective's action to its completion (action_for_ordering). */
function remapped(first: SchedAction, then: SchedAction): boolean {
  if (first.resource.kind === 'primitive' || first.resource === then.resource) return false;
  for (let parent = then.resource.kind === 'clone' ? undefined : then.resource.parent; parent; parent = parent.kind === 'group' ? parent.parent : undefined) {
    if (parent === first.resource) return false;
  }
  return true;
}

/** The action standing for "first has done `task`": a collective's completion pseudo-action. */
function firstActions(graph: ActionGraph, resource: SchedResource, task: ActionName): readonly SchedAction[] {
  if (resource.kind === 'primitive') return primitiveActions(graph, resource, task);
  return graph.find(resource, completionTask[task]);
}

/**
 * An interleaved instance with no instance of the clone it must follow on its node may not
 * be active at all: it is unassigned, its starts cannot run and its stops are required.
 */
function inhibit(graph: ActionGraph, instance: SchedPrimitive | SchedGroup): void {
  for (const primitive of allPrimitives(instance)) {
    if (primitive.assigned) {
      primitive.assigned.assignedCount -= 1;
      consumeCapacity(primitive.assigned, primitive, -1);
    }
    primitive.assigned = undefined;
    primitive.nextRole = RoleRank.Stopped;
    for (const start of graph.find(primitive, 'start')) start.runnable = false;
    for (const stop of graph.find(primitive, 'stop')) stop.optional = false;
  }
}

/**
 * The pairs of actions an ordering links: each "first" action (a collective's completion
 * pseudo-action) with each "then" action (a collective's pseudo-action, which passes it on
 * to the members). An interleaved clone started or promoted after another clone instead
 * follows, instance by instance, the other clone's instance on its node: an instance whose
 * partner will not start (or promote) cannot either; with no partner there at all, a
 * mandatory ordering keeps it from being active. A partner that is a group is followed at
 * its completion (running, promoted), which no member can reach when one cannot act: as
 * Pacemaker maps the clone's completion to its instances', not to their start or promote.
 */
function orderedPairs(graph: ActionGraph, first: SchedResource, firstTask: ActionName, then: SchedResource, thenTask: ActionName, flags: number): Array<[SchedAction, SchedAction]> {
  const pairs = (firsts: readonly SchedAction[], thens: readonly SchedAction[]) => firsts.flatMap((a) => thens.map((b): [SchedAction, SchedAction] => [a, b]));
  if (then.kind === 'primitive') return pairs(firstActions(graph, first, firstTask), graph.find(then, thenTask));
  if (then.kind !== 'clone' || first.kind !== 'clone' || !interleaved(first, then, thenTask)) return pairs(firstActions(graph, first, firstTask), graph.find(then, thenTask));
  const instanceActions = (instance: SchedPrimitive | SchedGroup) => allPrimitives(instance).flatMap((primitive) => graph.find(primitive, thenTask));
  if (firstTask !== 'start' && firstTask !== 'promote') {
    return pairs(firstActions(graph, first, firstTask), then.instances.flatMap(instanceActions));
  }
  const mandatory = (flags & (Flag.impliesThen | Flag.runnableLeft)) !== 0;
  return then.instances.flatMap((instance) => {
    const node = instanceLocation(instance);
    const partner = node === undefined ? undefined : first.instances.find((candidate) => instanceLocation(candidate) === node);
    if (!partner) {
      if (mandatory) inhibit(graph, instance);
      return [];
    }
    const partnerActions = firstActions(graph, partner, firstTask);
    return pairs(partnerActions, instanceActions(instance));
  });
}

/**
 * Whether an ordering between two clones pairs their instances: as Pacemaker decides it
 * (can_interleave_actions), by the interleave of the clone whose instances wait: the then
 * clone's, except before a stop or demote, which wait on the first clone's instances.
 */
function interleaved(first: SchedClone, then: SchedClone, thenTask: ActionName): boolean {
  return thenTask === 'stop' || thenTask === 'demote' ? first.interleave : then.interleave;
}

/** Pacemaker's flags for a configured ordering (ordering_flags_for_kind). */
function flagsFor(kind: string, firstTask: ActionName, side: 'asymmetric' | 'symmetric' | 'inverse'): number {
  if (kind !== 'Mandatory') return Flag.optional;
  if (side === 'asymmetric') return Flag.optional | Flag.asymmetrical;
  if (side === 'inverse') return Flag.optional | Flag.impliesFirst;
  return Flag.optional | Flag.impliesThen | (firstTask === 'start' || firstTask === 'promote' ? Flag.runnableLeft : 0);
}

function orderKind(constraint: OrderConstraint): string {
  if (constraint.kind) return constraint.kind;
  const score = parseScore(constraint.score ?? 'INFINITY') ?? 0;
  return score > 0 ? 'Mandatory' : 'Optional';
}

function addOrder(ws: WorkingSet, graph: ActionGraph, kind: string, symmetrical: boolean, firstId: string, firstTask: ActionName, thenId: string, thenTask: ActionName): void {
  const first = ws.byId.get(firstId);
  const then = ws.byId.get(thenId);
  if (!first || !then || first === then) return;
  const forward = flagsFor(kind, firstTask, symmetrical ? 'symmetric' : 'asymmetric');
  for (const [a, b] of orderedPairs(graph, first, firstTask, then, thenTask, forward)) orderPair(graph, a, b, forward);
  if (symmetrical) {
    const backward = flagsFor(kind, inverse[thenTask], 'inverse');
    for (const [a, b] of orderedPairs(graph, then, inverse[thenTask], first, inverse[firstTask], backward)) orderPair(graph, a, b, backward);
  }
}

function setPairs(sets: ResourceSet[], defaultAction: ActionName): Array<[string, ActionName, string, ActionName]> {
  const pairs: Array<[string, ActionName, string, ActionName]> = [];
  for (const set of sets) {
    if (!set.sequential) continue;
    const action = set.action ?? defaultAction;
    for (let index = 1; index < set.resources.length; index += 1) pairs.push([set.resources[index - 1]!, action, set.resources[index]!, action]);
  }
  for (let index = 0; index + 1 < sets.length; index += 1) {
    const a = sets[index]!;
    const b = sets[index + 1]!;
    const firsts = a.sequential ? a.resources.slice(-1) : a.resources;
    const thens = b.sequential ? b.resources.slice(0, 1) : b.resources;
    for (const first of firsts) for (const then of thens) pairs.push([first, a.action ?? defaultAction, then, b.action ?? defaultAction]);
  }
  return pairs;
}

/** Every ordering: the configured constraints first (as Pacemaker creates them), then each resource's own. */
export function buildOrderings(ws: WorkingSet, graph: ActionGraph, constraints: OrderConstraint[]): void {
  for (const constraint of constraints) {
    const kind = orderKind(constraint);
    // Symmetrical by default, except Serialize, which never is.
    const symmetrical = kind !== 'Serialize' && (constraint.symmetrical ?? true);
    if (constraint.first && constraint.then) {
      addOrder(ws, graph, kind, symmetrical, constraint.first.id, constraint.first.action ?? 'start', constraint.then.id, constraint.then.action ?? constraint.first.action ?? 'start');
    } else if (constraint.sets) {
      for (const [first, firstTask, then, thenTask] of setPairs(constraint.sets, 'start')) addOrder(ws, graph, kind, symmetrical, first, firstTask, then, thenTask);
    }
  }
  const visit = (resource: SchedResource) => {
    if (resource.kind === 'primitive') primitiveInternal(graph, resource);
    if (resource.kind === 'group') {
      for (const child of resource.children) primitiveInternal(graph, child);
      groupInternal(graph, resource);
    }
    if (resource.kind === 'clone') {
      for (const instance of resource.instances) visit(instance);
      cloneInternal(graph, resource);
    }
  };
  for (const resource of ws.resources) visit(resource);
}
