// Clone notifications (meta notify=true), as Pacemaker sends them: around each kind of
// change to a clone's instances in a transition (demote, stop, start, promote, in that
// order), a `notify` action "pre" to the instances active just before, and "post" to those
// active just after, each with the lists an agent reads (OCF_RESKEY_CRM_meta_notify_*:
// which instances start, stop, promote, demote, which were active, promoted, unpromoted).
// Pre-notifications come before the kind's actions, post-notifications after them, and
// what the clone's actions are ordered with waits for the notifications around them.
// Made as Pacemaker makes them, once every ordering is applied: from every action of the
// instances (an unmanaged one's too, which nobody executes) and the clone's notification
// pseudo-actions read from them then. Pure: a pass over the planned transition.

import type { PlannedAction } from './index.js';
import { isTrue } from './options.js';
import { RoleRank, type SchedClone, type SchedPrimitive, type SchedResource } from './types.js';

export type Kind = 'demote' | 'stop' | 'start' | 'promote';
const kinds: Kind[] = ['demote', 'stop', 'start', 'promote'];

interface Entry {
  instance: string;
  node: string;
}

/** One of an instance's actions as the transition ends up with it, whatever its flags. */
export interface InstanceAction {
  task: string;
  node?: string;
  optional: boolean;
  runnable: boolean;
}

/** Flags of one of the clone's notification pseudo-actions. */
export interface Boundary {
  optional: boolean;
  runnable: boolean;
}

export interface NotifyInput {
  resources: SchedResource[];
  actions: PlannedAction[];
  order: Array<[number, number]>;
  /** The history id an instance's operations are kept under. */
  historyIdOf: (primitive: SchedPrimitive) => string;
  allNodes: string[];
  /** Every action of a clone instance, oldest first: required or not, runnable or not, executed or not (an unmanaged one's). */
  actionsOf: (primitive: SchedPrimitive) => InstanceAction[];
  /** Stops and demotes done by fencing the node: executed by nobody, yet changes all the same. */
  impliedByFencing: PlannedAction[];
  /** Nodes that can be told anything: online and not to be fenced (standby and maintenance ones included). */
  onlineNodes: ReadonlySet<string>;
  /**
   * The clone's pseudo-actions before ("pre") and after ("post") a kind of change, as
   * Pacemaker has them when it makes the notifications, once every ordering is applied:
   * required when an instance's change (or, after, the clone's completion) is, runnable
   * when some instance's change can run (and, after, only if the completion could when it
   * was made). Listed changes make them required besides.
   */
  boundaries: (clone: SchedClone, kind: Kind) => { pre: Boundary; post: Boundary };
  /** Whether the primitive's (first) stop was already required when fencing was planned, before any ordering made it so. */
  stopRequiredAtFencing: (primitive: SchedPrimitive) => boolean;
}

const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Pacemaker's order (instance id, then node, as strcmp compares them), each instance once: a cloned group's members come out as "a:0 a:1 b:0 b:1". */
function sorted(entries: Entry[]): Entry[] {
  const ordered = [...entries].sort((a, b) => byteOrder(a.instance, b.instance) || byteOrder(a.node, b.node));
  return ordered.filter((entry, index) => index === 0 || ordered[index - 1]!.instance !== entry.instance);
}

const list = (entries: Entry[], field: keyof Entry) => sorted(entries).map((entry) => entry[field]).join(' ');

function notifyingClones(resources: SchedResource[]): SchedClone[] {
  return resources.filter((resource): resource is SchedClone => resource.kind === 'clone' && isTrue(resource.meta.notify));
}

function instancePrimitives(clone: SchedClone): SchedPrimitive[] {
  return clone.instances.flatMap((instance) => (instance.kind === 'primitive' ? [instance] : instance.children));
}

