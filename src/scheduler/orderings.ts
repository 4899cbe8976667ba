// Orderings between actions: each primitive's own (stop before start, demote before stop,
// start before promote), a group's member chain, a clone's instances, and the configured
// order constraints (with their symmetrical inverse).

import type { ActionName, OrderConstraint, ResourceSet } from '../model/config.js';
import { parseScore } from '../model/score.js';
import { ActionGraph, Flag, type SchedAction, type Task } from './actions.js';
import { allPrimitives } from './scores.js';
import { RoleRank, type SchedClone, type SchedGroup, type SchedPrimitive, type SchedResource } from './types.js';
import type { WorkingSet } from './unpack.js';

const doneTask: Record<ActionName, Task> = { start: 'running', stop: 'stopped', promote: 'promoted', demote: 'demoted' };
const inverse: Record<ActionName, ActionName> = { start: 'stop', stop: 'start', promote: 'demote', demote: 'promote' };

/**
 * The primitive's actions for a task on an ordering's "first" side. A missing one is made,
 * optional and unrunnable (it has no node), except a stop of a stopped resource or a
 * demote of an unpromoted one, which Pacemaker leaves out (the ordering then does nothing).
 */
function primitiveActions(graph: ActionGraph, primitive: SchedPrimitive, task: ActionName): SchedAction[] {
  const found = graph.find(primitive, task);
  if (found.length > 0) return found;
  if (task === 'stop' && primitive.role === RoleRank.Stopped) return [];
  if (task === 'demote' && primitive.role === RoleRank.Unpromoted) return [];
  return [graph.ensure(primitive, task, undefined, true)];
}

function pseudo(graph: ActionGraph, resource: SchedGroup | SchedClone, task: Task): SchedAction {
  return graph.ensure(resource, task, undefined, true, true);
}

function primitiveInternal(graph: ActionGraph, primitive: SchedPrimitive): void {
  for (const stop of graph.find(primitive, 'stop')) {
    for (const start of graph.find(primitive, 'start')) graph.order(stop, start, Flag.impliesThen | Flag.restart);
    for (const demote of graph.find(primitive, 'demote')) graph.order(demote, stop, Flag.promotedImpliesFirst);
  }
  for (const start of graph.find(primitive, 'start')) {
    for (const promote of graph.find(primitive, 'promote')) graph.order(start, promote, Flag.runnableLeft);
  }
}

function groupInternal(graph: ActionGraph, group: SchedGroup): void {
  const running = pseudo(graph, group, 'running');
  const stopped = pseudo(graph, group, 'stopped');
  pseudo(graph, group, 'start');
  pseudo(graph, group, 'stop');
  let previous: SchedPrimitive | undefined;
  for (const child of group.children) {
    for (const start of primitiveActions(graph, child, 'start')) graph.order(start, running, Flag.runnableLeft | Flag.impliesThen);
    for (const stop of graph.find(child, 'stop')) graph.order(stop, stopped, 0);
    if (previous) {
      for (const first of primitiveActions(graph, previous, 'start')) {
        for (const then of graph.find(child, 'start')) graph.order(first, then, Flag.impliesThen | Flag.runnableLeft);
      }
      for (const first of graph.find(child, 'stop')) {
        for (const then of graph.find(previous, 'stop')) graph.order(first, then, Flag.restart);
      }
      for (const first of graph.find(previous, 'promote')) {
        for (const then of graph.find(child, 'promote')) graph.order(first, then, Flag.impliesThen | Flag.runnableLeft);
      }
    }
    previous = child;
  }
}

