// What crm_mon says of failures: its "Failed Resource Actions" (the failures the scheduler
// counts: not expired, on nodes that are online, each operation once) and, as crm_mon
// --failcounts, its "Migration Summary" (each node's fail counts, with the
// resource's migration-threshold and the last failure), worded as crm_mon words them.

import { asctime, type Cib } from '../model/cib.js';
import { exitReasonAttribute } from '../model/record.js';
import { formatScore } from '../model/score.js';
import { OcfRc, OpStatus } from '../model/status.js';
import { failCount, failureName } from '../scheduler/failures.js';
import type { SchedPrimitive } from '../scheduler/types.js';
import { unpack, type WorkingSet } from '../scheduler/unpack.js';

export interface FailedAction {
  node: string;
  resource: string;
  operation: string;
  intervalMs: number;
  rc: number;
  /** Pacemaker's execution status: 0 complete, 2 timed out ... */
  opStatus: number;
  callId: number;
  lastRcChange?: number;
  execTimeMs: number;
  /** Why, in the agent's words (crm_mon's exitreason). */
  exitReason?: string;
}

/** A probe that found the agent missing or its parameters wrong says where it cannot run, not that it failed: crm_mon leaves it out. */
function maskedProbeFailure(action: FailedAction): boolean {
  if (action.operation !== 'monitor' || action.intervalMs !== 0) return false;
  return action.rc === OcfRc.errInstalled || action.rc === OcfRc.errArgs || action.opStatus === OpStatus.notInstalled;
}

export interface FailureReport {
  failedActions: FailedAction[];
  failCounts: FailCount[];
}

/** Both lists from one reading of the CIB (the scheduler's unpack, the costly part). */
export function failureReport(cib: Cib, nowS: number): FailureReport {
  const ws = unpack(cib, nowS, { tickets: false });
  return { failedActions: failedActions(ws), failCounts: failCounts(cib, ws) };
}

function failedActions(ws: WorkingSet): FailedAction[] {
  const actions = ws.failedOperations.map(({ node, historyId, record }): FailedAction => {
    const exitReason = record.extra[exitReasonAttribute];
    return {
      node,
      resource: historyId,
      operation: record.operation,
      intervalMs: record.intervalMs,
      rc: record.rc,
      opStatus: record.opStatus,
      callId: record.callId,
      ...(record.lastRcChange !== undefined ? { lastRcChange: record.lastRcChange } : {}),
      execTimeMs: record.execTimeMs ?? 0,
      ...(exitReason ? { exitReason } : {}),
    };
  });
  return actions.filter((action) => !maskedProbeFailure(action));
}

/** Pacemaker's words for an agent's exit code (services_ocf_exitcode_str). */
const exitCodeText: Record<number, string> = {
  [OcfRc.success]: 'ok',
  [OcfRc.errGeneric]: 'error',
  [OcfRc.errArgs]: 'invalid parameter',
  [OcfRc.errUnimplemented]: 'unimplemented feature',
  [OcfRc.errPerm]: 'insufficient privileges',
  [OcfRc.errInstalled]: 'not installed',
  [OcfRc.errConfigured]: 'not configured',
  [OcfRc.notRunning]: 'not running',
  [OcfRc.runningPromoted]: 'promoted',
  [OcfRc.failedPromoted]: 'promoted (failed)',
  190: 'OCF_DEGRADED',
  191: 'promoted (degraded)',
};

/** Pacemaker's words for an execution status (pcmk_exec_status_str). */
const execStatusText: Record<number, string> = {
  [OpStatus.pending]: 'pending',
  [OpStatus.done]: 'complete',
  [OpStatus.cancelled]: 'Cancelled',
  [OpStatus.timeout]: 'Timed Out',
  [OpStatus.notSupported]: 'NOT SUPPORTED',
  [OpStatus.error]: 'Error',
  [OpStatus.errorHard]: 'Hard error',
  [OpStatus.errorFatal]: 'Fatal error',
  [OpStatus.notInstalled]: 'Not installed',
  8: 'Internal communication failure',
  9: 'Cannot execute now',
  10: 'No fence device',
  11: 'CIB secrets unavailable',
};

