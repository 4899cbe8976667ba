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

/** Pacemaker's ordering flags (enum pe_ordering) that tandem's orderings use. */
export const Flag = {
  impliesThen: 1,
  impliesFirst: 2,
  runnableLeft: 4,
  restart: 8,
  promotedImpliesFirst: 16,
  /** Set on every configured ordering; Pacemaker drops an ordering of two actions already ordered with a flag in common. */
  optional: 32,
  /** symmetrical=false: "then" may not happen while "first" cannot run, and nothing more. */
  asymmetrical: 64,
} as const;

export interface Ordering {
  first: SchedAction;
  then: SchedAction;
  flags: number;
  /**
   * An ordering after a group's or clone's own action (start, stop ...) that really waits
   * for its completion (running, stopped ...): Pacemaker keeps it as made until it first
   * meets it from its "then" side, then orders the completion instead, as the newest
   * ordering of both, and applies only that one from then on (action_for_ordering).
   */
  remapTo?: SchedAction;
  /**
   * Met and remapped: it applies nothing any more, but a change of its "first" still walks
   * its "then" again, as Pacemaker's disabled ordering stays in the action's lists.
   */
  disabled?: boolean;
}

export class ActionGraph {
  readonly actions: SchedAction[] = [];
  readonly orderings: Ordering[] = [];
  /** Each resource's actions by task, in creation order. */
  private readonly byResource = new Map<SchedResource, Map<Task, SchedAction[]>>();
  private readonly orderingsBefore = new Map<SchedAction, Ordering[]>();
  private readonly orderingsAfter = new Map<SchedAction, Ordering[]>();

  /** Orderings where the action is "then", newest first (as Pacemaker walks them). */
  before(action: SchedAction): readonly Ordering[] {
    return this.orderingsBefore.get(action) ?? [];
  }

  /** Orderings where the action is "first", newest first. */
  after(action: SchedAction): readonly Ordering[] {
    return this.orderingsAfter.get(action) ?? [];
  }

  /** A resource's actions for a task (on a node, if given), oldest first; the list is the graph's own, not to be changed. */
  find(resource: SchedResource, task: Task, node?: SchedNode): readonly SchedAction[] {
    const list = this.byResource.get(resource)?.get(task);
    if (!list) return [];
    return node === undefined ? list : list.filter((action) => action.node === node);
  }

  /** Finds or creates an action; asking for a required one makes an existing one required. */
  ensure(resource: SchedResource, task: Task, node: SchedNode | undefined, optional: boolean, pseudo = false): SchedAction {
    let tasks = this.byResource.get(resource);
    if (!tasks) {
      tasks = new Map();
      this.byResource.set(resource, tasks);
    }
    let list = tasks.get(task);
    if (!list) {
      list = [];
      tasks.set(task, list);
    }
    let action = list.find((candidate) => candidate.node === node);
    if (!action) {
      action = { index: this.actions.length, resource, task, node, pseudo, optional: true, runnable: pseudo || node !== undefined, reason: undefined };
      if (!pseudo && node !== undefined && !node.online) action.runnable = false;
      this.actions.push(action);
      list.push(action);
    }
    if (!optional) action.optional = false;
    return action;
  }

  /**
   * Meets an ordering to be remapped: orders its completion instead (as the newest ordering
   * of both actions) and disables it. True when that is a new ordering.
   */
  remap(ordering: Ordering): boolean {
    const completion = ordering.remapTo!;
    ordering.remapTo = undefined;
    ordering.disabled = true;
    return this.order(completion, ordering.then, ordering.flags);
  }

  /**
   * Orders two actions (unless already ordered with a flag in common), as the newest
   * ordering of both; true when it is new.
   */
  order(first: SchedAction, then: SchedAction, flags: number, remapTo?: SchedAction): boolean {
    if (first === then) return false;
    const after = this.orderingsAfter.get(first) ?? [];
    if (after.some((existing) => existing.then === then && !existing.disabled && (existing.flags & flags) !== 0)) return false;
    const ordering: Ordering = remapTo ? { first, then, flags, remapTo } : { first, then, flags };
    this.orderings.push(ordering);
    after.unshift(ordering);
    this.orderingsAfter.set(first, after);
    const before = this.orderingsBefore.get(then) ?? [];
    before.unshift(ordering);
    this.orderingsBefore.set(then, before);
    return true;
  }
}

export function nextRoleOf(primitive: SchedPrimitive): RoleRank {
  if (primitive.nextRole !== RoleRank.Unknown) return primitive.nextRole;
  return primitive.assigned ? RoleRank.Started : RoleRank.Stopped;
}

/** With no-quorum-policy=demote, a running promotable instance carries on unpromoted; anything else stops. */
function demoteKeepsRunning(ws: WorkingSet, primitive: SchedPrimitive): boolean {
  return !ws.haveQuorum && ws.options.noQuorumPolicy === 'demote' && (primitive.role === RoleRank.Promoted || primitive.role === RoleRank.Unpromoted);
}

