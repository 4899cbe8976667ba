// Clone notifications (meta notify=true), as Pacemaker sends them: around each kind of
// change to a clone's instances in a transition (demote, stop, start, promote, in that
// order), a `notify` action "pre" to the instances active just before, and "post" to those
// active just after, each with the lists an agent reads (OCF_RESKEY_CRM_meta_notify_*:
// which instances start, stop, promote, demote, which were active, promoted, unpromoted).
// Pre-notifications come before the kind's actions, post-notifications after them, and
// what the clone's actions are ordered with waits for the notifications around them.
// Pure: a pass over the planned transition.

import type { PlannedAction } from './index.js';
import { isTrue } from './options.js';
import { RoleRank, type SchedClone, type SchedPrimitive, type SchedResource } from './types.js';

export type Kind = 'demote' | 'stop' | 'start' | 'promote';
const kinds: Kind[] = ['demote', 'stop', 'start', 'promote'];

interface Entry {
  instance: string;
  node: string;
}

export interface NotifyInput {
  resources: SchedResource[];
  actions: PlannedAction[];
  order: Array<[number, number]>;
  /** The history id an instance's operations are kept under. */
  historyIdOf: (primitive: SchedPrimitive) => string;
  allNodes: string[];
  /** Required actions that cannot run. */
  blocked: PlannedAction[];
  /** Stops and demotes done by fencing the node: executed by nobody, yet changes all the same. */
  impliedByFencing: PlannedAction[];
  /** Nodes that can be told anything: online and not to be fenced (standby and maintenance ones included). */
  onlineNodes: ReadonlySet<string>;
  /** Whether the clone's change of a kind can complete (its completion pseudo-action is runnable): only then is it announced after. */
  completes: (clone: SchedClone, kind: Kind) => boolean;
  /** Whether the primitive's (first) stop was already required when fencing was planned, before any ordering made it so. */
  stopRequiredAtFencing: (primitive: SchedPrimitive) => boolean;
  /** Whether the clone's stop was required when its actions were made (an instance's stop then was, and could run). */
  stopRequiredAtCreation: (clone: SchedClone) => boolean;
  /** Whether the primitive's (first) stop is required in the end, runnable or not. */
  stopRequired: (primitive: SchedPrimitive) => boolean;
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

/**
 * Who is told at each step: for demotes and stops, the instances active before (less, after
 * a stop, those whose stop is required, even blocked: Pacemaker tells an instance after
 * the stops only if it was not to stop); for starts and promotes, those meant to be active
 * after, where they are meant to be, even one whose start turns out blocked (as Pacemaker
 * tells them). Before the starts, only those with no start required (one that no quorum
 * blocks is not).
 */
function recipients(primitives: SchedPrimitive[], changes: Map<Kind, Entry[]>, requiredStarts: ReadonlySet<string>, input: NotifyInput, kind: Kind, when: 'pre' | 'post'): Entry[] {
  const key = (entry: Entry) => `${entry.instance}@${entry.node}`;
  const before = primitives.flatMap((primitive) => primitive.runningOn.map((node) => ({ instance: primitive.id, node: node.name })));
  const stopped = new Set((changes.get('stop') ?? []).map(key));
  const stopping = new Set(primitives.filter((primitive) => input.stopRequired(primitive)).map((primitive) => primitive.id));
  const afterStops = before.filter((entry) => !stopped.has(key(entry)) && !stopping.has(entry.instance));
  const intended = primitives.flatMap((primitive) => (primitive.nextRole > RoleRank.Stopped && primitive.assigned ? [{ instance: primitive.id, node: primitive.assigned.name }] : []));
  const notStarting = intended.filter((entry) => !requiredStarts.has(entry.instance));
  const at: Record<Kind, [Entry[], Entry[]]> = {
    demote: [before, before],
    stop: [before, afterStops],
    start: [notStarting, intended],
    promote: [intended, intended],
  };
  return at[kind][when === 'pre' ? 0 : 1];
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
    const changes = new Map<Kind, Entry[]>([...ofKind].map(([kind, indexes]) => [kind, indexes.map((index) => ({ instance: actions[index]!.resource, node: actions[index]!.node! }))]));
    // A stop or demote that fencing does is a change the surviving instances hear of too, and
    // so is a stop on a node gone unclean that cannot be fenced (it waits for the fencing).
    const onLostNode = input.blocked.filter((action) => action.task === 'stop' && !input.onlineNodes.has(action.node!));
    for (const implied of [...input.impliedByFencing, ...onLostNode]) {
      if (!byId.has(implied.resource) || !(kinds as string[]).includes(implied.task)) continue;
      const kind = implied.task as Kind;
      changes.set(kind, [...(changes.get(kind) ?? []), { instance: implied.resource, node: implied.node! }]);
      if (!ofKind.has(kind)) ofKind.set(kind, []);
    }
    // A stop required when the clone's actions were made is announced beforehand even if
    // orderings then block every stop (Pacemaker fixes the pre-notification's need then;
    // unlike a start, promote or demote, a stop may yet be done by fencing, so an empty list
    // of stops does not call it off).
    if (input.stopRequiredAtCreation(clone) && !ofKind.has('stop')) ofKind.set('stop', []);
    if (ofKind.size === 0) continue;
    const shared = notifyMeta(clone, primitives, changes, input);
    const fencedStops = input.impliedByFencing.filter((action) => action.task === 'stop' && byId.has(action.resource)).map((action) => ({ instance: action.resource, node: action.node! }));
    const toldAfterFencing = afterFencing(primitives, fencedStops, input);
    const requiredStarts = new Set([...(changes.get('start') ?? []).map((entry) => entry.instance), ...input.blocked.filter((action) => action.task === 'start' && byId.has(action.resource)).map((action) => action.resource)]);
    const cloneActions = new Set([...ofKind.values()].flat());
    let previousPost: number[] = [];
    for (const kind of kinds) {
      const targets = ofKind.get(kind);
      if (!targets) continue;
      const push = (entry: Entry, when: 'pre' | 'post', meta: Record<string, string>) => {
        const primitive = byId.get(entry.instance)!;
        actions.push({ resource: primitive.id, historyId: input.historyIdOf(primitive), definitionId: primitive.definition.id, orphan: false, task: 'notify', node: entry.node, optional: false, runnable: true, meta: { ...meta, notify_type: when, notify_operation: kind } });
        return actions.length - 1;
      };
      const told = (when: 'pre' | 'post') =>
        // An unmanaged instance (maintenance included) is told nothing: its notify would be
        // optional, as all its actions are. Nor is an offline node (one being fenced, say).
        recipients(primitives, changes, requiredStarts, input, kind, when).filter((entry) => byId.get(entry.instance)!.managed && input.onlineNodes.has(entry.node));
      const pre = told('pre').map((entry) => push(entry, 'pre', shared));
      // A change that cannot complete (a required stop that cannot run, a group instance
      // whose member cannot start) is announced before, never after: Pacemaker's
      // post-notification waits on the completion, unrunnable.
      const postEntries = input.completes(clone, kind) ? told('post') : [];
      const post = postEntries.map((entry) => push(entry, 'post', { ...shared, ...toldAfterFencing.get(`${entry.instance}@${entry.node}`) }));
      if (kind === 'stop') {
        const already = new Set(postEntries.map((entry) => `${entry.instance}@${entry.node}`));
        for (const [key, meta] of toldAfterFencing) {
          if (already.has(key)) continue;
          const [instance, node] = key.split('@') as [string, string];
          post.push(push({ instance, node }, 'post', meta));
        }
      }
      for (const earlier of previousPost) for (const next of [...pre, ...targets]) order.push([earlier, next]);
      for (const first of pre) for (const target of targets) order.push([first, target]);
      for (const target of targets) for (const last of post) order.push([target, last]);
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
