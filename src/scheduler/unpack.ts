// Builds the scheduler's working set from a CIB: nodes with their state, the resource
// tree with clone instances expanded, and each primitive's current role from history.

import type { Cib } from '../model/cib.js';
import type { Clone, Group, Primitive, Resource, Role, TicketConstraint } from '../model/config.js';
import { parseDurationMs } from '../model/duration.js';
import { INFINITY, parseScore } from '../model/score.js';
import { isNodeOnline, operationKeyOf, type NodeState, type OperationRecord, type ResourceHistory } from '../model/status.js';
import { failCount, failureExpired, indexFailures, isBlockingFailure } from './failures.js';
import { replayHistory, type NodeHistory } from './history.js';
import { addLocation } from './scores.js';
import { applyTickets } from './tickets.js';
import { parseUtilization } from './utilization.js';
import { nodeTableOrder } from './node-table.js';
import { clusterOptions, isTrue, type ClusterOptions } from './options.js';
import { cloneLimits } from './clone-limits.js';
import {
  anonymousCloneOf,
  inPromotableClone,
  RoleRank,
  type SchedClone,
  type SchedColocation,
  type SchedGroup,
  type SchedNode,
  type SchedPrimitive,
  type SchedResource,
} from './types.js';

export interface WorkingSet {
  options: ClusterOptions;
  haveQuorum: boolean;
  nowS: number;
  nodes: SchedNode[];
  nodeByName: Map<string, SchedNode>;
  /** The nodes in the order Pacemaker walks a table of them (listing one gives the reverse). */
  nodeTableOrder: SchedNode[];
  /** Top-level resources in configuration order. */
  resources: SchedResource[];
  /** Every resource by configured id (a clone's child id names the clone's first instance). */
  byId: Map<string, SchedResource>;
  /** Every primitive, clone instances included, in configuration order. */
  primitives: SchedPrimitive[];
  /** Nodes that must be fenced, with the reason Pacemaker gives, newest fencing first (as Pacemaker lists them). */
  fencing: Array<{ node: SchedNode; reason: string }>;
  /** Nodes in the order they were found unclean (their fencing made). */
  uncleanOrder: SchedNode[];
  /** A fencing device is configured (or every node has a watchdog): without one, nothing is managed while fencing is on. */
  haveFencingDevice: boolean;
  colocations: SchedColocation[];
  /** Problems with the configuration that the scheduler works around, worded for operators. */
  warnings: string[];
  /** Per promotable clone, location scores that apply only to its promoted role. */
  promotedLocations: Map<string, Map<string, number>>;
  /**
   * The ids an anonymous clone's instances were found under in history (its child's id, or
   * a cloned group's member's): only through these does Pacemaker find the clone when a
   * constraint names its child (find_rsc with pe_find_renamed).
   */
  historyNames: Set<string>;
  /** Promotable clones whose rsc_ticket for the Promoted role is not granted (or in standby): nothing is promoted. */
  promotionWithoutTicket: Set<SchedClone>;
  /** Failed operations on online nodes, once per operation and node, in the order Pacemaker lists them (crm_mon's failed actions). */
  failedOperations: FailedOperation[];
}

export interface FailedOperation {
  node: string;
  /** The resource's id in the node's history (an anonymous clone's child id, a unique instance's id). */
  historyId: string;
  record: OperationRecord;
}

export function roleRank(role: Role | undefined): RoleRank {
  switch (role) {
    case 'Started':
      return RoleRank.Started;
    case 'Stopped':
      return RoleRank.Stopped;
    case 'Promoted':
      return RoleRank.Promoted;
    case 'Unpromoted':
      return RoleRank.Unpromoted;
    default:
      return RoleRank.Unknown;
  }
}

function parseRoleText(text: string | undefined): RoleRank {
  if (text === undefined) return RoleRank.Unknown;
  const lower = text.toLowerCase();
  if (lower === 'started') return RoleRank.Started;
  if (lower === 'stopped') return RoleRank.Stopped;
  if (lower === 'promoted' || lower === 'master') return RoleRank.Promoted;
  if (lower === 'unpromoted' || lower === 'slave') return RoleRank.Unpromoted;
  return RoleRank.Unknown;
}