/** Why a start or promote cannot run without quorum, if it cannot (Pacemaker's effective_quorum_policy). */
function quorumBlocks(ws: WorkingSet, primitive: SchedPrimitive): string | undefined {
  if (ws.haveQuorum || demoteKeepsRunning(ws, primitive)) return undefined;
  const policy = ws.options.noQuorumPolicy;
  if (policy === 'stop' || policy === 'demote' || policy === 'suicide') return 'no quorum';
  if (policy === 'freeze' && (primitive.runningOn.length === 0 || nextRoleOf(primitive) > primitive.role)) return 'quorum freeze';
  return undefined;
}

/** An action, required if asked for, except that an unmanaged resource's are made optional (custom_action). */
function ensureAction(graph: ActionGraph, primitive: SchedPrimitive, task: Task, node: SchedNode | undefined, optional: boolean): SchedAction {
  const action = graph.ensure(primitive, task, node, optional || !primitive.managed);
  if (!primitive.managed) action.optional = true;
  return action;
}

/** Creates a primitive's actions as Pacemaker's native_create_actions walks its roles. */
export function createPrimitiveActions(ws: WorkingSet, graph: ActionGraph, primitive: SchedPrimitive): void {
  primitive.nextRole = nextRoleOf(primitive);
  if (demoteKeepsRunning(ws, primitive) && primitive.nextRole > RoleRank.Unpromoted) primitive.nextRole = RoleRank.Unpromoted;
  if (primitive.blocked) return;
  const current = primitive.runningOn[0];
  const chosen = primitive.assigned;
  let needStop = primitive.runningOn.length > 1;
  if (current && chosen && current !== chosen) needStop = true;
  else if (primitive.failed) needStop = true;
  else if (primitive.role > RoleRank.Started && current && chosen) {
    // A promotable instance staying where it is has its start made before its stops, so
    // the orderings walk reaches the stop first (newest first); a start already required
    // there is a recovery.
    createStart(ws, graph, primitive, chosen, true);
    if (graph.find(primitive, 'start', chosen).some((start) => !start.optional)) needStop = true;
  }

  const stopOptional = !needStop;
  // Down from the current role to stopped (optional unless a stop is needed).
  if (primitive.role === RoleRank.Promoted) {
    for (const node of primitive.runningOn) ensureAction(graph, primitive, 'demote', node, stopOptional);
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
      if (primitive.role === RoleRank.Promoted) for (const node of primitive.runningOn) ensureAction(graph, primitive, 'demote', node, false);
      createStops(graph, primitive, false);
    } else if (primitive.role === RoleRank.Stopped) {
      createStart(ws, graph, primitive, chosen, false);
      if (primitive.nextRole === RoleRank.Promoted) createPromote(ws, graph, primitive, chosen, false);
    } else if (primitive.nextRole === RoleRank.Promoted) {
      createPromote(ws, graph, primitive, chosen, false);
    } else if (primitive.role === RoleRank.Promoted) {
      for (const node of primitive.runningOn) ensureAction(graph, primitive, 'demote', node, false);
    }
  }
  if (primitive.nextRole !== RoleRank.Stopped && chosen) createStart(ws, graph, primitive, chosen, true);
  // Scheduling its recurring monitors looks an unmanaged resource's start up again, which
  // makes it optional again; in maintenance no monitor is scheduled.
  if (!primitive.managed && !primitive.maintenance && chosen && primitive.definition.ops.some((op) => op.name === 'monitor' && op.intervalMs > 0)) {
    for (const start of graph.find(primitive, 'start', chosen)) start.optional = true;
  }
}

function createStops(graph: ActionGraph, primitive: SchedPrimitive, optional: boolean): void {
  for (const node of primitive.runningOn) {
    const stop = ensureAction(graph, primitive, 'stop', node, optional);
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

/**
 * A promote where it will run, unless it cannot start there: then none (the summary finds
 * the one its clone's orderings make on no node, which cannot run).
 */
function createPromote(ws: WorkingSet, graph: ActionGraph, primitive: SchedPrimitive, node: SchedNode | undefined, optional: boolean): void {
  if (node) createStart(ws, graph, primitive, node, true);
  if (graph.find(primitive, 'start', node).some((start) => !start.runnable)) {
    for (const promote of graph.find(primitive, 'promote', node)) promote.runnable = false;
    return;
  }
  const promote = ensureAction(graph, primitive, 'promote', node, optional);
  const blocked = quorumBlocks(ws, primitive);
  if (blocked && promote.runnable) {
    promote.runnable = false;
    promote.reason ??= blocked;
  }
}

/**
 * A node being fenced stops (and demotes) what it runs by being fenced: those actions
 * become pseudo-actions, runnable yet executed by nobody; an unmanaged resource's are left
 * as they are (Pacemaker's native_stop_constraints).
 */
export function implyByFencing(ws: WorkingSet, graph: ActionGraph): void {
  const fenced = new Set(ws.fencing.map(({ node }) => node));
  for (const action of graph.actions) {
    if (action.resource.kind !== 'primitive' || !action.resource.managed || !action.node || !fenced.has(action.node)) continue;
    if (action.task !== 'stop' && action.task !== 'demote') continue;
    action.pseudo = true;
    action.runnable = true;
  }
}
