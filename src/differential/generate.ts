// Random clusters for the differential test against Pacemaker: nodes, primitives, groups,
// clones, promotable clones, constraints, stickiness, standby, current placement and
// injected failures, all from a seed, so any case can be replayed. The features in
// features.ts come from a second stream of the same seed, layered on these, and the
// tickets in tickets.ts from a third.

import { emptyCib, type Cib } from '../model/cib.js';
import type { Clone, Constraint, Operation, Primitive, Resource, Role } from '../model/config.js';
import { transitionKeyFor, transitionMagicFor, type NodeState, type OperationRecord, type ResourceHistory } from '../model/status.js';
import { ticketFeatures } from './tickets.js';
import { cloneFeatures, clusterFeatures, collectiveFeatures, constraintFeatures, fencingFeatures, historyFailures, historyTimeS, maybeGroupChild, primitiveFeatures } from './features.js';

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same cases anywhere. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
}

/**
 * The time cases are scheduled at: this run's start. Generated failures are stamped
 * relative to it, and crm_simulate stamps the failures it injects with the wall clock.
 */
export const caseTimeS = Math.floor(Date.now() / 1000);

export interface DifferentialCase {
  seed: number;
  cib: Cib;
  nodeUp: string[];
  nodeDown: string[];
  /** Nodes that fail (crm_simulate's --node-fail): to be fenced. */
  nodeFail: string[];
  opInject: string[];
}

const scores = ['INFINITY', '-INFINITY', '100', '-100', '50', '200', '10'] as const;
const stickiness = ['0', '1', '100', '50', 'INFINITY'] as const;

function op(owner: string, name: string, intervalS: number, role?: Role): Operation {
  const operation: Operation = { id: `${owner}-${name}-${intervalS}s`, name, interval: `${intervalS}s`, intervalMs: intervalS * 1000, attributes: {} };
  if (role) operation.role = role;
  return operation;
}

function primitive(id: string, promotable: boolean, random: Random, extra: Random): Primitive {
  const meta: Record<string, string> = {};
  if (random.chance(0.2)) meta['resource-stickiness'] = random.pick(stickiness);
  if (random.chance(0.1)) meta['migration-threshold'] = String(random.int(1, 3));
  if (random.chance(0.05)) meta['target-role'] = 'Stopped';
  const ops = promotable ? [op(id, 'monitor', 10, 'Promoted'), op(id, 'monitor', 11, 'Unpromoted')] : [op(id, 'monitor', 10)];
  const made: Primitive = {
    kind: 'primitive',
    id,
    agent: { class: 'ocf', provider: 'pacemaker', type: promotable ? 'Stateful' : 'Dummy' },
    params: {},
    meta,
    utilization: {},
    ops,
    extra: {},
  };
  primitiveFeatures(made, promotable, extra);
  return made;
}

function generateResources(random: Random, extra: Random, nodeCount: number): Resource[] {
  const resources: Resource[] = [];
  const count = random.int(1, 6);
  for (let index = 0; index < count; index += 1) {
    const kind = random.pick(['primitive', 'primitive', 'primitive', 'group', 'clone', 'promotable'] as const);
    const id = `r${index}`;
    if (kind === 'primitive') resources.push(primitive(id, false, random, extra));
    else if (kind === 'group') {
      const members = Array.from({ length: random.int(2, 3) }, (_, member) => primitive(`${id}m${member}`, false, random, extra));
      const meta: Record<string, string> = {};
      collectiveFeatures(meta, extra);
      resources.push({ kind: 'group', id, children: members, meta, params: {}, extra: {} });
    } else {
      const promotable = kind === 'promotable';
      const meta: Record<string, string> = promotable ? { promotable: 'true' } : {};
      if (random.chance(0.3)) meta['clone-max'] = String(random.int(1, 3));
      if (random.chance(0.2)) meta.interleave = 'true';
      const clone: Clone = { kind: 'clone', id, promotable, legacyMaster: false, child: primitive(`${id}c`, promotable, random, extra), meta, params: {}, extra: {} };
      cloneFeatures(clone, nodeCount, extra);
      maybeGroupChild(clone, (memberId) => primitive(memberId, promotable, extra, extra), extra);
      resources.push(clone);
    }
  }
  return resources;
}

