// The features layered on the base random clusters, each drawn from a second stream (so
// the base draws, and what they made, stay as they were) at a modest probability:
// clone-node-max, ordered clones, promoted-max and promoted-node-max (new and legacy
// names), cloned groups, location constraints for the promoted role, roles on both sides of
// colocations, order actions, asymmetrical and Serialize orders, is-managed=false,
// target-role, stickiness on groups and clones, nodes in maintenance and maintenance-mode,
// failures in history with failure-timeout, migration-threshold and on-fail, quorum lost
// under each no-quorum-policy, utilization with a placement strategy, and fencing: a failed
// node or a failed stop with stonith-enabled=true (and a stop failing without it).

import type { Cib } from '../model/cib.js';
import type { ActionName, Clone, Constraint, OrderConstraint, Primitive, Resource, Role } from '../model/config.js';
import { transitionKeyFor, transitionMagicFor, type NodeState, type OperationRecord } from '../model/status.js';
import { caseTimeS, type DifferentialCase, type Random } from './generate.js';

const stickiness = ['0', '1', '100', '50', 'INFINITY'] as const;
const scores = ['INFINITY', '-INFINITY', '100', '-100', '50', '200', '10'] as const;
/** A minute or an hour: long-past failures have expired either way, recent ones only for the minute. */
const failureTimeouts = ['60s', '3600s'] as const;
/** When the base history's operations ran, long before the cases run. */
export const historyTimeS = 1_700_000_000;

/** Meta attributes and monitor settings of one primitive. */
export function primitiveFeatures(primitive: Primitive, promotable: boolean, extra: Random): void {
  const meta = primitive.meta;
  if (extra.chance(0.04)) meta['is-managed'] = 'false';
  if (extra.chance(0.06) && meta['target-role'] === undefined) meta['target-role'] = extra.pick(promotable ? ['Unpromoted', 'Promoted', 'Started'] : ['Started']);
  if (extra.chance(0.12)) meta['failure-timeout'] = extra.pick(failureTimeouts);
  if (extra.chance(0.06)) meta['migration-threshold'] = String(extra.int(1, 3));
  if (extra.chance(0.1)) {
    const onFail = extra.pick(['stop', 'block', 'ignore', 'restart', 'standby'] as const);
    for (const operation of primitive.ops) operation.onFail = onFail;
  }
  if (extra.chance(0.1)) primitive.utilization = { cpu: String(extra.int(1, 2)), memory: String(extra.pick([256, 512, 1024])) };
}

/** Meta attributes of a group or clone. */
export function collectiveFeatures(meta: Record<string, string>, extra: Random): void {
  if (extra.chance(0.1)) meta['resource-stickiness'] = extra.pick(stickiness);
  if (extra.chance(0.03)) meta['is-managed'] = 'false';
  if (extra.chance(0.04)) meta['target-role'] = 'Started';
}

/** Clone limits: several instances per node, ordered starts, promotion limits; notifications. */
export function cloneFeatures(clone: Clone, nodeCount: number, extra: Random): void {
  const meta = clone.meta;
  collectiveFeatures(meta, extra);
  if (extra.chance(0.25)) meta.notify = 'true';
  if (extra.chance(0.15)) {
    meta['clone-node-max'] = String(extra.int(2, 3));
    meta['clone-max'] = String(extra.int(1, nodeCount * 2));
    // Anonymous clones ignore clone-node-max: only unique ones run several instances per node.
    if (extra.chance(0.6)) meta['globally-unique'] = 'true';
  }
  if (extra.chance(0.1)) meta.ordered = 'true';
  if (!clone.promotable) return;
  const legacy = extra.chance(0.5);
  if (extra.chance(0.2)) meta[legacy ? 'master-max' : 'promoted-max'] = String(extra.int(0, 3));
  if (extra.chance(0.15)) meta[legacy ? 'master-node-max' : 'promoted-node-max'] = String(extra.int(1, 2));
  if (extra.chance(0.05)) meta['target-role'] = extra.pick(['Unpromoted', 'Promoted', 'Started']);
}

/** A clone of a group: the generated child becomes the group's first member. */
export function maybeGroupChild(clone: Clone, memberFor: (id: string) => Primitive, extra: Random): void {
  if (clone.child.kind !== 'primitive' || !extra.chance(clone.promotable ? 0.08 : 0.2)) return;
  const first = clone.child;
  const members = [first, ...Array.from({ length: extra.int(1, 2) }, (_, index) => memberFor(`${clone.id}g${index + 1}`))];
  clone.child = { kind: 'group', id: `${clone.id}g`, children: members, meta: {}, params: {}, extra: {} };
}

function isPromotable(resources: Resource[], id: string): boolean {
  return resources.some((resource) => resource.id === id && resource.kind === 'clone' && resource.promotable);
}

function actionFor(promotable: boolean, extra: Random): ActionName {
  return promotable ? extra.pick(['start', 'stop', 'promote', 'demote'] as const) : extra.pick(['start', 'stop'] as const);
}

function orderFeatures(constraint: OrderConstraint, resources: Resource[], extra: Random): void {
  const first = constraint.first!;
  const then = constraint.then!;
  if (extra.chance(0.25)) {
    first.action = actionFor(isPromotable(resources, first.id), extra);
    then.action = actionFor(isPromotable(resources, then.id), extra);
  }
  if (extra.chance(0.15)) constraint.symmetrical = false;
  if (extra.chance(0.1)) constraint.kind = 'Serialize';
}