function unpackNodes(cib: Cib, options: ClusterOptions): SchedNode[] {
  const stateByName = new Map<string, NodeState>();
  for (const state of cib.status.nodes) stateByName.set(state.uname, state);
  return cib.configuration.nodes.map((definition) => {
    const state = stateByName.get(definition.uname);
    const attributes: Record<string, string> = {
      ...definition.attributes,
      ...(state?.transientAttributes ?? {}),
      '#uname': definition.uname,
      '#id': definition.id,
      '#kind': 'cluster',
    };
    const online = isNodeOnline(state);
    // A node never seen (with startup-fencing, the default) or one that left without a clean shutdown.
    const neverSeen = state === undefined && flagOn(cib.configuration.properties['startup-fencing'], true);
    const failedMember = neverSeen || (state !== undefined && !online && state.expected === 'member' && state.inCluster !== true);
    const unclean = options.stonithEnabled && failedMember;
    return {
      name: definition.uname,
      id: definition.id,
      online,
      standby: isTrue(attributes.standby),
      standbyOnFail: false,
      maintenance: isTrue(attributes.maintenance) || options.maintenanceMode,
      shutdown: state?.transientAttributes.shutdown !== undefined && state.transientAttributes.shutdown !== '0',
      unclean,
      fenceReason: unclean ? (neverSeen ? 'node is unclean' : 'peer is no longer part of the cluster') : undefined,
      attributes,
      failures: indexFailures(attributes),
      assignedCount: 0,
      capacity: parseUtilization(definition.utilization),
    };
  });
}

function flagOn(value: string | undefined, fallback: boolean): boolean {
  return value === undefined ? fallback : isTrue(value);
}

interface MetaSources {
  rscDefaults: Record<string, string>;
}

function inheritedMeta(own: Record<string, string>, parent: Record<string, string> | undefined, sources: MetaSources): Record<string, string> {
  return { ...sources.rscDefaults, ...(parent ?? {}), ...own };
}

function commonSettings(meta: Record<string, string>) {
  return {
    priority: parseScore(meta.priority ?? '0') ?? 0,
    targetRole: parseRoleText(meta['target-role']),
    managed: meta['is-managed'] === undefined ? true : isTrue(meta['is-managed']),
  };
}

/** Managed as configured (is-managed, maintenance, maintenance-mode), before its history says otherwise. */
function configuredManaged(meta: Record<string, string>, options: ClusterOptions): boolean {
  return commonSettings(meta).managed && !options.maintenanceMode && !isTrue(meta.maintenance);
}

function makePrimitive(definition: Primitive, id: string, parent: SchedGroup | SchedClone | undefined, meta: Record<string, string>, options: ClusterOptions): SchedPrimitive {
  const { priority, targetRole } = commonSettings(meta);
  const limited = targetRole === RoleRank.Stopped || targetRole === RoleRank.Unpromoted;
  return {
    kind: 'primitive',
    id,
    definition,
    parent,
    meta,
    priority,
    targetRole,
    managed: configuredManaged(meta, options),
    maintenance: options.maintenanceMode || isTrue(meta.maintenance),
    stickiness: parseScore(meta['resource-stickiness'] ?? meta['default-resource-stickiness'] ?? '0') ?? 0,
    migrationThreshold: parseScore(meta['migration-threshold'] ?? String(INFINITY)) ?? INFINITY,
    utilization: parseUtilization(definition.utilization),
    failureTimeoutMs: parseDurationMs(meta['failure-timeout'] ?? '0') ?? 0,
    runningOn: [],
    role: RoleRank.Stopped,
    nextRole: limited ? targetRole : RoleRank.Unknown,
    failed: false,
    blocked: false,
    startPending: false,
    knownOn: new Set(),
    hardErrorNodes: new Set(),
    configurationError: false,
    failuresIgnored: false,
    allowed: new Map(),
    notes: [],
    assigned: undefined,
    assignedScore: 0,
    provisional: true,
    allocating: false,
    colocationsAsDependent: [],
    colocationsAsPrimary: [],
    orphan: false,
  };
}

