// How orderings make actions required ("Restart ... due to required X start") or
// unrunnable ("... due to unrunnable X start (blocked)"), walked as Pacemaker walks them
// (pcmk__update_action_for_orderings): every action newest first, each change re-walking
// what it affects at once, so that the first cause to reach an action names its reason.

import { Flag, type ActionGraph, type Ordering, type SchedAction } from './actions.js';
import { isCollectiveAction, orderingFlags, reachedMembers, type ActionFlags } from './collective.js';
import { instanceLocation } from './instances.js';
import { INFINITY } from '../model/score.js';
import { isTrue } from './options.js';
import { RoleRank, cloneOf, type SchedResource } from './types.js';

const completions = new Set(['running', 'stopped', 'promoted', 'demoted']);

/**
 * What Pacemaker calls the cause: what waits on a notifying clone's change waits on the
 * end of its post-notifications ("notified"), required or blocked when the change is;
 * the clone's own instances follow the change itself (its promote waits on "running").
 */
function causeName(cause: SchedAction, action: SchedAction): string {
  const resource = cause.resource;
  const own = action.resource.kind === 'primitive' && cloneOf(action.resource) === resource;
  const notified = resource.kind === 'clone' && isTrue(resource.meta.notify) && completions.has(cause.task) && !own;
  return `${resource.id} ${notified ? 'notified' : cause.task}`;
}

/** Sets a flag change's reason the way Pacemaker words it, unless one is already set. */
function because(action: SchedAction, change: 'required' | 'unrunnable', cause: SchedAction): void {
  if (action.resource === cause.resource) return;
  action.reason ??= `${change} ${causeName(cause, action)}`;
}

function require(action: SchedAction, cause: SchedAction): void {
  if (!action.optional) return;
  action.optional = false;
  because(action, 'required', cause);
}

function disable(action: SchedAction, cause: SchedAction): void {
  if (!action.runnable) return;
  action.runnable = false;
  because(action, 'unrunnable', cause);
}

/** symmetrical=false: a "then" that would act while "first" cannot run is blocked. */
function asymmetric(first: SchedAction, firstRunnable: boolean, then: SchedAction): void {
  if (firstRunnable) return;
  const resource = then.resource;
  if (then.optional && resource.kind === 'primitive') {
    if (resource.role === RoleRank.Stopped && then.task === 'stop') return;
    if (resource.role >= RoleRank.Started && then.task === 'start' && resource.runningOn.length === 1 && resource.runningOn[0] === then.node) return;
  }
  require(then, first);
  disable(then, first);
}

/** "Stop before start" and a group's stops: a restart stops first; a stop that cannot run blocks the start. */
function restartOrdering(first: SchedAction, then: SchedAction): void {
  const restart = !then.optional;
  const stopOnly = !then.runnable && then.resource.kind === 'primitive' && then.resource.managed && first.resource === then.resource;
  if (!restart && !stopOnly) return;
  if (first.runnable || !then.optional) require(first, then);
  if (!first.optional && !first.runnable) disable(then, first);
}

/** An unmanaged, blocked resource's stop that cannot run keeps what is ordered after it from running. */
function blockedStop(first: SchedAction, then: SchedAction): boolean {
  const resource = first.resource;
  return resource.kind === 'primitive' && !resource.managed && resource.blocked && !first.runnable && first.task === 'stop' && then.runnable;
}

/** The whole of what a resource belongs to: its clone, else its group, else itself (uber_parent). */
function outermost(resource: SchedResource): SchedResource {
  if (resource.kind === 'clone' || !resource.parent) return resource;
  return outermost(resource.parent);
}

/** A clone's instances, a group's members: the parts that all must fail for the whole to fail. */
function partsOf(resource: SchedResource): readonly SchedResource[] {
  if (resource.kind === 'clone') return resource.instances;
  if (resource.kind === 'group') return resource.children;
  return [];
}

/** The order Pacemaker applies an ordering's effects in (update_action_for_ordering_flags). */
const effectOrder = [Flag.impliesThen, Flag.restart, Flag.impliesFirst, Flag.promotedImpliesFirst, Flag.runnableLeft, Flag.asymmetrical];

export class Propagation {
  constructor(private readonly graph: ActionGraph) {}

  run(): void {
    // Before any ordering is applied, what can already not start blocks what must run with
    // it, newest action first as Pacemaker lists them; then the walk proper.
    for (let index = this.graph.actions.length - 1; index >= 0; index -= 1) this.blockDependents(this.graph.actions[index]!);
    for (let index = this.graph.actions.length - 1; index >= 0; index -= 1) this.update(this.graph.actions[index]!);
  }