const roles: Role[] = ['Promoted', 'Unpromoted', 'Started'];

/** Roles and actions on the base constraints, and location constraints for the promoted role. */
export function constraintFeatures(constraints: Constraint[], resources: Resource[], nodes: string[], extra: Random): void {
  for (const constraint of constraints) {
    if (constraint.type === 'order') orderFeatures(constraint, resources, extra);
    if (constraint.type !== 'colocation' || !constraint.rsc || !constraint.withRsc) continue;
    if (isPromotable(resources, constraint.rsc.id) && extra.chance(0.3)) constraint.rsc.role = extra.pick(roles);
    if (isPromotable(resources, constraint.withRsc.id) && extra.chance(0.3)) constraint.withRsc.role = extra.pick(roles);
  }
  const promotable = resources.filter((resource) => resource.kind === 'clone' && resource.promotable).map((resource) => resource.id);
  if (promotable.length === 0 || !extra.chance(0.3)) return;
  const id = `p${constraints.length}`;
  const rsc = extra.pick(promotable);
  if (extra.chance(0.5)) {
    constraints.push({ type: 'location', id, rsc, role: 'Promoted', score: extra.pick(scores), node: extra.pick(nodes), rules: [], extra: {} });
    return;
  }
  const expression = { kind: 'expression' as const, id: `${id}-expr`, attribute: 'site', operation: 'eq' as const, value: extra.pick(['a', 'b']) };
  constraints.push({ type: 'location', id, rsc, rules: [{ id: `${id}-rule`, score: extra.pick(scores), booleanOp: 'and', role: 'Promoted', expressions: [expression] }], extra: {} });
}

/** Maintenance, quorum and placement strategy: cluster-wide settings and node attributes. */
export function clusterFeatures(cib: Cib, extra: Random): void {
  const properties = cib.configuration.properties;
  for (const node of cib.configuration.nodes) if (extra.chance(0.05)) node.attributes.maintenance = 'on';
  if (extra.chance(0.03)) properties['maintenance-mode'] = 'true';
  if (extra.chance(0.1)) {
    properties['no-quorum-policy'] = extra.pick(['stop', 'freeze', 'ignore', 'demote']);
    cib.haveQuorum = false;
  }
  if (extra.chance(0.1)) {
    properties['placement-strategy'] = extra.pick(['utilization', 'balanced', 'minimal']);
    for (const node of cib.configuration.nodes) node.utilization = { cpu: String(extra.int(1, 4)), memory: String(extra.pick([512, 1024, 2048])) };
  }
}

function failedMonitor(historyId: string, callId: number, atS: number): OperationRecord {
  const transitionKey = transitionKeyFor(0);
  return {
    id: `${historyId}_monitor_10000`,
    operation: 'monitor',
    callId,
    rc: 1,
    opStatus: 0,
    intervalMs: 10_000,
    lastRcChange: atS,
    transitionKey,
    transitionMagic: transitionMagicFor(0, 1, transitionKey),
    extra: { operation_key: `${historyId}_monitor_10000`, 'op-digest': 'f2317cad3d54cec5d7d7aa7d0bf35cf8' },
  };
}

/** Past monitor failures where things run (ten minutes or years ago), with the fail counts the controller keeps. */
export function historyFailures(states: NodeState[], extra: Random): void {
  let callId = 1000;
  for (const state of states) {
    for (const history of state.resources) {
      if (!history.ops.some((op) => op.rc === 0 && op.operation !== 'monitor') || !extra.chance(0.08)) continue;
      const atS = extra.chance(0.5) ? caseTimeS - 600 : historyTimeS;
      history.ops.push(failedMonitor(history.id, callId++, atS));
      const key = `${history.id}#monitor_10000`;
      state.transientAttributes[`fail-count-${key}`] = String(extra.int(1, 3));
      state.transientAttributes[`last-failure-${key}`] = String(atS);
    }
  }
}

/**
 * Fencing on (mostly with a device, else nothing may start): a node fails, or a stop
 * fails where something runs; without fencing, a failed stop now and then too.
 */
export function fencingFeatures(testCase: DifferentialCase, extra: Random): void {
  const { cib } = testCase;
  const running = cib.status.nodes.flatMap((state) =>
    state.resources.filter((history) => history.ops.some((op) => op.operation === 'start' && op.rc === 0)).map((history) => ({ node: state.uname, id: history.id })),
  );
  const failStop = () => {
    const victim = extra.pick(running);
    testCase.opInject.push(`${victim.id}_stop_0@${victim.node}=1`);
  };
  if (!extra.chance(0.15)) {
    if (running.length > 0 && extra.chance(0.03)) failStop();
    return;
  }
  cib.configuration.properties['stonith-enabled'] = 'true';
  if (extra.chance(0.85)) {
    cib.configuration.resources.push({ kind: 'primitive', id: 'fencer', agent: { class: 'stonith', type: 'fence_dummy' }, params: {}, meta: {}, utilization: {}, ops: [], extra: {} });
  }
  const up = cib.status.nodes.filter((state) => state.inCluster && !testCase.nodeDown.includes(state.uname));
  if (up.length > 1 && extra.chance(0.6)) testCase.nodeFail.push(extra.pick(up).uname);
  else if (running.length > 0 && extra.chance(0.5)) failStop();
}