function primitivesOf(resource: Resource): Primitive[] {
  if (resource.kind === 'primitive') return [resource];
  if (resource.kind === 'group') return resource.children;
  return primitivesOf(resource.child);
}

function generateConstraints(random: Random, resources: Resource[], nodes: string[]): Constraint[] {
  const constraints: Constraint[] = [];
  const ids = resources.map((resource) => resource.id);
  const promotableIds = resources.filter((resource) => resource.kind === 'clone' && resource.promotable).map((resource) => resource.id);
  const count = random.int(0, 5);
  for (let index = 0; index < count; index += 1) {
    const id = `c${index}`;
    const type = random.pick(['location', 'location', 'colocation', 'order', 'rule'] as const);
    if (type === 'location') {
      constraints.push({ type: 'location', id, rsc: random.pick(ids), score: random.pick(scores), node: random.pick(nodes), rules: [], extra: {} });
    } else if (type === 'rule') {
      constraints.push({
        type: 'location',
        id,
        rsc: random.pick(ids),
        rules: [{ id: `${id}-rule`, score: random.pick(scores), booleanOp: 'and', expressions: [{ kind: 'expression', id: `${id}-expr`, attribute: 'site', operation: 'eq', value: random.pick(['a', 'b']) }] }],
        extra: {},
      });
    } else if (ids.length >= 2) {
      const first = random.pick(ids);
      const second = random.pick(ids.filter((other) => other !== first));
      const withRole: Role | undefined = promotableIds.includes(second) && random.chance(0.6) ? 'Promoted' : undefined;
      if (type === 'colocation') {
        constraints.push({ type: 'colocation', id, score: random.pick(scores), rsc: { id: first }, withRsc: withRole ? { id: second, role: withRole } : { id: second }, extra: {} });
      } else {
        const kind = random.pick(['Mandatory', 'Mandatory', 'Optional'] as const);
        constraints.push({ type: 'order', id, kind, first: { id: second, action: withRole ? 'promote' : 'start' }, then: { id: first, action: 'start' }, extra: {} });
      }
    }
  }
  return constraints;
}

export function historyRecord(historyId: string, operation: string, rc: number, callId: number, intervalMs = 0): OperationRecord {
  const transitionKey = transitionKeyFor(rc);
  return {
    id: intervalMs > 0 ? `${historyId}_${operation}_${intervalMs}` : `${historyId}_last_0`,
    operation,
    callId,
    rc,
    opStatus: 0,
    intervalMs,
    lastRcChange: historyTimeS,
    transitionKey,
    transitionMagic: transitionMagicFor(0, rc, transitionKey),
    // The digest Pacemaker computes for an agent with no parameters, as crm_simulate records it.
    extra: { operation_key: `${historyId}_${operation}_${intervalMs}`, 'op-digest': 'f2317cad3d54cec5d7d7aa7d0bf35cf8' },
  };
}

/** Where things run now: each primitive (or clone instance) started on a random online node. */
function generateHistory(random: Random, extra: Random, resources: Resource[], states: NodeState[]): void {
  const online = states.filter((state) => state.inCluster);
  let callId = 1;
  const add = (state: NodeState, p: Primitive, historyId: string, ops: OperationRecord[]) => {
    const history: ResourceHistory = { id: historyId, class: p.agent.class, provider: p.agent.provider, type: p.agent.type, ops, extra: {} };
    state.resources.push(history);
  };
  for (const resource of resources) {
    if (!random.chance(0.6) || online.length === 0) continue;
    if (resource.kind === 'clone') {
      const promotedNode = resource.promotable && random.chance(0.5) ? random.pick(online) : undefined;
      // A unique clone's instances have their own history ids, and a node may run several.
      const unique = resource.meta['globally-unique'] === 'true';
      let instance = 0;
      for (const state of online) {
        if (!random.chance(0.7)) continue;
        const promoted = state === promotedNode;
        const copies = unique ? extra.int(1, Number(resource.meta['clone-node-max'] ?? '1')) : 1;
        for (let copy = 0; copy < copies; copy += 1) {
          const suffix = unique ? `:${instance++}` : '';
          for (const p of primitivesOf(resource)) add(state, p, p.id + suffix, [historyRecord(p.id + suffix, promoted && copy === 0 ? 'promote' : 'start', 0, callId++)]);
        }
      }
      continue;
    }
    const state = random.pick(online);
    for (const p of primitivesOf(resource)) add(state, p, p.id, [historyRecord(p.id, 'start', 0, callId++)]);
  }
  // Everything else has been probed and found stopped on some of the online nodes.
  for (const state of online) {
    for (const resource of resources) {
      if (resource.meta['globally-unique'] === 'true') continue;
      for (const p of primitivesOf(resource)) {
        if (state.resources.some((history) => history.id === p.id) || !random.chance(0.5)) continue;
        add(state, p, p.id, [historyRecord(p.id, 'monitor', 7, callId++)]);
      }
    }
  }
}

