// Actions each resource needs to reach its assigned node and role, and how orderings
// make actions required ("Restart ... due to required X start") or unrunnable
// ("... due to unrunnable X start (blocked)"). Mirrors Pacemaker's action flags.

import { RoleRank, type SchedNode, type SchedPrimitive, type SchedResource } from './types.js';
import type { WorkingSet } from './unpack.js';

export type Task = 'start' | 'stop' | 'promote' | 'demote' | 'running' | 'stopped' | 'promoted' | 'demoted';

export interface SchedAction {
  index: number;
  resource: SchedResource;
  task: Task;
  node: SchedNode | undefined;
  pseudo: boolean;
  optional: boolean;
  runnable: boolean;
  reason: string | undefined;
}

export const Flag = {
  impliesThen: 1,
  impliesFirst: 2,
  runnableLeft: 4,
  restart: 8,
  promotedImpliesFirst: 16,
} as const;

export interface Ordering {
  first: SchedAction;
  then: SchedAction;
  flags: number;
}

export class ActionGraph {
  readonly actions: SchedAction[] = [];
  readonly orderings: Ordering[] = [];
  private readonly byResource = new Map<SchedResource, SchedAction[]>();

  find(resource: SchedResource, task: Task, node?: SchedNode): SchedAction[] {
    const list = this.byResource.get(resource) ?? [];
    return list.filter((action) => action.task === task && (node === undefined || action.node === node));
  }

  /** Finds or creates an action; asking for a required one makes an existing one required. */
  ensure(resource: SchedResource, task: Task, node: SchedNode | undefined, optional: boolean, pseudo = false): SchedAction {
    const list = this.byResource.get(resource) ?? [];
    let action = list.find((candidate) => candidate.task === task && candidate.node === node);
    if (!action) {
      action = { index: this.actions.length, resource, task, node, pseudo, optional: true, runnable: pseudo || node !== undefined, reason: undefined };
      if (!pseudo && node !== undefined && !node.online) action.runnable = false;
      this.actions.push(action);
      list.push(action);
      this.byResource.set(resource, list);
    }
    if (!optional) action.optional = false;
    return action;
  }

  order(first: SchedAction, then: SchedAction, flags: number): void {
    if (first === then) return;
    this.orderings.push({ first, then, flags });
  }
}

export function nextRoleOf(primitive: SchedPrimitive): RoleRank {
  if (primitive.nextRole !== RoleRank.Unknown) return primitive.nextRole;
  return primitive.assigned ? RoleRank.Started : RoleRank.Stopped;
}

function quorumBlocks(ws: WorkingSet, primitive: SchedPrimitive): string | undefined {
  if (ws.haveQuorum) return undefined;
  if (ws.options.noQuorumPolicy === 'stop' || ws.options.noQuorumPolicy === 'demote' || ws.options.noQuorumPolicy === 'suicide') return 'no quorum';
  if (ws.options.noQuorumPolicy === 'freeze' && (primitive.runningOn.length === 0 || nextRoleOf(primitive) > primitive.role)) return 'quorum freeze';
  return undefined;
}

/** Creates a primitive's actions as Pacemaker's native_create_actions walks its roles. */
export function createPrimitiveActions(ws: WorkingSet, graph: ActionGraph, primitive: SchedPrimitive): void {
  primitive.nextRole = nextRoleOf(primitive);
  if (primitive.blocked) return;
  const current = primitive.runningOn[0];
  const chosen = primitive.assigned;
  let needStop = primitive.runningOn.length > 1;
  if (current && chosen && current !== chosen) needStop = true;
  else if (primitive.failed) needStop = true;

  const stopOptional = !needStop;
  // Down from the current role to stopped (optional unless a stop is needed).
  if (primitive.role === RoleRank.Promoted) {
    for (const node of primitive.runningOn) graph.ensure(primitive, 'demote', node, stopOptional);
  }
  if (primitive.role > RoleRank.Stopped) createStops(graph, primitive, stopOptional);
  // Back up to the current role where it will run.
  if (primitive.role > RoleRank.Stopped && primitive.nextRole >= primitive.role) {
    createStart(ws, graph, primitive, chosen, stopOptional);
    if (primitive.role === RoleRank.Promoted) createPromote(ws, graph, primitive, chosen, stopOptional);
  }
  // Required steps from the current role to the next one.
  if (primitive.nextRole !== primitive.role) {
    if (primitive.nextRole === RoleRank.Stopped) {
      if (primitive.role === RoleRank.Promoted) for (const node of primitive.runningOn) graph.ensure(primitive, 'demote', node, false);
      createStops(graph, primitive, false);
    } else if (primitive.role === RoleRank.Stopped) {
      createStart(ws, graph, primitive, chosen, false);
      if (primitive.nextRole === RoleRank.Promoted) createPromote(ws, graph, primitive, chosen, false);
    } else if (primitive.nextRole === RoleRank.Promoted) {
      createPromote(ws, graph, primitive, chosen, false);
    } else if (primitive.role === RoleRank.Promoted) {
      for (const node of primitive.runningOn) graph.ensure(primitive, 'demote', node, false);
    }
  }
  if (primitive.nextRole !== RoleRank.Stopped && chosen) createStart(ws, graph, primitive, chosen, true);
}

