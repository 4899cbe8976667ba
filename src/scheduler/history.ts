// Replays one resource's operation history on one node (as recorded in the CIB status)
// to learn its role there and whether it failed, as Pacemaker's unpacker does.

import type { Operation } from '../model/config.js';
import { OcfRc, OpStatus, expectedRcOf, type OperationRecord } from '../model/status.js';
import { RoleRank } from './types.js';

export type OnFail = 'ignore' | 'block' | 'stop' | 'restart' | 'standby' | 'fence' | 'demote';

export interface NodeHistory {
  role: RoleRank;
  failed: boolean;
  /** A failed stop, or on-fail=block: the resource may not be touched here. */
  blocked: boolean;
  /** The failure asks for the node to be fenced (on-fail=fence, or a failed stop with fencing on). */
  fenceNode: boolean;
  standbyNode: boolean;
  /** on-fail=stop: keep it stopped until an operator intervenes. */
  stopAfterFailure: boolean;
  startPending: boolean;
  /** The agent says the resource cannot run on this node (not installed, no permission). */
  bannedHere: boolean;
  /** A stop failed here: it may not run here again (until cleaned up). */
  stopFailed: boolean;
  /** The agent says the configuration is wrong: it can run nowhere. */
  bannedEverywhere: boolean;
  /** A failure was ignored (on-fail=ignore): Pacemaker then ignores migration-threshold too. */
  failureIgnored: boolean;
  /** on-fail=restart of a resource still active: Pacemaker plans its stop here while reading the history. */
  stopPlannedOnRead: boolean;
  /** The failed operations that count (not expired), in the order replayed: crm_mon's failed actions. */
  failures: OperationRecord[];
}

function isProbe(record: OperationRecord): boolean {
  return record.operation === 'monitor' && record.intervalMs === 0;
}

function onFailFor(record: OperationRecord, ops: Operation[], stonithEnabled: boolean): OnFail {
  const configured = ops.find((op) => op.name === record.operation && op.intervalMs === record.intervalMs)?.onFail?.toLowerCase();
  // Pacemaker resets on-fail=fence to stop while fencing is disabled.
  if (configured === 'fence' && !stonithEnabled) return 'stop';
  if (configured !== undefined) return configured as OnFail;
  if (record.operation === 'stop') return stonithEnabled ? 'fence' : 'block';
  return 'restart';
}

/** Orders history as Pacemaker does: by call id, pending operations last. */
function byCallId(a: OperationRecord, b: OperationRecord): number {
  const pendingA = a.opStatus === OpStatus.pending ? 1 : 0;
  const pendingB = b.opStatus === OpStatus.pending ? 1 : 0;
  if (pendingA !== pendingB) return pendingA - pendingB;
  return a.callId - b.callId;
}

export interface ReplayContext {
  /** The resource's configured operations (for their on-fail). */
  ops: Operation[];
  stonithEnabled: boolean;
  /** An unmanaged resource's monitor that finds it not running only tells that it is stopped. */
  managed: boolean;
  /** Which failures are past the resource's failure-timeout: ignored as if they had never happened. */
  expired: (record: OperationRecord) => boolean;
  /**
   * An instance of a promotable clone: found active other than by a start (a monitor, a
   * failure, a pending start), it is unpromoted (Pacemaker's set_active); a start makes it
   * merely started, until its clone chooses roles.
   */
  promotable: boolean;
}

/** Replays the records in order (call id, pending ones last). */
export function replayHistory(records: OperationRecord[], { ops, stonithEnabled, managed, expired, promotable }: ReplayContext): NodeHistory {
  const active = promotable ? RoleRank.Unpromoted : RoleRank.Started;
  const state: NodeHistory = {
    role: RoleRank.Unknown,
    failed: false,
    blocked: false,
    fenceNode: false,
    standbyNode: false,
    stopAfterFailure: false,
    startPending: false,
    bannedHere: false,
    stopFailed: false,
    bannedEverywhere: false,
    failureIgnored: false,
    stopPlannedOnRead: false,
    failures: [],
  };
  let onFail: OnFail | undefined;
  // A failure record repeats the failed operation's own entry when that is still kept; once a
  // stop has removed the entry of a recurring monitor, it is the only trace of the failure.
  const kept = new Set(records.filter((record) => !record.id.includes('_last_failure_')).map((record) => `${record.callId}:${record.operation}:${record.intervalMs}`));
  const sorted = records.filter((record) => !record.id.includes('_last_failure_') || !kept.has(`${record.callId}:${record.operation}:${record.intervalMs}`)).sort(byCallId);

  for (const record of sorted) {
    if (record.opStatus === OpStatus.pending) {
      if (record.operation === 'start') {
        state.role = active;
        state.startPending = true;
      } else if (record.operation === 'promote') {
        state.role = RoleRank.Promoted;
      }
      continue;
    }
    if (record.opStatus === OpStatus.cancelled) continue;
    const failure = classify(record);
    if (failure !== 'ok' && expired(record)) continue;
    if (failure === 'ok') {
      applySuccess(state, record, active);
      if (clearsPastFailure(record, onFail)) onFail = clearFailure(onFail);
      continue;
    }
    if (managed || record.rc !== OcfRc.notRunning) state.failures.push(record);
    // A recurring monitor that finds it not running where it was not running, or for an
    // unmanaged resource, only says it is stopped (determine_op_status).
    if (record.rc === OcfRc.notRunning && record.intervalMs > 0 && (!managed || state.role === RoleRank.Stopped)) {
      state.role = RoleRank.Stopped;
      if (!managed) onFail = undefined;
      continue;
    }
    // "Not running" from a one-time operation other than a start means it is stopped now (for
    // a stop, that is success); a failed demote or promote does not leave it promoted. A start
    // that says so failed: it may be partly up, and is recovered.
    if (record.rc === OcfRc.notRunning && record.intervalMs === 0 && record.operation !== 'start') {
      state.role = RoleRank.Stopped;
      if (record.operation !== 'stop') onFail = worseOnFail(onFail, onFailFor(record, ops, stonithEnabled));
      continue;
    }
    const thisOnFail = onFailFor(record, ops, stonithEnabled);
    // on-fail=ignore: Pacemaker pretends the operation had the result it expected.
    if (thisOnFail === 'ignore') {
      state.failureIgnored = true;
      applySuccess(state, { ...record, rc: expectedRcOf(record) ?? OcfRc.success }, active);
      if (clearsPastFailure(record, onFail)) onFail = clearFailure(onFail);
      continue;
    }
    if (failure === 'hard') state.bannedHere = true;
    if (failure === 'fatal') state.bannedEverywhere = true;
    if (record.operation === 'stop') state.stopFailed = true;
    if (isProbe(record) && record.rc === OcfRc.errInstalled) {
      state.role = RoleRank.Stopped;
      continue;
    }
    onFail = worseOnFail(onFail, thisOnFail);
    if (record.operation === 'promote' || record.operation === 'demote' || record.rc === OcfRc.failedPromoted || record.rc === OcfRc.runningPromoted) {
      state.role = RoleRank.Promoted;
    } else if (record.operation === 'stop' || state.role < RoleRank.Started) {
      state.role = active;
    }
  }

  switch (onFail) {
    case undefined:
    case 'ignore':
      break;
    case 'block':
      state.blocked = true;
      state.failed = true;
      break;
    case 'stop':
      state.stopAfterFailure = true;
      state.failed = true;
      break;
    case 'fence':
      state.fenceNode = true;
      state.failed = true;
      break;
    case 'standby':
      state.standbyNode = true;
      state.failed = true;
      break;
    case 'restart':
      state.failed = state.role > RoleRank.Stopped;
      state.stopPlannedOnRead = state.failed;
      break;
    case 'demote':
      state.failed = state.role > RoleRank.Stopped;
      break;
  }
  if (state.role === RoleRank.Unknown) state.role = RoleRank.Stopped;
  return state;
}