export function generateCase(seed: number): DifferentialCase {
  const random = new Random(seed);
  const extra = new Random(seed ^ 0x5bd1e995);
  const cib = emptyCib();
  const nodeCount = random.int(2, 5);
  const nodes = Array.from({ length: nodeCount }, (_, index) => `node${index + 1}`);
  cib.configuration.properties = { 'stonith-enabled': 'false' };
  if (random.chance(0.3)) cib.configuration.rscDefaults['resource-stickiness'] = random.pick(stickiness);
  if (random.chance(0.1)) cib.configuration.properties['symmetric-cluster'] = 'false';
  cib.configuration.nodes = nodes.map((name, index) => ({
    id: String(index + 1),
    uname: name,
    attributes: { site: index % 2 === 0 ? 'a' : 'b', ...(random.chance(0.12) ? { standby: 'on' } : {}) },
    utilization: {},
    extra: {},
  }));
  cib.configuration.resources = generateResources(random, extra, nodeCount);
  cib.configuration.constraints = generateConstraints(random, cib.configuration.resources, nodes);
  constraintFeatures(cib.configuration.constraints, cib.configuration.resources, nodes, extra);
  clusterFeatures(cib, extra);
  cib.status.nodes = nodes.map((name, index) => ({
    id: String(index + 1),
    uname: name,
    inCluster: index === 0 || random.chance(0.85),
    controllerOnline: true,
    join: 'member',
    expected: 'member',
    transientAttributes: {},
    resources: [],
    extra: {},
  }));
  for (const state of cib.status.nodes) {
    if (!state.inCluster) Object.assign(state, { controllerOnline: false, join: 'down', expected: 'down' });
  }
  for (const resource of cib.configuration.resources) {
    if (resource.kind !== 'clone' || !resource.promotable) continue;
    for (const state of cib.status.nodes) {
      if (!random.chance(0.6)) continue;
      const score = random.pick(['5', '10', '100', '1']);
      for (const p of primitivesOf(resource)) state.transientAttributes[`master-${p.id}`] = score;
    }
  }
  generateHistory(random, extra, cib.configuration.resources, cib.status.nodes);
  historyFailures(cib.status.nodes, extra);

  const onlineNodes = cib.status.nodes.filter((state) => state.inCluster).map((state) => state.uname);
  const offlineNodes = cib.status.nodes.filter((state) => !state.inCluster).map((state) => state.uname);
  const running = cib.status.nodes.flatMap((state) => state.resources.filter((history) => history.ops.some((o) => o.rc === 0)).map((history) => ({ node: state.uname, id: history.id })));
  const testCase: DifferentialCase = { seed, cib, nodeUp: [], nodeDown: [], nodeFail: [], opInject: [] };
  if (offlineNodes.length > 0 && random.chance(0.3)) testCase.nodeUp.push(random.pick(offlineNodes));
  if (onlineNodes.length > 1 && random.chance(0.25)) testCase.nodeDown.push(random.pick(onlineNodes.slice(1)));
  if (running.length > 0 && random.chance(0.35)) {
    const victim = random.pick(running);
    testCase.opInject.push(random.chance(0.7) ? `${victim.id}_monitor_10000@${victim.node}=${random.pick([1, 7])}` : `${victim.id}_start_0@${victim.node}=1`);
  }
  fencingFeatures(testCase, extra);
  ticketFeatures(cib, new Random(seed ^ 0x2c1b3c6d));
  return testCase;
}
