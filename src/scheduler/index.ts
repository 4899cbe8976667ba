// The scheduler: a pure function from a CIB (configuration + status, quorum included) and
// the current time to a transition. No I/O, no clock, no randomness.

import type { Cib } from '../model/cib.js';
import type { ColocationConstraint, LocationConstraint, OrderConstraint } from '../model/config.js';
import { ActionGraph, createPrimitiveActions, implyByFencing, type SchedAction } from './actions.js';
import { assignResource, sortForAssignment } from './assign.js';
import { createCollectiveActions, notificationBoundaries } from './collective.js';
import { canRunResources, unpackColocations } from './colocation.js';
import { nextFailureExpiryS } from './failures.js';
import { addNotifications, type InstanceAction } from './notify.js';
import { buildOrderings, completionTask } from './orderings.js';
import { Propagation } from './propagate.js';
import { applyNodeCriteria, allPrimitives } from './scores.js';
import { SummaryPrinter, summarisePrimitive, type SummaryItem } from './summary.js';
import { anonymousCloneOf, nodeCondition, roleText, type NodeCondition, type ScoreNote, type SchedClone, type SchedPrimitive, type SchedResource } from './types.js';
import type { WorkingSet } from './unpack.js';
import { unpack } from './unpack.js';

export interface ScheduleInput {
  cib: Cib;
  /** Seconds since the epoch; failure-timeout expiry is judged against it. */
  nowS: number;
}

export interface PlannedAction {
  resource: string;
  /** The id its operation history is kept under (an anonymous clone instance uses its base id). */
  historyId: string;
  /** The configured primitive it is an instance of. */
  definitionId: string;
  /** No longer configured: act with the definition kept in its history, then forget it. */
  orphan: boolean;
  task: string;
  node?: string;
  optional: boolean;
  runnable: boolean;
  reason?: string;
  /** Meta values for the agent beyond the resource's own (a clone notification's lists). */
  meta?: Record<string, string>;
}

export interface Placement {
  resource: string;
  /** False when tandem leaves it alone (is-managed=false, maintenance, or start-up disabled). */
  managed: boolean;
  /** Where it runs now (several nodes when it is multiply active). */
  current: string[];
  role: string;
  next?: string;
  nextRole: string;
}

export interface Transition {
  summary: SummaryItem[];
  /** Configuration problems worked around, in Pacemaker's words. */
  warnings: string[];
  /** Every action that will be executed (required and runnable), in creation order. */
  actions: PlannedAction[];
  /** Pairs [a, b] of indexes into `actions`: a must finish before b starts. */
  order: Array<[number, number]>;
  /** Actions that are required but cannot run (blocked). */
  blocked: PlannedAction[];
  fencing: Array<{ node: string; reason: string }>;
  /** One-time monitors that learn whether a resource already runs on a node it was never seen on. */
  probes: Array<{ historyId: string; definitionId: string; node: string }>;
  placement: Placement[];
  /** Each node and whether it can run resources now (and if not, why). */
  nodes: Array<{ name: string; canRun: boolean; condition: NodeCondition }>;
  /** Why each primitive got the scores it did, for `--explain`. */
  notes: Map<string, ScoreNote[]>;
  /** Final node scores per primitive. */
  scores: Map<string, Map<string, number>>;
  /** When a failure now counted expires (seconds since the epoch): the picture changes then by itself. */
  recheckAtS?: number;
}

function historyIdOf(resource: SchedResource): string {
  if (resource.kind !== 'primitive') return resource.id;
  return anonymousCloneOf(resource) ? resource.definition.id : resource.id;
}

function describe(action: SchedAction): PlannedAction {
  return {
    resource: action.resource.id,
    historyId: historyIdOf(action.resource),
    definitionId: action.resource.kind === 'primitive' ? action.resource.definition.id : action.resource.id,
    orphan: action.resource.kind === 'primitive' && action.resource.orphan,
    task: action.task,
    node: action.node?.name,
    optional: action.optional,
    runnable: action.runnable,
    reason: action.reason,
  };
}

/**
 * A resource's primitives in the order the summary lists them, which is Pacemaker's own list
 * of a clone's instances: sorted for assignment (then promotion), and back in instance order
 * as soon as the clone is considered for probing on a node, or when an ordered clone's
 * orderings are made. With no node to probe (every one offline or to be fenced), an
 * unordered clone's instances stay as assignment left them.
 */