type Outcome = 'ok' | 'soft' | 'hard' | 'fatal';

function classify(record: OperationRecord): Outcome {
  if (record.opStatus !== OpStatus.done) {
    if (record.opStatus === OpStatus.notInstalled || record.opStatus === OpStatus.errorHard) return 'hard';
    if (record.opStatus === OpStatus.errorFatal) return 'fatal';
    return 'soft';
  }
  const rc = record.rc;
  const expected = expectedRcOf(record);
  if (expected !== undefined && rc === expected) return 'ok';
  if (rc === OcfRc.success && expected === undefined) return 'ok';
  if (rc === OcfRc.success && expected === OcfRc.notRunning && record.operation === 'monitor') return 'ok';
  if (record.operation === 'monitor') {
    // Promoted where it was not expected: a probe has merely found it so, a recurring monitor has failed (determine_op_status).
    if (rc === OcfRc.runningPromoted && (record.intervalMs === 0 || expected === undefined)) return 'ok';
    if (rc === OcfRc.notRunning && record.intervalMs === 0) return 'ok';
  }
  // Pacemaker's reading of each code: "unimplemented" from a recurring operation only says the
  // agent cannot check that way; from a one-time operation, the resource cannot run here.
  if (rc === OcfRc.errArgs || rc === OcfRc.errPerm || rc === OcfRc.errInstalled) return 'hard';
  if (rc === OcfRc.errUnimplemented) return record.intervalMs === 0 ? 'hard' : 'soft';
  if (rc === OcfRc.errConfigured) return 'fatal';
  return 'soft';
}

/** `active`: the role of a resource found running without having been started. */
function applySuccess(state: NodeHistory, record: OperationRecord, active: RoleRank): void {
  switch (record.operation) {
    case 'start':
    case 'migrate_from':
      state.role = RoleRank.Started;
      state.startPending = false;
      break;
    case 'stop':
    case 'migrate_to':
      state.role = RoleRank.Stopped;
      break;
    case 'promote':
      state.role = RoleRank.Promoted;
      break;
    case 'demote':
      state.role = RoleRank.Unpromoted;
      break;
    case 'monitor':
      if (record.rc === OcfRc.notRunning) state.role = RoleRank.Stopped;
      else if (record.rc === OcfRc.runningPromoted) state.role = RoleRank.Promoted;
      else if (state.role < RoleRank.Started) state.role = active;
      break;
    default:
      break;
  }
}

/** Operations whose success puts an earlier failure behind it, as Pacemaker's unpacker has it. */
function clearsPastFailure(record: OperationRecord, onFail: OnFail | undefined): boolean {
  if (['stop', 'start', 'promote', 'migrate_from'].includes(record.operation)) return true;
  if (record.operation === 'demote') return onFail === 'demote';
  return isProbe(record) && record.rc === OcfRc.notRunning;
}

/** A successful stop (or a probe that finds it stopped) forgets failures that only asked for recovery. */
function clearFailure(onFail: OnFail | undefined): OnFail | undefined {
  if (onFail === 'restart' || onFail === 'ignore' || onFail === 'block' || onFail === 'demote') return undefined;
  return onFail;
}

const onFailSeverity: Record<OnFail, number> = {
  ignore: 0,
  demote: 1,
  restart: 2,
  stop: 3,
  standby: 4,
  block: 5,
  fence: 6,
};

function worseOnFail(current: OnFail | undefined, next: OnFail): OnFail {
  if (current === undefined) return next;
  return (onFailSeverity[next] ?? 0) > (onFailSeverity[current] ?? 0) ? next : current;
}