/** A clone's "running" is runnable when any instance will run. */
function cloneInternal(graph: ActionGraph, clone: SchedClone, anyOf: Map<SchedAction, SchedAction[]>): void {
  for (const task of ['start', 'stop', 'promote', 'demote'] as const) pseudo(graph, clone, task);
  const running = pseudo(graph, clone, 'running');
  const promoted = pseudo(graph, clone, 'promoted');
  const starts: SchedAction[] = [];
  const promotes: SchedAction[] = [];
  for (const instance of clone.instances) {
    const members = allPrimitives(instance);
    const last = members[members.length - 1];
    if (!last || !last.assigned) continue;
    starts.push(...graph.find(last, 'start'));
    promotes.push(...graph.find(last, 'promote'));
  }
  anyOf.set(running, starts);
  anyOf.set(promoted, promotes.filter((action) => action.resource.kind === 'primitive' && action.resource.nextRole >= 4));
  const stopped = pseudo(graph, clone, 'stopped');
  const demoted = pseudo(graph, clone, 'demoted');
  const members = clone.instances.flatMap((instance) => allPrimitives(instance));
  anyOf.set(stopped, members.flatMap((primitive) => graph.find(primitive, 'stop')));
  anyOf.set(demoted, members.flatMap((primitive) => graph.find(primitive, 'demote')));
}

/** The action standing for "first has done `task`": a collective's completion pseudo-action. */
function firstActions(graph: ActionGraph, resource: SchedResource, task: ActionName): SchedAction[] {
  if (resource.kind === 'primitive') return primitiveActions(graph, resource, task);
  return [pseudo(graph, resource, doneTask[task])];
}

/** The actions an ordering's "then" side reaches: for a collective, every member's action. */
function thenActions(graph: ActionGraph, resource: SchedResource, task: ActionName): SchedAction[] {
  if (resource.kind === 'primitive') return graph.find(resource, task);
  const primitives = resource.kind === 'group' ? resource.children : resource.instances.flatMap((instance) => allPrimitives(instance));
  return primitives.flatMap((primitive) => graph.find(primitive, task));
}

function flagsFor(kind: string, firstTask: ActionName, inverseSide: boolean): number {
  if (kind !== 'Mandatory') return 0;
  if (inverseSide) return Flag.impliesFirst;
  return Flag.impliesThen | (firstTask === 'start' || firstTask === 'promote' ? Flag.runnableLeft : 0);
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
  const forward = flagsFor(kind, firstTask, false);
  if (forward !== 0) {
    for (const a of firstActions(graph, first, firstTask)) for (const b of thenActions(graph, then, thenTask)) graph.order(a, b, forward);
  }
  if (symmetrical && kind === 'Mandatory') {
    const backward = flagsFor(kind, inverse[thenTask], true);
    for (const a of firstActions(graph, then, inverse[thenTask])) for (const b of thenActions(graph, first, inverse[firstTask])) graph.order(a, b, backward);
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

export function buildOrderings(ws: WorkingSet, graph: ActionGraph, constraints: OrderConstraint[]): Map<SchedAction, SchedAction[]> {
  const anyOf = new Map<SchedAction, SchedAction[]>();
  for (const primitive of ws.primitives) primitiveInternal(graph, primitive);
  const visit = (resource: SchedResource) => {
    if (resource.kind === 'group') groupInternal(graph, resource);
    if (resource.kind === 'clone') {
      for (const instance of resource.instances) visit(instance);
      cloneInternal(graph, resource, anyOf);
    }
  };
  for (const resource of ws.resources) visit(resource);
  for (const constraint of constraints) {
    const kind = orderKind(constraint);
    const symmetrical = constraint.symmetrical ?? kind === 'Mandatory';
    if (constraint.first && constraint.then) {
      addOrder(ws, graph, kind, symmetrical, constraint.first.id, constraint.first.action ?? 'start', constraint.then.id, constraint.then.action ?? constraint.first.action ?? 'start');
    } else if (constraint.sets) {
      for (const [first, firstTask, then, thenTask] of setPairs(constraint.sets, 'start')) addOrder(ws, graph, kind, symmetrical, first, firstTask, then, thenTask);
    }
  }
  return anyOf;
}
