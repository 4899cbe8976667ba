// Fail counts (node attributes fail-count-RSC#OP_INTERVAL, stamped by last-failure-...)
// and their expiry after the resource's failure-timeout, as Pacemaker counts them.

import { addScores, parseScore } from '../model/score.js';
import { expectedRcOf, type OperationRecord } from '../model/status.js';
import { anonymousCloneOf, type SchedNode, type SchedPrimitive } from './types.js';

/** The name a resource's failures are counted under: an anonymous clone's instances share theirs. */
export function failureName(primitive: SchedPrimitive): string {
  return anonymousCloneOf(primitive) ? primitive.definition.id : primitive.id;
}

/** A node's failures of one resource: the fail counts summed, and the latest last-failure stamp. */
export interface FailureRecord {
  count: number;
  lastFailureS: number;
}

/**
 * A node's fail-count-NAME[#OP_INTERVAL] and last-failure-NAME[#OP_INTERVAL] attributes by
 * NAME, read once per node: every primitive asks about every node.
 */
export function indexFailures(attributes: Record<string, string>): Map<string, FailureRecord> {
  const index = new Map<string, FailureRecord>();
  const recordFor = (key: string, prefix: string) => {
    const hash = key.indexOf('#', prefix.length);
    const name = key.slice(prefix.length, hash < 0 ? undefined : hash);
    let record = index.get(name);
    if (!record) {
      record = { count: 0, lastFailureS: 0 };
      index.set(name, record);
    }
    return record;
  };
  for (const [key, value] of Object.entries(attributes)) {
    if (key.startsWith('fail-count-')) {
      const record = recordFor(key, 'fail-count-');
      record.count = addScores(record.count, parseScore(value) ?? 0);
    } else if (key.startsWith('last-failure-')) {
      const record = recordFor(key, 'last-failure-');
      record.lastFailureS = Math.max(record.lastFailureS, Number(value) || 0);
    }
  }
  return index;
}

/** The failures counted against a resource on a node; expired ones count nothing unless told to. */
export function failCount(primitive: SchedPrimitive, node: SchedNode, nowS: number, ignoreTimeout = false): number {
  const record = node.failures.get(failureName(primitive));
  if (!record) return 0;
  if (ignoreTimeout) return record.count;
  const expired = primitive.failureTimeoutMs > 0 && record.lastFailureS > 0 && nowS >= record.lastFailureS + primitive.failureTimeoutMs / 1000;
  return expired ? 0 : record.count;
}

/**
 * Whether a recorded failure is past the resource's failure-timeout, so that it no longer
 * counts (Pacemaker's check_operation_expiry): the record is old enough and no unexpired
 * failure remains; a probe that found the resource running or stopped never expires.
 */
export function failureExpired(primitive: SchedPrimitive, node: SchedNode, record: OperationRecord, nowS: number): boolean {
  if (primitive.failureTimeoutMs <= 0 || record.lastRcChange === undefined) return false;
  if (nowS < record.lastRcChange + primitive.failureTimeoutMs / 1000) return false;
  if (failCount(primitive, node, nowS, true) > 0 && failCount(primitive, node, nowS) > 0) return false;
  return !(record.intervalMs === 0 && record.operation === 'monitor' && [0, 7, 8].includes(record.rc));
}

/**
 * Whether a history record is a failure of an operation configured with on-fail=block
 * (Pacemaker's block_failure): a failure that blocks the resource makes Pacemaker
 * disregard the resource's failure-timeout from then on.
 */
export function isBlockingFailure(primitive: SchedPrimitive, record: OperationRecord): boolean {
  const name = primitive.definition.id;
  return primitive.definition.ops.some((op) => {
    if (op.onFail?.toLowerCase() !== 'block' || op.name !== record.operation || op.intervalMs !== record.intervalMs) return false;
    if (record.id === `${name}_last_failure_0`) return true;
    return record.id === `${name}_${op.name}_${op.intervalMs}` && record.rc !== (expectedRcOf(record) ?? -1);
  });
}

/**
 * When the next failure that still counts will expire (seconds since the epoch), so that
 * the cluster looks again then rather than at its next cluster-recheck-interval, as
 * Pacemaker's scheduler asks its controller to ("recheck-by").
 */
export function nextFailureExpiryS(primitives: readonly SchedPrimitive[], nodes: readonly SchedNode[], nowS: number): number | undefined {
  let soonestS: number | undefined;
  for (const primitive of primitives) {
    if (primitive.failureTimeoutMs <= 0) continue;
    for (const node of nodes) {
      const record = node.failures.get(failureName(primitive));
      if (!record || record.count <= 0 || record.lastFailureS <= 0) continue;
      const expiryS = record.lastFailureS + Math.ceil(primitive.failureTimeoutMs / 1000);
      if (expiryS > nowS && (soonestS === undefined || expiryS < soonestS)) soonestS = expiryS;
    }
  }
  return soonestS;
}