function summaryOrder(resource: SchedResource, probing: boolean): SchedPrimitive[] {
  if (resource.kind !== 'clone' || resource.ordered || probing) return allPrimitives(resource);
  return (resource.placementOrder ?? resource.instances).flatMap((instance) => allPrimitives(instance));
}

export function schedule({ cib, nowS }: ScheduleInput): Transition {
  const ws = unpack(cib, nowS);
  const constraints = cib.configuration.constraints;
  const locations = constraints.filter((c): c is LocationConstraint => c.type === 'location');
  const colocations = constraints.filter((c): c is ColocationConstraint => c.type === 'colocation');
  const orders = constraints.filter((c): c is OrderConstraint => c.type === 'order');

  ws.promotedLocations = applyNodeCriteria(ws, locations);
  unpackColocations(ws, colocations);
  const assignmentOrder = sortForAssignment(ws);
  for (const resource of assignmentOrder) assignResource(ws, resource, undefined);

  const graph = new ActionGraph();
  const ordered = assignmentOrder.flatMap((resource) => allPrimitives(resource));
  for (const resource of assignmentOrder) {
    for (const primitive of allPrimitives(resource)) createPrimitiveActions(ws, graph, primitive);
    createCollectiveActions(graph, resource);
  }
  // A clone's pseudo-actions after its notifications are made runnable as its completions
  // were when they were made (a clone's "running" only if an instance was active or starting).
  const runnableAtCreation = new Set(graph.actions.filter((action) => action.resource.kind === 'clone' && action.runnable));
  implyByFencing(ws, graph);
  const stopRequiredAtFencing = new Set(ordered.filter((primitive) => graph.find(primitive, 'stop')[0]?.optional === false));
  buildOrderings(ws, graph, orders);
  new Propagation(graph).run();

  const printer = new SummaryPrinter();
  const probing = ws.nodes.some((node) => node.online && !node.unclean);
  for (const primitive of assignmentOrder.flatMap((resource) => summaryOrder(resource, probing))) summarisePrimitive(printer, graph, primitive);

  const real = graph.actions.filter((action) => !action.pseudo);
  // An unmanaged resource's actions may be required (and so shape the summary and what is
  // ordered after them), but none is ever executed: Pacemaker leaves them out of its graph.
  const executed = real.filter((action) => !action.optional && action.runnable && (action.resource.kind !== 'primitive' || action.resource.managed));
  const blocked = real.filter((action) => !action.optional && !action.runnable && action.node !== undefined).map(describe);
  const instanceActions = new Map<SchedResource, InstanceAction[]>();
  for (const action of graph.actions) {
    if (action.resource.kind !== 'primitive') continue;
    const list = instanceActions.get(action.resource) ?? [];
    list.push({ task: action.task, node: action.node?.name, optional: action.optional, runnable: action.runnable });
    instanceActions.set(action.resource, list);
  }
  const { actions, order } = addNotifications({
    resources: ws.resources,
    actions: executed.map(describe),
    order: executionOrder(graph, executed),
    historyIdOf,
    allNodes: ws.nodes.map((node) => node.name),
    actionsOf: (primitive) => instanceActions.get(primitive) ?? [],
    impliedByFencing: graph.actions.filter((action) => action.pseudo && action.resource.kind === 'primitive' && !action.optional && action.node !== undefined).map(describe),
    stopRequiredAtFencing: (primitive) => stopRequiredAtFencing.has(primitive),
    boundaries: (clone, kind) => notificationBoundaries(graph, clone, kind, completionTask[kind], runnableAtCreation),
    onlineNodes: new Set(ws.nodes.filter((node) => node.online && !node.unclean && !ws.fencing.some((fenced) => fenced.node === node)).map((node) => node.name)),
  });
  const recheckAtS = nextFailureExpiryS(ordered, ws.nodes, ws.nowS);
  return {
    ...(recheckAtS !== undefined ? { recheckAtS } : {}),
    summary: printer.items,
    warnings: ws.warnings,
    actions,
    order,
    blocked,
    fencing: ws.fencing.map(({ node, reason }) => ({ node: node.name, reason })),
    probes: probes(ws, ordered),
    placement: ordered.map((primitive) => ({
      resource: primitive.id,
      managed: primitive.managed,
      current: primitive.runningOn.map((node) => node.name),
      role: roleText[primitive.role],
      next: primitive.assigned?.name,
      nextRole: roleText[primitive.nextRole],
    })),
    nodes: ws.nodes.map((node) => ({ name: node.name, canRun: canRunResources(node), condition: nodeCondition(node) })),
    notes: new Map(ordered.map((primitive) => [primitive.id, primitive.notes])),
    scores: new Map(ordered.map((primitive) => [primitive.id, primitive.allowed])),
  };
}

