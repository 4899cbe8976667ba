// Watchdog-based self-fencing (Pacemaker with SBD and no disk): a node with a watchdog
// resets itself when it cannot keep its lease and has not stopped what it ran, so the
// cluster may take it for fenced once `stonith-watchdog-timeout` has passed since it was
// lost. Decided purely here; the waiting is the caller's.

import { parseDurationMs } from '../model/duration.js';

/** The node's own watchdog timeout, kept in its status so the DC still knows it once the node is lost. */
export const watchdogAttribute = '#watchdog-timeout-ms';

export type SelfFenceVerdict = { ok: true; waitMs: number } | { ok: false; reason: string };

/**
 * How long to wait before a lost node may be taken for fenced by its own watchdog: the
 * cluster's stonith-watchdog-timeout (a negative value: twice the node's watchdog
 * timeout), never shorter than the node's watchdog timeout.
 */
export function selfFenceWait(properties: Record<string, string>, node: string, nodeWatchdogMs: number | undefined): SelfFenceVerdict {
  const configured = properties['stonith-watchdog-timeout'];
  const timeoutMs = configured === undefined ? 0 : (parseDurationMs(configured.replace(/^-/, '')) ?? 0) * (configured.startsWith('-') ? -1 : 1);
  if (timeoutMs === 0) return { ok: false, reason: 'stonith-watchdog-timeout is not set' };
  if (nodeWatchdogMs === undefined) return { ok: false, reason: `${node} runs no watchdog` };
  if (timeoutMs < 0) return { ok: true, waitMs: 2 * nodeWatchdogMs };
  if (timeoutMs < nodeWatchdogMs) return { ok: false, reason: `stonith-watchdog-timeout (${timeoutMs} ms) is shorter than ${node}'s watchdog timeout (${nodeWatchdogMs} ms): the node might not have reset yet` };
  return { ok: true, waitMs: timeoutMs };
}

/** Whether every member runs a watchdog (Pacemaker's have-watchdog, which lets the cluster run with no fencing device). */
export function everyMemberHasWatchdog(states: Array<{ uname: string; transientAttributes: Record<string, string> }>, members: ReadonlySet<string>): boolean {
  const memberStates = states.filter((state) => members.has(state.uname));
  return memberStates.length > 0 && memberStates.length === members.size && memberStates.every((state) => state.transientAttributes[watchdogAttribute] !== undefined);
}