function createStops(graph: ActionGraph, primitive: SchedPrimitive, optional: boolean): void {
  for (const node of primitive.runningOn) {
    const stop = graph.ensure(primitive, 'stop', node, optional);
    if (primitive.assigned === undefined) stop.reason ??= 'node availability';
    if (!primitive.managed) stop.runnable = false;
  }
}

function createStart(ws: WorkingSet, graph: ActionGraph, primitive: SchedPrimitive, node: SchedNode | undefined, optional: boolean): void {
  const start = graph.ensure(primitive, 'start', node, true);
  const blocked = quorumBlocks(ws, primitive);
  if (blocked && start.runnable) {
    start.runnable = false;
    start.reason ??= blocked;
  }
  if (!optional && start.runnable) start.optional = false;
}

function createPromote(ws: WorkingSet, graph: ActionGraph, primitive: SchedPrimitive, node: SchedNode | undefined, optional: boolean): void {
  const promote = graph.ensure(primitive, 'promote', node, optional);
  const blocked = quorumBlocks(ws, primitive);
  if (blocked && promote.runnable) {
    promote.runnable = false;
    promote.reason ??= blocked;
  }
}

/** Sets a flag change's reason the way Pacemaker words it, unless one is already set. */
function because(action: SchedAction, change: 'required' | 'unrunnable', cause: SchedAction): void {
  if (action.resource === cause.resource) return;
  action.reason ??= `${change} ${cause.resource.id} ${cause.task}`;
}

/** Applies orderings until no flag changes, bounded by the number of possible changes. */
/**
 * A clone's completion pseudo-action as seen from one "then" action: it is required only
 * if an instance on the then-action's node really acts, and runnable if any instance can.
 */
function firstFlags(first: SchedAction, then: SchedAction, members: Map<SchedAction, SchedAction[]>): { optional: boolean; runnable: boolean } {
  const list = members.get(first);
  if (!list) return first;
  const relevant = then.node ? list.filter((member) => member.node === then.node) : list;
  return { optional: first.optional && !relevant.some((member) => !member.optional), runnable: first.runnable };
}

export function propagate(graph: ActionGraph, anyOf: Map<SchedAction, SchedAction[]>): void {
  const limit = (graph.actions.length * 2 + 1) * (graph.orderings.length + anyOf.size + 1);
  for (let round = 0; round < limit; round += 1) {
    let changed = false;
    for (const { first, then, flags } of graph.orderings) {
      const seen = firstFlags(first, then, anyOf);
      if (flags & Flag.impliesThen && !seen.optional && then.optional) {
        then.optional = false;
        because(then, 'required', first);
        changed = true;
      }
      if (flags & Flag.runnableLeft && !seen.runnable && then.runnable) {
        then.runnable = false;
        because(then, 'unrunnable', first);
        changed = true;
      }
      if (flags & Flag.impliesFirst && !then.optional && first.optional) {
        first.optional = false;
        because(first, 'required', then);
        changed = true;
      }
      if (flags & Flag.promotedImpliesFirst && !then.optional && first.optional && first.resource.kind === 'primitive' && first.resource.role === RoleRank.Promoted) {
        first.optional = false;
        changed = true;
      }
      if (flags & Flag.restart && first.optional && then.resource.kind === 'primitive' && then.resource.managed) {
        const shutdown = !then.runnable && then.resource.runningOn.length > 0;
        const recover = !then.optional;
        if ((shutdown || recover) && (first.runnable || !then.optional)) {
          first.optional = false;
          changed = true;
        }
      }
    }
    for (const [pseudo, members] of anyOf) {
      if (pseudo.task !== 'running' && pseudo.task !== 'promoted') continue;
      const runnable = members.some((member) => member.runnable);
      if (pseudo.runnable && !runnable) {
        pseudo.runnable = false;
        changed = true;
      }
    }
    if (!changed) return;
  }
  throw new Error(`ordering propagation did not settle within ${limit} rounds`);
}