function makeGroup(definition: Group, id: string, suffix: string, parent: SchedClone | undefined, parentMeta: Record<string, string> | undefined, ws: WorkingSet, sources: MetaSources): SchedGroup {
  const meta = inheritedMeta(definition.meta, parentMeta, sources);
  const group: SchedGroup = {
    kind: 'group',
    id,
    definition,
    parent,
    children: [],
    activeListing: [],
    meta,
    ...commonSettings(meta),
    allowed: new Map(),
    notes: [],
    provisional: true,
    allocating: false,
    colocationsAsDependent: [],
    colocationsAsPrimary: [],
  };
  const childParentMeta = { ...meta };
  delete childParentMeta.priority;
  for (const child of definition.children) {
    const primitive = makePrimitive(child, child.id + suffix, group, inheritedMeta(child.meta, childParentMeta, sources), ws.options);
    group.children.push(primitive);
    ws.primitives.push(primitive);
  }
  return group;
}

function makeClone(definition: Clone, ws: WorkingSet, sources: MetaSources): SchedClone {
  const meta = inheritedMeta(definition.meta, undefined, sources);
  // Clones are slightly sticky by default, so instances stay where they are.
  if (definition.meta['resource-stickiness'] === undefined && sources.rscDefaults['resource-stickiness'] === undefined) {
    meta['resource-stickiness'] = '1';
  }
  const { cloneNodeMaxIgnored, ...limits } = cloneLimits(meta, ws.nodes.length);
  const clone: SchedClone = {
    kind: 'clone',
    id: definition.id,
    definition,
    promotable: definition.promotable || isTrue(meta.promotable),
    ...limits,
    interleave: isTrue(meta.interleave),
    ordered: isTrue(meta.ordered),
    instances: [],
    orphans: new Set(),
    placementOrder: undefined,
    meta,
    ...commonSettings(meta),
    allowed: new Map(),
    notes: [],
    provisional: true,
    allocating: false,
    colocationsAsDependent: [],
    colocationsAsPrimary: [],
  };
  if (cloneNodeMaxIgnored) ws.warnings.push(`Ignoring clone-node-max for ${clone.id} because anonymous clones support only one instance per node`);
  const childParentMeta = { ...meta };
  delete childParentMeta.priority;
  instanceSources.set(clone, { parentMeta: childParentMeta, sources });
  for (let index = 0; index < clone.cloneMax; index += 1) addCloneInstance(clone, ws);
  return clone;
}

const instanceSources = new WeakMap<SchedClone, { parentMeta: Record<string, string>; sources: MetaSources }>();

/** Adds the next numbered instance to a clone (also used for orphans beyond clone-max). */
function addCloneInstance(clone: SchedClone, ws: WorkingSet): SchedPrimitive | SchedGroup {
  const context = instanceSources.get(clone);
  if (!context) throw new Error(`clone ${clone.id} was not built by makeClone`);
  const suffix = `:${clone.instances.length}`;
  const child = clone.definition.child;
  let instance: SchedPrimitive | SchedGroup;
  if (child.kind === 'primitive') {
    instance = makePrimitive(child, child.id + suffix, clone, inheritedMeta(child.meta, context.parentMeta, context.sources), ws.options);
    ws.primitives.push(instance);
  } else {
    instance = makeGroup(child, child.id + suffix, suffix, clone, context.parentMeta, ws, context.sources);
  }
  clone.instances.push(instance);
  return instance;
}

function buildResource(resource: Resource, ws: WorkingSet, sources: MetaSources): SchedResource {
  if (resource.kind === 'primitive') {
    const primitive = makePrimitive(resource, resource.id, undefined, inheritedMeta(resource.meta, undefined, sources), ws.options);
    ws.primitives.push(primitive);
    return primitive;
  }
  if (resource.kind === 'group') return makeGroup(resource, resource.id, '', undefined, undefined, ws, sources);
  return makeClone(resource, ws, sources);
}

function indexResource(resource: SchedResource, ws: WorkingSet): void {
  ws.byId.set(resource.id, resource);
  if (resource.kind === 'group') for (const child of resource.children) ws.byId.set(child.id, child);
  if (resource.kind === 'clone') {
    const child = resource.definition.child;
    // A constraint naming the clone's child means the clone.
    ws.byId.set(child.id, resource);
    if (child.kind === 'group') for (const member of child.children) ws.byId.set(member.id, resource);
  }
}

