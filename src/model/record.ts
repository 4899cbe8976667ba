// Recording operation results in a node's status, as Pacemaker's controller does: the
// last result, the last failure and each recurring monitor are kept, and failures count
// against the resource (fail-count-RSC#OP_INTERVAL with last-failure-...).

import type { Primitive } from './config.js';
import { OcfRc, OpStatus, transitionKeyFor, transitionMagicFor, type NodeState, type OperationRecord, type ResourceHistory } from './status.js';

/** The lrm_rsc_op attribute Pacemaker keeps an agent's reason for a failure in. */
export const exitReasonAttribute = 'exit-reason';

function expectedRc(task: string, intervalMs: number): number[] {
  if (task === 'monitor') return intervalMs === 0 ? [OcfRc.success, OcfRc.notRunning, OcfRc.runningPromoted] : [OcfRc.success, OcfRc.runningPromoted];
  return [OcfRc.success];
}

function history(state: NodeState, primitive: Primitive, id: string): ResourceHistory {
  let entry = state.resources.find((candidate) => candidate.id === id);
  if (!entry) {
    entry = { id, class: primitive.agent.class, provider: primitive.agent.provider, type: primitive.agent.type, ops: [], extra: {} };
    state.resources.push(entry);
  }
  return entry;
}

/** What is known of an operation's result beyond its exit code. */
export interface ResultDetails {
  /** The results that are not failures, when the caller knows them better than the task does (a recurring monitor's role says whether 0 or 8 is expected). */
  expected?: number[];
  exitReason?: string;
  /** Pacemaker's execution status: timed out, not installed ... (complete by default). */
  opStatus?: number;
  execTimeMs?: number;
}

/** Records one operation result, keeping the records Pacemaker keeps (last, last failure, recurring); true when it failed. */
export function recordOperation(state: NodeState, primitive: Primitive, historyId: string, task: string, intervalMs: number, rc: number, nowS: number, details: ResultDetails = {}): boolean {
  const { expected = expectedRc(task, intervalMs), exitReason, opStatus = OpStatus.done, execTimeMs = 0 } = details;
  const entry = history(state, primitive, historyId);
  const callId = Math.max(0, ...state.resources.flatMap((resource) => resource.ops.map((op) => op.callId))) + 1;
  const failed = opStatus !== OpStatus.done || !expected.includes(rc);
  const transitionKey = transitionKeyFor(failed ? (expected[0] ?? 0) : rc);
  const id = intervalMs > 0 ? `${historyId}_${task}_${intervalMs}` : `${historyId}_last_0`;
  const record: OperationRecord = {
    id,
    operation: task,
    callId,
    rc,
    opStatus,
    intervalMs,
    lastRcChange: nowS,
    lastRun: nowS,
    execTimeMs,
    queueTimeMs: 0,
    transitionKey,
    transitionMagic: transitionMagicFor(opStatus, rc, transitionKey),
    onNode: state.uname,
    extra: { operation_key: `${historyId}_${task}_${intervalMs}`, ...(exitReason ? { [exitReasonAttribute]: exitReason } : {}) },
  };
  entry.ops = entry.ops.filter((op) => op.id !== id);
  // A stop ends recurring monitors; the record of the last failure stays until a cleanup.
  if (intervalMs === 0 && task === 'stop') entry.ops = entry.ops.filter((op) => op.intervalMs === 0 || op.id === `${historyId}_last_failure_0`);
  entry.ops.push(record);
  if (failed) {
    entry.ops = entry.ops.filter((op) => op.id !== `${historyId}_last_failure_0`);
    entry.ops.push({ ...record, id: `${historyId}_last_failure_0`, extra: { ...record.extra } });
  }
  return failed;
}

/**
 * Adds one to the fail count of an operation (or makes it INFINITY, as a failed start does
 * with start-failure-is-fatal) and stamps the time of the failure.
 */
export function countFailure(state: NodeState, historyId: string, task: string, intervalMs: number, nowS: number, fatal = false): void {
  const key = `${historyId}#${task}_${intervalMs}`;
  const count = Number.parseInt(state.transientAttributes[`fail-count-${key}`] ?? '0', 10) || 0;
  state.transientAttributes[`fail-count-${key}`] = fatal ? 'INFINITY' : String(count + 1);
  state.transientAttributes[`last-failure-${key}`] = String(nowS);
}

const paramsKey = 'tandem-params';

/**
 * The definition to act on a resource with, from its history, for one that is no longer
 * configured (an orphan): its agent, and the parameters it was started with.
 */
export function definitionFromHistory(history: ResourceHistory): Primitive {
  const agent = history.provider !== undefined ? { class: history.class, provider: history.provider, type: history.type } : { class: history.class, type: history.type };
  let params: Record<string, string> = {};
  try {
    params = JSON.parse(history.extra[paramsKey] ?? '{}') as Record<string, string>;
  } catch {
    params = {};
  }
  return { kind: 'primitive', id: history.id, agent, params, meta: {}, utilization: {}, ops: [], extra: {} };
}

/** Keeps the parameters a resource was started with, so it can be stopped if it is removed. */
export function rememberParams(state: NodeState, historyId: string, params: Record<string, string>): void {
  const entry = state.resources.find((candidate) => candidate.id === historyId);
  if (entry) entry.extra[paramsKey] = JSON.stringify(params);
}

/** Forgets a resource's history on a node (after an orphan is stopped there). */
export function forgetHistory(state: NodeState, historyId: string): void {
  state.resources = state.resources.filter((candidate) => candidate.id !== historyId);
}
