// A group's or clone's pseudo-actions (start, running, stop, stopped, and the promotable
// ones), which stand for what their members do: their flags summarise the members'
// actions when an ordering reads them, and an ordering that reaches them reaches the
// members too, as Pacemaker's group and clone action methods have it.

import type { ActionGraph, SchedAction, Task } from './actions.js';
import { instanceRole } from './instances.js';
import { allPrimitives } from './scores.js';
import { RoleRank, type SchedClone, type SchedGroup, type SchedNode, type SchedPrimitive, type SchedResource } from './types.js';

export interface ActionFlags {
  readonly optional: boolean;
  readonly runnable: boolean;
}

/** Every combination of flags, made once: reading flags happens for every ordering, again and again. */
const flagValues: ReadonlyArray<ReadonlyArray<ActionFlags>> = [
  [{ optional: false, runnable: false }, { optional: false, runnable: true }],
  [{ optional: true, runnable: false }, { optional: true, runnable: true }],
];

function flagsOf(optional: boolean, runnable: boolean): ActionFlags {
  return flagValues[Number(optional)]![Number(runnable)]!;
}

export type Collective = SchedGroup | SchedClone;

/** What a primitive member does for a collective's task: "running" is its start, and so on. */
const memberTask: Record<Task, Task> = {
  start: 'start',
  running: 'start',
  stop: 'stop',
  stopped: 'stop',
  promote: 'promote',
  promoted: 'promote',
  demote: 'demote',
  demoted: 'demote',
};

function promotableCollective(resource: Collective): boolean {
  const clone = resource.kind === 'clone' ? resource : resource.parent;
  return clone?.promotable === true;
}

/** A group's or clone's pseudo-action (a primitive's stop done by fencing is a pseudo-action too, but its own). */
export function isCollectiveAction(action: SchedAction): boolean {
  return action.resource.kind !== 'primitive';
}

/** The collective's pseudo-action for a task (made with its other pseudo-actions). */
export function pseudoAction(graph: ActionGraph, resource: Collective, task: Task): SchedAction {
  return graph.ensure(resource, task, undefined, true, true);
}

/**
 * Makes the pseudo-actions of a collective and those inside it, after its members' own
 * actions (the order Pacemaker creates them in, which the propagation walks backwards).
 * A clone's are required when an instance really starts, stops, promotes or demotes.
 */
export function createCollectiveActions(graph: ActionGraph, resource: SchedResource): void {
  if (resource.kind === 'primitive') return;
  if (resource.kind === 'clone') for (const instance of resource.instances) createCollectiveActions(graph, instance);
  const tasks: Task[] = ['start', 'running', 'stop', 'stopped'];
  if (promotableCollective(resource)) tasks.push(...(resource.kind === 'clone' ? (['promote', 'promoted', 'demote', 'demoted'] as const) : (['demote', 'demoted', 'promote', 'promoted'] as const)));
  for (const task of tasks) pseudoAction(graph, resource, task);
  if (resource.kind !== 'clone') return;
  const primitives = allPrimitives(resource);
  // Starts and stops count when they can run; promotions and demotions whenever required.
  const acting = (task: Task) => primitives.some((primitive) => graph.find(primitive, task).some((action) => !action.optional && (action.runnable || task === 'promote' || task === 'demote')));
  const required: Array<[Task, boolean]> = [
    ['start', acting('start')],
    ['stop', acting('stop')],
    ['promote', acting('promote')],
    ['demote', acting('demote')],
  ];
  for (const [task, acts] of required) {
    if (!acts) continue;
    const done = (task === 'start' ? 'running' : task === 'stop' ? 'stopped' : `${task}d`) as Task;
    for (const pseudo of [...graph.find(resource, task), ...graph.find(resource, done)]) pseudo.optional = false;
  }
  const running = graph.find(resource, 'running')[0];
  const active = resource.instances.some((instance) => instanceRole(instance, false) > RoleRank.Stopped);
  if (running && !active && !acting('start')) running.runnable = false;
}

/** The newest action of a primitive for a task (on a node, when one is given), as find_first_action finds it. */
function memberAction(graph: ActionGraph, primitive: SchedPrimitive, task: Task, node: SchedNode | undefined): SchedAction | undefined {
  const actions = graph.find(primitive, task, node);
  return actions[actions.length - 1];
}