/** `tickets: false` reads the status alone, as crm_mon does: a lost ticket's loss-policy is a decision, not a state. */
export function unpack(cib: Cib, nowS: number, { tickets = true }: { tickets?: boolean } = {}): WorkingSet {
  const options = clusterOptions(cib.configuration);
  const nodes = unpackNodes(cib, options);
  const ws: WorkingSet = {
    options,
    haveQuorum: cib.haveQuorum,
    nowS,
    nodes,
    nodeByName: new Map(nodes.map((node) => [node.name, node])),
    nodeTableOrder: nodeTableOrder(nodes),
    resources: [],
    byId: new Map(),
    primitives: [],
    fencing: [],
    uncleanOrder: [],
    haveFencingDevice: false,
    colocations: [],
    warnings: [],
    promotedLocations: new Map(),
    historyNames: new Set(),
    promotionWithoutTicket: new Set(),
    failedOperations: [],
  };
  const sources: MetaSources = { rscDefaults: cib.configuration.rscDefaults };
  for (const resource of cib.configuration.resources) {
    const built = buildResource(resource, ws, sources);
    ws.resources.push(built);
    indexResource(built, ws);
  }
  ws.haveFencingDevice = options.haveWatchdog || ws.primitives.some((primitive) => primitive.definition.agent.class === 'stonith');
  if (options.stonithEnabled && !ws.haveFencingDevice) {
    // Pacemaker will not start or recover anything it could not fence for (a watchdog on every node can).
    ws.warnings.push('Resource start-up disabled since no STONITH resources have been defined: configure a fencing device or set stonith-enabled=false');
  }
  for (const state of cib.status.nodes) {
    const node = ws.nodeByName.get(state.uname);
    if (node?.unclean) ws.uncleanOrder.push(node);
  }
  unpackStatus(cib, ws);
  // Pacemaker unpacks constraints after the status: a lost ticket's fencing comes after any other.
  const ticketConstraints = tickets ? cib.configuration.constraints.filter((constraint): constraint is TicketConstraint => constraint.type === 'ticket') : [];
  ws.promotionWithoutTicket = applyTickets(ws, ticketConstraints, cib.status.tickets ?? []);
  // A node never seen gets its fencing only when the actions are scheduled.
  for (const node of ws.nodes) if (node.unclean && !ws.uncleanOrder.includes(node)) ws.uncleanOrder.push(node);
  for (const node of [...ws.uncleanOrder].reverse()) {
    if (ws.haveFencingDevice && haveManaged(ws) && canFence(ws, node)) ws.fencing.push({ node, reason: node.fenceReason ?? 'node is unclean' });
  }
  return ws;
}

/** Pacemaker fences nobody until there is a resource to manage (any_managed_resources). */
function haveManaged(ws: WorkingSet): boolean {
  return ws.resources.some((resource) => (resource.kind === 'primitive' ? resource.managed : configuredManaged(resource.meta, ws.options)));
}

/** Without quorum, only a node still in the membership may be fenced, unless no-quorum-policy=ignore (pe_can_fence). */
function canFence(ws: WorkingSet, node: SchedNode): boolean {
  return ws.haveQuorum || ws.options.noQuorumPolicy === 'ignore' || node.online;
}

/** Which primitive a history entry belongs to: a plain primitive, or an instance of a clone. */
function resolveHistoryOwner(ws: WorkingSet, historyId: string, node: SchedNode, claimed: Set<SchedPrimitive>): SchedPrimitive | undefined {
  const direct = ws.byId.get(historyId);
  if (direct?.kind === 'primitive') return direct;
  const baseId = historyId.replace(/:\d+$/, '');
  const owner = ws.byId.get(baseId);
  if (owner?.kind !== 'clone') return undefined;
  const candidates = owner.instances.map((instance) =>
    instance.kind === 'primitive' ? instance : instance.children.find((member) => member.definition.id === baseId),
  );
  const exact = candidates.find((candidate) => candidate?.id === historyId);
  // A unique instance beyond clone-max is no instance at all: an orphan of its own (orphanFor).
  if (owner.globallyUnique) return exact;
  // An anonymous clone's history goes to the instance already on this node, else the first free one.
  const sameNodeInstance = owner.instances.findIndex((instance) => instanceKnownOn(instance, node));
  if (sameNodeInstance >= 0) return candidates[sameNodeInstance];
  const freeIndex = owner.instances.findIndex((instance, index) => {
    const candidate = candidates[index];
    return candidate !== undefined && !claimed.has(candidate) && !instanceActiveAnywhere(instance);
  });
  if (freeIndex >= 0) return candidates[freeIndex];
  // More instances are active than clone-max allows: the extra one is an orphan, to be stopped.
  const orphan = addCloneInstance(owner, ws);
  owner.orphans.add(orphan);
  return orphan.kind === 'primitive' ? orphan : orphan.children.find((member) => member.definition.id === baseId);
}