/**
 * Nodes where an anonymous clone's history belongs to an instance beyond clone-max. Pacemaker
 * hands each node's history of an anonymous clone to an instance as it reads the status,
 * node by node: the instance already running there, else one running nowhere yet, else a
 * new orphan instance. It probes a node through the instance that holds the node's history,
 * and an orphan's members are never probed.
 */
function nodesOfOrphanInstances(ws: WorkingSet, clone: SchedClone): Set<string> {
  const members = clone.instances.flatMap((instance) => (instance.kind === 'primitive' ? [instance] : instance.children));
  const orphaned = new Set<string>();
  let instancesRunning = 0;
  for (const node of ws.nodes) {
    const running = members.some((member) => member.runningOn.includes(node));
    const known = running || members.some((member) => member.knownOn.has(node.name));
    if (!known) continue;
    if (instancesRunning >= clone.cloneMax) orphaned.add(node.name);
    if (running) instancesRunning += 1;
  }
  return orphaned;
}

/** A probe per resource and online node where its history is unknown (once per anonymous clone). */
function probes(ws: WorkingSet, primitives: SchedPrimitive[]): Transition['probes'] {
  const knownOn = new Map<string, Set<string>>();
  for (const primitive of primitives) {
    const historyId = historyIdOf(primitive);
    const known = knownOn.get(historyId) ?? new Set<string>();
    for (const node of primitive.knownOn) known.add(node);
    knownOn.set(historyId, known);
  }
  const planned: Transition['probes'] = [];
  // Every primitive sharing a history id would plan the same probes: the first one plans them.
  const probed = new Set<string>();
  // A cloned group's members each plan probes; their clone's orphan nodes are worked out once.
  const orphanedByClone = new Map<SchedClone, Set<string>>();
  for (const primitive of primitives) {
    // An orphan is only stopped where it runs: Pacemaker probes nothing for it. An unmanaged
    // or blocked resource is probed (a probe changes nothing; it tells where the resource is).
    if (primitive.orphan) continue;
    const historyId = historyIdOf(primitive);
    if (probed.has(historyId)) continue;
    probed.add(historyId);
    const known = knownOn.get(historyId);
    const clone = anonymousCloneOf(primitive);
    if (clone && !orphanedByClone.has(clone)) orphanedByClone.set(clone, nodesOfOrphanInstances(ws, clone));
    const orphaned = clone && orphanedByClone.get(clone);
    for (const node of ws.nodes) {
      // A node to be fenced is not probed (Pacemaker probes only nodes it can trust).
      if (!node.online || node.unclean || known?.has(node.name) || orphaned?.has(node.name)) continue;
      planned.push({ historyId, definitionId: primitive.definition.id, node: node.name });
    }
  }
  return planned;
}

/** Orderings between executed actions, following chains through actions that do not run. */
function executionOrder(graph: ActionGraph, executed: SchedAction[]): Array<[number, number]> {
  const position = new Map(executed.map((action, index) => [action, index]));
  const after = new Map<SchedAction, SchedAction[]>();
  for (const { first, then, disabled } of graph.orderings) {
    // Pacemaker leaves a remapped ordering out of its graph: the completion's stands for it.
    if (disabled) continue;
    const list = after.get(first) ?? [];
    list.push(then);
    after.set(first, list);
  }
  const pairs: Array<[number, number]> = [];
  for (const [action, index] of position) {
    const successors = after.get(action);
    if (!successors) continue;
    const seen = new Set<SchedAction>([action]);
    const pending = [...successors];
    while (pending.length > 0) {
      const next = pending.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      const target = position.get(next);
      if (target !== undefined) pairs.push([index, target]);
      else pending.push(...(after.get(next) ?? []));
    }
  }
  return pairs;
}