/** A clone instance's counterpart of the clone's pseudo-action: a primitive's own action, a group's pseudo-action. */
function instanceAction(graph: ActionGraph, instance: SchedPrimitive | SchedGroup, task: Task, node: SchedNode | undefined): SchedAction | undefined {
  if (instance.kind === 'primitive') return memberAction(graph, instance, memberTask[task], node);
  return graph.find(instance, task)[0];
}

/**
 * A pseudo-action's flags as an ordering sees them, from its members' actions (on a node,
 * for a clone's instances): required when any member acts, runnable when (a group) every
 * member can or (a clone) any instance can. Like Pacemaker, it marks the pseudo-action
 * itself required or unrunnable on the way.
 */
export function summaryFlags(graph: ActionGraph, pseudo: SchedAction, node: SchedNode | undefined): ActionFlags {
  const resource = pseudo.resource as Collective;
  let optional = true;
  let runnable = true;
  if (resource.kind === 'group') {
    const task = memberTask[pseudo.task];
    for (const member of resource.children) {
      const action = memberAction(graph, member, task, node);
      if (!action) {
        if (task !== 'stop' && task !== 'demote') runnable = false;
        continue;
      }
      if (!action.optional) optional = pseudo.optional = false;
      if (task !== pseudo.task && !action.runnable && runnable) runnable = pseudo.runnable = false;
    }
    return flagsOf(optional, runnable);
  }
  let anyRunnable = false;
  for (const instance of resource.instances) {
    const action = instanceAction(graph, instance, pseudo.task, node);
    if (!action) continue;
    const child = isCollectiveAction(action) ? summaryFlags(graph, action, node) : action;
    if (!child.optional) optional = pseudo.optional = false;
    if (child.runnable) anyRunnable = true;
  }
  if (!anyRunnable) {
    runnable = false;
    if (!node) pseudo.runnable = false;
  }
  return flagsOf(optional, runnable);
}

/**
 * A notifying clone's pseudo-actions before and after its notifications of a change, as
 * Pacemaker has them when it makes the notifications, once every ordering is applied: it
 * reads each of the clone's pseudo-actions from its instances then, so the one before is
 * required when an instance's change is, and runnable when any instance's can run (an
 * optional one included). The one after was made as the completion was (its runnable flag
 * fixed then), is required with it, and is read from the instances' completions likewise.
 */
export function notificationBoundaries(graph: ActionGraph, clone: SchedClone, task: Task, completionTask: Task, runnableAtCreation: ReadonlySet<SchedAction>): { pre: ActionFlags; post: ActionFlags } {
  const completion = graph.find(clone, completionTask)[0]!;
  const completionOptional = completion.optional;
  const after = summaryFlags(graph, completion, undefined);
  return {
    pre: summaryFlags(graph, graph.find(clone, task)[0]!, undefined),
    post: flagsOf(completionOptional && after.optional, runnableAtCreation.has(completion) && after.runnable),
  };
}

/** Flags of an ordering's "first" action as the ordering sees them (action_flags_for_ordering). */
export function orderingFlags(graph: ActionGraph, first: SchedAction, thenNode: SchedNode | undefined): ActionFlags {
  if (!isCollectiveAction(first)) return first;
  const overall = summaryFlags(graph, first, undefined);
  if (!thenNode || first.resource.kind !== 'clone') return overall;
  // For a clone on the "then" action's node, only runnable anywhere counts.
  const here = summaryFlags(graph, first, thenNode);
  return flagsOf(here.optional, here.runnable || overall.runnable);
}

/**
 * The actions an ordering that reaches a collective's pseudo-action reaches in turn: each
 * member's action for the task (a clone's instances only where they can run).
 */
export function reachedMembers(graph: ActionGraph, pseudo: SchedAction): SchedAction[] {
  const resource = pseudo.resource as Collective;
  if (resource.kind === 'group') {
    return resource.children.flatMap((member) => memberAction(graph, member, pseudo.task, undefined) ?? []);
  }
  const reached: SchedAction[] = [];
  for (const instance of resource.instances) {
    const action = instanceAction(graph, instance, pseudo.task, undefined);
    if (!action) continue;
    const flags = isCollectiveAction(action) ? summaryFlags(graph, action, undefined) : action;
    if (flags.runnable) reached.push(action);
  }
  return reached;
}