/** The notification lists every notify action of this clone carries in this transition. */
function notifyMeta(clone: SchedClone, primitives: SchedPrimitive[], changes: Map<Kind, Entry[]>, input: NotifyInput): Record<string, string> {
  const active = primitives.flatMap((primitive) => primitive.runningOn.map((node) => ({ instance: primitive.id, node: node.name })));
  const promoted = primitives.filter((primitive) => primitive.role === RoleRank.Promoted).flatMap((primitive) => primitive.runningOn.map((node) => ({ instance: primitive.id, node: node.name })));
  const unpromoted = primitives.filter((primitive) => primitive.role === RoleRank.Unpromoted).flatMap((primitive) => primitive.runningOn.map((node) => ({ instance: primitive.id, node: node.name })));
  const inactive = primitives.filter((primitive) => primitive.runningOn.length === 0).map((primitive) => primitive.id);
  const meta: Record<string, string> = {
    notify_active_resource: list(active, 'instance'),
    notify_active_uname: list(active, 'node'),
    notify_inactive_resource: [...inactive].sort(byteOrder).join(' '),
    notify_promoted_resource: list(promoted, 'instance'),
    notify_promoted_uname: list(promoted, 'node'),
    notify_unpromoted_resource: list(unpromoted, 'instance'),
    notify_unpromoted_uname: list(unpromoted, 'node'),
    // The names agents written for Pacemaker 1.x still read.
    notify_master_resource: list(promoted, 'instance'),
    notify_master_uname: list(promoted, 'node'),
    notify_slave_resource: list(unpromoted, 'instance'),
    notify_slave_uname: list(unpromoted, 'node'),
    notify_all_uname: input.allNodes.join(' '),
    // The clone's allowed nodes (standby and offline ones included; in an asymmetric cluster only those a location names), by name as crm_simulate prints them.
    notify_available_uname: [...clone.allowed.keys()].sort(byteOrder).join(' '),
  };
  for (const kind of kinds) {
    const entries = changes.get(kind) ?? [];
    meta[`notify_${kind}_resource`] = list(entries, 'instance');
    meta[`notify_${kind}_uname`] = list(entries, 'node');
  }
  return meta;
}

/** The newest of an instance's actions for a task (on any node), the one Pacemaker looks at. */
function newest(actions: InstanceAction[], task: string): InstanceAction | undefined {
  return actions.filter((action) => action.task === task).at(-1);
}

/**
 * The changes of each kind that the notifications list: every required action of an
 * instance that can run (an unmanaged instance's too, though nobody executes it), and a
 * stop on a node gone unclean even when it cannot (it waits for the fencing).
 */
function changesOf(primitives: SchedPrimitive[], input: NotifyInput): Map<Kind, Entry[]> {
  const changes = new Map<Kind, Entry[]>();
  for (const primitive of primitives) {
    for (const action of input.actionsOf(primitive)) {
      if (action.optional || action.node === undefined || !(kinds as string[]).includes(action.task)) continue;
      if (!action.runnable && !(action.task === 'stop' && !input.onlineNodes.has(action.node))) continue;
      const kind = action.task as Kind;
      changes.set(kind, [...(changes.get(kind) ?? []), { instance: primitive.id, node: action.node }]);
    }
  }
  return changes;
}

/**
 * Who could be told, before or after a kind of change: for demotes and stops, each instance
 * where it runs now (after a stop, only if its own stop is not required, even blocked); for
 * starts and promotes, each instance meant to be active, where it is meant to be (before
 * the starts, only one with no start required). The newest of the instance's stops or
 * starts decides, as Pacemaker finds it.
 */
function candidates(primitives: SchedPrimitive[], input: NotifyInput, kind: Kind, when: 'pre' | 'post'): Entry[] {
  const entries: Entry[] = [];
  for (const primitive of primitives) {
    const actions = input.actionsOf(primitive);
    if (kind === 'stop' || kind === 'demote') {
      if (primitive.role === RoleRank.Stopped) continue;
      const stop = newest(actions, 'stop');
      if (when === 'post' && kind === 'stop' && stop !== undefined && !stop.optional) continue;
      for (const node of primitive.runningOn) entries.push({ instance: primitive.id, node: node.name });
      continue;
    }
    if (primitive.nextRole === RoleRank.Stopped || primitive.assigned === undefined) continue;
    const start = newest(actions, 'start');
    if (when === 'pre' && kind === 'start' && start !== undefined && !start.optional) continue;
    entries.push({ instance: primitive.id, node: primitive.assigned.name });
  }
  return entries;
}

/**
 * Pacemaker's "secondary" notifications of a stop that fencing does: planned as the fencing
 * is, before orderings make any stop required, so every instance whose stop was optional then
 * is told after the fencing, even one that later restarts. They carry only the first fenced
 * stop (an action planned twice keeps its first values), and Pacemaker computes no other
 * lists for them.
 */
function afterFencing(primitives: SchedPrimitive[], fenced: Entry[], input: NotifyInput): Map<string, Record<string, string>> {
  const told = new Map<string, Record<string, string>>();
  const first = fenced[0];
  if (first === undefined) return told;
  const fencedKeys = new Set(fenced.map((entry) => `${entry.instance}@${entry.node}`));
  for (const primitive of primitives) {
    if (primitive.role === RoleRank.Stopped || !primitive.managed || input.stopRequiredAtFencing(primitive)) continue;
    for (const node of primitive.runningOn) {
      const key = `${primitive.id}@${node.name}`;
      if (fencedKeys.has(key) || !input.onlineNodes.has(node.name)) continue;
      told.set(key, { notify_stop_resource: first.instance, notify_stop_uname: first.node });
    }
  }
  return told;
}