function instancePrimitives(instance: SchedPrimitive | SchedGroup): SchedPrimitive[] {
  return instance.kind === 'primitive' ? [instance] : instance.children;
}

function instanceKnownOn(instance: SchedPrimitive | SchedGroup, node: SchedNode): boolean {
  return instancePrimitives(instance).some((member) => member.runningOn.includes(node));
}

function instanceActiveAnywhere(instance: SchedPrimitive | SchedGroup): boolean {
  return instancePrimitives(instance).some((member) => member.runningOn.length > 0);
}

function unpackStatus(cib: Cib, ws: WorkingSet): void {
  for (const state of cib.status.nodes) {
    const node = ws.nodeByName.get(state.uname);
    if (!node) continue;
    // A node that left cleanly stopped what it ran, as far as anyone can tell without
    // fencing; with fencing on, what its history says runs there gets it fenced.
    if (!node.online && !node.unclean && !ws.options.stonithEnabled) continue;
    const claimed = new Set<SchedPrimitive>();
    for (const history of state.resources) {
      const owner = resolveHistoryOwner(ws, history.id, node, claimed);
      const bare = owner ? undefined : replayHistory(history.ops, { ops: [], stonithEnabled: ws.options.stonithEnabled, managed: true, expired: () => false, promotable: false });
      const primitive = owner ?? (bare!.role > RoleRank.Stopped ? orphanFor(ws, history) : undefined);
      if (!primitive) {
        if (bare) noteFailures(ws, node, history.id, bare.failures);
        continue;
      }
      if (owner && owner.id !== history.id) ws.historyNames.add(history.id);
      claimed.add(primitive);
      primitive.knownOn.add(node.name);
      // A failure that blocks the resource (on-fail=block) does not expire: Pacemaker then
      // drops the resource's failure-timeout altogether (pe_get_failcount).
      if (primitive.failureTimeoutMs > 0 && failCount(primitive, node, ws.nowS, true) > 0 && history.ops.some((record) => isBlockingFailure(primitive, record))) {
        primitive.failureTimeoutMs = 0;
      }
      const replay = replayHistory(history.ops, {
        ops: primitive.definition.ops,
        stonithEnabled: ws.options.stonithEnabled,
        managed: primitive.managed,
        expired: (record) => failureExpired(primitive, node, record, ws.nowS),
        promotable: inPromotableClone(primitive),
      });
      noteFailures(ws, node, history.id, replay.failures);
      applyReplay(ws, node, primitive, replay);
    }
  }
}

/** Pacemaker keeps a failure of a node that is online, each operation once (record_failed_op). */
function noteFailures(ws: WorkingSet, node: SchedNode, historyId: string, failures: OperationRecord[]): void {
  if (!node.online) return;
  for (const record of failures) {
    const key = operationKeyOf(record);
    if (ws.failedOperations.some((known) => known.node === node.name && operationKeyOf(known.record) === key)) continue;
    ws.failedOperations.push({ node: node.name, historyId, record });
  }
}

export function markUnclean(ws: WorkingSet, node: SchedNode, reason: string): void {
  if (node.unclean) return;
  node.unclean = true;
  node.fenceReason = reason;
  ws.uncleanOrder.push(node);
}

