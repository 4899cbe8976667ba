// At start-up, before anything is probed: the agent calls a previous incarnation of this
// daemon left running (it was killed, its agents were not). As Pacemaker's executor would
// have, each is given until its own deadline, then its process group is sent SIGTERM and,
// after the same grace as a live call, SIGKILL. Only then does a probe see the resource as
// the call left it: a probe racing a start still in flight would find it "not running",
// and the resource would be started a second time.

import type { Logger } from 'pino';
import { killGraceMs } from '../agents/ocf.js';
import { readInflight, type InflightCall } from './inflight-journal.js';
import { stillRunning } from '../agents/process-identity.js';
import { rmSync } from 'node:fs';

export type LeftoverStep = 'ended' | 'wait' | 'terminate' | 'kill';

/**
 * What to do about a call a previous incarnation left. One whose process was never noted
 * (the daemon died between writing its intent and starting it) cannot be watched: it is
 * waited out to its deadline.
 */
export function leftoverStep(call: Pick<InflightCall, 'deadlineMs' | 'process'>, running: boolean, nowMs: number): LeftoverStep {
  if (call.process === undefined) return nowMs < call.deadlineMs ? 'wait' : 'ended';
  if (!running) return 'ended';
  if (nowMs < call.deadlineMs) return 'wait';
  return nowMs < call.deadlineMs + killGraceMs ? 'terminate' : 'kill';
}

export interface LeftoverHost {
  nowMs: () => number;
  running: (call: InflightCall) => boolean;
  signalGroup: (pid: number, signal: NodeJS.Signals) => void;
  sleep: (ms: number) => Promise<void>;
}

const pollMs = 100;
/** Beyond the last deadline and the kill grace: time for a killed group to be gone. */
const afterKillMs = 5_000;

const thisHost: LeftoverHost = {
  nowMs: Date.now,
  running: (call) => call.process !== undefined && stillRunning(call.process),
  signalGroup: (pid, signal) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is gone already.
    }
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Waits until no call of a previous incarnation runs any more (or could not be ended even by SIGKILL), then clears the journal. */
export async function settleLeftovers(directory: string, log: Logger, host: LeftoverHost = thisHost): Promise<void> {
  const { calls, unreadable } = readInflight(directory);
  for (const file of unreadable) {
    log.warn({ file }, 'unreadable record of an agent call of the previous incarnation; removed');
    rmSync(file, { force: true });
  }
  if (calls.length === 0) return;
  const describe = (call: InflightCall) => ({ resource: call.instance, operation: call.action, pid: call.process?.pid, deadline: new Date(call.deadlineMs).toISOString() });
  for (const call of calls) log.warn(describe(call), 'operation of the previous incarnation still in flight: waiting for it before probing');
  const giveUpMs = Math.max(...calls.map((call) => call.deadlineMs)) + killGraceMs + afterKillMs;
  const signalled = new Map<InflightCall, NodeJS.Signals>();
  let pending = calls;
  while (pending.length > 0 && host.nowMs() < giveUpMs) {
    pending = pending.filter((call) => {
      const step = leftoverStep(call, host.running(call), host.nowMs());
      if (step === 'ended') {
        log.info(describe(call), 'operation of the previous incarnation ended');
        rmSync(call.file, { force: true });
        return false;
      }
      const signal = step === 'terminate' ? 'SIGTERM' : step === 'kill' ? 'SIGKILL' : undefined;
      if (signal && signalled.get(call) !== signal && call.process) {
        log.warn({ ...describe(call), signal }, 'operation of the previous incarnation overran its timeout: signalling its process group');
        host.signalGroup(call.process.pid, signal);
        signalled.set(call, signal);
      }
      return true;
    });
    if (pending.length > 0) await host.sleep(pollMs);
  }
  for (const call of pending) {
    log.error(describe(call), 'operation of the previous incarnation still running after SIGKILL: probing all the same');
    rmSync(call.file, { force: true });
  }
}