/**
 * Whether the notifications of a kind are sent before and after the changes. Pacemaker
 * makes none for a start, promote or demote that no instance makes (a stop may yet be done
 * by fencing, so no stops listed does not call those off). The rest is the pseudo-action's
 * flags: needed when a change is listed or it is required anyway (a blocked stop makes it
 * so, say), and sent only if it can run: an instance's notify is made only below a
 * runnable one, so stops none of which can run, or starts after which no instance (no
 * cloned group whole) can be running, are announced to nobody.
 */
function announced(clone: SchedClone, kind: Kind, listed: Entry[], input: NotifyInput): { pre: boolean; post: boolean } {
  if (kind !== 'stop' && listed.length === 0) return { pre: false, post: false };
  const { pre, post } = input.boundaries(clone, kind);
  const needed = (boundary: Boundary) => boundary.runnable && (listed.length > 0 || !boundary.optional);
  return { pre: needed(pre), post: needed(post) };
}

export function addNotifications(input: NotifyInput): { actions: PlannedAction[]; order: Array<[number, number]> } {
  const actions = [...input.actions];
  const order = [...input.order];
  for (const clone of notifyingClones(input.resources)) {
    const primitives = instancePrimitives(clone);
    const byId = new Map(primitives.map((primitive) => [primitive.id, primitive]));
    const ofKind = new Map<Kind, number[]>();
    actions.forEach((action, index) => {
      if (!byId.has(action.resource) || !(kinds as string[]).includes(action.task)) return;
      ofKind.set(action.task as Kind, [...(ofKind.get(action.task as Kind) ?? []), index]);
    });
    const changes = changesOf(primitives, input);
    const shared = notifyMeta(clone, primitives, changes, input);
    const fencedStops = input.impliedByFencing.filter((action) => action.task === 'stop' && byId.has(action.resource)).map((action) => ({ instance: action.resource, node: action.node! }));
    const toldAfterFencing = afterFencing(primitives, fencedStops, input);
    const cloneActions = new Set([...ofKind.values()].flat());
    let previousPost: number[] = [];
    for (const kind of kinds) {
      if (!clone.promotable && (kind === 'promote' || kind === 'demote')) continue;
      const targets = ofKind.get(kind) ?? [];
      const push = (entry: Entry, when: 'pre' | 'post', meta: Record<string, string>) => {
        const primitive = byId.get(entry.instance)!;
        actions.push({ resource: primitive.id, historyId: input.historyIdOf(primitive), definitionId: primitive.definition.id, orphan: false, task: 'notify', node: entry.node, optional: false, runnable: true, meta: { ...meta, notify_type: when, notify_operation: kind } });
        return actions.length - 1;
      };
      const sent = announced(clone, kind, changes.get(kind) ?? [], input);
      const told = (when: 'pre' | 'post') =>
        // An unmanaged instance (maintenance included) is told nothing: its notify would be
        // optional, as all its actions are. Nor is an offline node (one being fenced, say).
        sent[when] ? candidates(primitives, input, kind, when).filter((entry) => byId.get(entry.instance)!.managed && input.onlineNodes.has(entry.node)) : [];
      const pre = told('pre').map((entry) => push(entry, 'pre', shared));
      const postEntries = told('post');
      const post = postEntries.map((entry) => push(entry, 'post', { ...shared, ...toldAfterFencing.get(`${entry.instance}@${entry.node}`) }));
      if (kind === 'stop') {
        const already = new Set(postEntries.map((entry) => `${entry.instance}@${entry.node}`));
        for (const [key, meta] of toldAfterFencing) {
          if (already.has(key)) continue;
          const [instance, node] = key.split('@') as [string, string];
          post.push(push({ instance, node }, 'post', meta));
        }
      }
      if (pre.length === 0 && post.length === 0 && targets.length === 0) continue;
      for (const earlier of previousPost) for (const next of [...pre, ...targets]) order.push([earlier, next]);
      for (const first of pre) for (const target of targets) order.push([first, target]);
      for (const target of targets) for (const last of post) order.push([target, last]);
      // Announced with nothing to wait for here (an unmanaged instance's change): before still comes before after.
      if (targets.length === 0) for (const first of pre) for (const last of post) order.push([first, last]);
      // What waits for these changes (or comes before them) waits for (or precedes) their notifications too.
      for (const [first, then] of input.order) {
        if (targets.includes(first) && !cloneActions.has(then)) for (const last of post) order.push([last, then]);
        if (targets.includes(then) && !cloneActions.has(first)) for (const early of pre) order.push([first, early]);
      }
      previousPost = post.length > 0 ? post : targets;
    }
  }
  return { actions, order };
}
