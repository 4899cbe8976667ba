// Fail counts (node attributes fail-count-RSC#OP_INTERVAL, stamped by last-failure-...)
// and their expiry after the resource's failure-timeout, as Pacemaker counts them.

import { addScores, parseScore } from '../model/score.js';
import type { OperationRecord } from '../model/status.js';
import type { SchedNode, SchedPrimitive } from './types.js';

/** The name a resource's failures are counted under: an anonymous clone's instances share theirs. */
function failureName(primitive: SchedPrimitive): string {
  const parent = primitive.parent;
  const clone = parent?.kind === 'clone' ? parent : parent?.parent;
  return clone && !clone.globallyUnique ? primitive.definition.id : primitive.id;
}

/** The failures counted against a resource on a node; expired ones count nothing unless told to. */
export function failCount(primitive: SchedPrimitive, node: SchedNode, nowS: number, ignoreTimeout = false): number {
  const name = failureName(primitive);
  const countPrefix = `fail-count-${name}`;
  const timePrefix = `last-failure-${name}`;
  let count = 0;
  let lastFailureS = 0;
  for (const [key, value] of Object.entries(node.attributes)) {
    if (key === countPrefix || key.startsWith(countPrefix + '#')) count = addScores(count, parseScore(value) ?? 0);
    if (key === timePrefix || key.startsWith(timePrefix + '#')) lastFailureS = Math.max(lastFailureS, Number(value) || 0);
  }
  if (ignoreTimeout) return count;
  const expired = primitive.failureTimeoutMs > 0 && lastFailureS > 0 && nowS >= lastFailureS + primitive.failureTimeoutMs / 1000;
  return expired ? 0 : count;
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
