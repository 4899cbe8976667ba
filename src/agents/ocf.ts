// Runs OCF resource agents unmodified, as the OCF resource agent API says: the action as
// the only argument, OCF_ROOT and OCF_RESOURCE_INSTANCE set, each parameter as
// OCF_RESKEY_<name>, each meta value as OCF_RESKEY_CRM_meta_<name>. Every call has a
// deadline; an agent that overruns it is killed (SIGTERM, then SIGKILL). Each agent runs in
// its own process group, so it outlives a daemon killed with -9: a journal, when given,
// keeps every call in flight where the next incarnation finds it and waits for it.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { AgentSpec } from '../model/config.js';
import { OcfRc } from '../model/status.js';

export const defaultOcfRoot = '/usr/lib/ocf';
const outputLimitBytes = 64 * 1024;
/** After a deadline: between SIGTERM and SIGKILL to the agent's process group. */
export const killGraceMs = 2_000;

export interface AgentCall {
  agent: AgentSpec;
  action: string;
  instance: string;
  params: Record<string, string>;
  meta: Record<string, string>;
  timeoutMs: number;
  ocfRoot?: string;
  /** Extra variables for the agent's environment. */
  environment?: Record<string, string>;
}

export interface AgentResult {
  rc: number;
  /** The call did not finish before its deadline (rc is then OCF_ERR_GENERIC). */
  timedOut: boolean;
  /** The agent could not be started at all (rc is then OCF_ERR_INSTALLED). */
  notInstalled: boolean;
  durationMs: number;
  output: string;
}

/** Longest exit reason kept (Pacemaker's executor keeps a short line too). */
const exitReasonLimit = 256;

/**
 * Why an operation failed, in the agent's words, as Pacemaker keeps it (the lrm_rsc_op's
 * exit-reason): an OCF agent's last `ocf-exit-reason:` line (ocf_exit_reason writes it to
 * stderr); a built-in agent's message; for a call that ran out of time, that.
 */
export function exitReasonOf(result: AgentResult, agentClass: string, timeoutMs: number): string | undefined {
  if (result.timedOut) return `Resource agent did not complete within ${Math.round(timeoutMs / 1000)}s`;
  if (result.rc === OcfRc.success) return undefined;
  const reasons = [...result.output.matchAll(/^ocf-exit-reason:(.*)$/gm)].map((match) => match[1]!.trim());
  const said = agentClass === 'ocf' ? reasons.at(-1) : result.output.trim().split('\n')[0];
  return said ? said.slice(0, exitReasonLimit) : undefined;
}

/** Where agent calls in flight are noted, from before the agent runs until it has ended. */
export interface CallJournal {
  begin(call: { instance: string; action: string; deadlineMs: number }): JournalEntry;
}

export interface JournalEntry {
  /** The agent runs as this process (and process group). */
  spawned(pid: number): void;
  ended(): void;
}

/** The meaning of each OCF exit code, for logs and status. */
export const ocfRcText: Record<number, string> = {
  [OcfRc.success]: 'success',
  [OcfRc.errGeneric]: 'generic error',
  [OcfRc.errArgs]: 'invalid argument',
  [OcfRc.errUnimplemented]: 'unimplemented feature',
  [OcfRc.errPerm]: 'insufficient privileges',
  [OcfRc.errInstalled]: 'not installed',
  [OcfRc.errConfigured]: 'not configured',
  [OcfRc.notRunning]: 'not running',
  [OcfRc.runningPromoted]: 'running promoted',
  [OcfRc.failedPromoted]: 'failed promoted',
};

export function agentPath(agent: AgentSpec, ocfRoot = defaultOcfRoot): string {
  return join(ocfRoot, 'resource.d', agent.provider ?? 'heartbeat', agent.type);
}

export function agentEnvironment(call: AgentCall): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    ...call.environment,
    OCF_ROOT: call.ocfRoot ?? defaultOcfRoot,
    OCF_RA_VERSION_MAJOR: '1',
    OCF_RA_VERSION_MINOR: '1',
    OCF_RESOURCE_INSTANCE: call.instance,
    OCF_RESOURCE_TYPE: call.agent.type,
    OCF_RESOURCE_PROVIDER: call.agent.provider ?? '',
  };
  // OCF_CHECK_LEVEL (an operation's depth of checking) is the one parameter the OCF spec passes as it is.
  for (const [name, value] of Object.entries(call.params)) env[name === 'OCF_CHECK_LEVEL' ? name : `OCF_RESKEY_${name}`] = value;
  for (const [name, value] of Object.entries(call.meta)) env[`OCF_RESKEY_CRM_meta_${name.replace(/-/g, '_')}`] = value;
  env.OCF_RESKEY_CRM_meta_timeout = String(call.timeoutMs);
  return env;
}

export function runOcfAgent(call: AgentCall, journal?: CallJournal): Promise<AgentResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const entry = journal?.begin({ instance: call.instance, action: call.action, deadlineMs: started + call.timeoutMs });
    let output = '';
    let timedOut = false;
    let settled = false;
    const finish = (result: Omit<AgentResult, 'durationMs' | 'output'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      entry?.ended();
      resolve({ ...result, durationMs: Date.now() - started, output });
    };
    const child = spawn(agentPath(call.agent, call.ocfRoot), [call.action], { env: agentEnvironment(call), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    if (child.pid !== undefined) entry?.spawned(child.pid);
    const collect = (chunk: Buffer) => {
      if (output.length < outputLimitBytes) output += chunk.toString('utf8').slice(0, outputLimitBytes - output.length);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // The group is already gone.
      }
    };
    const deadline = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), killGraceMs).unref();
    }, call.timeoutMs);
    child.on('error', () => finish({ rc: OcfRc.errInstalled, timedOut: false, notInstalled: true }));
    child.on('close', (code) => {
      finish({ rc: timedOut ? OcfRc.errGeneric : code ?? OcfRc.errGeneric, timedOut, notInstalled: false });
    });
  });
}