/** What a primitive's history on a node says about it and the node (Pacemaker's process_rsc_state). */
function applyReplay(ws: WorkingSet, node: SchedNode, primitive: SchedPrimitive, replay: NodeHistory): void {
  if (replay.bannedHere) primitive.hardErrorNodes.add(node.name);
  if (replay.bannedEverywhere) primitive.configurationError = true;
  if (replay.failureIgnored) primitive.failuresIgnored = true;
  if (replay.stopFailed) addLocation(primitive, node, -INFINITY, 'its stop failed here');
  const running = replay.role > RoleRank.Stopped;
  // Believed to run on a node that is down: only fencing the node makes sure it does not.
  if (running && !node.online && !node.maintenance && primitive.managed) markUnclean(ws, node, `${primitive.id} is thought to be active there`);
  // On a node to be fenced, a failure needs no handling of its own: the fencing stops it.
  const handleFailure = !node.unclean;
  if (handleFailure) {
    if (replay.fenceNode && ws.options.stonithEnabled) markUnclean(ws, node, `${primitive.id} failed there`);
    // The recovery's stop is planned as the history is read, before a node in maintenance
    // leaves the resource unmanaged: on a node that left cleanly it cannot run, and only
    // fencing the node stops the resource.
    if (replay.stopPlannedOnRead && !node.online && primitive.managed) markUnclean(ws, node, 'stop is unrunnable');
    if (replay.standbyNode) {
      node.standby = true;
      node.standbyOnFail = true;
    }
  }
  // on-fail=stop holds after the stop, until the failure is cleaned up, even where the node
  // is fenced: Pacemaker bans the resource as it reads the failure (its fail role, Stopped).
  if (replay.stopAfterFailure) stopAfterFailure(ws, primitive);
  if (!running) return;
  primitive.runningOn.push(node);
  const blocked = handleFailure && replay.blocked;
  // What runs on a node in maintenance, or failed with on-fail=block, is left alone, unmanaged.
  if (node.maintenance || blocked) primitive.managed = false;
  if (node.maintenance) primitive.maintenance = true;
  if (blocked) primitive.blocked = true;
  if (!primitive.managed) addLocation(primitive, node, INFINITY, 'not managed: it stays where it runs');
  listActiveInGroup(primitive, node);
  if (replay.role > primitive.role) primitive.role = replay.role;
  if (handleFailure && replay.failed) primitive.failed = true;
  if (replay.startPending) primitive.startPending = true;
}

/**
 * Pacemaker lists a managed member's node for its group once, but appends an unmanaged
 * member's node (on an online node) however often it is there already.
 */
function listActiveInGroup(primitive: SchedPrimitive, node: SchedNode): void {
  const group = primitive.parent?.kind === 'group' ? primitive.parent : undefined;
  if (!group) return;
  if (primitive.managed ? !group.activeListing.includes(node) : node.online) group.activeListing.push(node);
}

/**
 * on-fail=stop: the resource stays stopped and may start nowhere; an anonymous clone's
 * instances are interchangeable, so the whole clone is kept from starting.
 */
function stopAfterFailure(ws: WorkingSet, primitive: SchedPrimitive): void {
  primitive.targetRole = RoleRank.Stopped;
  const banned = anonymousCloneOf(primitive) ?? primitive;
  for (const node of ws.nodes) addLocation(banned, node, -INFINITY, 'on-fail=stop: it will not be started under current conditions');
}


/**
 * A resource that history shows but the configuration no longer has: an orphan, which
 * must be stopped wherever it still runs (Pacemaker does the same).
 */
function orphanFor(ws: WorkingSet, history: ResourceHistory): SchedPrimitive | undefined {
  const existing = ws.byId.get(history.id);
  if (existing?.kind === 'primitive') return existing;
  if (existing) return undefined;
  const agent = history.provider !== undefined ? { class: history.class, provider: history.provider, type: history.type } : { class: history.class, type: history.type };
  const definition: Primitive = { kind: 'primitive', id: history.id, agent, params: {}, meta: {}, utilization: {}, ops: [], extra: {} };
  const orphan = makePrimitive(definition, history.id, undefined, { 'target-role': 'Stopped' }, ws.options);
  orphan.orphan = true;
  ws.primitives.push(orphan);
  ws.resources.push(orphan);
  ws.byId.set(orphan.id, orphan);
  return orphan;
}