/** A duration as Pacemaker writes one for people: 1m30s, 10s, 1.500s, 500ms (pcmk__readable_interval). */
export function readableInterval(ms: number): string {
  let left = ms;
  let text = '';
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000]] as const) {
    if (left < size) continue;
    text += `${Math.floor(left / size)}${unit}`;
    left %= size;
  }
  if (left >= 1000) text += `${Math.floor(left / 1000)}${left % 1000 > 0 ? `.${String(left % 1000).padStart(3, '0')}` : ''}s`;
  else if (left > 0) text += `${left}ms`;
  return text || '0s';
}

/** One line as crm_mon prints a failed action by default (failed_action_friendly). */
export function failedActionLine(action: FailedAction): string {
  const interval = action.intervalMs > 0 ? `${readableInterval(action.intervalMs)}-interval ` : '';
  const task = action.operation === 'monitor' && action.intervalMs === 0 ? 'probe' : action.operation;
  const outcome =
    action.opStatus === OpStatus.done
      ? ` returned '${exitCodeText[action.rc] ?? 'unknown'}'${action.exitReason ? ` (${action.exitReason})` : ''}`
      : ` could not be executed (${execStatusText[action.opStatus] ?? 'UNKNOWN!'}${action.exitReason ? `: ${action.exitReason}` : ''})`;
  const when = action.lastRcChange !== undefined ? ` at ${asctime(action.lastRcChange * 1000)}` : '';
  const took = action.execTimeMs > 0 ? ` after ${readableInterval(action.execTimeMs)}` : '';
  return `  * ${action.resource} ${interval}${task} on ${action.node}${outcome}${when}${took}`;
}

export interface FailCount {
  node: string;
  /** The resource's id in the node's history. */
  resource: string;
  migrationThreshold: number;
  count: number;
  lastFailureS?: number;
}

/** Every fail count recorded (an expired one too, until it is cleared), per node and resource in the history's order, as crm_mon --failcounts lists them. */
function failCounts(cib: Cib, ws: WorkingSet): FailCount[] {
  // A history names an instance (unique clones) or the definition its instances share (anonymous ones).
  const byId = new Map<string, SchedPrimitive>();
  for (const primitive of ws.primitives) if (!byId.has(primitive.definition.id)) byId.set(primitive.definition.id, primitive);
  for (const primitive of ws.primitives) byId.set(primitive.id, primitive);
  const states = new Map(cib.status.nodes.map((state) => [state.uname, state]));
  const counts: FailCount[] = [];
  for (const node of ws.nodes) {
    for (const history of states.get(node.name)?.resources ?? []) {
      const resource = byId.get(history.id);
      if (!resource) continue;
      const count = failCount(resource, node, ws.nowS, true);
      if (count <= 0) continue;
      const lastFailureS = node.failures.get(failureName(resource))?.lastFailureS ?? 0;
      counts.push({ node: node.name, resource: history.id, migrationThreshold: resource.migrationThreshold, count, ...(lastFailureS > 0 ? { lastFailureS } : {}) });
    }
  }
  return counts;
}

/** The "Migration Summary" lines, as crm_mon --failcounts prints them: each node once, its resources under it. */
export function migrationSummaryLines(counts: FailCount[]): string[] {
  const lines: string[] = [];
  for (const node of new Set(counts.map((entry) => entry.node))) {
    lines.push(`  * Node: ${node}:`);
    for (const entry of counts.filter((candidate) => candidate.node === node)) {
      const last = entry.lastFailureS !== undefined ? ` last-failure='${asctime(entry.lastFailureS * 1000)}'` : '';
      lines.push(`    * ${entry.resource}: migration-threshold=${entry.migrationThreshold} fail-count=${formatScore(entry.count)}${last}`);
    }
  }
  return lines;
}