  /**
   * A start (or promote) that cannot run keeps what is colocated with its resource from
   * reaching the role it needs there, but only once the whole resource has failed: every
   * instance of its clone, every member of its group, whose newest action for the task
   * cannot run either (Pacemaker's pcmk__block_colocation_dependents). Then each mandatory
   * colocation with it blocks its dependent's starts (promotes, for a Promoted dependent);
   * a failed promote only matters to colocations with the Promoted role. The reason names
   * the resource whose action failed last, not the whole.
   */
  private blockDependents(action: SchedAction): void {
    if (action.runnable || (action.task !== 'start' && action.task !== 'promote')) return;
    const primary = outermost(action.resource);
    for (const part of partsOf(primary)) {
      const own = this.graph.find(part, action.task);
      const newest = own[own.length - 1];
      if (!newest || newest.runnable) return;
    }
    // A group's colocations were handed to its members when it was placed, as Pacemaker does:
    // none are left to block through it.
    for (const colocation of [...primary.colocationsAsPrimary]) {
      if (colocation.score < INFINITY) continue;
      if (action.task === 'promote' && colocation.primaryRole !== RoleRank.Promoted) continue;
      this.block(colocation.dependent, colocation.dependentRole === RoleRank.Promoted ? 'promote' : 'start', action.resource);
    }
  }

  /**
   * Makes a resource's runnable actions for the task unrunnable, with what blocks them as
   * the reason, and walks each as changed; a collective's parts cannot do what it cannot
   * (mark_action_blocked).
   */
  private block(resource: SchedResource, task: 'start' | 'promote', primary: SchedResource): void {
    const own = this.graph.find(resource, task);
    // Newest first, as the resource's own list has them.
    for (const action of [...own].reverse()) {
      if (!action.runnable) continue;
      action.runnable = false;
      action.reason ??= `colocation with ${primary.id}`;
      this.blockDependents(action);
      this.update(action);
    }
    for (const part of partsOf(resource)) this.block(part, task, primary);
  }

  /** Applies every ordering where the action is "then", and what its changes imply. */
  private update(then: SchedAction): void {
    const wasRunnable = then.runnable;
    let thenChanged = false;
    // A copy: meeting an ordering to be remapped makes a new one, to be applied on the next walk.
    for (const ordering of [...this.graph.before(then)]) {
      if (ordering.disabled) continue;
      if (ordering.remapTo) {
        thenChanged = this.graph.remap(ordering) || thenChanged;
        continue;
      }
      const first = ordering.first;
      const changed = this.apply(ordering);
      thenChanged = changed.then || thenChanged;
      if (changed.first) {
        for (const next of this.graph.after(first)) this.update(next.then);
        this.update(first);
      }
    }
    if (thenChanged) {
      if (wasRunnable && !then.runnable) this.blockDependents(then);
      this.update(then);
      for (const next of this.graph.after(then)) this.update(next.then);
    }
  }

  /**
   * One ordering's effects, and which side they changed. Reading a collective's flags (both
   * sides' are read) may mark its pseudo-action on the way, which (as in Pacemaker) is no
   * change of the ordering's. A group's start counts as being where the group will run.
   */
  private apply({ first, then, flags }: Ordering): { first: boolean; then: boolean } {
    const where = (action: SchedAction) => (action.resource.kind === 'group' && action.task === 'start' ? instanceLocation(action.resource) : action.node);
    const seen = orderingFlags(this.graph, first, where(then));
    orderingFlags(this.graph, then, where(first));
    const [optional, runnable] = [first.optional, first.runnable];
    // One effect at a time, each carried through every member a collective "then" stands
    // for before the next: what an earlier effect changes in a member is walked first.
    let thenChanged = false;
    for (const effect of effectOrder) if (flags & effect) thenChanged = this.applyTo(first, seen, then, effect) || thenChanged;
    // Checked once the ordering is applied, for "then" itself (not the members it stands for).
    if (flags & (Flag.impliesThen | Flag.impliesFirst | Flag.restart) && blockedStop(first, then)) {
      then.runnable = false;
      thenChanged = true;
    }
    return { first: first.optional !== optional || first.runnable !== runnable, then: thenChanged };
  }

  /**
   * One of an ordering's effects (a single flag) on a "then" action and, for a collective's
   * pseudo-action, on the members it stands for; true when anything changed.
   */
  private applyTo(first: SchedAction, seen: ActionFlags, then: SchedAction, flags: number): boolean {
    const [optional, runnable] = [then.optional, then.runnable];
    if (flags & Flag.impliesThen && then.optional && !seen.optional) require(then, first);
    if (flags & Flag.restart) restartOrdering(first, then);
    if (flags & Flag.impliesFirst && !then.optional && !seen.optional) require(first, then);
    if (flags & Flag.promotedImpliesFirst && !then.optional && then.resource.kind === 'primitive' && then.resource.role === RoleRank.Promoted) require(first, then);
    if (flags & Flag.runnableLeft && then.runnable && !seen.runnable) disable(then, first);
    if (flags & Flag.asymmetrical) asymmetric(first, seen.runnable, then);
    let changed = then.optional !== optional || then.runnable !== runnable;
    if (changed && then.resource.kind !== 'clone' && then.resource.parent) this.update(then);
    if (isCollectiveAction(then)) {
      for (const member of reachedMembers(this.graph, then)) {
        const memberChanged = this.applyTo(first, seen, member, flags);
        changed = memberChanged || changed;
        // A clone's instance that changed has what follows it updated at once, before the
        // next instance (pcmk__multi_update_actions): the first cause to reach those names it.
        if (memberChanged && then.resource.kind === 'clone') for (const next of this.graph.after(member)) this.update(next.then);
      }
    }
    return changed;
  }
}
